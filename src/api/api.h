/* src/api/api.h: internals shared by the krun_* entry points: the context table and libkrunfw loading. */
#ifndef KRUN_API_API_H
#define KRUN_API_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "api/config.h"

/*
 * The configuration of context (id) with the context table locked, or NULL
 * (table unlocked) when no such context exists. Pair each non-NULL result
 * with ctx_put(). Calls are short, so one global lock serializes them all.
 */
struct krun_config *ctx_get(uint32_t id);
void ctx_put(void);

/*
 * Evaluate (expr_using_cfg) with `cfg` bound to the locked configuration of
 * context (id), or yield -ENOENT: the shape of every configuration call.
 */
#define CTX_CALL(id, expr_using_cfg)                                           \
	({                                                                     \
		struct krun_config *cfg = ctx_get(id);                         \
		int32_t ret_ = -ENOENT;                                        \
		if (cfg) {                                                     \
			ret_ = (expr_using_cfg);                               \
			ctx_put();                                             \
		}                                                              \
		ret_;                                                          \
	})

/* Remove context (id) from the table and hand its configuration over, or NULL. */
struct krun_config *ctx_take(uint32_t id);

/*
 * libkrunfw.so.5, opened once, when libkrun is loaded (a constructor), so it
 * is found before the caller chroots. 0, or -ENOENT when it cannot be loaded.
 */
int krunfw_load(void);

/*
 * The bundled guest kernel: host address of the image, its guest load and
 * entry addresses and size. -ENOENT (logged) when libkrunfw is missing,
 * -EINVAL when it returns nonsense.
 */
int krunfw_kernel(void **host, uint64_t *load_addr, uint64_t *entry, size_t *size);

/*
 * Append a virtio-fs to (cfg) (what krun_add_virtiofs3 does under the lock):
 * 0, -EINVAL (tag NULL/empty/too long, bad UTF-8), -EEXIST (tag taken), -ENOMEM.
 */
int cfg_add_fs(struct krun_config *cfg, const char *tag, const char *path,
	       uint64_t shm_size, bool read_only);

/* Grow (*arr) of (*n) elements of (size) bytes by one zeroed element: its address or NULL. */
void *cfg_array_push(void **arr, size_t *n, size_t size);

#endif
