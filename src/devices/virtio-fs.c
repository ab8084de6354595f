/* src/devices/virtio-fs.c: virtio-fs device: hiprio + request queues served by the FUSE server on a worker thread; DAX window as shm region 0. */
#include "devices/virtio-devices.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/virtio_fs.h>

#include "fuse/fuse-server.h"
#include "sandbox/lists.h"
#include "util/log.h"

#define VTFS_QUEUE_SIZE	1024
#define VTFS_NUM_QUEUES	2	/* hiprio, one request queue */
#define VTFS_SHM_CACHE	0	/* VIRTIO_FS_SHMCAP_ID_CACHE */

struct vtfs {
	struct vdev vdev;	/* first: container_of */
	struct virtio_fs_config config;
	struct fuse_srv *srv;
	struct vtfs_cfg cfg;
	int wake_fd;		/* eventfd: queues were kicked */
	pthread_t worker;
	struct vq_chain chain;	/* worker thread only */
};

static void vtfs_drain(struct vtfs *fs, struct virtqueue *vq)
{
	size_t reply_len;
	int ret;

	while (vq_next(vq, &fs->chain)) {
		reply_len = 0;
		ret = fuse_srv_handle(fs->srv, vq_chain_out(&fs->chain), fs->chain.nr_out,
				      vq_chain_in(&fs->chain), fs->chain.nr_in, &reply_len);
		if (ret) {
			log_warn_once("virtio-fs: unusable request (%s), driver confused?", strerror(-ret));
			reply_len = 0;
		}
		vq_push(vq, &fs->chain, reply_len);
		/* Interrupt per request: the guest may be waiting on this one synchronously. */
		vdev_signal_used(&fs->vdev, vq);
	}
}

/*
 * Requests may block on host I/O, so they run here rather than on the event
 * loop. The thread exists from vtfs_create() on (it must, to get its own
 * sandbox filter before the vCPUs run) but only serves queues the driver made ready.
 */
static void *vtfs_worker(void *arg)
{
	struct vtfs *fs = arg;
	uint64_t n;

	for (;;) {
		if (read(fs->wake_fd, &n, sizeof(n)) < 0 && errno != EINTR)
			break;
		for (unsigned q = 0; q < VTFS_NUM_QUEUES; q++)
			if (fs->vdev.queues[q].ready)
				vtfs_drain(fs, &fs->vdev.queues[q]);
	}
	return NULL;
}

static void vtfs_notify(struct vdev *dev, unsigned q)
{
	struct vtfs *fs = container_of(dev, struct vtfs, vdev);
	uint64_t one = 1;

	if (write(fs->wake_fd, &one, sizeof(one)) < 0)
		log_warn_once("virtio-fs: waking the worker: %s", strerror(errno));
}

static int vtfs_config_read(struct vdev *dev, uint64_t off, void *buf, unsigned len)
{
	struct vtfs *fs = container_of(dev, struct vtfs, vdev);

	memcpy(buf, (uint8_t *)&fs->config + off, len);
	return 0;
}

static int vtfs_get_shm(struct vdev *dev, unsigned id, uint64_t *base, uint64_t *len)
{
	struct vtfs *fs = container_of(dev, struct vtfs, vdev);

	if (id != VTFS_SHM_CACHE || !fs->cfg.shm_size)
		return -ENOENT;
	*base = fs->cfg.shm_gpa;
	*len = fs->cfg.shm_size;
	return 0;
}

/* The FUSE server checked (moffset, len) against the window already. */
static int vtfs_setup_mapping(void *opaque, int fd, uint64_t foffset, uint64_t moffset,
			      uint64_t len, bool writable)
{
	struct vtfs *fs = opaque;
	int prot = PROT_READ | (writable ? PROT_WRITE : 0);
	void *p = mmap((uint8_t *)fs->cfg.shm_host + moffset, len, prot,
		       MAP_SHARED | MAP_FIXED, fd, foffset);

	return p == MAP_FAILED ? -errno : 0;
}

static int vtfs_remove_mapping(void *opaque, uint64_t moffset, uint64_t len)
{
	struct vtfs *fs = opaque;
	void *p = mmap((uint8_t *)fs->cfg.shm_host + moffset, len, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);

	return p == MAP_FAILED ? -errno : 0;
}

static void vtfs_exit_code(void *opaque, int32_t code)
{
	struct vtfs *fs = opaque;

	if (fs->cfg.exit_code)
		fs->cfg.exit_code(fs->cfg.opaque, code);
}

