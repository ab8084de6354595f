/* init/config.h: the workload description init reads from a JSON file (OCI config or Docker image config). */
#ifndef KRUN_INIT_CONFIG_H
#define KRUN_INIT_CONFIG_H

#include <stddef.h>

/* Limits that keep a hostile or broken config from exhausting the guest. */
#define CONFIG_MAX_BYTES	(4u << 20)
#define CONFIG_MAX_DEPTH	64
#define CONFIG_MAX_ITEMS	4096

/* A NULL-terminated string vector (argv/envp shaped). n counts the strings. */
struct strvec {
	char **v;
	size_t n;
};

/*
 * What init takes from the config. Keys are matched case-insensitively at any
 * nesting depth, the first occurrence wins: "args" or "Cmd" -> args, "Env" ->
 * env, "WorkingDir" or "Cwd" -> cwd, "Entrypoint" -> entrypoint. A key whose
 * value has the wrong type (e.g. "Entrypoint": null) is ignored, so a later
 * well-typed occurrence can still be used.
 */
struct krun_config {
	struct strvec args;
	struct strvec env;
	struct strvec entrypoint;
	char *cwd;
	unsigned int found;	/* CONFIG_HAVE_* bits */
};

#define CONFIG_HAVE_ARGS	(1u << 0)
#define CONFIG_HAVE_ENV		(1u << 1)
#define CONFIG_HAVE_ENTRYPOINT	(1u << 2)
#define CONFIG_HAVE_CWD		(1u << 3)

/*
 * Parses (len) bytes at (buf) into (cfg), which must be zeroed. The whole
 * document must be valid JSON; on any error nothing is kept. Returns 0,
 * -EINVAL (malformed, too deep, too many items, NUL escapes) or -ENOMEM.
 */
int config_parse(const char *buf, size_t len, struct krun_config *cfg);

/* Reads and parses the file at (path). Returns 0, -errno, or -EFBIG. */
int config_load(const char *path, struct krun_config *cfg);

void config_free(struct krun_config *cfg);
void strvec_free(struct strvec *sv);

#endif
