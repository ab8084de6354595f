/* tests/unit/test-sandbox.c: src/sandbox/ without KVM: a thread's filter is in place before it runs, forbidden syscalls and ioctls end the process with 159 and a named line, setuid to the configured id passes, KRUN_SANDBOX=0. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <termios.h>

#include "sandbox/sandbox.h"
#include "test.h"
#include "util/log.h"

/* The sanitizers this build has (Makefile's SANITIZE=), "" for none. */
#ifndef KRUN_SANITIZE
#define KRUN_SANITIZE ""
#endif

static pid_t thread_tid;
static sem_t hold, release;

static const int read_only_syscalls[] = { __NR_read };
static const struct sbx_list read_list = SBX_SYSCALLS("read", read_only_syscalls);
static const struct sbx_list *const lists[] = { &read_list };
static const struct sbx_role role = { "test-role", lists, SBX_N(lists) };
/* The same, and openat to read only (as the libslirp thread has it). */
static const struct sbx_list open_list = { .name = "open-read", .openat_read_only = true };
static const struct sbx_list *const open_lists[] = { &read_list, &open_list };
static const struct sbx_role open_role = { "test-role", open_lists, SBX_N(open_lists) };
static const struct sbx_role *child_role = &role;

static void *note_tid(void *arg)
{
	thread_tid = (pid_t)syscall(SYS_gettid);
	sem_post(&hold);
	sem_wait(&release);	/* alive (and filtered) until the test is done with it */
	return NULL;
}

/* The Seccomp: mode of thread (tid) of this process, -1 if unreadable. */
static int seccomp_mode(pid_t tid)
{
	char path[64], line[128];
	int mode = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%d/status", tid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Seccomp: %d", &mode) == 1)
			break;
	fclose(f);
	return mode;
}

/* Start a thread of (role) that notes its id and waits; its seccomp mode. */
static int thread_mode(void)
{
	pthread_t t;
	int mode;

	sem_init(&hold, 0, 0);
	sem_init(&release, 0, 0);
	CHECK_EQ(sbx_thread_create(&t, "sbx-test", &role, note_tid, NULL), 0);
	sem_wait(&hold);
	mode = seccomp_mode(thread_tid);
	sem_post(&release);
	pthread_join(t, NULL);
	return mode;
}

static void test_thread_filtered(void)
{
	unsetenv("KRUN_SANDBOX");
	CHECK_EQ(sbx_prepare(-1, -1), 0);
	CHECK(sbx_enabled());
	CHECK_EQ(thread_mode(), 2);
	CHECK_EQ(seccomp_mode((pid_t)syscall(SYS_gettid)), 0);	/* the creator is untouched */
}

static void test_off(void)
{
	setenv("KRUN_SANDBOX", "0", 1);
	CHECK_EQ(sbx_prepare(-1, -1), 0);
	CHECK(!sbx_enabled());
	CHECK_EQ(thread_mode(), 0);
}

/* Run (fn) in a filtered child; its exit status and what it logged. */
static int in_filtered_child(void (*fn)(void), char *log, size_t size)
{
	int p[2], status;
	ssize_t n;
	pid_t pid;

	CHECK(pipe(p) == 0);
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		unsetenv("KRUN_SANDBOX");
		log_configure(p[1], LOG_ERROR, 2);
		dup2(p[1], 2);	/* where a sanitizer writes its report */
		if (sbx_prepare(-1, -1) || sbx_enter(child_role))
			_exit(1);
		fn();
		_exit(0);
	}
	close(p[1]);
	for (size_t got = 0;; got += n) {
		n = read(p[0], log + got, size - 1 - got);
		if (n <= 0) {
			log[got] = '\0';
			break;
		}
	}
	close(p[0]);
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void call_getppid(void)
{
	syscall(SYS_getppid);
}

static void call_fionread(void)
{
	int n;

	ioctl(0, FIONREAD, &n);
}

static void call_read(void)
{
	char c;

	if (read(-1, &c, 1) < 0 && errno == EBADF)
		_exit(0);
	_exit(2);
}

static void test_forbidden_syscall(void)
{
	char log[512];

	CHECK_EQ(in_filtered_child(call_getppid, log, sizeof(log)), SBX_EXIT_STATUS);
	CHECK(strstr(log, "thread 'test-role' made forbidden syscall getppid (110)") != NULL);
	CHECK_EQ(in_filtered_child(call_read, log, sizeof(log)), 0);	/* on its list */
}

static void test_ioctl_by_number(void)
{
	char log[512];

	/* TCGETS is in the base list (isatty), FIONREAD in none. */
	CHECK_EQ(in_filtered_child(call_fionread, log, sizeof(log)), SBX_EXIT_STATUS);
	CHECK(strstr(log, "forbidden syscall ioctl (16)") != NULL);
}

static void open_read(void)
{
	_exit(open("/proc/self/status", O_RDONLY | O_CLOEXEC) >= 0 ? 0 : 2);
}

static const char *open_path;

static void open_create(void)
{
	open(open_path, O_RDONLY | O_CREAT | O_CLOEXEC, 0644);
}

static void open_trunc(void)
{
	open(open_path, O_RDONLY | O_TRUNC | O_CLOEXEC);
}

static void open_write(void)
{
	open(open_path, O_WRONLY | O_CLOEXEC);
}

static void open_rdwr(void)
{
	open(open_path, O_RDWR | O_CLOEXEC);
}

