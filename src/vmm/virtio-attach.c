/* src/vmm/virtio-attach.c: puts a virtio device on the MMIO bus: slot, ioeventfd per queue, irqfd, cmdline token. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "util/log.h"
#include "virtio/transport-mmio.h"
#include "vmm/vmm-internal.h"
#include "vmm/x86_64/layout.h"

struct vq_kick {
	struct vdev *dev;
	unsigned q;
};

static void vmmio_bus_read(void *opaque, uint64_t off, void *data, unsigned len)
{
	vmmio_read(opaque, off, data, len);
}

static void vmmio_bus_write(void *opaque, uint64_t off, const void *data, unsigned len)
{
	vmmio_write(opaque, off, data, len);
}

/* Event loop: a queue's ioeventfd fired. */
static void vq_kicked(void *opaque, int fd, uint32_t events)
{
	struct vq_kick *k = opaque;
	uint64_t n;

	if (read(fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		log_warn_once("virtio: reading a queue eventfd: %s", strerror(errno));
	if (k->dev->ops->notify)
		k->dev->ops->notify(k->dev, k->q);
}

static int attach_queue(struct vmm *v, struct vdev *dev, uint64_t base, unsigned q)
{
	struct vq_kick *k = calloc(1, sizeof(*k));
	int fd, ret;

	if (!k)
		return -ENOMEM;
	fd = vmm_own_fd(v, eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
	if (fd < 0) {
		free(k);
		return -errno;
	}
	*k = (struct vq_kick){ .dev = dev, .q = q };
	ret = vm_ioeventfd(&v->vm, base + VMMIO_NOTIFY_OFF, 4, q, fd);
	if (!ret)
		ret = ev_add(&v->vm.loop, fd, EPOLLIN, vq_kicked, k);
	if (ret) {
		free(k); /* fd is closed with the other owned fds */
		return ret;
	}
	dev->queues[q].kick_fd = fd;
	return 0;
}

int vmm_attach_virtio(struct vmm *v, struct vdev *dev)
{
	unsigned slot = v->next_mmio_slot;
	uint64_t base = VIRTIO_MMIO_BASE + slot * VIRTIO_MMIO_SLOT;
	unsigned irq = VIRTIO_IRQ_BASE + slot;
	struct bus_handler h;
	struct vmmio *t;
	char token[64];
	int ret;

	if (irq > VIRTIO_IRQ_MAX) {
		log_err("vmm: too many virtio devices (at most %d)", VIRTIO_IRQ_MAX - VIRTIO_IRQ_BASE + 1);
		return -ENOSPC;
	}
	ret = vmmio_create(dev, base, irq, &t);
	if (ret)
		return ret;
	h = (struct bus_handler){
		.base = base, .len = VMMIO_SIZE,
		.read = vmmio_bus_read, .write = vmmio_bus_write, .opaque = t,
	};
	ret = bus_register(&v->vm.mmio, &h);
	if (ret)
		return ret;
	dev->irqfd = vmm_own_fd(v, eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
	if (dev->irqfd < 0)
		return -errno;
	ret = vm_irqfd(&v->vm, dev->irqfd, irq);
	for (unsigned q = 0; !ret && q < dev->num_queues; q++)
		ret = attach_queue(v, dev, base, q);
	if (ret) {
		log_err("vmm: wiring %s: %s", dev->ops->name, strerror(-ret));
		return ret;
	}
	if (vmmio_cmdline(t, token, sizeof(token)) < 0)
		return -EINVAL;
	cmdline_add(&v->devices, token);
	v->next_mmio_slot++;
	log_debug("vmm: %s at 0x%llx irq %u", dev->ops->name, (unsigned long long)base, irq);
	return 0;
}
