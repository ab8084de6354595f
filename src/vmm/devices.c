/* src/vmm/devices.c: instantiates the VM's devices in upstream's attach order, so /dev names match libkrun's. */
#include <errno.h>
#include <string.h>

#include "api/config.h"
#include "devices/legacy.h"
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

int vmm_create_devices(struct vmm *v)
{
	int ret = vmm_create_legacy(v);

	if (ret)
		log_err("vmm: creating legacy devices: %s", strerror(-ret));
	return ret;
}
