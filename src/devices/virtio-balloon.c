/* src/devices/virtio-balloon.c: virtio balloon with free page reporting: reported ranges are dropped with MADV_DONTNEED. */
#include "devices/virtio-devices.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <linux/virtio_balloon.h>

#include "util/log.h"

#define VTBAL_QUEUE_SIZE 256
/*
 * Queues in spec order: inflate, deflate, [stats], [free page hint], [reporting];
 * the driver numbers only the queues whose feature was negotiated. We offer
 * reporting alone (stats would need a periodic poller, hints a command
 * protocol), so reporting is queue 2.
 */
#define VTBAL_NUM_QUEUES 3
#define VTBAL_Q_REPORTING 2

struct vtbal {
	struct vdev vdev;	/* first: container_of */
	struct virtio_balloon_config config;
	struct vq_chain chain;	/* loop thread only */
};

/*
 * A reporting buffer's writable range IS the free guest memory being reported
 * (the driver hands us the pages themselves): drop the host pages behind it.
 */
static void vtbal_report(struct vq_chain *c)
{
	struct iovec *iov = vq_chain_in(c);

	for (unsigned i = 0; i < c->nr_in; i++) {
		uintptr_t start = ((uintptr_t)iov[i].iov_base + 4095) & ~4095UL;
		uintptr_t end = ((uintptr_t)iov[i].iov_base + iov[i].iov_len) & ~4095UL;

		if (end > start && madvise((void *)start, end - start, MADV_DONTNEED) < 0)
			log_warn_once("virtio-balloon: madvise: %s", strerror(errno));
	}
}

static void vtbal_notify(struct vdev *dev, unsigned q)
{
	struct vtbal *b = container_of(dev, struct vtbal, vdev);
	struct virtqueue *vq;

	if (q >= VTBAL_NUM_QUEUES)
		return;
	vq = &dev->queues[q];
	while (vq_next(vq, &b->chain)) {
		/* Inflate/deflate/stats are not offered; only reports need work. */
		if (q == VTBAL_Q_REPORTING)
			vtbal_report(&b->chain);
		vq_push(vq, &b->chain, 0);
	}
	vdev_signal_used(dev, vq);
}

static int vtbal_config_read(struct vdev *dev, uint64_t off, void *buf, unsigned len)
{
	struct vtbal *b = container_of(dev, struct vtbal, vdev);

	memcpy(buf, (uint8_t *)&b->config + off, len);
	return 0;
}

static const struct vdev_ops vtbal_ops = {
	.name = "virtio-balloon",
	.device_id = VIRTIO_ID_BALLOON,
	.num_queues = VTBAL_NUM_QUEUES,
	.queue_max_size = VTBAL_QUEUE_SIZE,
	.features = VIRTIO_BIT(VIRTIO_BALLOON_F_REPORTING) | VIRTIO_BIT(VIRTIO_RING_F_EVENT_IDX),
	.config_size = sizeof(struct virtio_balloon_config),
	.config_read = vtbal_config_read,
	.notify = vtbal_notify,
};

int vtbal_create(struct guest_mem *mem, struct vdev **out)
{
	struct vtbal *b = calloc(1, sizeof(*b));
	int ret;

	if (!b)
		return -ENOMEM;
	ret = vdev_init(&b->vdev, &vtbal_ops, mem, 0);
	if (ret) {
		free(b);
		return ret;
	}
	*out = &b->vdev;
	return 0;
}
