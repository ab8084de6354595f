/* src/vmm/disks.c: opens each configured disk image and attaches it as a virtio-blk device; flushes them all at exit. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "api/config.h"
#include "devices/virtio-devices.h"
#include "disk/disk.h"
#include "util/log.h"
#include "vmm/vmm-internal.h"

struct vmm_disks {
	struct vdev **devs;
	size_t n;
};

/* A clean shutdown loses nothing the guest wrote, whatever the sync mode asked of FLUSH. */
static void vmm_disks_shutdown(void *arg)
{
	struct vmm_disks *ds = arg;

	for (size_t i = 0; i < ds->n; i++)
		vtblk_shutdown(ds->devs[i]);
}

static int vmm_create_disk(struct vmm *v, const struct cfg_disk *d, struct vdev **dev)
{
	struct disk_cfg dc = {
		.path = d->path, .format = d->format, .read_only = d->read_only,
		.direct_io = d->direct_io, .sync_mode = d->sync_mode,
	};
	struct disk *disk;
	int ret;

	ret = disk_open(&dc, &disk);
	if (ret) {
		log_err("virtio-blk %s: cannot open %s: %s", d->block_id, d->path, strerror(-ret));
		return ret;
	}
	ret = vtblk_create(&v->vm.mem, disk, d->block_id, dev);
	if (ret) {
		disk_close(disk);
		return ret;
	}
	return vmm_attach_virtio(v, *dev);
}

int vmm_create_disks(struct vmm *v)
{
	const struct krun_config *cfg = v->cfg;
	struct vmm_disks *ds;
	int ret = 0;

	if (!cfg->nr_disks)
		return 0;
	ds = calloc(1, sizeof(*ds));
	if (ds)
		ds->devs = calloc(cfg->nr_disks, sizeof(*ds->devs));
	if (!ds || !ds->devs) {
		free(ds);
		return -ENOMEM;
	}
	for (size_t i = 0; !ret && i < cfg->nr_disks; i++) {
		ret = vmm_create_disk(v, &cfg->disks[i], &ds->devs[i]);
		if (!ret)
			ds->n++;
	}
	/* ds lives as long as the process: the exit hook needs it. */
	if (!ret)
		ret = vmm_at_exit(v, vmm_disks_shutdown, ds);
	return ret;
}
