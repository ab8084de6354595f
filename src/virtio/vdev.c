/* src/virtio/vdev.c: generic half of every virtio device: queues, interrupts, reset. */
#include "virtio/virtio.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/log.h"

int vdev_init(struct vdev *dev, const struct vdev_ops *ops, struct guest_mem *mem,
	      unsigned num_queues)
{
	uint16_t max = ops ? ops->queue_max_size : 0;

	if (!ops || !ops->name || !mem)
		return -EINVAL;
	if (!num_queues)
		num_queues = ops->num_queues;
	if (num_queues > VDEV_MAX_QUEUES || (num_queues && (!max || max > VQ_MAX_SIZE ||
							    (max & (max - 1)))))
		return -EINVAL;

	memset(dev, 0, sizeof(*dev));
	dev->queues = calloc(num_queues ? num_queues : 1, sizeof(*dev->queues));
	if (!dev->queues)
		return -ENOMEM;
	dev->ops = ops;
	dev->mem = mem;
	dev->num_queues = num_queues;
	dev->config_size = ops->config_size;
	/* virtio-mmio version 2 is a modern-only transport: VERSION_1 is mandatory (§4.2.4). */
	dev->host_features = ops->features | VIRTIO_BIT(VIRTIO_F_VERSION_1);
	dev->irqfd = -1;
	pthread_mutex_init(&dev->lock, NULL);
	for (unsigned i = 0; i < num_queues; i++)
		vq_init(&dev->queues[i], dev, i, max);
	return 0;
}

void vdev_destroy(struct vdev *dev)
{
	if (!dev->queues)
		return;
	for (unsigned i = 0; i < dev->num_queues; i++)
		vq_destroy(&dev->queues[i]);
	free(dev->queues);
	dev->queues = NULL;
	pthread_mutex_destroy(&dev->lock);
}

void vdev_raise_irq(struct vdev *dev)
{
	uint64_t one = 1;

	if (dev->irqfd < 0)
		return;
	/* An eventfd counter cannot realistically saturate; EAGAIN means "already pending". */
	if (write(dev->irqfd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		log_warn_once("%s: raising interrupt failed: %m", dev->ops->name);
}

bool vdev_signal_used(struct vdev *dev, struct virtqueue *vq)
{
	if (!vq_needs_signal(vq))
		return false;
	__atomic_fetch_or(&dev->isr, VIRTIO_MMIO_INT_VRING, __ATOMIC_SEQ_CST);
	vdev_raise_irq(dev);
	return true;
}

void vdev_signal_config(struct vdev *dev)
{
	__atomic_fetch_add(&dev->config_generation, 1, __ATOMIC_SEQ_CST);
	__atomic_fetch_or(&dev->isr, VIRTIO_MMIO_INT_CONFIG, __ATOMIC_SEQ_CST);
	vdev_raise_irq(dev);
}

void vdev_set_needs_reset(struct vdev *dev)
{
	uint32_t old = __atomic_fetch_or(&dev->status, VIRTIO_CONFIG_S_NEEDS_RESET,
					 __ATOMIC_SEQ_CST);

	log_warn_once("%s: device needs reset", dev->ops->name);
	/* §2.1.2: once DRIVER_OK is set, NEEDS_RESET comes with a config change notification. */
	if (old & VIRTIO_CONFIG_S_DRIVER_OK) {
		__atomic_fetch_or(&dev->isr, VIRTIO_MMIO_INT_CONFIG, __ATOMIC_SEQ_CST);
		vdev_raise_irq(dev);
	}
}

void vdev_reset_locked(struct vdev *dev)
{
	if (dev->ops->reset)
		dev->ops->reset(dev);
	for (unsigned i = 0; i < dev->num_queues; i++)
		vq_reset(&dev->queues[i]);
	dev->driver_features = 0;
	__atomic_store_n(&dev->isr, 0, __ATOMIC_SEQ_CST);
	__atomic_store_n(&dev->status, 0, __ATOMIC_SEQ_CST);
}