/* openat_read_only: opening to read passes; creating, truncating or writing ends the process. */
static void test_openat_read_only(void)
{
	char log[512], path[] = "/tmp/krun-sbx-open-XXXXXX";
	void (*const forbidden[])(void) = { open_create, open_trunc, open_write, open_rdwr };
	struct stat st;
	int fd;

	fd = mkstemp(path);
	CHECK(fd >= 0 && write(fd, "x", 1) == 1);
	close(fd);
	open_path = path;
	child_role = &open_role;
	CHECK_EQ(in_filtered_child(open_read, log, sizeof(log)), 0);
	for (size_t i = 0; i < SBX_N(forbidden); i++) {
		CHECK_EQ(in_filtered_child(forbidden[i], log, sizeof(log)), SBX_EXIT_STATUS);
		CHECK(strstr(log, "forbidden syscall openat (257)") != NULL);
	}
	child_role = &role;
	/* Without the flag, no openat at all (sanitizer builds: read-only, for the symbolizer). */
	CHECK_EQ(in_filtered_child(open_read, log, sizeof(log)), *KRUN_SANITIZE ? 0 : SBX_EXIT_STATUS);
	CHECK(stat(path, &st) == 0 && st.st_size == 1);	/* O_TRUNC did not run */
	unlink(path);
}

static void heap_overflow(void)
{
	volatile char *volatile p = malloc(8);
	volatile int i = 8;

	p[i] = 1;
}

static void signed_overflow(void)
{
	volatile int x = INT_MAX;

	x = x + 1;
}

/*
 * Sanitizer builds: a report made on a filtered thread reaches stderr whole
 * (ASan: symbolized stack, SUMMARY line) and the process ends with the runtime's
 * exit status 1, not the sandbox's 159.
 */
static void check_report(void (*fn)(void), const char *what, const char *what_else)
{
	char log[16384];

	CHECK_EQ(in_filtered_child(fn, log, sizeof(log)), 1);
	CHECK(strstr(log, what) != NULL);
	CHECK(strstr(log, what_else) != NULL);
	CHECK(strstr(log, "forbidden syscall") == NULL);
	if (test_failed_)
		printf("%s", log);
}

static void test_asan_report(void)
{
	if (!strstr(KRUN_SANITIZE, "address"))
		SKIP_TEST("not an ASan build");
	check_report(heap_overflow, "ERROR: AddressSanitizer: heap-buffer-overflow",
		     "SUMMARY: AddressSanitizer: heap-buffer-overflow");
	check_report(heap_overflow, " in heap_overflow ", "test-sandbox.c:");	/* symbolized */
}

static void test_ubsan_report(void)
{
	if (!strstr(KRUN_SANITIZE, "undefined"))
		SKIP_TEST("not a UBSan build");
	check_report(signed_overflow, "runtime error: signed integer overflow", "test-sandbox.c:");
}

static int init_mode = -1;

static int init_ok(void *arg)
{
	init_mode = seccomp_mode((pid_t)syscall(SYS_gettid));	/* before the filter: 0 */
	return 0;
}

static int init_fails(void *arg)
{
	return -ENOENT;
}

static void *mark_ran(void *arg)
{
	*(int *)arg = 1;	/* (filtered: no /proc reads here; test_thread_filtered checks the mode) */
	return NULL;
}

/*
 * sbx_thread_start: init runs on the new thread before its filter, the body
 * only after both (filtered); a failed init is what settle returns, and that
 * thread never runs its body.
 */
static void test_thread_start_settle(void)
{
	int seen_a = -1, seen_b = -1;
	pthread_t a, b;

	unsetenv("KRUN_SANDBOX");
	CHECK_EQ(sbx_prepare(-1, -1), 0);
	CHECK_EQ(sbx_thread_settle(), 0);	/* nothing pending */
	CHECK_EQ(sbx_thread_start(&a, "sbx-a", &role, init_ok, mark_ran, &seen_a), 0);
	CHECK_EQ(sbx_thread_settle(), 0);
	pthread_join(a, NULL);
	CHECK_EQ(init_mode, 0);			/* init ran unfiltered */
	CHECK_EQ(seen_a, 1);			/* then the body */
	CHECK_EQ(sbx_thread_start(&a, "sbx-a", &role, NULL, mark_ran, &seen_a), 0);
	CHECK_EQ(sbx_thread_start(&b, "sbx-b", &role, init_fails, mark_ran, &seen_b), 0);
	CHECK_EQ(sbx_thread_settle(), -ENOENT);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	CHECK_EQ(seen_b, -1);			/* failed init: the body never ran */
	CHECK_EQ(sbx_thread_settle(), 0);	/* each start is settled once */
}

/* glibc runs setuid()/setgid() on every thread: already filtered workers must let it through. */
static void test_setxid_to_configured_ids(void)
{
	pthread_t t;

	if (geteuid() != 0)
		SKIP_TEST("needs root to change ids");
	unsetenv("KRUN_SANDBOX");
	CHECK_EQ(sbx_prepare(65534, 65534), 0);
	sem_init(&hold, 0, 0);
	sem_init(&release, 0, 0);
	CHECK_EQ(sbx_thread_create(&t, "sbx-test", &role, note_tid, NULL), 0);
	sem_wait(&hold);
	CHECK_EQ(seccomp_mode(thread_tid), 2);
	CHECK_EQ(setgid(65534), 0);	/* the filtered thread runs setgid too */
	CHECK_EQ(setuid(65534), 0);
	CHECK_EQ(getuid(), 65534);
	sem_post(&release);
	pthread_join(t, NULL);
}

TEST_MAIN_BEGIN("sandbox")
	RUN(test_thread_filtered);
	RUN(test_off);
	RUN(test_thread_start_settle);
	RUN(test_forbidden_syscall);
	RUN(test_ioctl_by_number);
	RUN(test_openat_read_only);
	RUN(test_setxid_to_configured_ids);
	RUN(test_asan_report);
	RUN(test_ubsan_report);
TEST_MAIN_END()
