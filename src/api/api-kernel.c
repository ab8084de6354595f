/* src/api/api-kernel.c: machine settings: vCPUs/RAM, kernel, firmware, nested virt, irqchip, SMBIOS, TEE. */
#include <errno.h>
#include <stdlib.h>

#include "libkrun.h"
#include "api/api.h"
#include "api/config.h"

static int set_vm_config(struct krun_config *cfg, uint8_t vcpus, uint32_t ram_mib)
{
	if (!vcpus || !ram_mib)
		return -EINVAL;
	cfg->vcpus = vcpus;
	cfg->ram_mib = ram_mib;
	return 0;
}

KRUN_API int32_t krun_set_vm_config(uint32_t ctx_id, uint8_t num_vcpus, uint32_t ram_mib)
{
	return CTX_CALL(ctx_id, set_vm_config(cfg, num_vcpus, ram_mib));
}

/* Copies of a possibly-NULL string: NULL stays NULL. */
static int dup_opt(char **out, const char *s)
{
	*out = NULL;
	return s ? cfg_strdup(out, s) : 0;
}

/*
 * Formats other than RAW/ELF are accepted as upstream does and rejected by
 * the VMM at start on x86_64 (they are aarch64/riscv64 image formats).
 */
static int set_kernel(struct krun_config *cfg, const char *path, uint32_t format,
		      const char *initramfs, const char *cmdline)
{
	char *p = NULL, *i = NULL, *c = NULL;
	int ret;

	if (format > KRUN_KERNEL_FORMAT_IMAGE_ZSTD)
		return -EINVAL;
	ret = cfg_strdup(&p, path);
	if (!ret)
		ret = dup_opt(&i, initramfs);
	if (!ret)
		ret = dup_opt(&c, cmdline);
	if (ret) {
		free(p);
		free(i);
		return ret;
	}
	free(cfg->kernel_path);
	free(cfg->initramfs_path);
	free(cfg->kernel_cmdline);
	cfg->kernel_path = p;
	cfg->kernel_format = format;
	cfg->initramfs_path = i;
	cfg->kernel_cmdline = c;
	return 0;
}

KRUN_API int32_t krun_set_kernel(uint32_t ctx_id, const char *kernel_path, uint32_t kernel_format,
				 const char *initramfs, const char *cmdline)
{
	return CTX_CALL(ctx_id, set_kernel(cfg, kernel_path, kernel_format, initramfs, cmdline));
}

/* Firmware boot (EDK2 and the like) is not implemented by the VMM. */
static int set_firmware(struct krun_config *cfg, const char *path)
{
	if (!path || !cfg_utf8_valid(path))
		return -EINVAL;
	return -ENOTSUP;
}

KRUN_API int32_t krun_set_firmware(uint32_t ctx_id, const char *firmware_path)
{
	return CTX_CALL(ctx_id, set_firmware(cfg, firmware_path));
}

static int set_nested(struct krun_config *cfg, bool enabled)
{
	cfg->nested_virt = enabled;
	return 0;
}

KRUN_API int32_t krun_set_nested_virt(uint32_t ctx_id, bool enabled)
{
	return CTX_CALL(ctx_id, set_nested(cfg, enabled));
}

/* Turning the split irqchip off is always possible: it is the default. */
static int split_irqchip(struct krun_config *cfg, bool enable)
{
	if (enable && !CFG_HAVE_SPLIT_IRQCHIP)
		return -ENOTSUP;
	cfg->split_irqchip = enable;
	return 0;
}

KRUN_API int32_t krun_split_irqchip(uint32_t ctx_id, bool enable)
{
	return CTX_CALL(ctx_id, split_irqchip(cfg, enable));
}

static int set_smbios(struct krun_config *cfg, const char *const oem[])
{
	struct cfg_strv sv;
	int ret;

	if (!oem)
		return -EINVAL;
	ret = cfg_strv_copy(&sv, oem);
	if (ret)
		return ret;
	cfg_strv_free(&cfg->smbios_oem);
	cfg->smbios_oem = sv;
	return 0;
}

KRUN_API int32_t krun_set_smbios_oem_strings(uint32_t ctx_id, const char *const oem_strings[])
{
	return CTX_CALL(ctx_id, set_smbios(cfg, oem_strings));
}

/* No confidential-computing variant exists of this library. */
KRUN_API int32_t krun_set_tee_config_file(uint32_t ctx_id, const char *filepath)
{
	return CTX_CALL(ctx_id, -ENOTSUP);
}

/* Upstream creates the shutdown fd only on macOS/aarch64; Linux x86_64 gets -EINVAL. */
KRUN_API int32_t krun_get_shutdown_eventfd(uint32_t ctx_id)
{
	return CTX_CALL(ctx_id, -EINVAL);
}

static int set_snd(struct krun_config *cfg, bool enable)
{
	cfg->snd_enabled = enable;
	return 0;
}

/* Recorded and otherwise ignored, exactly like upstream 1.19 which has no sound device. */
KRUN_API int32_t krun_set_snd_device(uint32_t ctx_id, bool enable)
{
	return CTX_CALL(ctx_id, set_snd(cfg, enable));
}
