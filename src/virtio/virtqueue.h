/* src/virtio/virtqueue.h: split virtqueue (virtio 1.2 §2.7): validated chains in, used elements out. */
#ifndef KRUN_VIRTIO_VIRTQUEUE_H
#define KRUN_VIRTIO_VIRTQUEUE_H

/*
 * Split ring layout in guest memory (N = queue size, a power of 2):
 *
 *   desc  (16-byte aligned, 16*N):  { le64 addr; le32 len; le16 flags; le16 next; }[N]
 *   avail ( 2-byte aligned, 6+2*N): le16 flags; le16 idx; le16 ring[N]; le16 used_event;
 *   used  ( 4-byte aligned, 6+8*N): le16 flags; le16 idx; { le32 id; le32 len; }[N];
 *                                   le16 avail_event;
 *
 * The driver publishes heads in avail.ring[idx % N] and then bumps avail.idx;
 * the device consumes them in order (last_avail_idx), and returns them in
 * used.ring[used_idx % N] then bumps used.idx. Indices are free-running u16.
 *
 * Everything a driver writes is hostile: vq_pop() validates every index,
 * every descriptor and every guest address before a device sees a chain, and
 * hands out host iovecs only (each range passed through gmem_ptr()).
 *
 * Limits and choices:
 *  - Queue sizes: power of 2, 1..VQ_MAX_SIZE.
 *  - A chain yields at most VQ_MAX_IOV iovecs and VQ_MAX_IOV descriptors
 *    (direct + indirect): longer chains are rejected (-E2BIG). The spec caps a
 *    chain at the queue size, which is <= VQ_MAX_IOV here.
 *  - A descriptor whose range crosses from one guest memory region into an
 *    ADJACENT one is split into two iovecs; a range touching any hole is
 *    rejected (-EFAULT).
 *  - The total length of a chain (readable + writable) must fit in u32 (the
 *    used element's len is u32): otherwise -EOVERFLOW.
 */

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include <linux/virtio_ring.h>

#include "vmm/mem.h"

#define VQ_MAX_SIZE 1024
#define VQ_MAX_IOV 1024

struct vdev;

struct virtqueue {
	struct vdev *dev;		/* owner, for names in log lines */
	unsigned index;			/* queue number */
	pthread_mutex_t lock;		/* see virtio.h "Locking" */
	uint16_t max_size;		/* QueueNumMax */

	/* Driver-written configuration; the transport changes it only with lock held and !ready. */
	uint16_t size;			/* QueueNum; vq_enable() rejects 0 */
	gpa_t desc_gpa, avail_gpa, used_gpa;
	bool ready;			/* QueueReady accepted: the fields below are valid */

	/* Host views of the rings, checked at QueueReady (lock). */
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	bool event_idx;			/* VIRTIO_RING_F_EVENT_IDX negotiated */
	bool indirect;			/* VIRTIO_RING_F_INDIRECT_DESC negotiated */

	/* Device-side state (lock). */
	uint16_t last_avail_idx;	/* next avail entry to consume */
	uint16_t used_idx;		/* shadow of used->idx */
	uint16_t signalled_used;	/* used_idx at the last interrupt we raised */
	bool broken;			/* ring corrupted by the driver: stop until reset */
	uint32_t gen;			/* bumped at every reset; stale chains are dropped */

	/* ioeventfd the VMM bound to this queue's QueueNotify (-1: none); owned by the VMM. */
	int kick_fd;
};

/*
 * One validated descriptor chain. Readable (driver->device, "out") iovecs come
 * first: iov[0 .. nr_out), then writable ("in") iovecs: iov[nr_out .. nr_out + nr_in).
 * Pointers are host addresses inside guest RAM; they stay mapped for the VM's
 * life but the guest may change the bytes at any time (read each field once).
 * About 16 KiB: keep it in the device struct or on a thread stack.
 */
struct vq_chain {
	uint16_t head;			/* descriptor index returned in the used ring */
	uint32_t gen;			/* vq->gen at pop time */
	unsigned nr_out, nr_in;
	uint32_t out_len, in_len;	/* byte totals of each part */
	struct iovec iov[VQ_MAX_IOV];
};

