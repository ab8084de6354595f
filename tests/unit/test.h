/* tests/unit/test.h: a tiny unit-test harness; each test runs in a forked child so a crash is a FAIL, not a dead suite. */
#ifndef KRUN_TEST_H
#define KRUN_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

static int test_failed_;

/* CHECK(cond): record a failure and keep going, so one run shows every broken check. */
#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond)) {                                                 \
			printf("  check failed %s:%d: %s\n", __FILE__,         \
			       __LINE__, #cond);                               \
			test_failed_ = 1;                                      \
		}                                                              \
	} while (0)

#define CHECK_EQ(a, b)                                                         \
	do {                                                                   \
		long long a_ = (long long)(a), b_ = (long long)(b);            \
		if (a_ != b_) {                                                \
			printf("  check failed %s:%d: %s == %s (%lld != %lld)\n", \
			       __FILE__, __LINE__, #a, #b, a_, b_);            \
			test_failed_ = 1;                                      \
		}                                                              \
	} while (0)

/* Runs fn in a child; prints PASS/FAIL <prefix>/<fn>. Returns 1 on failure. */
static inline int test_run_(const char *prefix, const char *name, void (*fn)(void))
{
	int status;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		test_failed_ = 0;
		alarm(60);
		fn();
		fflush(stdout);
		_exit(test_failed_ ? 1 : 0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0) {
		printf("FAIL %s/%s: fork/wait failed\n", prefix, name);
		return 1;
	}
	if (!*prefix) {	/* RUN_NAMED: a suite-wide test name, printed alone */
		prefix = name;
		name = "";
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		printf("PASS %s%s%s\n", prefix, *name ? "/" : "", name);
		return 0;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 77) {
		printf("SKIP %s/%s\n", prefix, name);
		return 0;
	}
	if (WIFSIGNALED(status))
		printf("FAIL %s/%s: killed by signal %d\n", prefix, name, WTERMSIG(status));
	else
		printf("FAIL %s/%s\n", prefix, name);
	return 1;
}

/* SKIP_TEST(why): end this test as skipped (e.g. no /dev/kvm). */
#define SKIP_TEST(why)                                                         \
	do {                                                                   \
		printf("  skipped: %s\n", why);                                \
		fflush(stdout);                                                \
		_exit(77);                                                     \
	} while (0)

#define TEST_MAIN_BEGIN(prefix)                                                \
	int main(void)                                                         \
	{                                                                      \
		const char *test_prefix_ = prefix;                             \
		int test_fails_ = 0;
#define RUN(fn) (test_fails_ += test_run_(test_prefix_, #fn, fn))
/* RUN_NAMED("fs-foo", fn): prints "PASS fs-foo" / "FAIL fs-foo/: ..." under its own name. */
#define RUN_NAMED(name, fn) (test_fails_ += test_run_("", name, fn))
#define TEST_MAIN_END()                                                        \
	return test_fails_ ? 1 : 0;                                            \
	}

#endif