static const struct vdev_ops vtfs_ops = {
	.name = "virtio-fs",
	.device_id = VIRTIO_ID_FS,
	.num_queues = VTFS_NUM_QUEUES,
	.queue_max_size = VTFS_QUEUE_SIZE,
	.features = VIRTIO_BIT(VIRTIO_RING_F_EVENT_IDX),
	.config_size = sizeof(struct virtio_fs_config),
	.config_read = vtfs_config_read,
	.notify = vtfs_notify,
	.get_shm = vtfs_get_shm,
};

/*
 * The caching policy (docs/fuse.md, "Caching"): the root filesystem is the
 * guest's own tree (a container rootfs), so the guest may cache it fully;
 * other shares are often written by the host too and keep upstream's 5 s
 * timeouts. KRUN_FS_CACHE=never|auto|always overrides both.
 */
static enum fuse_srv_cache vtfs_cache_policy(const struct vtfs_cfg *cfg)
{
	enum fuse_srv_cache dflt = strcmp(cfg->tag, "/dev/root") ? FUSE_SRV_CACHE_AUTO :
								     FUSE_SRV_CACHE_ALWAYS;
	const char *env = getenv("KRUN_FS_CACHE");
	enum fuse_srv_cache c;

	if (fuse_srv_cache_parse(env, dflt, &c)) {
		log_warn_once("virtio-fs: KRUN_FS_CACHE=%s is not never, auto or always; ignored", env);
		c = dflt;
	}
	return c;
}

static int vtfs_start_server(struct vtfs *fs)
{
	struct fuse_srv_config sc = {
		.root_dir = fs->cfg.root_dir,
		.read_only = fs->cfg.read_only,
		.dax_window_size = fs->cfg.shm_size,
		.cache = vtfs_cache_policy(&fs->cfg),
		/* KRUN_FS_XATTR=off: no xattrs in the guest, no GETXATTR storms (docs/fuse.md) */
		.no_xattr = getenv("KRUN_FS_XATTR") && !strcmp(getenv("KRUN_FS_XATTR"), "off"),
		.cb = {
			.opaque = fs,
			.setup_mapping = vtfs_setup_mapping,
			.remove_mapping = vtfs_remove_mapping,
			.exit_code = vtfs_exit_code,
		},
	};

	return fuse_srv_create(&sc, &fs->srv);
}

static const struct sbx_list *const vtfs_lists[] = { &vtfs_sbx, &fuse_srv_sbx };
static const struct sbx_role vtfs_role = { "virtio-fs", vtfs_lists, SBX_N(vtfs_lists) };

int vtfs_create(struct guest_mem *mem, const struct vtfs_cfg *cfg, struct vdev **out)
{
	struct vtfs *fs;
	int ret;

	if (!cfg->tag || strlen(cfg->tag) > sizeof(fs->config.tag))
		return -EINVAL;
	fs = calloc(1, sizeof(*fs));
	if (!fs)
		return -ENOMEM;
	fs->cfg = *cfg;
	memcpy(fs->config.tag, cfg->tag, strlen(cfg->tag));
	fs->config.num_request_queues = 1;
	fs->wake_fd = eventfd(0, EFD_CLOEXEC);
	if (fs->wake_fd < 0) {
		ret = -errno;
		goto err_free;
	}
	ret = vtfs_start_server(fs);
	if (ret) {
		log_err("virtio-fs: cannot share %s: %s", cfg->root_dir ? cfg->root_dir : "(virtual)",
			strerror(-ret));
		goto err_close;
	}
	ret = vdev_init(&fs->vdev, &vtfs_ops, mem, 0);
	if (ret)
		goto err_srv;
	ret = sbx_thread_create(&fs->worker, "virtio-fs", &vtfs_role, vtfs_worker, fs);
	if (ret)
		goto err_vdev;
	*out = &fs->vdev;
	return 0;
err_vdev:
	vdev_destroy(&fs->vdev);
err_srv:
	fuse_srv_destroy(fs->srv);
err_close:
	close(fs->wake_fd);
err_free:
	free(fs);
	return ret;
}

struct fuse_srv *vtfs_server(struct vdev *dev)
{
	return container_of(dev, struct vtfs, vdev)->srv;
}

/* Sandbox (x86_64): The worker sleeps on its wake eventfd. */
#ifdef __x86_64__
static const int vtfs_sbx_syscalls[] = {
	__NR_read,
};
const struct sbx_list vtfs_sbx = SBX_SYSCALLS("virtio-fs", vtfs_sbx_syscalls);
#else
const struct sbx_list vtfs_sbx = { .name = "virtio-fs" };
#endif
