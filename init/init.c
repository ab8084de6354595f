/* init/init.c: the guest's PID 1 (/init.krun): sets the guest up, runs the workload, reports its exit code to the VMM. */
#include "config.h"
#include "env.h"
#include "net.h"
#include "setup.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

/* Exit codes for failures of init itself, as documented in libkrun.h. */
#define EXIT_SETUP_FAILED	125
#define EXIT_CANNOT_EXEC	126
#define EXIT_NOT_FOUND		127

#define FUSE_SUPER_MAGIC	0x65735546
/* The VMM's virtio-fs server takes this ioctl on / as "record the exit code". */
#define KRUN_IOCTL_EXIT_CODE	_IO('v', 2)

#define DEFAULT_CONFIG_PATH	"/.krun_config.json"
/* Set by the VMM when the workload's argv/env did not fit the kernel command line. */
#define EXEC_FILE_VAR		"KRUN_EXEC_FILE"

static const int forwarded_signals[] = {
	SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2,
};

static volatile sig_atomic_t workload_pid;

/* The root the VMM serves, opened before a root disk covers it: the exit code still reaches the VMM. */
static int vmm_root_fd = -1;

static void report_exit_code(int code)
{
	struct statfs sfs;

	/* Only the libkrun virtio-fs root understands the ioctl. */
	if (vmm_root_fd < 0 || fstatfs(vmm_root_fd, &sfs) < 0 ||
	    (unsigned long)sfs.f_type != FUSE_SUPER_MAGIC)
		return;
	ioctl(vmm_root_fd, KRUN_IOCTL_EXIT_CODE, code);
}

/* Reports (code) and powers the VM off; falls back to exiting if not PID 1. */
static _Noreturn void finish(int code)
{
	report_exit_code(code);
	sync();
	net_links_down();
	reboot(RB_AUTOBOOT);
	_exit(code);
}

/*
 * The kernel drops signals PID 1 has no handler for, so init catches them and
 * passes them on. Signals the kernel raised for the terminal (SI_KERNEL) went
 * to the whole foreground process group, the workload included, already.
 */
static void forward_signal(int sig, siginfo_t *si, void *uc)
{
	int saved = errno;

	(void)uc;
	if (si->si_code != SI_KERNEL && workload_pid > 0)
		kill(workload_pid, sig);
	errno = saved;
}

static void install_forwarding(sigset_t *set)
{
	struct sigaction sa = { .sa_sigaction = forward_signal, .sa_flags = SA_SIGINFO | SA_RESTART };
	size_t i;

	sigemptyset(set);
	for (i = 0; i < sizeof(forwarded_signals) / sizeof(forwarded_signals[0]); i++) {
		sigaction(forwarded_signals[i], &sa, NULL);
		sigaddset(set, forwarded_signals[i]);
	}
}

static void reset_signals(const sigset_t *set)
{
	size_t i;

	for (i = 0; i < sizeof(forwarded_signals) / sizeof(forwarded_signals[0]); i++)
		signal(forwarded_signals[i], SIG_DFL);
	sigprocmask(SIG_UNBLOCK, set, NULL);
}

/* Sets up stdio and execs the workload; returns only the exit code for a failure. */
static int exec_workload(char **argv)
{
	int ret;

	ret = setup_redirects();
	if (ret) {
		fprintf(stderr, "init: redirecting stdio: %s\n", strerror(-ret));
		return EXIT_SETUP_FAILED;
	}
	execvp(argv[0], argv);
	ret = errno;
	fprintf(stderr, "Couldn't execute '%s' inside the vm: %s\n", argv[0], strerror(ret));
	return ret == ENOENT ? EXIT_NOT_FOUND : EXIT_CANNOT_EXEC;
}

static int status_to_code(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return EXIT_SETUP_FAILED;
}

/*
 * Host signals: the VMM writes the number of each signal it receives (SIGTERM
 * from "podman stop", ...) to the console port "krun-signals". A small child
 * relays them to PID 1, whose handler passes them to the workload like any
 * other signal sent to init. No port (older VMMs, no console): nothing to do.
 */
static void start_signal_relay(void)
{
	unsigned char sig;
	int fd;

	fd = open_named_port("krun-signals", O_RDONLY);
	if (fd < 0)
		return;
	if (fork() != 0) {
		close(fd);
		return;
	}
	while (read(fd, &sig, 1) == 1)
		if (sig > 0 && sig < NSIG)
			kill(1, sig);
	_exit(0);
}

