/* src/vmm/exec-json.h: the workload's argv/env as a JSON config, for what the kernel command line cannot carry. */
#ifndef KRUN_VMM_EXEC_JSON_H
#define KRUN_VMM_EXEC_JSON_H

#include <stddef.h>

struct krun_config;

/*
 * Where the root virtio-fs serves it, and how init is told: not KRUN_CONFIG,
 * which names the OCI config (/.krun_config.json from crun) that must still apply.
 */
#define EXEC_JSON_NAME	".krun_exec.json"
#define EXEC_JSON_ENV	"KRUN_EXEC_FILE=/" EXEC_JSON_NAME

/*
 * {"args": [exec_path, argv...], "Env": [env...]} with JSON escapes, so any
 * byte except NUL reaches the workload. 0 and a heap buffer, or -ENOMEM.
 */
int exec_json_build(const struct krun_config *cfg, char **out, size_t *len);

#endif
