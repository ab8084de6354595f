/* src/devices/virtio-blk.c: virtio-blk device (virtio 1.2 §5.2): one request queue served by a worker thread over a src/disk image. */
#include "devices/virtio-devices.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/virtio_blk.h>

#include "disk/disk.h"
#include "sandbox/lists.h"
#include "util/iov.h"
#include "util/log.h"

#define VTBLK_QUEUE_SIZE	256
#define VTBLK_HDR_SIZE		16	/* struct virtio_blk_outhdr */
#define VTBLK_SEG_MAX		(VTBLK_QUEUE_SIZE - 2)	/* minus header and status */
#define VTBLK_MAX_DISCARD_SEG	32
/* Per discard / write-zeroes segment: 1 GiB, so one request cannot hold the worker for long. */
#define VTBLK_MAX_RANGE_SECTORS	(1u << 21)

/* One segment of a DISCARD or WRITE_ZEROES request (virtio 1.2 §5.2.6). */
struct vtblk_range {
	uint64_t sector;
	uint32_t num_sectors;
	uint32_t flags;
};

struct vtblk {
	struct vdev vdev;		/* first: container_of */
	struct virtio_blk_config config;
	struct disk *disk;
	char id[VIRTIO_BLK_ID_BYTES];	/* block_id, NUL-padded, not terminated when 20 bytes */
	int wake_fd;			/* eventfd: the queue was kicked */
	pthread_t worker;
	/* Held by the worker around each request and by vtblk_shutdown(): no request outlives the exit flush. */
	pthread_mutex_t io_lock;
	struct vq_chain chain;		/* worker only */
	struct iovec data[VQ_MAX_IOV];	/* worker only: the data part of a request */
};

/* Data part of a read/write: writable bytes before the status byte, or readable bytes after the header. */
static int vtblk_data(struct vtblk *b, struct vq_chain *c, bool in, size_t *len)
{
	int n;

	*len = in ? c->in_len - 1 : c->out_len - VTBLK_HDR_SIZE;
	if (in)
		n = iovec_slice(vq_chain_in(c), c->nr_in, 0, *len, b->data, VQ_MAX_IOV);
	else
		n = iovec_slice(vq_chain_out(c), c->nr_out, VTBLK_HDR_SIZE, *len, b->data, VQ_MAX_IOV);
	return n;
}

static uint8_t vtblk_status(int ret)
{
	if (!ret)
		return VIRTIO_BLK_S_OK;
	if (ret == -EINVAL || ret == -ERANGE)
		log_warn_once("virtio-blk: request outside the disk or unaligned, driver confused?");
	else if (ret != -EROFS)
		log_warn_once("virtio-blk: I/O error: %s", strerror(-ret));
	return VIRTIO_BLK_S_IOERR;
}

/* Sector (a guest number) to a byte offset, or UINT64_MAX when it cannot be one. */
static uint64_t vtblk_offset(uint64_t sector)
{
	return sector > UINT64_MAX / DISK_SECTOR ? UINT64_MAX : sector * DISK_SECTOR;
}

static uint8_t vtblk_rw(struct vtblk *b, struct vq_chain *c, uint64_t sector, bool in,
			uint32_t *written)
{
	size_t len;
	int n = vtblk_data(b, c, in, &len);
	uint64_t off = vtblk_offset(sector);

	if (n < 0)
		return vtblk_status(n);
	if (off == UINT64_MAX)
		return vtblk_status(-ERANGE);
	if (in) {
		n = disk_readv(b->disk, off, b->data, n, len);
		*written = n ? 0 : len;
		return vtblk_status(n);
	}
	return vtblk_status(disk_writev(b->disk, off, b->data, n, len));
}

static uint8_t vtblk_get_id(struct vtblk *b, struct vq_chain *c, uint32_t *written)
{
	size_t n = c->in_len - 1 < sizeof(b->id) ? c->in_len - 1 : sizeof(b->id);

	*written = vq_chain_write(c, 0, b->id, n);
	return VIRTIO_BLK_S_OK;
}

