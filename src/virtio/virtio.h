/* src/virtio/virtio.h: generic part of every virtio device (struct vdev) and its ops. */
#ifndef KRUN_VIRTIO_VIRTIO_H
#define KRUN_VIRTIO_VIRTIO_H

/*
 * Layering: a device (src/devices/virtio-*.c) embeds struct vdev as its FIRST
 * member and recovers itself with container_of(); it never sees MMIO offsets.
 * The transport (transport-mmio.c) owns the register file and the status /
 * feature state machine and never knows device semantics. All descriptor
 * parsing and guest-address validation lives in virtqueue.c.
 *
 * Locking (who may touch what):
 *  - dev->lock: held by the transport around every register access, and
 *    therefore around ops->config_read/config_write/activate/reset/get_shm.
 *    Devices must NOT take dev->lock themselves (it is the transport's), and
 *    ops->reset must not wait for a thread that could be blocked on it.
 *  - vq->lock: held by vq_pop()/vq_push()/vq_needs_signal() and by the
 *    transport while it changes a queue's configuration (ready, reset). So a
 *    reset racing with a device thread can never make the device index outside
 *    the ring it validated; stale chains popped before a reset are dropped by
 *    vq_push() (generation check).
 *  - dev->status, dev->isr, dev->config_generation are accessed atomically;
 *    vdev_signal_used()/vdev_signal_config()/vdev_set_needs_reset() may be
 *    called from any thread without any lock.
 *  - ops->notify(dev, q) runs WITHOUT dev->lock: on the event-loop thread when
 *    the queue's ioeventfd fires, or on the vCPU thread for an MMIO QueueNotify
 *    write when the queue has no kick_fd. If the VMM set vq->kick_fd, a
 *    trapped QueueNotify write is forwarded to that eventfd instead, so a
 *    device's queues are always processed by one thread.
 *
 * Host byte order is little-endian (x86_64/aarch64): ring fields are used as is.
 */

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_ring.h>
#include <linux/virtio_mmio.h>

#include "vmm/mem.h"
#include "virtio/virtqueue.h"

#ifndef container_of
#define container_of(ptr, type, member)                                        \
	((type *)((char *)(ptr) - offsetof(type, member)))
#endif

/* Feature bit as a 64-bit mask: VIRTIO_BIT(VIRTIO_F_VERSION_1). */
#define VIRTIO_BIT(b) (1ULL << (b))

/* Upper bound on queues per device (console: 2 + 2 * ports). */
#define VDEV_MAX_QUEUES 128

struct vdev;

struct vdev_ops {
	const char *name;		/* "virtio-rng": prefix of every log line */
	uint32_t device_id;		/* VIRTIO_ID_* */
	unsigned num_queues;		/* default; vdev_init() may override */
	uint16_t queue_max_size;	/* QueueNumMax: power of 2, <= VQ_MAX_SIZE */
	uint64_t features;		/* offered; VERSION_1 is always added */
	size_t config_size;		/* bytes of config space at 0x100 */

	/*
	 * Config space access (off, len) already bounds-checked against
	 * dev->config_size, len in 1/2/4/8. config_read fills (buf); a NULL
	 * config_read reads as zeroes, a NULL config_write ignores writes.
	 * Return 0 or -errno (an error reads as zeroes / drops the write).
	 */
	int (*config_read)(struct vdev *dev, uint64_t off, void *buf, unsigned len);
	int (*config_write)(struct vdev *dev, uint64_t off, const void *buf, unsigned len);

	/*
	 * DRIVER_OK was written: features are final (dev->driver_features) and
	 * every queue the driver enabled is validated (vq->ready). Start
	 * backends/threads here. An error sets DEVICE_NEEDS_RESET.
	 */
	int (*activate)(struct vdev *dev);

	/*
	 * The driver wrote 0 to Status (or the VMM resets the device): drop all
	 * in-flight state. Queues are cleared by the transport after this returns.
	 * Called with dev->lock held. May be NULL.
	 */
	void (*reset)(struct vdev *dev);

