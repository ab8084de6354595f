/* src/api/api-gpu.c: GPU, display, input and vhost-user entry points: GPU options are stored, the devices do not exist (-ENOTSUP). */
#include <errno.h>

#include "libkrun.h"
#include "api/api.h"
#include "api/config.h"
#include "util/log.h"

/*
 * Upstream v1.19 stores the virglrenderer flags and returns 0 (muvm calls
 * this unconditionally, crun when asked to); the VM simply has no GPU yet.
 */
static int set_gpu(struct krun_config *cfg, uint32_t virgl_flags, uint64_t shm_size)
{
	cfg->gpu_virgl_flags = virgl_flags;
	cfg->gpu_shm_size = shm_size;
	log_warn_once("GPU options stored, but this libkrun has no virtio-gpu device: the guest gets none");
	return 0;
}

KRUN_API int32_t krun_set_gpu_options(uint32_t ctx_id, uint32_t virgl_flags)
{
	return CTX_CALL(ctx_id, set_gpu(cfg, virgl_flags, 0));
}

KRUN_API int32_t krun_set_gpu_options2(uint32_t ctx_id, uint32_t virgl_flags, uint64_t shm_size)
{
	return CTX_CALL(ctx_id, set_gpu(cfg, virgl_flags, shm_size));
}

/*
 * Each call still checks the context first, so a stale id is reported as
 * such; then it says the device is unavailable instead of silently building
 * a VM without it.
 */
KRUN_API int32_t krun_add_display(uint32_t ctx_id, uint32_t width, uint32_t height)
{
	return CTX_CALL(ctx_id, -ENOTSUP);
}

KRUN_API int32_t krun_display_set_edid(uint32_t ctx_id, uint32_t display_id, const uint8_t *edid_blob,
				       size_t blob_size)
{
	return CTX_CALL(ctx_id, -ENOTSUP);
}

KRUN_API int32_t krun_display_set_dpi(uint32_t ctx_id, uint32_t display_id, uint32_t dpi)
{
	return CTX_CALL(ctx_id, -ENOTSUP);
}

KRUN_API int32_t krun_display_set_physical_size(uint32_t ctx_id, uint32_t display_id, uint16_t width_mm,
						uint16_t height_mm)
{
	return CTX_CALL(ctx_id, -ENOTSUP);
}

KRUN_API int32_t krun_display_set_refresh_rate(uint32_t ctx_id, uint32_t display_id, uint32_t refresh_rate)
{
	return CTX_CALL(ctx_id, -ENOTSUP);
}

KRUN_API int32_t krun_set_display_backend(uint32_t ctx_id, const void *display_backend, size_t backend_size)
{
	return CTX_CALL(ctx_id, -ENOTSUP);
}

KRUN_API int krun_add_input_device(uint32_t ctx_id, const void *config_backend, size_t config_backend_size,
				   const void *events_backend, size_t events_backend_size)
{
	return CTX_CALL(ctx_id, -ENOTSUP);
}

KRUN_API int krun_add_input_device_fd(uint32_t ctx_id, int input_fd)
{
	return CTX_CALL(ctx_id, -ENOTSUP);
}

KRUN_API int32_t krun_add_vhost_user_device(uint32_t ctx_id, uint32_t device_type, const char *socket_path,
					    const char *name, uint16_t num_queues, const uint16_t *queue_sizes)
{
	return CTX_CALL(ctx_id, -ENOTSUP);
}
