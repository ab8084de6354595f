/* src/api/api-ctx.c: the context table (create/free), krun_start_enter, and the machine-level queries. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/kvm.h>

#include "libkrun.h"
#include "api/api.h"
#include "api/config.h"
#include "util/log.h"
#include "vmm/vmm.h"
#include "init-blob.h"

struct ctx_entry {
	uint32_t id;
	struct krun_config *cfg;
};

/* Few contexts ever exist at once, so a flat array searched linearly is enough. */
static pthread_mutex_t ctx_lock = PTHREAD_MUTEX_INITIALIZER;
static struct ctx_entry *ctx_table;
static size_t ctx_count;
/* Ids are handed out once: a stale id can never reach someone else's context. */
static uint32_t ctx_next_id;

static struct ctx_entry *ctx_find(uint32_t id)
{
	for (size_t i = 0; i < ctx_count; i++)
		if (ctx_table[i].id == id)
			return &ctx_table[i];
	return NULL;
}

struct krun_config *ctx_get(uint32_t id)
{
	struct ctx_entry *e;

	pthread_mutex_lock(&ctx_lock);
	e = ctx_find(id);
	if (!e) {
		pthread_mutex_unlock(&ctx_lock);
		return NULL;
	}
	return e->cfg;
}

void ctx_put(void)
{
	pthread_mutex_unlock(&ctx_lock);
}

struct krun_config *ctx_take(uint32_t id)
{
	struct krun_config *cfg = NULL;
	struct ctx_entry *e;

	pthread_mutex_lock(&ctx_lock);
	e = ctx_find(id);
	if (e) {
		cfg = e->cfg;
		*e = ctx_table[--ctx_count];
	}
	pthread_mutex_unlock(&ctx_lock);
	return cfg;
}

static int32_t ctx_insert(struct krun_config *cfg)
{
	struct ctx_entry *e;
	int32_t id;

	pthread_mutex_lock(&ctx_lock);
	/* The id must fit the positive half of the int32_t result. */
	if (ctx_next_id > INT32_MAX) {
		id = -ENOSPC;
		goto out;
	}
	e = cfg_array_push((void **)&ctx_table, &ctx_count, sizeof(*e));
	if (!e) {
		id = -ENOMEM;
		goto out;
	}
	id = (int32_t)ctx_next_id++;
	e->id = (uint32_t)id;
	e->cfg = cfg;
out:
	pthread_mutex_unlock(&ctx_lock);
	return id;
}

KRUN_API int32_t krun_create_ctx()
{
	struct krun_config *cfg;
	int32_t id;

	/* Failure is reported by krun_start_enter, and only if the bundled kernel is needed. */
	krunfw_load();
	cfg = malloc(sizeof(*cfg));
	if (!cfg)
		return -ENOMEM;
	cfg_init(cfg);
	id = ctx_insert(cfg);
	if (id < 0)
		free(cfg);
	return id;
}

KRUN_API int32_t krun_free_ctx(uint32_t ctx_id)
{
	struct krun_config *cfg = ctx_take(ctx_id);

	if (!cfg)
		return -ENOENT;
	cfg_free(cfg);
	free(cfg);
	return 0;
}

KRUN_API int32_t krun_start_enter(uint32_t ctx_id)
{
	struct krun_config *cfg = ctx_take(ctx_id);
	int ret;

	if (!cfg)
		return -ENOENT;
	if (!cfg->kernel_path && krunfw_load()) {
		log_err("Couldn't find or load libkrunfw.so.5");
		ret = -ENOENT;
		goto out;
	}
	ret = vmm_start_enter(cfg);
	/* Returning at all means failure: never report success to the caller. */
	if (ret >= 0)
		ret = -EINVAL;
out:
	cfg_free(cfg);
	free(cfg);
	return ret;
}

KRUN_API int32_t krun_get_max_vcpus(void)
{
	int fd, n;

	fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -EINVAL;
	n = ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);
	close(fd);
	return n > 0 ? n : -EINVAL;
}

/* 1 when the kvm module parameter file at (path) says nesting is on. */
static int nested_param_on(const char *path)
{
	char c = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	if (read(fd, &c, 1) != 1)
		c = 0;
	close(fd);
	return c == '1' || c == 'Y' || c == 'y';
}

KRUN_API int32_t krun_check_nested_virt(void)
{
	return nested_param_on("/sys/module/kvm_intel/parameters/nested") ||
	       nested_param_on("/sys/module/kvm_amd/parameters/nested");
}

KRUN_API int32_t krun_has_feature(uint64_t feature)
{
	switch (feature) {
	case KRUN_FEATURE_NET:
		return CFG_HAVE_NET;
	case KRUN_FEATURE_BLK:
		return CFG_HAVE_BLK;
	case KRUN_FEATURE_INIT_BLOB:
		return init_blob_size() > 0;
	case KRUN_FEATURE_GPU:
	case KRUN_FEATURE_SND:
	case KRUN_FEATURE_INPUT:
	case KRUN_FEATURE_EFI:
	case KRUN_FEATURE_TEE:
	case KRUN_FEATURE_AMD_SEV:
	case KRUN_FEATURE_INTEL_TDX:
	case KRUN_FEATURE_AWS_NITRO:
	case KRUN_FEATURE_VIRGL_RESOURCE_MAP2:
		return 0;
	default:
		return -EINVAL;
	}
}

KRUN_API int32_t krun_get_default_init(const uint8_t **data_out, size_t *len_out)
{
	if (!data_out || !len_out)
		return -EINVAL;
	if (!init_blob_size())
		return -ENOTSUP;
	*data_out = init_blob;
	*len_out = init_blob_size();
	return 0;
}
