/* src/api/config.c: lifetime of struct krun_config and the string helpers the krun_* calls share. */
#include "api/api.h"
#include "api/config.h"

#include <errno.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

extern char **environ;

void cfg_init(struct krun_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->vcpus = CFG_DEFAULT_VCPUS;
	cfg->ram_mib = CFG_DEFAULT_RAM_MIB;
	cfg->legacy_passt_fd = -1;
}

void cfg_strv_free(struct cfg_strv *sv)
{
	for (size_t i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	sv->v = NULL;
	sv->n = 0;
}

static void cfg_fs_free(struct cfg_fs *fs)
{
	for (size_t i = 0; i < fs->nr_overlays; i++)
		free(fs->overlays[i].path);
	free(fs->overlays);
	free(fs->tag);
	free(fs->path);
}

static void cfg_free_lists(struct krun_config *cfg)
{
	for (size_t i = 0; i < cfg->nr_fs; i++)
		cfg_fs_free(&cfg->fs[i]);
	free(cfg->fs);
	for (size_t i = 0; i < cfg->nr_consoles; i++) {
		for (size_t j = 0; j < cfg->consoles[i].nr_ports; j++)
			free(cfg->consoles[i].ports[j].name);
		free(cfg->consoles[i].ports);
	}
	free(cfg->consoles);
	free(cfg->serials);
	for (size_t i = 0; i < cfg->nr_disks; i++) {
		free(cfg->disks[i].block_id);
		free(cfg->disks[i].path);
	}
	free(cfg->disks);
	for (size_t i = 0; i < cfg->nr_nets; i++)
		free(cfg->nets[i].path);
	free(cfg->nets);
	for (size_t i = 0; i < cfg->nr_vsock_ports; i++)
		free(cfg->vsock_ports[i].path);
	free(cfg->vsock_ports);
	free(cfg->port_map);
}

void cfg_free(struct krun_config *cfg)
{
	cfg_free_lists(cfg);
	cfg_strv_free(&cfg->argv);
	cfg_strv_free(&cfg->env);
	cfg_strv_free(&cfg->smbios_oem);
	free(cfg->exec_path);
	free(cfg->workdir);
	free(cfg->rlimits);
	free(cfg->kernel_path);
	free(cfg->initramfs_path);
	free(cfg->kernel_cmdline);
	free(cfg->kernel_console);
	free(cfg->console_output);
	free(cfg->remount_device);
	free(cfg->remount_fstype);
	free(cfg->remount_options);
	free(cfg->legacy_gvproxy_path);
	cfg_init(cfg);
}

struct cfg_fs *cfg_find_fs(const struct krun_config *cfg, const char *tag)
{
	for (size_t i = 0; i < cfg->nr_fs; i++)
		if (!strcmp(cfg->fs[i].tag, tag))
			return &cfg->fs[i];
	return NULL;
}

char *const *cfg_env(const struct krun_config *cfg)
{
	static char *const empty[] = { NULL };

	if (cfg->env_set)
		return cfg->env.v ? cfg->env.v : empty;
	return environ ? environ : empty;
}

/* Length of the UTF-8 sequence starting with (c), or 0 when c cannot start one. */
static int utf8_seq_len(unsigned char c)
{
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		return 2;
	if (c >= 0xe0 && c <= 0xef)
		return 3;
	if (c >= 0xf0 && c <= 0xf4)
		return 4;
	return 0;
}

/* Strict UTF-8 (RFC 3629): no overlongs, no surrogates, nothing above U+10FFFF. */
bool cfg_utf8_valid(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		int n = utf8_seq_len(*p);

		if (!n)
			return false;
		for (int i = 1; i < n; i++)
			if ((p[i] & 0xc0) != 0x80)
				return false;
		if ((p[0] == 0xe0 && p[1] < 0xa0) || (p[0] == 0xed && p[1] > 0x9f) ||
		    (p[0] == 0xf0 && p[1] < 0x90) || (p[0] == 0xf4 && p[1] > 0x8f))
			return false;
		p += n;
	}
	return true;
}

int cfg_strdup(char **out, const char *s)
{
	char *copy;

	if (!s || !cfg_utf8_valid(s))
		return -EINVAL;
	copy = strdup(s);
	if (!copy)
		return -ENOMEM;
	*out = copy;
	return 0;
}

int cfg_strv_copy(struct cfg_strv *out, const char *const *arr)
{
	struct cfg_strv sv = { 0 };
	size_t n = 0;
	int ret;

	while (arr && n < CFG_MAX_ARGS && arr[n])
		n++;
	sv.v = calloc(n + 1, sizeof(*sv.v));
	if (!sv.v)
		return -ENOMEM;
	for (; sv.n < n; sv.n++) {
		ret = cfg_strdup(&sv.v[sv.n], arr[sv.n]);
		if (ret)
			goto fail;
	}
	*out = sv;
	return 0;
fail:
	cfg_strv_free(&sv);
	return ret;
}

void *cfg_array_push(void **arr, size_t *n, size_t size)
{
	char *grown;

	if (*n >= SIZE_MAX / size - 1)
		return NULL;
	grown = realloc(*arr, (*n + 1) * size);
	if (!grown)
		return NULL;
	*arr = grown;
	memset(grown + *n * size, 0, size);
	return grown + (*n)++ * size;
}