/* Forks the workload and reaps every child until the workload itself exits. */
static int run_workload(char **argv)
{
	sigset_t set;
	int status;
	pid_t pid;

	install_forwarding(&set);
	sigprocmask(SIG_BLOCK, &set, NULL);
	pid = fork();
	if (pid == 0) {
		reset_signals(&set);
		_exit(exec_workload(argv));
	}
	if (pid < 0) {
		fprintf(stderr, "init: fork: %s\n", strerror(errno));
		return EXIT_SETUP_FAILED;
	}
	workload_pid = pid;
	start_signal_relay();
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	for (;;) {
		pid_t r = waitpid(-1, &status, 0);

		if (r == pid)
			return status_to_code(status);
		if (r < 0 && errno != EINTR)
			return EXIT_SETUP_FAILED;
	}
}

static int load_config_at_vmm_root(const char *path, struct krun_config *cfg)
{
	char alias[32];
	int fd = openat(vmm_root_fd, path + 1, O_RDONLY | O_CLOEXEC);
	int ret;

	if (fd < 0)
		return -errno;
	snprintf(alias, sizeof(alias), "/proc/self/fd/%d", fd);
	ret = config_load(alias, cfg);
	close(fd);
	return ret;
}

static void load_config(struct krun_config *cfg)
{
	const char *path = getenv("KRUN_CONFIG");
	int ret;

	if (!path)
		path = DEFAULT_CONFIG_PATH;
	ret = config_load(path, cfg);
	/* Not on a root disk: the VMM may have served it on the root we started from. */
	if (ret == -ENOENT && vmm_root_fd >= 0 && path[0] == '/')
		ret = load_config_at_vmm_root(path, cfg);
	if (ret && ret != -ENOENT)
		fprintf(stderr, "init: ignoring config %s: %s\n", path, strerror(-ret));
}

/*
 * The exec file stands in for the command line: its Env is applied first (as
 * the kernel applied the command line's) and its args take KRUN_INIT's place,
 * so the OCI config (crun's only channel for the container's env) still
 * applies underneath with upstream's precedence.
 */
static void load_exec_file(struct krun_config *exec)
{
	const char *path = getenv(EXEC_FILE_VAR);
	int ret;

	if (!path)
		return;
	/* The VMM serves it on the root we started from, also when a root disk replaced it since. */
	if (vmm_root_fd >= 0 && path[0] == '/')
		ret = load_config_at_vmm_root(path, exec);
	else
		ret = config_load(path, exec);
	if (ret)
		fprintf(stderr, "init: ignoring %s: %s\n", path, strerror(-ret));
	unsetenv(EXEC_FILE_VAR);
	init_apply_exec_env(exec);
}

static void apply_environment(const struct krun_config *cfg)
{
	const char *v, *host;

	init_apply_config_env(cfg);
	v = getenv("KRUN_HOME");
	if (v)
		setenv("HOME", v, 1);
	v = getenv("KRUN_TERM");
	if (v)
		setenv("TERM", v, 1);
	host = getenv("HOSTNAME");
	if (!host)
		host = "localhost";
	if (sethostname(host, strlen(host)) < 0)
		fprintf(stderr, "init: sethostname: %s\n", strerror(errno));
}

static int enter_workdir(const struct krun_config *cfg)
{
	const char *dir = getenv("KRUN_WORKDIR");

	if (!dir || !*dir)
		dir = cfg->cwd;
	if (!dir || !*dir)
		return 0;
	if (chdir(dir) < 0) {
		fprintf(stderr, "init: chdir %s: %s\n", dir, strerror(errno));
		return -errno;
	}
	return 0;
}

static void setup_system(void)
{
	vmm_root_fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (setup_mounts() || setup_block_root())
		finish(EXIT_SETUP_FAILED);
	if (mount(NULL, "/", NULL, MS_REC | MS_SHARED, NULL) < 0)
		fprintf(stderr, "init: making / shared: %s\n", strerror(errno));
	/* A session with the console as controlling tty gives the workload job control. */
	setsid();
	ioctl(0, TIOCSCTTY, 1);
	setup_network(cmdline_has_flag(read_proc_cmdline(), "tsi_hijack"));
	setup_nics(read_proc_cmdline());
}

int main(int argc, char **argv)
{
	struct krun_config cfg = { 0 }, exec = { 0 };
	const char *pid1 = getenv("KRUN_INIT_PID1"), *krun_init = getenv("KRUN_INIT");
	char **wargv, **cmd = argv + 1;
	size_t n_cmd = argc > 0 ? (size_t)argc - 1 : 0;

	setup_system();
	load_exec_file(&exec);
	if (exec.args.n > 0) {
		krun_init = exec.args.v[0];
		cmd = exec.args.v + 1;
		n_cmd = exec.args.n - 1;
	}
	load_config(&cfg);
	apply_environment(&cfg);
	setup_rlimits();
	if (enter_workdir(&cfg))
		finish(EXIT_SETUP_FAILED);
	if (init_build_argv(krun_init, cmd, n_cmd, &cfg, &wargv))
		finish(EXIT_SETUP_FAILED);
	if (pid1 && pid1[0] == '1')
		finish(exec_workload(wargv));
	finish(run_workload(wargv));
}
