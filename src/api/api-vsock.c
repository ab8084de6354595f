/* src/api/api-vsock.c: the vsock device, its host-socket ports and TSI port forwarding. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "libkrun.h"
#include "api/api.h"
#include "api/config.h"

#define TSI_ALL (KRUN_TSI_HIJACK_INET | KRUN_TSI_HIJACK_UNIX)

/* With the implicit vsock disabled, only an explicit krun_add_vsock brings one back. */
static bool vsock_off(const struct krun_config *cfg)
{
	return cfg->implicit_vsock_disabled && !cfg->vsock_explicit;
}

static int add_vsock_port(struct krun_config *cfg, uint32_t port, const char *path, bool listen)
{
	struct cfg_vsock_port *p;
	struct stat st;
	char *copy;
	int ret;

	if (!path || !cfg_utf8_valid(path))
		return -EINVAL;
	if (!CFG_HAVE_VSOCK)
		return -ENOTSUP;
	if (vsock_off(cfg))
		return -ENODEV;
	/* The VMM will create the listening socket: an existing file there is the caller's. */
	if (listen && lstat(path, &st) == 0)
		return -EEXIST;
	for (size_t i = 0; i < cfg->nr_vsock_ports; i++)
		if (cfg->vsock_ports[i].port == port)
			return -EEXIST;
	ret = cfg_strdup(&copy, path);
	if (ret)
		return ret;
	p = cfg_array_push((void **)&cfg->vsock_ports, &cfg->nr_vsock_ports, sizeof(*p));
	if (!p) {
		free(copy);
		return -ENOMEM;
	}
	*p = (struct cfg_vsock_port){ .port = port, .path = copy, .listen = listen };
	return 0;
}

KRUN_API int32_t krun_add_vsock_port2(uint32_t ctx_id, uint32_t port, const char *c_filepath, bool listen)
{
	return CTX_CALL(ctx_id, add_vsock_port(cfg, port, c_filepath, listen));
}

KRUN_API int32_t krun_add_vsock_port(uint32_t ctx_id, uint32_t port, const char *c_filepath)
{
	return krun_add_vsock_port2(ctx_id, port, c_filepath, false);
}

static int add_vsock(struct krun_config *cfg, uint32_t tsi)
{
	if (tsi & ~(uint32_t)TSI_ALL)
		return -EINVAL;
	if (!CFG_HAVE_VSOCK)
		return -ENOTSUP;
	/* One vsock device at most, and the implicit one must be off first. */
	if (!cfg->implicit_vsock_disabled || cfg->vsock_explicit)
		return -EEXIST;
	/* TSI (hijacking the guest's INET/UNIX sockets) is not implemented yet. */
	if (tsi)
		return -ENOTSUP;
	cfg->vsock_explicit = true;
	cfg->tsi_features = tsi;
	return 0;
}

KRUN_API int32_t krun_add_vsock(uint32_t ctx_id, uint32_t tsi_features)
{
	return CTX_CALL(ctx_id, add_vsock(cfg, tsi_features));
}

/* No implicit vsock: only krun_add_vsock brings one back (ports need it: -ENODEV). */
static int disable_implicit_vsock(struct krun_config *cfg)
{
	cfg->implicit_vsock_disabled = true;
	return 0;
}

KRUN_API int32_t krun_disable_implicit_vsock(uint32_t ctx_id)
{
	return CTX_CALL(ctx_id, disable_implicit_vsock(cfg));
}

/* A decimal port 0..65535 of exactly (len) characters. */
static int parse_port(const char *s, size_t len, uint16_t *out)
{
	unsigned long v = 0;

	if (!len || len > 5)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v > 65535)
		return -EINVAL;
	*out = (uint16_t)v;
	return 0;
}

/* "host:guest" into (m); each host and guest port may appear once in the whole map. */
static int parse_mapping(const char *s, struct cfg_port_map *m, const struct cfg_port_map *prev, size_t n)
{
	const char *colon = strchr(s, ':');

	if (!colon || parse_port(s, colon - s, &m->host_port) ||
	    parse_port(colon + 1, strlen(colon + 1), &m->guest_port))
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (prev[i].host_port == m->host_port || prev[i].guest_port == m->guest_port)
			return -EINVAL;
	return 0;
}

/*
 * Upstream's rules (TSI's: a vsock device, no virtio-net). Here the map
 * becomes host forwards of the implicit built-in network (src/vmm/nets.c),
 * which exists exactly when upstream's implicit TSI vsock would.
 */
static int port_map_allowed(const struct krun_config *cfg)
{
	if (!CFG_HAVE_VSOCK && !CFG_HAVE_NET)
		return -ENOTSUP;
	if (vsock_off(cfg))
		return -ENODEV;
	return cfg->nr_nets ? -EINVAL : 0;
}

/* NULL keeps "expose every listening port"; an array (even empty) is an explicit map. */
static int set_port_map(struct krun_config *cfg, const char *const map[])
{
	struct cfg_port_map *m = NULL;
	size_t n = 0;
	int ret;

	while (map && n < CFG_MAX_ARGS && map[n])
		n++;
	if (n && !(m = calloc(n, sizeof(*m))))
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		if (parse_mapping(map[i], &m[i], m, i)) {
			free(m);
			return -EINVAL;
		}
	}
	/*
	 * Without networking an empty map is exactly what the VM does already
	 * (it exposes no port), so callers like krunvm that always pass one work.
	 */
	if (!CFG_HAVE_VSOCK && !CFG_HAVE_NET && map && !n)
		return 0;
	ret = port_map_allowed(cfg);
	if (ret) {
		free(m);
		return ret;
	}
	free(cfg->port_map);
	cfg->port_map = m;
	cfg->nr_port_map = n;
	cfg->port_map_set = map != NULL;
	return 0;
}

KRUN_API int32_t krun_set_port_map(uint32_t ctx_id, const char *const port_map[])
{
	return CTX_CALL(ctx_id, set_port_map(cfg, port_map));
}
