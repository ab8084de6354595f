/* src/sandbox/sandbox.c: builds and installs per-thread seccomp filters with libseccomp; a forbidden syscall is logged by name and ends the process. */
#include "sandbox/sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <malloc.h>
#include <seccomp.h>
#include <semaphore.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

#include "util/log.h"

/* Built with ASan or UBSan (the Makefile defines KRUN_SANITIZE for any SANITIZE= list). */
#if defined(__SANITIZE_ADDRESS__) || defined(KRUN_SANITIZE)
#define SBX_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(undefined_behavior_sanitizer)
#define SBX_SANITIZED 1
#endif
#endif
#ifndef SBX_SANITIZED
#define SBX_SANITIZED 0
#endif

#ifdef __x86_64__
#define SBX_OPEN_WRITE_FLAGS	((uint32_t)(O_ACCMODE | O_CREAT | O_TRUNC | O_APPEND | (O_TMPFILE & ~O_DIRECTORY)))
#define SBX_MAX_NR 512		/* above every x86_64 syscall number */
/*
 * Stack of every VMM thread. Under 2 MiB, so a host with transparent huge pages "always" (Debian's
 * default) cannot back it with a huge page: glibc's default 8 MiB stacks got 2 MiB resident each.
 * Our deepest frames (FUSE, libslirp under glib) use tens of KiB.
 */
#define SBX_THREAD_STACK (1024 * 1024)

static const int base_syscalls[] = {
	/* logging: one write per line (util/log.c) */
	__NR_write, __NR_writev,
	/* malloc and thread stacks */
	__NR_mmap, __NR_munmap, __NR_mremap, __NR_mprotect, __NR_brk, __NR_madvise,
	/* glibc's malloc sizes its arenas from the CPU count */
	__NR_sched_getaffinity,
	/* locks, condition variables, semaphores */
	__NR_futex, __NR_sched_yield,
	/* time (normally the vDSO; the syscalls are its fallback) */
	__NR_clock_gettime, __NR_gettimeofday, __NR_clock_nanosleep, __NR_nanosleep,
	/* signals: returning from a handler, masks, abort() */
	__NR_rt_sigreturn, __NR_rt_sigprocmask, __NR_restart_syscall, __NR_getpid, __NR_gettid,
	__NR_tgkill,
	/* thread and process exit */
	__NR_exit, __NR_exit_group,
};

#if SBX_SANITIZED
/*
 * The ASan/UBSan runtimes' own syscalls, in sanitizer builds only (found by
 * running the unit and e2e suites with the filters on and reading the SIGSYS
 * lines and strace): every thread gets them, since the runtimes run wherever
 * instrumented code runs. Plus open/openat to read only and fcntl(F_SETFD)
 * (sbx_add_sanitizer). Without them a report would end at its first line,
 * with the sandbox's exit status instead of the sanitizer's.
 */
static const int sanitizer_syscalls[] = {
	/* ASan's per-thread alternate signal stack, taken down at thread exit and at _exit */
	__NR_sigaltstack,
	/* a report's symbolizer (libbacktrace): /proc/self/maps, each module's ELF file */
	__NR_read, __NR_close, __NR_readlink, __NR_newfstatat,
};
#endif

/* isatty() in the log sink asks the terminal. */
static const unsigned long base_ioctls[] = { TCGETS };

const struct sbx_list sbx_base = SBX_LIST("base", base_syscalls, base_ioctls);
#if SBX_SANITIZED
static const struct sbx_list sbx_sanitizer = SBX_SYSCALLS("sanitizer", sanitizer_syscalls);
#endif
#else
const struct sbx_list sbx_base = { .name = "base" };
#endif

static bool sbx_on;
static long sbx_uid = -1, sbx_gid = -1;	/* setuid/setgid targets the filters let through */
static const char *sbx_selftest;	/* KRUN_SANDBOX_SELFTEST: role that trips its filter */
static __thread const char *sbx_thread_role;
#ifdef __x86_64__
static char *sbx_names[SBX_MAX_NR];	/* syscall names, resolved before any filter */
#endif

