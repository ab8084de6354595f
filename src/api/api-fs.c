/* src/api/api-fs.c: virtio-fs shares (krun_set_root, krun_add_virtiofs*) and their in-memory overlay entries. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "libkrun.h"
#include "api/api.h"
#include "api/config.h"

#define OVERLAY_NAME_MAX 255

/* The copies of tag and path are made before anything is added. */
int cfg_add_fs(struct krun_config *cfg, const char *tag, const char *path,
		  uint64_t shm_size, bool read_only)
{
	char *tag_copy = NULL, *path_copy = NULL;
	struct cfg_fs *fs;
	int ret;

	ret = cfg_strdup(&tag_copy, tag);
	if (ret)
		return ret;
	if (!*tag || strlen(tag) > CFG_FS_TAG_MAX) {
		ret = -EINVAL;
		goto fail;
	}
	if (cfg_find_fs(cfg, tag)) {
		ret = -EEXIST;
		goto fail;
	}
	if (path) {
		ret = cfg_strdup(&path_copy, path);
		if (ret)
			goto fail;
	}
	fs = cfg_array_push((void **)&cfg->fs, &cfg->nr_fs, sizeof(*fs));
	if (!fs) {
		ret = -ENOMEM;
		goto fail;
	}
	fs->tag = tag_copy;
	fs->path = path_copy;
	fs->shm_size = shm_size;
	fs->read_only = read_only;
	/* Decided now: krun_disable_implicit_init only affects later additions, as upstream. */
	fs->inject_init = !strcmp(tag, KRUN_FS_ROOT_TAG) && !cfg->implicit_init_disabled;
	return 0;
fail:
	free(tag_copy);
	free(path_copy);
	return ret;
}

/* Unlike krun_add_virtiofs3, a NULL path is an error here: the root needs a directory. */
static int set_root(struct krun_config *cfg, const char *path)
{
	if (!path)
		return -EINVAL;
	return cfg_add_fs(cfg, KRUN_FS_ROOT_TAG, path, CFG_ROOT_SHM_SIZE, false);
}

KRUN_API int32_t krun_set_root(uint32_t ctx_id, const char *root_path)
{
	return CTX_CALL(ctx_id, set_root(cfg, root_path));
}

KRUN_API int32_t krun_add_virtiofs3(uint32_t ctx_id, const char *c_tag, const char *c_path,
				    uint64_t shm_size, bool read_only)
{
	return CTX_CALL(ctx_id, cfg_add_fs(cfg, c_tag, c_path, shm_size, read_only));
}

KRUN_API int32_t krun_add_virtiofs2(uint32_t ctx_id, const char *c_tag, const char *c_path,
				    uint64_t shm_size)
{
	return krun_add_virtiofs3(ctx_id, c_tag, c_path, shm_size, false);
}

KRUN_API int32_t krun_add_virtiofs(uint32_t ctx_id, const char *c_tag, const char *c_path)
{
	return krun_add_virtiofs3(ctx_id, c_tag, c_path, 0, false);
}

static int disable_implicit_init(struct krun_config *cfg)
{
	cfg->implicit_init_disabled = true;
	return 0;
}

KRUN_API int32_t krun_disable_implicit_init(uint32_t ctx_id)
{
	return CTX_CALL(ctx_id, disable_implicit_init(cfg));
}

static struct cfg_overlay *overlay_find(const struct cfg_fs *fs, const char *path, size_t len)
{
	for (size_t i = 0; i < fs->nr_overlays; i++)
		if (strlen(fs->overlays[i].path) == len && !memcmp(fs->overlays[i].path, path, len))
			return &fs->overlays[i];
	return NULL;
}

/* Components are non-empty, not "." or "..", at most NAME_MAX bytes; no leading '/'. */
static bool overlay_path_valid(const char *path)
{
	const char *p = path;

	if (!*path || !cfg_utf8_valid(path))
		return false;
	for (;;) {
		size_t n = strcspn(p, "/");

		if (!n || n > OVERLAY_NAME_MAX || (n == 1 && p[0] == '.') ||
		    (n == 2 && p[0] == '.' && p[1] == '.'))
			return false;
		if (!p[n])
			return true;
		p += n + 1;
	}
}

/* Every proper prefix of (path) must be an overlay directory. */
static int overlay_check_parents(const struct cfg_fs *fs, const char *path)
{
	for (const char *s = strchr(path, '/'); s; s = strchr(s + 1, '/')) {
		const struct cfg_overlay *o = overlay_find(fs, path, s - path);

		if (!o)
			return -ENOENT;
		if (!o->is_dir)
			return -ENOTDIR;
	}
	return 0;
}

/* (mode) with the file type added, or 0 when it names another type. */
static uint32_t overlay_mode(uint32_t mode, uint32_t type)
{
	if (!(mode & S_IFMT))
		return mode | type;
	return (mode & S_IFMT) == type ? mode : 0;
}

static int overlay_add(struct krun_config *cfg, const char *tag, const struct cfg_overlay *tmpl)
{
	struct cfg_overlay *o;
	struct cfg_fs *fs;
	char *path;
	int ret;

	fs = cfg_find_fs(cfg, tag);
	if (!fs)
		return -ENOENT;
	ret = overlay_check_parents(fs, tmpl->path);
	if (ret)
		return ret;
	if (overlay_find(fs, tmpl->path, strlen(tmpl->path)) ||
	    (fs->inject_init && !strcmp(tmpl->path, "init.krun")))
		return -EEXIST;
	path = strdup(tmpl->path);
	if (!path)
		return -ENOMEM;
	o = cfg_array_push((void **)&fs->overlays, &fs->nr_overlays, sizeof(*o));
	if (!o) {
		free(path);
		return -ENOMEM;
	}
	*o = *tmpl;
	o->path = path;
	return 0;
}

/* Argument checks that need no context come first, but a bad ctx still wins: -ENOENT. */
static int overlay_call(uint32_t ctx_id, const char *tag, const struct cfg_overlay *tmpl, bool args_ok)
{
	struct krun_config *cfg = ctx_get(ctx_id);
	int ret;

	if (!cfg)
		return -ENOENT;
	ret = -EINVAL;
	if (args_ok && tag && tmpl->path && overlay_path_valid(tmpl->path) && tmpl->mode)
		ret = overlay_add(cfg, tag, tmpl);
	ctx_put();
	return ret;
}

KRUN_API int32_t krun_fs_add_overlay_file(uint32_t ctx_id, const char *fs_tag, const char *path,
					  const uint8_t *data, size_t data_len, uint32_t mode,
					  bool one_shot)
{
	struct cfg_overlay tmpl = {
		.path = (char *)path, .data = data, .len = data_len,
		.mode = overlay_mode(mode, S_IFREG), .one_shot = one_shot,
	};

	return overlay_call(ctx_id, fs_tag, &tmpl, data || !data_len);
}

KRUN_API int32_t krun_fs_add_overlay_dir(uint32_t ctx_id, const char *fs_tag, const char *path,
					 uint32_t mode)
{
	struct cfg_overlay tmpl = {
		.is_dir = true, .path = (char *)path, .mode = overlay_mode(mode, S_IFDIR),
	};

	return overlay_call(ctx_id, fs_tag, &tmpl, true);
}

KRUN_API int32_t krun_set_mapped_volumes(uint32_t ctx_id, const char *const mapped_volumes[])
{
	/* Removed upstream in favour of krun_add_virtiofs; kept as an error for old callers. */
	return -EINVAL;
}
