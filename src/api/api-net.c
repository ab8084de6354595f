/* src/api/api-net.c: virtio-net devices (krun_add_net_*) and the deprecated single-NIC calls. */
#include <errno.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>

#include "libkrun.h"
#include "api/api.h"
#include "api/config.h"

#define NET_ALL_FEATURES ((NET_FEATURE_CSUM) | (NET_FEATURE_GUEST_CSUM) | (NET_FEATURE_GUEST_TSO4) | \
			  (NET_FEATURE_GUEST_TSO6) | (NET_FEATURE_GUEST_UFO) | (NET_FEATURE_HOST_TSO4) | \
			  (NET_FEATURE_HOST_TSO6) | (NET_FEATURE_HOST_UFO))
#define NET_GUEST_OFFLOADS ((NET_FEATURE_GUEST_TSO4) | (NET_FEATURE_GUEST_TSO6) | (NET_FEATURE_GUEST_UFO))

static bool legacy_net_used(const struct krun_config *cfg)
{
	return cfg->legacy_passt_fd >= 0 || cfg->legacy_gvproxy_path;
}

/* Arguments valid for (kind): exactly one endpoint, a MAC, known feature/flag bits. */
static bool net_args_ok(enum cfg_net_kind kind, const char *path, int fd, const uint8_t *mac,
			uint32_t features, uint32_t flags)
{
	uint32_t allowed_flags = NET_FLAG_DHCP_CLIENT;

	if (kind == CFG_NET_UNIXGRAM)
		allowed_flags |= NET_FLAG_VFKIT;
	if (!mac || (features & ~(uint32_t)NET_ALL_FEATURES) || (flags & ~allowed_flags))
		return false;
	if (kind == CFG_NET_TAP)
		return path && *path && strlen(path) < IFNAMSIZ && cfg_utf8_valid(path) &&
		       (!(features & NET_GUEST_OFFLOADS) || (features & (NET_FEATURE_GUEST_CSUM)));
	if (path)
		return fd == -1 && cfg_utf8_valid(path);
	return fd >= 0;
}

static int net_add(struct krun_config *cfg, enum cfg_net_kind kind, const char *path, int fd,
		   const uint8_t *mac, uint32_t features, uint32_t flags)
{
	struct cfg_net *n;
	char *copy = NULL;

	if (!net_args_ok(kind, path, fd, mac, features, flags))
		return -EINVAL;
	if (!CFG_HAVE_NET)
		return -ENOTSUP;
	if (legacy_net_used(cfg))
		return -EINVAL;
	if (path && !(copy = strdup(path)))
		return -ENOMEM;
	n = cfg_array_push((void **)&cfg->nets, &cfg->nr_nets, sizeof(*n));
	if (!n) {
		free(copy);
		return -ENOMEM;
	}
	n->kind = kind;
	n->path = copy;
	n->fd = path ? -1 : fd;
	memcpy(n->mac, mac, sizeof(n->mac));
	n->features = features;
	n->flags = flags;
	return 0;
}

KRUN_API int32_t krun_add_net_unixstream(uint32_t ctx_id, const char *c_path, int fd,
					 uint8_t *const c_mac, uint32_t features, uint32_t flags)
{
	return CTX_CALL(ctx_id, net_add(cfg, CFG_NET_UNIXSTREAM, c_path, fd, c_mac, features, flags));
}

KRUN_API int32_t krun_add_net_unixgram(uint32_t ctx_id, const char *c_path, int fd,
				       uint8_t *const c_mac, uint32_t features, uint32_t flags)
{
	return CTX_CALL(ctx_id, net_add(cfg, CFG_NET_UNIXGRAM, c_path, fd, c_mac, features, flags));
}

KRUN_API int32_t krun_add_net_tap(uint32_t ctx_id, char *c_tap_name, uint8_t *const c_mac,
				  uint32_t features, uint32_t flags)
{
	return CTX_CALL(ctx_id, net_add(cfg, CFG_NET_TAP, c_tap_name, -1, c_mac, features, flags));
}

static int set_passt_fd(struct krun_config *cfg, int fd)
{
	if (fd < 0)
		return -EINVAL;
	if (!CFG_HAVE_NET)
		return -ENOTSUP;
	if (cfg->nr_nets)
		return -EINVAL;
	cfg->legacy_passt_fd = fd;
	return 0;
}

KRUN_API int32_t krun_set_passt_fd(uint32_t ctx_id, int fd)
{
	return CTX_CALL(ctx_id, set_passt_fd(cfg, fd));
}

static int set_gvproxy_path(struct krun_config *cfg, const char *path)
{
	char *copy;
	int ret;

	if (!path || !cfg_utf8_valid(path))
		return -EINVAL;
	if (!CFG_HAVE_NET)
		return -ENOTSUP;
	if (cfg->nr_nets)
		return -EINVAL;
	ret = cfg_strdup(&copy, path);
	if (ret)
		return ret;
	free(cfg->legacy_gvproxy_path);
	cfg->legacy_gvproxy_path = copy;
	return 0;
}

KRUN_API int32_t krun_set_gvproxy_path(uint32_t ctx_id, char *c_path)
{
	return CTX_CALL(ctx_id, set_gvproxy_path(cfg, c_path));
}

static int set_net_mac(struct krun_config *cfg, const uint8_t *mac)
{
	if (!mac)
		return -EINVAL;
	if (!CFG_HAVE_NET)
		return -ENOTSUP;
	memcpy(cfg->legacy_mac, mac, sizeof(cfg->legacy_mac));
	cfg->legacy_mac_set = true;
	return 0;
}

KRUN_API int32_t krun_set_net_mac(uint32_t ctx_id, uint8_t *const c_mac)
{
	return CTX_CALL(ctx_id, set_net_mac(cfg, c_mac));
}
