/* src/sandbox/sandbox.h: per-thread seccomp filters: each role's allow-list lives next to its code; this module combines and installs them. */
#ifndef KRUN_SANDBOX_H
#define KRUN_SANDBOX_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

/*
 * What one piece of code needs from the kernel once the VM runs: syscalls
 * allowed with any arguments, plus ioctl request numbers (ioctl itself is
 * never allowed unfiltered). Syscall numbers are this architecture's
 * (__NR_*); lists are compiled only where they were written for
 * (#ifdef __x86_64__), elsewhere the sandbox reports -ENOTSUP.
 */
struct sbx_list {
	const char *name;
	const int *syscalls;
	size_t nr_syscalls;
	const unsigned long *ioctls;
	size_t nr_ioctls;
	/* openat only to read: access mode O_RDONLY, none of O_CREAT, O_TRUNC, O_APPEND, O_TMPFILE. */
	bool openat_read_only;
};

#define SBX_N(a) (sizeof(a) / sizeof((a)[0]))
#define SBX_LIST(name_, sys_, ioc_)                                                          \
	{ .name = (name_), .syscalls = (sys_), .nr_syscalls = SBX_N(sys_), .ioctls = (ioc_), \
	  .nr_ioctls = SBX_N(ioc_) }

#define SBX_SYSCALLS(name_, sys_) { .name = (name_), .syscalls = (sys_), .nr_syscalls = SBX_N(sys_) }
#define SBX_IOCTLS(name_, ioc_) { .name = (name_), .ioctls = (ioc_), .nr_ioctls = SBX_N(ioc_) }

/* A thread's role: its name (for the log) and the lists it is allowed, all combined. */
struct sbx_role {
	const char *name;
	const struct sbx_list *const *lists;
	size_t nr_lists;
};

/* Allowed to every thread: memory, locks, logging, time, exit (src/sandbox/sandbox.c). */
extern const struct sbx_list sbx_base;

/* The process exits with this status after a forbidden syscall (128 + SIGSYS, as a shell shows it). */
#define SBX_EXIT_STATUS 159

/*
 * Decide once per VM whether filters are installed (KRUN_SANDBOX=0 turns them
 * off), and install the SIGSYS handler that names a forbidden syscall. (uid),
 * (gid): the ids the VMM will setuid/setgid to after threads exist (-1 for
 * none); every filter allows exactly those. Call on the main thread before
 * any sandboxed thread starts. 0 or -errno.
 */
int sbx_prepare(long uid, long gid);

bool sbx_enabled(void);

/* Install (role)'s filter on the calling thread (a no-op when disabled). 0 or -errno. */
int sbx_enter(const struct sbx_role *role);

/*
 * pthread_create for a role: the new thread is named (thread_name), installs
 * its filter, and only then runs (fn). Returns once the filter is in place;
 * if it could not be installed, the thread never runs (fn) and the error is
 * returned. Threads must exist before the main thread's filter goes on: it
 * forbids clone.
 */
int sbx_thread_create(pthread_t *t, const char *thread_name, const struct sbx_role *role,
		      void *(*fn)(void *), void *arg);

/*
 * sbx_thread_create for work that need not hold up the caller: returns once
 * the thread exists. The thread runs (init)(arg) first when (init) is set
 * (setup that may fail: 0 or -errno), then installs its filter, and runs
 * (fn) only if both succeeded; otherwise it returns without running (fn) and
 * stays joinable for its owner. Every such start must be followed by
 * sbx_thread_settle on the same thread (the main thread, before its own
 * filter and before the guest runs).
 */
int sbx_thread_start(pthread_t *t, const char *thread_name, const struct sbx_role *role,
		     int (*init)(void *), void *(*fn)(void *), void *arg);

/*
 * Wait until every thread of sbx_thread_start has its filter in place or has
 * failed. 0, or the first failure's -errno (its init or sbx_enter logged why).
 */
int sbx_thread_settle(void);

#endif