/* DISCARD and WRITE_ZEROES: an array of ranges after the header. */
static uint8_t vtblk_ranges(struct vtblk *b, struct vq_chain *c, uint32_t type)
{
	size_t bytes = c->out_len - VTBLK_HDR_SIZE;
	struct vtblk_range r;
	int ret = 0;

	if (!bytes || bytes % sizeof(r) || bytes / sizeof(r) > VTBLK_MAX_DISCARD_SEG)
		return VIRTIO_BLK_S_UNSUPP;
	for (size_t i = 0; !ret && i < bytes / sizeof(r); i++) {
		vq_chain_read(c, VTBLK_HDR_SIZE + i * sizeof(r), &r, sizeof(r));
		if (r.num_sectors > VTBLK_MAX_RANGE_SECTORS)
			return VIRTIO_BLK_S_IOERR;
		if (type == VIRTIO_BLK_T_DISCARD && r.flags)
			return VIRTIO_BLK_S_UNSUPP;
		if (type == VIRTIO_BLK_T_WRITE_ZEROES && (r.flags & ~VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP))
			return VIRTIO_BLK_S_UNSUPP;
		if (vtblk_offset(r.sector) == UINT64_MAX)
			return vtblk_status(-ERANGE);
		if (type == VIRTIO_BLK_T_DISCARD)
			ret = disk_discard(b->disk, r.sector * DISK_SECTOR, (uint64_t)r.num_sectors * DISK_SECTOR);
		else
			ret = disk_write_zeroes(b->disk, r.sector * DISK_SECTOR,
						(uint64_t)r.num_sectors * DISK_SECTOR,
						r.flags & VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP);
	}
	return vtblk_status(ret);
}

/* One request; returns its status and sets (*written) to the data bytes put in the chain. */
static uint8_t vtblk_request(struct vtblk *b, struct vq_chain *c, uint32_t *written)
{
	struct virtio_blk_outhdr hdr;

	*written = 0;
	if (c->out_len < VTBLK_HDR_SIZE) {
		log_warn_once("virtio-blk: request without a header, driver confused?");
		return VIRTIO_BLK_S_IOERR;
	}
	vq_chain_read(c, 0, &hdr, sizeof(hdr));
	switch (hdr.type) {
	case VIRTIO_BLK_T_IN:
		return vtblk_rw(b, c, hdr.sector, true, written);
	case VIRTIO_BLK_T_OUT:
		return vtblk_rw(b, c, hdr.sector, false, written);
	case VIRTIO_BLK_T_FLUSH:
		return vtblk_status(disk_flush(b->disk));
	case VIRTIO_BLK_T_GET_ID:
		return vtblk_get_id(b, c, written);
	case VIRTIO_BLK_T_DISCARD:
	case VIRTIO_BLK_T_WRITE_ZEROES:
		if (b->disk->read_only)
			return VIRTIO_BLK_S_UNSUPP;
		return vtblk_ranges(b, c, hdr.type);
	default:
		return VIRTIO_BLK_S_UNSUPP;
	}
}

static void vtblk_drain(struct vtblk *b, struct virtqueue *vq)
{
	struct vq_chain *c = &b->chain;
	uint32_t written;
	uint8_t status;

	while (vq_next(vq, c)) {
		/* The status byte is the last writable byte; without one there is no way to answer. */
		if (!c->in_len) {
			log_warn_once("virtio-blk: request without a status byte, driver confused?");
			vq_push(vq, c, 0);
			continue;
		}
		pthread_mutex_lock(&b->io_lock);
		status = vtblk_request(b, c, &written);
		pthread_mutex_unlock(&b->io_lock);
		vq_chain_write(c, c->in_len - 1, &status, 1);
		vq_push(vq, c, written + 1);
		vdev_signal_used(&b->vdev, vq);
	}
}

/*
 * Disk I/O blocks, so it runs here rather than on the event loop. Started by
 * vtblk_create() so that it is sandboxed before the vCPUs run; it serves the
 * queue only once the driver is ready.
 */
static void *vtblk_worker(void *arg)
{
	struct vtblk *b = arg;
	uint64_t n;

	for (;;) {
		if (read(b->wake_fd, &n, sizeof(n)) < 0 && errno != EINTR)
			break;
		if (b->vdev.queues[0].ready && vdev_driver_ok(&b->vdev))
			vtblk_drain(b, &b->vdev.queues[0]);
	}
	return NULL;
}

static void vtblk_notify(struct vdev *dev, unsigned q)
{
	struct vtblk *b = container_of(dev, struct vtblk, vdev);
	uint64_t one = 1;

	if (write(b->wake_fd, &one, sizeof(one)) < 0)
		log_warn_once("virtio-blk: waking the worker: %s", strerror(errno));
}