bool sbx_enabled(void)
{
	return sbx_on;
}

/* Async-signal-safe: appends (s) to (buf) at (*n). */
static void sbx_put(char *buf, size_t size, size_t *n, const char *s)
{
	while (*s && *n + 1 < size)
		buf[(*n)++] = *s++;
}

static void sbx_put_num(char *buf, size_t size, size_t *n, unsigned v)
{
	char d[12];
	int i = sizeof(d) - 1;

	d[i] = '\0';
	do
		d[--i] = '0' + v % 10;
	while ((v /= 10) && i > 0);
	sbx_put(buf, size, n, d + i);
}

/*
 * SECCOMP_RET_TRAP lands here on the offending thread. The line is built by
 * hand (no stdio, no malloc: the thread may hold malloc's lock) and written
 * with one write(); then the process exits. Exiting rather than re-raising
 * SIGSYS: a core dump would hold guest RAM, and exit_group is allowed to
 * every thread, so this cannot trap again.
 */
static void sbx_on_sigsys(int sig, siginfo_t *si, void *uc)
{
	int nr = si->si_syscall;
	const char *name = NULL;
	char line[256];
	size_t n = 0;

#ifdef __x86_64__
	if (nr >= 0 && nr < SBX_MAX_NR)
		name = sbx_names[nr];
#endif
	sbx_put(line, sizeof(line), &n, "[libkrun] sandbox: thread '");
	sbx_put(line, sizeof(line), &n, sbx_thread_role ? sbx_thread_role : "?");
	sbx_put(line, sizeof(line), &n, "' made forbidden syscall ");
	sbx_put(line, sizeof(line), &n, name ? name : "?");
	sbx_put(line, sizeof(line), &n, " (");
	sbx_put_num(line, sizeof(line), &n, (unsigned)nr);
	sbx_put(line, sizeof(line), &n, "); exiting with status ");
	sbx_put_num(line, sizeof(line), &n, SBX_EXIT_STATUS);
	sbx_put(line, sizeof(line), &n, "\n");
	if (write(log_sink_fd(), line, n) < 0)
		n = 0;
	_exit(SBX_EXIT_STATUS);
}

#ifdef __x86_64__
static void sbx_resolve_names(void)
{
	for (int nr = 0; nr < SBX_MAX_NR; nr++)
		if (!sbx_names[nr])
			sbx_names[nr] = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);
}
#endif

int sbx_prepare(long uid, long gid)
{
	struct sigaction sa = { .sa_sigaction = sbx_on_sigsys, .sa_flags = SA_SIGINFO };
	const char *env = getenv("KRUN_SANDBOX");

	sbx_on = !(env && !strcmp(env, "0"));
	sbx_uid = uid;
	sbx_gid = gid;
	if (!sbx_on) {
		log_info("sandbox: off (KRUN_SANDBOX=0)");
		return 0;
	}
#ifndef __x86_64__
	log_err("sandbox: no allow-lists for this architecture; KRUN_SANDBOX=0 runs without");
	return -ENOTSUP;
#else
	sbx_selftest = getenv("KRUN_SANDBOX_SELFTEST");
	sbx_resolve_names();
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSYS, &sa, NULL) < 0)
		return -errno;
	log_debug("sandbox: on; every VMM thread gets a seccomp filter");
	return 0;
#endif
}

