/* src/virtio/transport-mmio.h: virtio-mmio version 2 transport (virtio 1.2 §4.2). */
#ifndef KRUN_VIRTIO_TRANSPORT_MMIO_H
#define KRUN_VIRTIO_TRANSPORT_MMIO_H

#include <stddef.h>
#include <stdint.h>

#include "virtio/virtio.h"

/* Each device owns a 4 KiB window; QueueNotify sits at base + VMMIO_NOTIFY_OFF. */
#define VMMIO_SIZE 0x1000
#define VMMIO_NOTIFY_OFF VIRTIO_MMIO_QUEUE_NOTIFY
#define VMMIO_MAGIC 0x74726976	/* "virt" */
#define VMMIO_VERSION 2
#define VMMIO_VENDOR_ID 0

struct vmmio {
	struct vdev *dev;
	uint64_t base;		/* guest-physical base of the window */
	unsigned irq;		/* GSI */
	/* Selector registers (dev->lock). */
	uint32_t dev_features_sel;
	uint32_t drv_features_sel;
	uint32_t queue_sel;
	uint32_t shm_sel;
};

/*
 * Create the transport for (dev) at (base_gpa) with interrupt line (irq).
 * (dev) must be vdev_init()ed; it is not owned. The VMM then maps
 * [base, base + VMMIO_SIZE) to vmmio_read/vmmio_write, binds dev->irqfd to
 * (irq) with KVM_IRQFD and, optionally, one KVM_IOEVENTFD per queue at
 * base + VMMIO_NOTIFY_OFF (4 bytes, datamatch = queue index) stored in
 * dev->queues[q].kick_fd. Returns 0, -EINVAL, -ENOMEM.
 */
int vmmio_create(struct vdev *dev, uint64_t base_gpa, unsigned irq, struct vmmio **out);
void vmmio_destroy(struct vmmio *t);

/*
 * Guest access of (len) bytes at (offset) inside the window. Registers below
 * 0x100 take aligned 4-byte accesses only; config space (0x100+) takes 1, 2,
 * 4 or 8 bytes. Anything else reads as zeroes / is ignored (logged once).
 * Called from vCPU threads; takes dev->lock.
 */
void vmmio_read(struct vmmio *t, uint64_t offset, void *data, unsigned len);
void vmmio_write(struct vmmio *t, uint64_t offset, const void *data, unsigned len);

/*
 * Kernel command-line token "virtio_mmio.device=4K@0x<base>:<irq>" into (buf).
 * Returns the string length, or -ENOSPC when (size) is too small.
 */
int vmmio_cmdline(const struct vmmio *t, char *buf, size_t size);

#endif
