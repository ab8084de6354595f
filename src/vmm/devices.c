/* src/vmm/devices.c: instantiates the VM's devices in upstream's attach order, so /dev names match libkrun's. */
#include <errno.h>
#include <string.h>

#include "api/config.h"
#include "devices/legacy.h"
#include "devices/virtio-devices.h"
#include "util/log.h"
#include "vmm/vmm-internal.h"

static int vmm_create_legacy(struct vmm *v)
{
	const struct krun_config *cfg = v->cfg;
	int ret = i8042_create(&v->vm);

	for (size_t i = 0; !ret && i < cfg->nr_serials && i < 4; i++)
		ret = serial_create(&v->vm, i, cfg->serials[i].in_fd, cfg->serials[i].out_fd);
	return ret;
}

static int attach_simple(struct vmm *v, int (*create)(struct guest_mem *, struct vdev **))
{
	struct vdev *dev;
	int ret = create(&v->vm.mem, &dev);

	return ret ? ret : vmm_attach_virtio(v, dev);
}

/* Upstream's order: balloon, rng, consoles, (gpu, input), virtio-fs, block, vsock, net. */
int vmm_create_devices(struct vmm *v)
{
	int ret = vmm_create_legacy(v);

	if (ret) {
		log_err("vmm: creating legacy devices: %s", strerror(-ret));
		return ret;
	}
	ret = attach_simple(v, vtbal_create);
	if (!ret)
		ret = attach_simple(v, vtrng_create);
	if (!ret)
		ret = vmm_create_consoles(v);
	if (ret)
		log_err("vmm: creating devices: %s", strerror(-ret));
	return ret;
}