static int sbx_add_list(scmp_filter_ctx ctx, const struct sbx_list *l)
{
	int ret;

	for (size_t i = 0; i < l->nr_syscalls; i++) {
		if (l->syscalls[i] == __NR_ioctl)
			return -EINVAL; /* ioctl only ever by request number */
		ret = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, l->syscalls[i], 0);
		if (ret && ret != -EEXIST)
			return ret;
	}
	/* The kernel's ioctl command is 32 bits; compare only those. */
	for (size_t i = 0; i < l->nr_ioctls; i++) {
		ret = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, __NR_ioctl, 1,
				       SCMP_A1_32(SCMP_CMP_EQ, (uint32_t)l->ioctls[i]));
		if (ret && ret != -EEXIST)
			return ret;
	}
	/*
	 * The path is a pointer seccomp cannot follow, but the flags are a value:
	 * such a thread can read files, never create, truncate or write one.
	 * (O_RDONLY | O_TRUNC truncates on Linux; O_TMPFILE without O_DIRECTORY's bit.)
	 */
	if (l->openat_read_only) {
		ret = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, __NR_openat, 1,
				       SCMP_A2_32(SCMP_CMP_MASKED_EQ, SBX_OPEN_WRITE_FLAGS, 0));
		if (ret && ret != -EEXIST)
			return ret;
	}
	return 0;
}

#if SBX_SANITIZED && defined(__x86_64__)
/* The sanitizer runtimes' list, and open/openat to read only (the symbolizer reads /proc/self/maps, ELF files). */
static int sbx_add_sanitizer(scmp_filter_ctx ctx)
{
	int ret = sbx_add_list(ctx, &sbx_sanitizer);

	if (!ret)
		ret = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, __NR_open, 1,
				       SCMP_A1_32(SCMP_CMP_MASKED_EQ, SBX_OPEN_WRITE_FLAGS, 0));
	if (!ret || ret == -EEXIST)
		ret = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, __NR_openat, 1,
				       SCMP_A2_32(SCMP_CMP_MASKED_EQ, SBX_OPEN_WRITE_FLAGS, 0));
	/* libbacktrace marks the files it opens close-on-exec, nothing else */
	if (!ret || ret == -EEXIST)
		ret = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, __NR_fcntl, 1,
				       SCMP_A1_32(SCMP_CMP_EQ, F_SETFD));
	return ret == -EEXIST ? 0 : ret;
}
#endif

/*
 * glibc's setuid()/setgid() make every thread of the process run the syscall
 * (from a signal handler), and workers started with their devices are
 * already filtered when the VMM drops privileges: they may switch to the
 * configured ids, and only to those.
 */
static int sbx_add_setxid(scmp_filter_ctx ctx)
{
	int ret = 0;

	if (sbx_uid >= 0)
		ret = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, __NR_setuid, 1,
				       SCMP_A0_32(SCMP_CMP_EQ, (uint32_t)sbx_uid));
	if (!ret && sbx_gid >= 0)
		ret = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, __NR_setgid, 1,
				       SCMP_A0_32(SCMP_CMP_EQ, (uint32_t)sbx_gid));
	return ret;
}

int sbx_enter(const struct sbx_role *role)
{
	scmp_filter_ctx ctx;
	sigset_t set;
	int ret;

	if (!sbx_on)
		return 0;
	/* A blocked SIGSYS would kill the process without the log line. */
	sigemptyset(&set);
	sigaddset(&set, SIGSYS);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	ctx = seccomp_init(SCMP_ACT_TRAP);
	if (!ctx)
		return -ENOMEM;
	ret = sbx_add_list(ctx, &sbx_base);
#if SBX_SANITIZED && defined(__x86_64__)
	if (!ret)
		ret = sbx_add_sanitizer(ctx);
#endif
	if (!ret)
		ret = sbx_add_setxid(ctx);
	for (size_t i = 0; !ret && i < role->nr_lists; i++) {
		ret = sbx_add_list(ctx, role->lists[i]);
		if (ret)
			log_err("sandbox: list '%s' of '%s': %s", role->lists[i]->name, role->name,
				strerror(-ret));
	}
	if (!ret)
		ret = seccomp_load(ctx);
	seccomp_release(ctx);
	if (ret) {
		log_err("sandbox: cannot install the filter of '%s': %s", role->name, strerror(-ret));
		return ret;
	}
	sbx_thread_role = role->name;
	/*
	 * Building the filter allocated and freed libseccomp's rule database and
	 * program; the freed pages stay resident in the process's one malloc arena
	 * (vmm_start_enter) unless given back. Each thread compiles one filter.
	 * Not in sanitizer builds: glibc's allocator is not the one in use there, and
	 * this first call into it would set it up (its tcache key from getrandom,
	 * which the filter forbids).
	 */
	if (!SBX_SANITIZED)
		malloc_trim(0);
	/* Test hook: the named role makes a syscall no list allows (getppid). */
	if (sbx_selftest && !strcmp(sbx_selftest, role->name))
		syscall(__NR_getppid);
	return 0;
}

