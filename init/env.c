/* init/env.c: pure helpers for init's inputs (argv choice, config env, rlimits, kernel cmdline flags). */
#include "env.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static size_t strvec_len(const struct strvec *sv)
{
	return sv->v ? sv->n : 0;
}

static void copy_strs(char **dst, size_t *at, char *const src[], size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		dst[(*at)++] = src[i];
}

int init_build_argv(const char *krun_init, char *const cmd_args[], size_t n_cmd,
		    const struct krun_config *cfg, char ***out)
{
	size_t n_ep = strvec_len(&cfg->entrypoint), n_args = strvec_len(&cfg->args);
	bool use_cfg = !krun_init && n_ep + n_args > 0;
	size_t total = use_cfg ? n_ep + n_args : 1 + n_cmd, at = 0;
	char **argv;

	argv = calloc(total + 1, sizeof(*argv));
	if (!argv)
		return -ENOMEM;
	if (use_cfg) {
		copy_strs(argv, &at, cfg->entrypoint.v, n_ep);
		copy_strs(argv, &at, cfg->args.v, n_args);
	} else {
		/* Dropping const is fine: execvp() does not write its argv. */
		argv[at++] = (char *)(krun_init ? krun_init : INIT_DEFAULT_SHELL);
		copy_strs(argv, &at, cmd_args, n_cmd);
	}
	argv[at] = NULL;
	*out = argv;
	return 0;
}

/* HOME and TERM are always preset by the kernel, so the config may replace them. */
static bool config_may_override_name(const char *entry)
{
	return !strncmp(entry, "HOME=", 5) || !strncmp(entry, "TERM=", 5);
}

static int apply_one(const char *entry, bool overwrite)
{
	const char *eq = strchr(entry, '=');
	char *name;
	int ret;

	if (!eq || eq == entry)
		return 0;
	name = strndup(entry, (size_t)(eq - entry));
	if (!name)
		return 0;
	ret = setenv(name, eq + 1, overwrite) == 0;
	free(name);
	return ret;
}

int init_apply_config_env(const struct krun_config *cfg)
{
	size_t i;
	int n = 0;

	for (i = 0; i < strvec_len(&cfg->env); i++)
		n += apply_one(cfg->env.v[i], config_may_override_name(cfg->env.v[i]));
	return n;
}

int init_apply_exec_env(const struct krun_config *exec)
{
	size_t i;
	int n = 0;

	for (i = 0; i < strvec_len(&exec->env); i++)
		n += apply_one(exec->env.v[i], true);
	return n;
}

static int parse_limit(const char *s, const char *end, rlim_t *out)
{
	unsigned long long v = 0;
	size_t len = (size_t)(end - s);
	const char *p;

	if ((len == 2 && !memcmp(s, "-1", 2)) ||
	    (len == 9 && !memcmp(s, "unlimited", 9))) {
		*out = RLIM_INFINITY;
		return 0;
	}
	if (len == 0 || len > 20)
		return -EINVAL;
	for (p = s; p < end; p++) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		if (v > (~0ULL - (unsigned)(*p - '0')) / 10)
			return -EINVAL;
		v = v * 10 + (unsigned)(*p - '0');
	}
	*out = (rlim_t)v;
	return 0;
}

/* Parses one "ID=CUR:MAX" item spanning [s, end). */
static int parse_rlimit_item(const char *s, const char *end, struct rlimit_entry *e)
{
	const char *eq = memchr(s, '=', (size_t)(end - s));
	const char *colon;
	rlim_t id;
	int ret;

	if (!eq)
		return -EINVAL;
	colon = memchr(eq, ':', (size_t)(end - eq));
	if (!colon)
		return -EINVAL;
	ret = parse_limit(s, eq, &id);
	if (ret || id == RLIM_INFINITY || id > 64)
		return -EINVAL;
	e->resource = (int)id;
	ret = parse_limit(eq + 1, colon, &e->lim.rlim_cur);
	if (!ret)
		ret = parse_limit(colon + 1, end, &e->lim.rlim_max);
	return ret;
}

int rlimits_parse(const char *s, struct rlimit_entry *out, size_t max, size_t *n)
{
	const char *end = s + strlen(s), *comma;
	int ret;

	*n = 0;
	if (end > s && *s == '"') {
		s++;
		if (end > s && end[-1] == '"')
			end--;
	}
	while (s < end) {
		comma = memchr(s, ',', (size_t)(end - s));
		if (!comma)
			comma = end;
		if (*n >= max)
			return -EINVAL;
		ret = parse_rlimit_item(s, comma, &out[*n]);
		if (ret)
			return ret;
		(*n)++;
		s = comma + (comma < end);
	}
	return 0;
}

/* Returns the end of the token starting at (p); quotes may contain spaces. */
static const char *token_end(const char *p)
{
	bool quoted = false;

	for (; *p; p++) {
		if (*p == '"')
			quoted = !quoted;
		else if (!quoted && (*p == ' ' || *p == '\t' || *p == '\n'))
			break;
	}
	return p;
}

bool cmdline_has_flag(const char *cmdline, const char *flag)
{
	size_t flen = strlen(flag);
	const char *p = cmdline, *e;

	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\n')
			p++;
		if (!*p)
			return false;
		e = token_end(p);
		if (e - p == 2 && !memcmp(p, "--", 2))
			return false;
		if ((size_t)(e - p) == flen && !memcmp(p, flag, flen))
			return true;
		p = e;
	}
}
