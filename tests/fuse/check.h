/* tests/fuse/check.h: tiny PASS/FAIL harness for the FUSE conformance and escape checkers (one line per case). */
#ifndef KRUN_FUSE_CHECK_H
#define KRUN_FUSE_CHECK_H

#include <errno.h>
#include <stdio.h>
#include <string.h>

static int check_fails;
static char check_why[512];

/* Inside a case: fail with a reason (records errno text) and return -1 from the case. */
#define REQUIRE(cond, ...)                                                     \
	do {                                                                   \
		if (!(cond)) {                                                 \
			int e_ = errno;                                        \
			int n_ = snprintf(check_why, sizeof(check_why), __VA_ARGS__); \
			snprintf(check_why + n_, sizeof(check_why) - (size_t)n_, \
				 " [line %d, errno %s]", __LINE__, strerror(e_)); \
			return -1;                                             \
		}                                                              \
	} while (0)

/* Expect a syscall to fail with one of two errnos. */
#define REQUIRE_ERR(expr, e1, e2)                                              \
	do {                                                                   \
		errno = 0;                                                     \
		long r_ = (long)(expr);                                        \
		REQUIRE(r_ < 0 && (errno == (e1) || errno == (e2)),            \
			"%s returned %ld, want error %s", #expr, r_, strerror(e1)); \
	} while (0)

/* A case returns 0 (pass), -1 (fail, reason in check_why) or 77 (skip). */
static void check_run(const char *prefix, const char *name, int (*fn)(void))
{
	const char *sep = *prefix ? "/" : "";	/* "" prefix: the name stands alone */
	int r;

	check_why[0] = 0;
	r = fn();
	if (r == 0)
		printf("PASS %s%s%s\n", prefix, sep, name);
	else if (r == 77)
		printf("SKIP %s%s%s: %s\n", prefix, sep, name, check_why);
	else {
		printf("FAIL %s%s%s: %s\n", prefix, sep, name, check_why);
		check_fails++;
	}
	fflush(stdout);
}

#define SKIP_CASE(...)                                                         \
	do {                                                                   \
		snprintf(check_why, sizeof(check_why), __VA_ARGS__);           \
		return 77;                                                     \
	} while (0)

#endif
