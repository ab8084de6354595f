/* init/setup.h: guest-side system setup done by init before it starts the workload. */
#ifndef KRUN_INIT_SETUP_H
#define KRUN_INIT_SETUP_H

/* Mounts /dev, /proc, /sys (required) and cgroup2, devpts, /dev/shm, /dev/fd (best effort). */
int setup_mounts(void);

/*
 * KRUN_BLOCK_ROOT_DEVICE set: mount that disk (KRUN_BLOCK_ROOT_FSTYPE, or probed;
 * KRUN_BLOCK_ROOT_OPTIONS) on /newroot, move /dev, /proc, /sys into it and
 * make it the root. 0 (also when unset) or -errno.
 */
int setup_block_root(void);

/* Brings "lo" up; with TSI also "dummy0" at 203.0.113.1/24 so apps see a non-loopback address. */
void setup_network(int tsi);

/* Applies KRUN_RLIMITS from the environment; bad entries are reported and skipped. */
void setup_rlimits(void);

/* Reopens fds 0/1/2 from the virtio-console ports named krun-stdin/-stdout/-stderr. */
int setup_redirects(void);

/* Opens the virtio-console port named (name): an fd, or -errno (-ENOENT: no such port). */
int open_named_port(const char *name, int flags);

/* Reads /proc/cmdline into a static buffer ("" on failure). */
const char *read_proc_cmdline(void);

#endif
