/* src/vmm/vsock-attach.c: decides whether the VM gets a virtio-vsock (upstream's implicit-vsock rule) and creates it. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "api/config.h"
#include "devices/virtio-devices.h"
#include "util/log.h"
#include "vmm/vmm-internal.h"

static void unlink_listeners(void *dev)
{
	vtsock_unlink_listeners(dev);
}

/*
 * Upstream (v1.19) creates the implicit vsock with TSI when the VM has no
 * NIC; here the built-in network replaces implicit TSI, so the implicit vsock
 * exists only to carry registered ports. krun_add_vsock (after
 * krun_disable_implicit_vsock) always creates one; TSI bits are refused there.
 */
static bool vsock_wanted(const struct krun_config *cfg)
{
	if (cfg->vsock_explicit)
		return true;
	return !cfg->implicit_vsock_disabled && cfg->nr_vsock_ports > 0;
}

int vmm_create_vsock(struct vmm *v)
{
	const struct krun_config *cfg = v->cfg;
	struct vtsock_port_cfg *ports;
	struct vdev *dev;
	int ret;

	if (!vsock_wanted(cfg))
		return 0;
	ports = calloc(cfg->nr_vsock_ports + 1, sizeof(*ports));
	if (!ports)
		return -ENOMEM;
	for (size_t i = 0; i < cfg->nr_vsock_ports; i++)
		ports[i] = (struct vtsock_port_cfg){
			.port = cfg->vsock_ports[i].port, .path = cfg->vsock_ports[i].path,
			.listen = cfg->vsock_ports[i].listen,
		};
	ret = vtsock_create(&v->vm.mem, &v->vm.loop, ports, cfg->nr_vsock_ports, &dev);
	free(ports);
	if (ret)
		goto out;
	/* Exit hooks also run when the start fails later: the socket files never outlive us. */
	ret = vmm_at_exit(v, unlink_listeners, dev);
	if (ret)
		vtsock_unlink_listeners(dev);
	else
		ret = vmm_attach_virtio(v, dev);
out:
	if (ret)
		log_err("virtio-vsock: %s", strerror(-ret));
	return ret;
}