	/*
	 * Queue (q) was kicked. See the locking note above for the thread.
	 * A kick trapped by the transport arrives only after DRIVER_OK (and
	 * activation kicks every ready queue once, so buffers queued before
	 * DRIVER_OK are seen), but a kick through an ioeventfd comes straight
	 * from KVM, which does not know the status: check vdev_driver_ok() if
	 * processing before activate() would be wrong.
	 */
	void (*notify)(struct vdev *dev, unsigned q);

	/*
	 * Shared memory region (id): 0 and (*base_gpa, *len), or -ENOENT when it
	 * does not exist (the transport then reports length ~0). May be NULL.
	 */
	int (*get_shm)(struct vdev *dev, unsigned id, uint64_t *base_gpa, uint64_t *len);
};

struct vdev {
	const struct vdev_ops *ops;
	struct guest_mem *mem;		/* guest RAM; outlives the device */
	pthread_mutex_t lock;		/* transport's register lock (see above) */

	unsigned num_queues;
	struct virtqueue *queues;	/* [num_queues], owned */
	size_t config_size;		/* from ops; may change before vmmio_create() */

	uint64_t host_features;		/* offered: ops->features | VERSION_1 */
	uint64_t driver_features;	/* protected by lock; final once FEATURES_OK */
	uint32_t status;		/* VIRTIO_CONFIG_S_*; atomic */
	uint32_t isr;			/* VIRTIO_MMIO_INT_VRING | _CONFIG; atomic */
	uint32_t config_generation;	/* atomic; bumped by vdev_signal_config() */

	/* eventfd the VMM bound with KVM_IRQFD (-1: none); written to raise the interrupt. */
	int irqfd;
};

/*
 * Initialize the generic part: (ops) as above, (mem) guest memory,
 * (num_queues) 0 means ops->num_queues. Every queue gets max size
 * ops->queue_max_size (a device may lower dev->queues[i].max_size afterwards).
 * irqfd and every queue's kick_fd start at -1.
 * Returns 0, -EINVAL (bad ops/queue count/size), -ENOMEM.
 */
int vdev_init(struct vdev *dev, const struct vdev_ops *ops, struct guest_mem *mem,
	      unsigned num_queues);
/* Free what vdev_init() allocated (does not close irqfd/kick_fds: the VMM owns them). */
void vdev_destroy(struct vdev *dev);

/*
 * Used buffers were pushed on (vq): raise the vring interrupt unless the
 * driver suppressed it (EVENT_IDX used_event, or VRING_AVAIL_F_NO_INTERRUPT)
 * or nothing new was pushed since the last signal. Call once after draining a
 * queue. Returns true when the interrupt was raised. Any thread, no lock.
 */
bool vdev_signal_used(struct vdev *dev, struct virtqueue *vq);
/* Config space changed: bump ConfigGeneration, set INT_CONFIG, raise the interrupt. */
void vdev_signal_config(struct vdev *dev);
/* Unrecoverable device error: DEVICE_NEEDS_RESET + config interrupt (virtio 1.2 §2.1.2). */
void vdev_set_needs_reset(struct vdev *dev);
/* Write the interrupt eventfd (no ISR change). Used by the two signal helpers. */
void vdev_raise_irq(struct vdev *dev);

static inline bool vdev_has_feature(const struct vdev *dev, unsigned bit)
{
	return bit < 64 && (dev->driver_features & VIRTIO_BIT(bit));
}

static inline uint32_t vdev_status(const struct vdev *dev)
{
	return __atomic_load_n(&dev->status, __ATOMIC_ACQUIRE);
}

/* DRIVER_OK is set and the device did not ask for a reset. */
static inline bool vdev_driver_ok(const struct vdev *dev)
{
	uint32_t s = vdev_status(dev);

	return (s & VIRTIO_CONFIG_S_DRIVER_OK) && !(s & VIRTIO_CONFIG_S_NEEDS_RESET);
}

/*
 * Full device reset as seen by the device: ops->reset(), then every queue is
 * cleared, features/status/isr zeroed. Caller holds dev->lock (the transport
 * does this on a Status write of 0).
 */
void vdev_reset_locked(struct vdev *dev);

#endif
