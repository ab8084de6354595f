/* src/api/api-exec.c: the guest workload: program, arguments, environment, workdir, rlimits, uid/gid. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libkrun.h"
#include "api/api.h"
#include "api/config.h"

/* Replace (*slot) with a copy of (s): on error the old value is kept. */
static int replace_str(char **slot, const char *s)
{
	char *copy;
	int ret = cfg_strdup(&copy, s);

	if (ret)
		return ret;
	free(*slot);
	*slot = copy;
	return 0;
}

/* NULL envp means "the host environment at start", so nothing is copied now. */
static int set_env(struct krun_config *cfg, const char *const envp[])
{
	struct cfg_strv env = { 0 };
	int ret;

	if (envp) {
		ret = cfg_strv_copy(&env, envp);
		if (ret)
			return ret;
	}
	cfg_strv_free(&cfg->env);
	cfg->env = env;
	cfg->env_set = envp != NULL;
	return 0;
}

/* All copies are made first, so a failed call leaves the configuration unchanged. */
static int set_exec(struct krun_config *cfg, const char *path, const char *const argv[],
		    const char *const envp[])
{
	struct cfg_strv args = { 0 }, env = { 0 };
	char *path_copy = NULL;
	int ret;

	ret = cfg_strdup(&path_copy, path);
	if (!ret)
		ret = cfg_strv_copy(&args, argv);
	if (!ret && envp)
		ret = cfg_strv_copy(&env, envp);
	if (ret) {
		free(path_copy);
		cfg_strv_free(&args);
		cfg_strv_free(&env);
		return ret;
	}
	free(cfg->exec_path);
	cfg->exec_path = path_copy;
	cfg_strv_free(&cfg->argv);
	cfg->argv = args;
	cfg_strv_free(&cfg->env);
	cfg->env = env;
	cfg->env_set = envp != NULL;
	return 0;
}

KRUN_API int32_t krun_set_exec(uint32_t ctx_id, const char *exec_path, const char *const argv[],
			       const char *const envp[])
{
	return CTX_CALL(ctx_id, set_exec(cfg, exec_path, argv, envp));
}

KRUN_API int32_t krun_set_env(uint32_t ctx_id, const char *const envp[])
{
	return CTX_CALL(ctx_id, set_env(cfg, envp));
}

KRUN_API int32_t krun_set_workdir(uint32_t ctx_id, const char *workdir_path)
{
	return CTX_CALL(ctx_id, replace_str(&cfg->workdir, workdir_path));
}

/*
 * "RESOURCE=CUR:MAX" with decimal numbers. Upstream passes entries through
 * unchecked; checking keeps quotes, commas and spaces out of the kernel
 * command line, where they would split or end KRUN_RLIMITS.
 */
static bool rlimit_valid(const char *s)
{
	const char *seps = "=:";

	for (int field = 0; field < 3; field++) {
		if (!isdigit((unsigned char)*s))
			return false;
		while (isdigit((unsigned char)*s))
			s++;
		if (field < 2 && *s++ != seps[field])
			return false;
	}
	return *s == '\0';
}

static int set_rlimits(struct krun_config *cfg, const char *const rlimits[])
{
	size_t len = 1, n = 0;
	char *joined, *p;

	if (!rlimits)
		return -EINVAL;
	for (; n < CFG_MAX_ARGS && rlimits[n]; n++) {
		if (!rlimit_valid(rlimits[n]))
			return -EINVAL;
		len += strlen(rlimits[n]) + 1;
	}
	joined = malloc(len);
	if (!joined)
		return -ENOMEM;
	p = joined;
	*p = '\0';
	for (size_t i = 0; i < n; i++)
		p += sprintf(p, "%s%s", i ? "," : "", rlimits[i]);
	/* An empty list sets nothing in the guest, so it is stored as "none". */
	if (!n) {
		free(joined);
		joined = NULL;
	}
	free(cfg->rlimits);
	cfg->rlimits = joined;
	return 0;
}

KRUN_API int32_t krun_set_rlimits(uint32_t ctx_id, const char *const rlimits[])
{
	return CTX_CALL(ctx_id, set_rlimits(cfg, rlimits));
}

static int set_uid(struct krun_config *cfg, uid_t uid)
{
	cfg->uid = uid;
	cfg->has_uid = true;
	return 0;
}

static int set_gid(struct krun_config *cfg, gid_t gid)
{
	cfg->gid = gid;
	cfg->has_gid = true;
	return 0;
}

KRUN_API int32_t krun_setuid(uint32_t ctx_id, uid_t uid)
{
	return CTX_CALL(ctx_id, set_uid(cfg, uid));
}

KRUN_API int32_t krun_setgid(uint32_t ctx_id, gid_t gid)
{
	return CTX_CALL(ctx_id, set_gid(cfg, gid));
}
