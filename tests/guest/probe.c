/* tests/guest/probe.c: a static multi-call probe run inside the guest by end-to-end tests (prints facts, exits with chosen codes). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/statfs.h>
#include <sys/utsname.h>
#include <unistd.h>

extern char **environ;

#include "sha256.h"

/* ---- subcommands ---- */

static int cmd_exit(int argc, char **argv)
{
	return argc > 2 ? atoi(argv[2]) : 0;
}

static int cmd_kill_self(int argc, char **argv)
{
	int sig = argc > 2 ? atoi(argv[2]) : SIGKILL;

	signal(sig, SIG_DFL);
	fflush(stdout);
	kill(getpid(), sig);
	pause();
	return 1;
}

/* One argument per line in <>, so empty arguments and spaces are visible. */
static int cmd_args(int argc, char **argv)
{
	for (int i = 0; i < argc; i++)
		printf("<%s>\n", argv[i]);
	return 0;
}

static int cmd_env(int argc, char **argv)
{
	for (char **e = environ; *e; e++)
		printf("%s\n", *e);
	return 0;
}

static void print_lim(rlim_t v)
{
	if (v == RLIM_INFINITY)
		printf("unlimited");
	else
		printf("%llu", (unsigned long long)v);
}

static int cmd_rlimit(int argc, char **argv)
{
	struct rlimit rl;

	if (argc < 3 || getrlimit(atoi(argv[2]), &rl) < 0)
		return 2;
	print_lim(rl.rlim_cur);
	printf(" ");
	print_lim(rl.rlim_max);
	printf("\n");
	return 0;
}

static int cmd_cwd(int argc, char **argv)
{
	char buf[4096];

	if (!getcwd(buf, sizeof(buf)))
		return 2;
	printf("%s\n", buf);
	return 0;
}

static int cmd_pid(int argc, char **argv)
{
	printf("%d\n", (int)getpid());
	return 0;
}

static int cmd_hostname(int argc, char **argv)
{
	struct utsname u;

	uname(&u);
	printf("%s\n", u.nodename);
	return 0;
}

static int cmd_isatty(int argc, char **argv)
{
	for (int fd = 0; fd < 3; fd++)
		printf("%d:%s\n", fd, isatty(fd) ? "tty" : "notty");
	return 0;
}

static int cmd_fstype(int argc, char **argv)
{
	struct statfs s;

	if (statfs(argc > 2 ? argv[2] : "/", &s) < 0)
		return 2;
	printf("0x%lx\n", (unsigned long)s.f_type);
	return 0;
}

/* Byte k of the write pattern, k ^ k>>8 ^ k>>16 ^ k>>24 truncated, easy to recompute on the host. */
static uint8_t pattern_byte(uint64_t k)
{
	return (uint8_t)(k ^ (k >> 8) ^ (k >> 16) ^ (k >> 24));
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* probe write FILE MIB: writes MIB MiB of the pattern, fsyncs, prints its sha256. */
static int cmd_write(int argc, char **argv)
{
	static uint8_t buf[1 << 16];
	uint64_t total, off = 0;
	struct sha256 s;
	char hex[65];
	int fd;

	if (argc < 4)
		return 2;
	total = strtoull(argv[3], NULL, 10) << 20;
	fd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0) {
		perror("open");
		return 2;
	}
	sha256_init(&s);
	while (off < total) {
		size_t n = total - off < sizeof(buf) ? (size_t)(total - off) : sizeof(buf);

		for (size_t i = 0; i < n; i++)
			buf[i] = pattern_byte(off + i);
		sha256_update(&s, buf, n);
		if (write_all(fd, buf, n)) {
			perror("write");
			return 2;
		}
		off += n;
	}
	if (fsync(fd) < 0 || close(fd) < 0) {
		perror("fsync/close");
		return 2;
	}
	sha256_hex(&s, hex);
	printf("%s  %s\n", hex, argv[2]);
	return 0;
}

static int hash_fd(int fd, const char *label)
{
	static uint8_t buf[1 << 16];
	struct sha256 s;
	uint64_t total;
	char hex[65];
	ssize_t n;

	sha256_init(&s);
	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			perror("read");
			return 2;
		}
		if (n == 0)
			break;
		sha256_update(&s, buf, (size_t)n);
	}
	total = s.len;
	sha256_hex(&s, hex);
	printf("%s  %s %llu\n", hex, label, (unsigned long long)total);
	return 0;
}

static int cmd_read_stdin_sha256(int argc, char **argv)
{
	return hash_fd(0, "-");
}

static int cmd_sha256(int argc, char **argv)
{
	int fd, ret;

	if (argc < 3)
		return 2;
	fd = open(argv[2], O_RDONLY);
	if (fd < 0) {
		perror("open");
		return 2;
	}
	ret = hash_fd(fd, argv[2]);
	close(fd);
	return ret;
}

static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
	got_signal = sig;
}

/* probe wait-signal: prints "ready", waits for any catchable signal, exits 100+signo. */
static int cmd_wait_signal(int argc, char **argv)
{
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 };

	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		signal(sigs[i], on_signal);
	printf("ready\n");
	fflush(stdout);
	while (!got_signal)
		pause();
	printf("got signal %d\n", (int)got_signal);
	return 100 + got_signal;
}

/* probe echo-stderr TEXT: writes TEXT to stderr only (to test separate stdout/stderr ports). */
static int cmd_echo_stderr(int argc, char **argv)
{
	fprintf(stderr, "%s\n", argc > 2 ? argv[2] : "");
	return 0;
}

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *usage;
} cmds[] = {
	{ "exit", cmd_exit, "exit N" },
	{ "kill-self", cmd_kill_self, "kill-self SIGNO" },
	{ "args", cmd_args, "args [ARG...]" },
	{ "env", cmd_env, "env" },
	{ "rlimit", cmd_rlimit, "rlimit RESOURCE" },
	{ "cwd", cmd_cwd, "cwd" },
	{ "pid", cmd_pid, "pid" },
	{ "hostname", cmd_hostname, "hostname" },
	{ "isatty", cmd_isatty, "isatty" },
	{ "fstype", cmd_fstype, "fstype [PATH]" },
	{ "write", cmd_write, "write FILE MIB" },
	{ "sha256", cmd_sha256, "sha256 FILE" },
	{ "read-stdin-sha256", cmd_read_stdin_sha256, "read-stdin-sha256" },
	{ "wait-signal", cmd_wait_signal, "wait-signal" },
	{ "echo-stderr", cmd_echo_stderr, "echo-stderr TEXT" },
};

int main(int argc, char **argv)
{
	size_t i;

	if (argc > 1)
		for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
			if (!strcmp(argv[1], cmds[i].name))
				return cmds[i].fn(argc, argv);
	fprintf(stderr, "usage:\n");
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(stderr, "  probe %s\n", cmds[i].usage);
	return 2;
}