static inline struct iovec *vq_chain_out(struct vq_chain *c)
{
	return c->iov;
}

static inline struct iovec *vq_chain_in(struct vq_chain *c)
{
	return c->iov + c->nr_out;
}

/*
 * Take the next available chain from (vq) into (chain).
 * Returns 1 with a chain; 0 when the ring is empty or the queue is not ready;
 * -EIO when the ring itself is corrupted (avail idx jumped by more than the
 * queue size, or the head index is out of range): the queue is then marked
 * broken (every later call returns -EIO until reset) and the device gets
 * DEVICE_NEEDS_RESET. Any other -errno is ONE malformed chain (-EINVAL bad
 * flags/order/indirect, -ERANGE next out of range, -ELOOP descriptor loop,
 * -EFAULT address outside guest RAM, -EOVERFLOW length overflow, -E2BIG too
 * many iovecs): it has already been consumed and returned to the driver as a
 * used element of length 0, and logged once ("driver confused?"); the device
 * simply goes on with the next one. Devices drain with vq_next() below:
 *
 *	while (vq_next(vq, &c)) {
 *		... handle c ...; vq_push(vq, &c, written);
 *	}
 *	vdev_signal_used(dev, vq);
 *
 * With EVENT_IDX, publishes avail_event so the driver kicks for the next
 * buffer, and re-checks the ring after doing so (no lost wake-up).
 */
int vq_pop(struct virtqueue *vq, struct vq_chain *chain);

/*
 * vq_pop() for device drain loops: skips malformed chains (already returned
 * and logged by vq_pop) and returns true with a usable chain, false when the
 * queue is empty, not ready or broken.
 */
bool vq_next(struct virtqueue *vq, struct vq_chain *chain);

/*
 * Return (chain) to the driver with (written_len) bytes written into its
 * writable part (clamped to chain->in_len). Orders the element store before
 * the used->idx store (release). A chain popped before a reset is dropped.
 */
void vq_push(struct virtqueue *vq, const struct vq_chain *chain, uint32_t written_len);

/*
 * Give back the most recently popped (chain) unused, e.g. an rx buffer the
 * device has no data for yet: the next vq_pop() returns it again.
 */
void vq_unpop(struct virtqueue *vq, const struct vq_chain *chain);

/*
 * Should the driver be interrupted for what was pushed since the last signal?
 * EVENT_IDX: vring_need_event(used_event, used_idx, signalled_used); otherwise
 * !(avail->flags & VRING_AVAIL_F_NO_INTERRUPT). False when nothing new was
 * pushed. Records used_idx as signalled when it returns true.
 */
bool vq_needs_signal(struct virtqueue *vq);

/* True when the driver has made buffers available that were not popped yet. */
bool vq_has_avail(struct virtqueue *vq);

/* Copy up to (len) bytes from the readable part at byte (off); returns bytes copied. */
size_t vq_chain_read(const struct vq_chain *c, size_t off, void *buf, size_t len);
/* Copy up to (len) bytes into the writable part at byte (off); returns bytes copied. */
size_t vq_chain_write(const struct vq_chain *c, size_t off, const void *buf, size_t len);

/* --- transport side (transport-mmio.c and vdev_init); devices do not call these --- */

/* Initialize (vq) as queue (index) of (dev), max size (max_size). */
void vq_init(struct virtqueue *vq, struct vdev *dev, unsigned index, uint16_t max_size);
void vq_destroy(struct virtqueue *vq);
/* Back to the post-reset state (not ready, size 0, addresses 0); takes vq->lock. */
void vq_reset(struct virtqueue *vq);
/*
 * Validate the configured size and ring addresses against (mem) and make the
 * queue ready with the negotiated (features). Takes vq->lock.
 * Returns 0, or -EINVAL (size not a power of 2 / above max / misaligned
 * ring), -EFAULT (ring not inside guest RAM). The queue stays not ready on error.
 */
int vq_enable(struct virtqueue *vq, const struct guest_mem *mem, uint64_t features);
/* QueueReady = 0: stop using the queue (no memory is touched). Takes vq->lock. */
void vq_disable(struct virtqueue *vq);

#endif