static int vtblk_config_read(struct vdev *dev, uint64_t off, void *buf, unsigned len)
{
	struct vtblk *b = container_of(dev, struct vtblk, vdev);

	memcpy(buf, (uint8_t *)&b->config + off, len);
	return 0;
}

static const struct vdev_ops vtblk_ops = {
	.name = "virtio-blk",
	.device_id = VIRTIO_ID_BLOCK,
	.num_queues = 1,
	.queue_max_size = VTBLK_QUEUE_SIZE,
	/* RO, DISCARD and WRITE_ZEROES are added per disk in vtblk_create(). */
	.features = VIRTIO_BIT(VIRTIO_BLK_F_SEG_MAX) | VIRTIO_BIT(VIRTIO_BLK_F_FLUSH) |
		    VIRTIO_BIT(VIRTIO_RING_F_EVENT_IDX) | VIRTIO_BIT(VIRTIO_RING_F_INDIRECT_DESC),
	.config_size = sizeof(struct virtio_blk_config),
	.config_read = vtblk_config_read,
	.notify = vtblk_notify,
};

static void vtblk_fill_config(struct vtblk *b)
{
	struct virtio_blk_config *c = &b->config;
	uint32_t align = b->disk->discard_align / DISK_SECTOR;

	c->capacity = b->disk->size / DISK_SECTOR;
	c->seg_max = VTBLK_SEG_MAX;
	c->max_discard_sectors = VTBLK_MAX_RANGE_SECTORS;
	c->max_discard_seg = VTBLK_MAX_DISCARD_SEG;
	c->discard_sector_alignment = align ? align : 1;
	c->max_write_zeroes_sectors = VTBLK_MAX_RANGE_SECTORS;
	c->max_write_zeroes_seg = VTBLK_MAX_DISCARD_SEG;
	c->write_zeroes_may_unmap = 1;
}

static const struct sbx_list *const vtblk_lists[] = { &vtblk_sbx, &disk_sbx };
static const struct sbx_role vtblk_role = { "virtio-blk", vtblk_lists, SBX_N(vtblk_lists) };

int vtblk_create(struct guest_mem *mem, struct disk *disk, const char *id, struct vdev **out)
{
	struct vtblk *b = calloc(1, sizeof(*b));
	int ret;

	if (!b)
		return -ENOMEM;
	b->disk = disk;
	strncpy(b->id, id ? id : "", sizeof(b->id));
	vtblk_fill_config(b);
	pthread_mutex_init(&b->io_lock, NULL);
	b->wake_fd = eventfd(0, EFD_CLOEXEC);
	if (b->wake_fd < 0) {
		ret = -errno;
		goto err_free;
	}
	ret = vdev_init(&b->vdev, &vtblk_ops, mem, 0);
	if (ret)
		goto err_close;
	if (disk->read_only)
		b->vdev.host_features |= VIRTIO_BIT(VIRTIO_BLK_F_RO);
	else
		b->vdev.host_features |= VIRTIO_BIT(VIRTIO_BLK_F_DISCARD) |
					 VIRTIO_BIT(VIRTIO_BLK_F_WRITE_ZEROES);
	ret = sbx_thread_create(&b->worker, "virtio-blk", &vtblk_role, vtblk_worker, b);
	if (ret)
		goto err_vdev;
	*out = &b->vdev;
	return 0;
err_vdev:
	vdev_destroy(&b->vdev);
err_close:
	close(b->wake_fd);
err_free:
	pthread_mutex_destroy(&b->io_lock);
	free(b);
	return ret;
}

void vtblk_shutdown(struct vdev *dev)
{
	struct vtblk *b = container_of(dev, struct vtblk, vdev);

	/* Left locked: the process exits next, and no request may start after the flush. */
	pthread_mutex_lock(&b->io_lock);
	disk_close(b->disk);
	b->disk = NULL;
}

/* Sandbox (x86_64): The worker sleeps on its wake eventfd. */
#ifdef __x86_64__
static const int vtblk_sbx_syscalls[] = {
	__NR_read,
};
const struct sbx_list vtblk_sbx = SBX_SYSCALLS("virtio-blk", vtblk_sbx_syscalls);
#else
const struct sbx_list vtblk_sbx = { .name = "virtio-blk" };
#endif
