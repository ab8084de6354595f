/* src/api/api-disk.c: block devices (krun_add_disk*, the legacy root/data disks, booting from a disk). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "libkrun.h"
#include "api/api.h"
#include "api/config.h"

/* src/disk/ serves raw and qcow2; VMDK is refused here so callers learn it before start. */
static bool disk_format_supported(uint32_t format)
{
	return format == KRUN_DISK_FORMAT_RAW || format == KRUN_DISK_FORMAT_QCOW2;
}

/* Records one disk; (legacy) tells which of the two exclusive APIs it came from. */
static int disk_add(struct krun_config *cfg, const char *id, const char *path, uint32_t format,
		    bool read_only, bool direct_io, uint32_t sync_mode, bool legacy)
{
	char *id_copy = NULL, *path_copy = NULL;
	struct cfg_disk *d = NULL;
	int ret;

	if (!id || !path || !cfg_utf8_valid(id) || !cfg_utf8_valid(path) || !*id)
		return -EINVAL;
	if (format > KRUN_DISK_FORMAT_VMDK || sync_mode > KRUN_SYNC_FULL)
		return -EINVAL;
	if (!CFG_HAVE_BLK || !disk_format_supported(format))
		return -ENOTSUP;
	/* Upstream forbids mixing krun_add_disk* with krun_set_root_disk/set_data_disk. */
	if (cfg->nr_disks && cfg->legacy_disks != legacy)
		return -EINVAL;
	for (size_t i = 0; i < cfg->nr_disks; i++)
		if (!strcmp(cfg->disks[i].block_id, id))
			return -EEXIST;
	ret = cfg_strdup(&id_copy, id);
	if (!ret)
		ret = cfg_strdup(&path_copy, path);
	if (!ret) {
		d = cfg_array_push((void **)&cfg->disks, &cfg->nr_disks, sizeof(*d));
		ret = d ? 0 : -ENOMEM;
	}
	if (ret) {
		free(id_copy);
		free(path_copy);
		return ret;
	}
	*d = (struct cfg_disk){ .block_id = id_copy, .path = path_copy, .format = format,
				.read_only = read_only, .direct_io = direct_io, .sync_mode = sync_mode };
	cfg->legacy_disks = legacy;
	return 0;
}

KRUN_API int32_t krun_add_disk3(uint32_t ctx_id, const char *block_id, const char *disk_path,
				uint32_t disk_format, bool read_only, bool direct_io, uint32_t sync_mode)
{
	return CTX_CALL(ctx_id, disk_add(cfg, block_id, disk_path, disk_format, read_only,
					 direct_io, sync_mode, false));
}

KRUN_API int32_t krun_add_disk2(uint32_t ctx_id, const char *block_id, const char *disk_path,
				uint32_t disk_format, bool read_only)
{
	return krun_add_disk3(ctx_id, block_id, disk_path, disk_format, read_only, false, KRUN_SYNC_FULL);
}

KRUN_API int32_t krun_add_disk(uint32_t ctx_id, const char *block_id, const char *disk_path, bool read_only)
{
	return krun_add_disk3(ctx_id, block_id, disk_path, KRUN_DISK_FORMAT_RAW, read_only, false,
			      KRUN_SYNC_FULL);
}

KRUN_API int32_t krun_set_root_disk(uint32_t ctx_id, const char *disk_path)
{
	return CTX_CALL(ctx_id, disk_add(cfg, "root", disk_path, KRUN_DISK_FORMAT_RAW, false, false,
					 KRUN_SYNC_FULL, true));
}

KRUN_API int32_t krun_set_data_disk(uint32_t ctx_id, const char *disk_path)
{
	return CTX_CALL(ctx_id, disk_add(cfg, "data", disk_path, KRUN_DISK_FORMAT_RAW, false, false,
					 KRUN_SYNC_FULL, true));
}

/* The stand-in root the guest init starts from before switching to the disk. */
static int remount_root_fs(struct krun_config *cfg)
{
	static const char *const dirs[] = { "dev", "proc", "sys", "newroot" };
	struct cfg_fs *fs;
	int ret;

	ret = cfg_add_fs(cfg, KRUN_FS_ROOT_TAG, NULL, CFG_ROOT_SHM_SIZE, false);
	if (ret)
		return ret;
	fs = cfg_find_fs(cfg, KRUN_FS_ROOT_TAG);
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		struct cfg_overlay *o = cfg_array_push((void **)&fs->overlays, &fs->nr_overlays, sizeof(*o));

		if (!o || !(o->path = strdup(dirs[i])))
			return -ENOMEM;
		o->is_dir = true;
		o->mode = 040755;
	}
	return 0;
}

static int set_root_disk_remount(struct krun_config *cfg, const char *device, const char *fstype,
				 const char *options)
{
	char *d = NULL, *f = NULL, *o = NULL;
	int ret;

	if (!device || !cfg_utf8_valid(device) || (fstype && !cfg_utf8_valid(fstype)) ||
	    (options && !cfg_utf8_valid(options)))
		return -EINVAL;
	if (!CFG_HAVE_BLK)
		return -ENOTSUP;
	if (!cfg->nr_disks || cfg_find_fs(cfg, KRUN_FS_ROOT_TAG))
		return -EINVAL;
	ret = cfg_strdup(&d, device);
	/* "auto" and NULL both mean: let init probe the filesystem type. */
	if (!ret && fstype && strcmp(fstype, "auto"))
		ret = cfg_strdup(&f, fstype);
	if (!ret && options)
		ret = cfg_strdup(&o, options);
	if (!ret)
		ret = remount_root_fs(cfg);
	if (ret) {
		free(d);
		free(f);
		free(o);
		return ret;
	}
	cfg->remount_device = d;
	cfg->remount_fstype = f;
	cfg->remount_options = o;
	return 0;
}

KRUN_API int32_t krun_set_root_disk_remount(uint32_t ctx_id, const char *device, const char *fstype,
					    const char *options)
{
	return CTX_CALL(ctx_id, set_root_disk_remount(cfg, device, fstype, options));
}
