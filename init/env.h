/* init/env.h: pure helpers for init's inputs (argv choice, config env, rlimits, kernel cmdline flags). */
#ifndef KRUN_INIT_ENV_H
#define KRUN_INIT_ENV_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/resource.h>

#include "config.h"

#define INIT_DEFAULT_SHELL "/bin/sh"
#define RLIMITS_MAX 64

struct rlimit_entry {
	int resource;
	struct rlimit lim;
};

/*
 * Builds the workload argv: KRUN_INIT (krun_init) plus the kernel-supplied
 * arguments (cmd_args, n_cmd) if set; else the config's Entrypoint followed by
 * its args/Cmd if either is non-empty; else /bin/sh plus the kernel-supplied
 * arguments. The result is a malloc'd NULL-terminated array whose strings are
 * borrowed from the inputs (free only the array). Returns 0 or -ENOMEM.
 */
int init_build_argv(const char *krun_init, char *const cmd_args[], size_t n_cmd,
		    const struct krun_config *cfg, char ***out);

/*
 * Applies the config's "K=V" entries with setenv(): existing variables (which
 * came from the kernel command line) win, except HOME and TERM which the
 * kernel always presets. Entries without '=' or with an empty name are
 * skipped. Returns the number of variables set.
 */
int init_apply_config_env(const struct krun_config *cfg);

/*
 * Applies the Env of the VMM's exec file (/.krun_exec.json, which stands in
 * for a kernel command line too small for the workload's argv/env) the way
 * the kernel applies command-line variables: each replaces what is set. Call
 * it before init_apply_config_env(), which then gives these variables the
 * command line's precedence over the OCI config. Returns the number set.
 */
int init_apply_exec_env(const struct krun_config *exec);

/*
 * Parses KRUN_RLIMITS, "ID=CUR:MAX[,ID=CUR:MAX...]" (surrounding double quotes
 * tolerated; CUR/MAX decimal, "-1" or "unlimited" = RLIM_INFINITY) into
 * (out), at most (max) entries, count in *n. Returns 0, or -EINVAL at the
 * first malformed entry (or one past max) with the entries before it kept.
 */
int rlimits_parse(const char *s, struct rlimit_entry *out, size_t max, size_t *n);

/*
 * True if (cmdline) (the contents of /proc/cmdline) has the bare token (flag)
 * before "--". Double-quoted sections are skipped as part of their token.
 */
bool cmdline_has_flag(const char *cmdline, const char *flag);

#endif
