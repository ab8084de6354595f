/* src/vmm/nets.c: the VM's NICs: krun_add_net_* in call order, the legacy passt/gvproxy NIC, or the implicit built-in network. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libkrun.h"
#include "api/config.h"
#include "devices/virtio-devices.h"
#include "net/net-backend.h"
#include "util/log.h"
#include "vmm/vmm-internal.h"

/* Upstream's MAC for the legacy and implicit NICs. */
static const uint8_t default_mac[6] = { 0x5a, 0x94, 0xef, 0xe4, 0x0c, 0xee };

static int net_backend_open(const struct cfg_net *c, struct net_backend **be)
{
	switch (c->kind) {
	case CFG_NET_UNIXSTREAM:
		return net_unixstream_create(c->path, c->fd, be);
	case CFG_NET_UNIXGRAM:
		return net_unixgram_create(c->path, c->fd, c->flags & NET_FLAG_VFKIT, be);
	case CFG_NET_TAP:
		return net_tap_create(c->path, c->features, be);
	}
	return -EINVAL;
}

static void net_log_stats(void *dev)
{
	vtnet_log_stats(dev);
}

static int net_attach(struct vmm *v, struct net_backend *be, const uint8_t *mac, uint32_t features)
{
	struct vtnet_cfg nc = { .backend = be, .features = features };
	struct vdev *dev;
	int ret;

	memcpy(nc.mac, mac, sizeof(nc.mac));
	ret = vtnet_create(&v->vm.mem, &v->vm.loop, &nc, &dev);
	if (!ret)
		ret = vmm_attach_virtio(v, dev);
	if (!ret && vmm_at_exit(v, net_log_stats, dev))
		log_debug("net: no exit hook left for this NIC's counters");
	return ret;
}

/* The init runs DHCP on these interfaces (upstream: KRUN_DHCP=1, eth0 only). */
static void net_dhcp_token(struct vmm *v, const char *ifaces)
{
	char tok[256];

	if (*ifaces && snprintf(tok, sizeof(tok), "krun.dhcp=%s", ifaces) < (int)sizeof(tok))
		cmdline_add(&v->devices, tok);
}

static int net_create_explicit(struct vmm *v)
{
	const struct krun_config *cfg = v->cfg;
	char dhcp[256] = "";

	for (size_t i = 0; i < cfg->nr_nets; i++) {
		const struct cfg_net *c = &cfg->nets[i];
		struct net_backend *be;
		int ret = net_backend_open(c, &be);

		if (!ret)
			ret = net_attach(v, be, c->mac, c->features);
		if (ret) {
			log_err("net: eth%zu (%s): %s", i, c->path ? c->path : "fd", strerror(-ret));
			return ret;
		}
		if ((c->flags & NET_FLAG_DHCP_CLIENT) && strlen(dhcp) + 16 < sizeof(dhcp))
			snprintf(dhcp + strlen(dhcp), sizeof(dhcp) - strlen(dhcp), "%seth%zu",
				 *dhcp ? "," : "", i);
	}
	net_dhcp_token(v, dhcp);
	return 0;
}

/* krun_set_passt_fd / krun_set_gvproxy_path: one NIC, compat offloads, DHCP. */
static int net_create_legacy(struct vmm *v)
{
	const struct krun_config *cfg = v->cfg;
	const uint8_t *mac = cfg->legacy_mac_set ? cfg->legacy_mac : default_mac;
	struct net_backend *be;
	int ret;

	if (cfg->legacy_passt_fd >= 0)
		ret = net_unixstream_create(NULL, cfg->legacy_passt_fd, &be);
	else
		ret = net_unixgram_create(cfg->legacy_gvproxy_path, -1, true, &be);
	if (!ret)
		ret = net_attach(v, be, mac, COMPAT_NET_FEATURES);
	if (ret) {
		log_err("net: %s: %s", cfg->legacy_passt_fd >= 0 ? "passt fd" : "gvproxy",
			strerror(-ret));
		return ret;
	}
	net_dhcp_token(v, "eth0");
	return 0;
}

/*
 * The implicit network (where upstream gives TSI): libslirp with the port
 * map as host forwards. The VMM knows the guest's addresses, so it passes
 * them to the init instead of making it ask over DHCP.
 */
static int net_create_builtin(struct vmm *v)
{
	const struct krun_config *cfg = v->cfg;
	uint16_t (*map)[2] = calloc(cfg->nr_port_map + 1, sizeof(*map));
	struct net_slirp_cfg sc = { .mtu = NET_SLIRP_MTU, .nr_port_map = cfg->nr_port_map,
				    .expose_listeners = true };
	struct net_backend *be;
	char tok[64];
	int ret;

	if (!map)
		return -ENOMEM;
	for (size_t i = 0; i < cfg->nr_port_map; i++) {
		map[i][0] = cfg->port_map[i].host_port;
		map[i][1] = cfg->port_map[i].guest_port;
	}
	sc.port_map = (const uint16_t (*)[2])map;
	ret = net_slirp_create(&sc, &be);
	free(map);
	if (!ret)
		ret = net_attach(v, be, default_mac, 0);
	if (ret) {
		log_err("net: built-in network: %s", strerror(-ret));
		return ret;
	}
	cmdline_add(&v->devices, "krun.ip=" NET_SLIRP_GUEST "/24 krun.gw=" NET_SLIRP_GATEWAY
		    " krun.dns=" NET_SLIRP_DNS);
	/* The init reports the guest's TCP listeners there (docs/net.md, "Listener exposure"). */
	snprintf(tok, sizeof(tok), "krun.expose=%s:%d", NET_SLIRP_EXPOSE_ADDR, NET_SLIRP_EXPOSE_PORT);
	cmdline_add(&v->devices, tok);
	return 0;
}

int vmm_create_nets(struct vmm *v)
{
	const struct krun_config *cfg = v->cfg;

	if (cfg->nr_nets)
		return net_create_explicit(v);
	if (cfg->legacy_passt_fd >= 0 || cfg->legacy_gvproxy_path)
		return net_create_legacy(v);
	if (!cfg->implicit_vsock_disabled)
		return net_create_builtin(v);
	return 0;
}