struct sbx_start {
	const char *thread_name;
	const struct sbx_role *role;
	int (*init)(void *);
	void *(*fn)(void *);
	void *arg;
	sem_t done;
	int ret;
	struct sbx_start *next;		/* sbx_pending; main thread only */
};

/* Threads of sbx_thread_start whose init and filter sbx_thread_settle has not waited for yet. */
static struct sbx_start *sbx_pending;

static void *sbx_thread_main(void *p)
{
	struct sbx_start *s = p;
	void *(*fn)(void *) = s->fn;
	void *arg = s->arg;

	prctl(PR_SET_NAME, s->thread_name);
	s->ret = s->init ? s->init(arg) : 0;
	if (!s->ret)
		s->ret = sbx_enter(s->role);
	if (s->ret) {
		sem_post(&s->done);
		return NULL;
	}
	sem_post(&s->done); /* (s) belongs to the waiter: not touched after this */
	return fn(arg);
}

/* Start (s)'s thread with our stack size; (s->done) is initialized here and destroyed on failure. */
static int sbx_spawn(struct sbx_start *s, pthread_t *t)
{
	pthread_attr_t attr;
	int ret;

	ret = -pthread_attr_init(&attr);
	if (ret)
		return ret;
	ret = -pthread_attr_setstacksize(&attr, SBX_THREAD_STACK);
	if (!ret && sem_init(&s->done, 0, 0) < 0)
		ret = -errno;
	if (!ret) {
		ret = -pthread_create(t, &attr, sbx_thread_main, s);
		if (ret)
			sem_destroy(&s->done);
	}
	pthread_attr_destroy(&attr);
	return ret;
}

static int sbx_wait(struct sbx_start *s)
{
	while (sem_wait(&s->done) < 0 && errno == EINTR)
		;
	sem_destroy(&s->done);
	return s->ret;
}

int sbx_thread_create(pthread_t *t, const char *thread_name, const struct sbx_role *role,
		      void *(*fn)(void *), void *arg)
{
	struct sbx_start s = { .thread_name = thread_name, .role = role, .fn = fn, .arg = arg };
	int ret = sbx_spawn(&s, t);

	if (!ret) {
		ret = sbx_wait(&s);
		if (ret)
			pthread_join(*t, NULL);
	}
	return ret;
}

int sbx_thread_start(pthread_t *t, const char *thread_name, const struct sbx_role *role,
		     int (*init)(void *), void *(*fn)(void *), void *arg)
{
	struct sbx_start *s = calloc(1, sizeof(*s));
	int ret;

	if (!s)
		return -ENOMEM;
	*s = (struct sbx_start){ .thread_name = thread_name, .role = role, .init = init,
				 .fn = fn, .arg = arg };
	ret = sbx_spawn(s, t);
	if (ret) {
		free(s);
		return ret;
	}
	s->next = sbx_pending;
	sbx_pending = s;
	return 0;
}

int sbx_thread_settle(void)
{
	int ret = 0;

	while (sbx_pending) {
		struct sbx_start *s = sbx_pending;
		int r = sbx_wait(s);

		sbx_pending = s->next;
		if (r && !ret)
			ret = r;
		free(s);
	}
	return ret;
}
