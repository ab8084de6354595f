/* src/devices/virtio-rng.c: virtio entropy device; fills each writable buffer from getrandom() on the event-loop thread. */
#include "devices/virtio-devices.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/syscall.h>

#include "sandbox/lists.h"
#include "util/log.h"

#define VTRNG_QUEUE_SIZE 256

struct vtrng {
	struct vdev vdev;	/* first: container_of */
	struct vq_chain chain;	/* one chain at a time, on the loop thread */
};

/* Fill the chain's writable part; returns bytes written. */
static uint32_t vtrng_fill(struct vq_chain *c)
{
	struct iovec *iov = vq_chain_in(c);
	uint32_t done = 0;

	for (unsigned i = 0; i < c->nr_in; i++) {
		size_t off = 0;

		while (off < iov[i].iov_len) {
			ssize_t n = getrandom((char *)iov[i].iov_base + off, iov[i].iov_len - off, 0);

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				log_warn_once("virtio-rng: getrandom failed: %s", strerror(errno));
				return done;
			}
			off += n;
			done += n;
		}
	}
	return done;
}

static void vtrng_notify(struct vdev *dev, unsigned q)
{
	struct vtrng *r = container_of(dev, struct vtrng, vdev);
	struct virtqueue *vq = &dev->queues[0];

	while (vq_next(vq, &r->chain)) {
		vq_push(vq, &r->chain, vtrng_fill(&r->chain));
	}
	vdev_signal_used(dev, vq);
}

static const struct vdev_ops vtrng_ops = {
	.name = "virtio-rng",
	.device_id = VIRTIO_ID_RNG,
	.num_queues = 1,
	.queue_max_size = VTRNG_QUEUE_SIZE,
	.features = VIRTIO_BIT(VIRTIO_RING_F_EVENT_IDX),
	.notify = vtrng_notify,
};

int vtrng_create(struct guest_mem *mem, struct vdev **out)
{
	struct vtrng *r = calloc(1, sizeof(*r));
	int ret;

	if (!r)
		return -ENOMEM;
	ret = vdev_init(&r->vdev, &vtrng_ops, mem, 0);
	if (ret) {
		free(r);
		return ret;
	}
	*out = &r->vdev;
	return 0;
}

/* Sandbox (x86_64): Entropy for the guest. */
#ifdef __x86_64__
static const int rng_sbx_syscalls[] = {
	__NR_getrandom,
};
const struct sbx_list rng_sbx = SBX_SYSCALLS("rng", rng_sbx_syscalls);
#else
const struct sbx_list rng_sbx = { .name = "rng" };
#endif
