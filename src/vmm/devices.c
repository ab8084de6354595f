/* src/vmm/devices.c: instantiates the VM's devices in upstream's attach order, so /dev names match libkrun's. */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "fuse/fuse-server.h"
#include "init-blob.h"

#include "api/config.h"
#include "devices/legacy.h"
#include "devices/virtio-devices.h"
#include "util/log.h"
#include "vmm/vmm-internal.h"

static int vmm_create_legacy(struct vmm *v)
{
	const struct krun_config *cfg = v->cfg;
	int ret = i8042_create(&v->vm);

	if (!ret && cfg->split_irqchip)
		ret = ioapic_create(&v->vm, cfg->vcpus);

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

static void fs_exit_code(void *opaque, int32_t code)
{
	struct vm *vm = opaque;

	__atomic_store_n(&vm->exit_code, code, __ATOMIC_SEQ_CST);
}

/* Reserve the DAX window: guest-visible, host pages PROT_NONE until SETUPMAPPING. */
static int fs_map_window(struct vmm *v, struct vtfs_cfg *fc, uint64_t size)
{
	void *host;
	int ret;

	fc->shm_size = (size + 4095) & ~4095ULL;
	if (!fc->shm_size)
		return 0;
	host = mmap(NULL, fc->shm_size, PROT_NONE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (host == MAP_FAILED)
		return -errno;
	fc->shm_host = host;
	ret = vmm_alloc_shm(v, fc->shm_size, &fc->shm_gpa);
	if (!ret)
		ret = vm_add_device_mem(&v->vm, fc->shm_gpa, fc->shm_size, host);
	return ret;
}

static int fs_add_overlays(struct fuse_srv *srv, const struct cfg_fs *f)
{
	int ret = 0;

	if (f->inject_init)
		ret = fuse_srv_add_overlay_file(srv, "init.krun", init_blob, init_blob_size(),
						0755, true);
	for (size_t i = 0; !ret && i < f->nr_overlays; i++) {
		const struct cfg_overlay *o = &f->overlays[i];

		if (o->is_dir)
			ret = fuse_srv_add_overlay_dir(srv, o->path, o->mode);
		else
			ret = fuse_srv_add_overlay_file(srv, o->path, o->data, o->len,
							o->mode, o->one_shot);
	}
	return ret;
}

static int vmm_create_fs(struct vmm *v, const struct cfg_fs *f)
{
	struct vtfs_cfg fc = {
		.tag = f->tag, .root_dir = f->path, .read_only = f->read_only,
		.exit_code = fs_exit_code, .opaque = &v->vm,
	};
	struct vdev *dev;
	int ret;

	ret = fs_map_window(v, &fc, f->shm_size);
	if (!ret)
		ret = vtfs_create(&v->vm.mem, &fc, &dev);
	if (!ret)
		ret = fs_add_overlays(vtfs_server(dev), f);
	if (!ret && !strcmp(f->tag, "/dev/root"))
		v->root_srv = vtfs_server(dev);
	if (!ret)
		ret = vmm_attach_virtio(v, dev);
	if (ret)
		log_err("virtio-fs %s: %s", f->tag, strerror(-ret));
	return ret;
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
	for (size_t i = 0; !ret && i < v->cfg->nr_fs; i++)
		ret = vmm_create_fs(v, &v->cfg->fs[i]);
	if (!ret)
		ret = vmm_create_disks(v);
	if (!ret)
		ret = vmm_create_vsock(v);
	if (!ret)
		ret = vmm_create_nets(v);
	if (ret)
		log_err("vmm: creating devices: %s", strerror(-ret));
	return ret;
}
