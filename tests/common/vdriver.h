/* tests/common/vdriver.h: the driver side of virtio-mmio bring-up for unit tests and fuzz targets (feature negotiation, split rings at fixed addresses). */
#ifndef TESTS_COMMON_VDRIVER_H
#define TESTS_COMMON_VDRIVER_H

#include <stdint.h>

#include <linux/virtio_config.h>
#include <linux/virtio_mmio.h>

#include "virtio/transport-mmio.h"

/*
 * Queue q's rings sit at q * VDRV_RING_STRIDE in guest RAM: descriptors,
 * then the avail ring at +4 KiB and the used ring at +8 KiB (room for 256
 * entries each), so a test finds them without asking the device.
 */
#define VDRV_RING_STRIDE	0x4000ULL
#define VDRV_DESC(q)		((uint64_t)(q) * VDRV_RING_STRIDE)
#define VDRV_AVAIL(q)		(VDRV_DESC(q) + 0x1000)
#define VDRV_USED(q)		(VDRV_DESC(q) + 0x2000)

static inline void vdrv_w32(struct vmmio *t, uint64_t off, uint32_t v)
{
	vmmio_write(t, off, &v, 4);
}

/* ACKNOWLEDGE, DRIVER, (features), FEATURES_OK, (nq) queues of (qsize), DRIVER_OK, as Linux does. */
static inline void vdrv_init(struct vmmio *t, uint64_t features, unsigned nq, unsigned qsize)
{
	const uint32_t ad = VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER;

	vdrv_w32(t, VIRTIO_MMIO_STATUS, ad);
	vdrv_w32(t, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	vdrv_w32(t, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)features);
	vdrv_w32(t, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	vdrv_w32(t, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(features >> 32));
	vdrv_w32(t, VIRTIO_MMIO_STATUS, ad | VIRTIO_CONFIG_S_FEATURES_OK);
	for (unsigned q = 0; q < nq; q++) {
		vdrv_w32(t, VIRTIO_MMIO_QUEUE_SEL, q);
		vdrv_w32(t, VIRTIO_MMIO_QUEUE_NUM, qsize);
		vdrv_w32(t, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)VDRV_DESC(q));
		vdrv_w32(t, VIRTIO_MMIO_QUEUE_AVAIL_LOW, (uint32_t)VDRV_AVAIL(q));
		vdrv_w32(t, VIRTIO_MMIO_QUEUE_USED_LOW, (uint32_t)VDRV_USED(q));
		vdrv_w32(t, VIRTIO_MMIO_QUEUE_READY, 1);
	}
	vdrv_w32(t, VIRTIO_MMIO_STATUS, ad | VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK);
}

#endif
