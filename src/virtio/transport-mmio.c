/* src/virtio/transport-mmio.c: virtio-mmio v2 registers + status/feature state machine (1.2 §4.2). */
#include "virtio/transport-mmio.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/log.h"

/* What a register write asks the caller to do once dev->lock is dropped. */
struct vmmio_after {
	int notify_q;		/* queue to kick, or -1 */
	bool activated;		/* DRIVER_OK accepted: kick every ready queue once */
};

int vmmio_create(struct vdev *dev, uint64_t base_gpa, unsigned irq, struct vmmio **out)
{
	struct vmmio *t;

	if (!dev || !dev->ops || !dev->queues || base_gpa % VMMIO_SIZE)
		return -EINVAL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->dev = dev;
	t->base = base_gpa;
	t->irq = irq;
	*out = t;
	return 0;
}

void vmmio_destroy(struct vmmio *t)
{
	free(t);
}

int vmmio_cmdline(const struct vmmio *t, char *buf, size_t size)
{
	int n = snprintf(buf, size, "virtio_mmio.device=4K@0x%" PRIx64 ":%u", t->base, t->irq);

	if (n < 0 || (size_t)n >= size)
		return -ENOSPC;
	return n;
}

static struct virtqueue *vmmio_cur_queue(struct vmmio *t)
{
	return t->queue_sel < t->dev->num_queues ? &t->dev->queues[t->queue_sel] : NULL;
}

/* Shared memory region (shm_sel) as (base, len); len ~0 means "no such region" (§4.2.2). */
static void vmmio_shm(struct vmmio *t, uint64_t *base, uint64_t *len)
{
	struct vdev *dev = t->dev;

	*base = 0;
	*len = ~0ULL;
	if (dev->ops->get_shm && dev->ops->get_shm(dev, t->shm_sel, base, len) < 0) {
		*base = 0;
		*len = ~0ULL;
	}
}

static uint32_t vmmio_queue_reg(struct virtqueue *vq, uint64_t off)
{
	switch (off) {
	case VIRTIO_MMIO_QUEUE_NUM_MAX: return vq->max_size;
	case VIRTIO_MMIO_QUEUE_NUM: return vq->size;
	case VIRTIO_MMIO_QUEUE_READY: return vq->ready;
	case VIRTIO_MMIO_QUEUE_DESC_LOW: return (uint32_t)vq->desc_gpa;
	case VIRTIO_MMIO_QUEUE_DESC_HIGH: return vq->desc_gpa >> 32;
	case VIRTIO_MMIO_QUEUE_AVAIL_LOW: return (uint32_t)vq->avail_gpa;
	case VIRTIO_MMIO_QUEUE_AVAIL_HIGH: return vq->avail_gpa >> 32;
	case VIRTIO_MMIO_QUEUE_USED_LOW: return (uint32_t)vq->used_gpa;
	case VIRTIO_MMIO_QUEUE_USED_HIGH: return vq->used_gpa >> 32;
	}
	return 0;
}

/* Register read; dev->lock held. Write-only and unknown registers read 0. */
static uint32_t vmmio_reg_read(struct vmmio *t, uint64_t off)
{
	struct vdev *dev = t->dev;
	struct virtqueue *vq;
	uint64_t base, len;

	switch (off) {
	case VIRTIO_MMIO_MAGIC_VALUE: return VMMIO_MAGIC;
	case VIRTIO_MMIO_VERSION: return VMMIO_VERSION;
	case VIRTIO_MMIO_DEVICE_ID: return dev->ops->device_id;
	case VIRTIO_MMIO_VENDOR_ID: return VMMIO_VENDOR_ID;
	case VIRTIO_MMIO_DEVICE_FEATURES:
		if (t->dev_features_sel > 1)
			return 0;
		return dev->host_features >> (32 * t->dev_features_sel);
	case VIRTIO_MMIO_QUEUE_SEL: return t->queue_sel;
	case VIRTIO_MMIO_QUEUE_NUM_MAX:
	case VIRTIO_MMIO_QUEUE_NUM:
	case VIRTIO_MMIO_QUEUE_READY:
	case VIRTIO_MMIO_QUEUE_DESC_LOW:
	case VIRTIO_MMIO_QUEUE_DESC_HIGH:
	case VIRTIO_MMIO_QUEUE_AVAIL_LOW:
	case VIRTIO_MMIO_QUEUE_AVAIL_HIGH:
	case VIRTIO_MMIO_QUEUE_USED_LOW:
	case VIRTIO_MMIO_QUEUE_USED_HIGH:
		vq = vmmio_cur_queue(t);
		return vq ? vmmio_queue_reg(vq, off) : 0;
	case VIRTIO_MMIO_INTERRUPT_STATUS: return __atomic_load_n(&dev->isr, __ATOMIC_SEQ_CST);
	case VIRTIO_MMIO_STATUS: return vdev_status(dev);
	case VIRTIO_MMIO_SHM_SEL: return t->shm_sel;
	case VIRTIO_MMIO_SHM_LEN_LOW:
	case VIRTIO_MMIO_SHM_LEN_HIGH:
	case VIRTIO_MMIO_SHM_BASE_LOW:
	case VIRTIO_MMIO_SHM_BASE_HIGH:
		vmmio_shm(t, &base, &len);
		if (off == VIRTIO_MMIO_SHM_LEN_LOW)
			return (uint32_t)len;
		if (off == VIRTIO_MMIO_SHM_LEN_HIGH)
			return len >> 32;
		if (off == VIRTIO_MMIO_SHM_BASE_LOW)
			return (uint32_t)base;
		return base >> 32;
	case VIRTIO_MMIO_CONFIG_GENERATION:
		return __atomic_load_n(&dev->config_generation, __ATOMIC_SEQ_CST);
	}
	return 0;
}

/* Acceptable feature set: a subset of what we offered, and modern (§2.2, §4.2.4). */
static bool vmmio_features_ok(const struct vdev *dev)
{
	if (dev->driver_features & ~dev->host_features) {
		log_warn_once("%s: driver accepted features 0x%" PRIx64 " that were not offered",
			      dev->ops->name, dev->driver_features & ~dev->host_features);
		return false;
	}
	if (!(dev->driver_features & VIRTIO_BIT(VIRTIO_F_VERSION_1))) {
		log_warn_once("%s: driver did not accept VIRTIO_F_VERSION_1", dev->ops->name);
		return false;
	}
	return true;
}

static void vmmio_activate(struct vmmio *t, struct vmmio_after *after)
{
	struct vdev *dev = t->dev;
	int ret = 0;

	if (dev->ops->activate)
		ret = dev->ops->activate(dev);
	if (ret < 0) {
		log_warn("%s: activation failed: %s", dev->ops->name, strerror(-ret));
		vdev_set_needs_reset(dev);
		return;
	}
	after->activated = true;
}

/*
 * Status write (§3.1.1, §2.1). 0 resets. Otherwise the driver may only add
 * bits; FEATURES_OK is refused (left clear, the driver re-reads it) when the
 * features are unacceptable; DRIVER_OK needs FEATURES_OK and activates.
 * DEVICE_NEEDS_RESET belongs to the device and survives driver writes.
 */
static void vmmio_write_status(struct vmmio *t, uint32_t val, struct vmmio_after *after)
{
	const uint32_t keep = VIRTIO_CONFIG_S_NEEDS_RESET;
	struct vdev *dev = t->dev;
	uint32_t old = vdev_status(dev), new;

	if (!val) {
		vdev_reset_locked(dev);
		t->dev_features_sel = t->drv_features_sel = t->queue_sel = t->shm_sel = 0;
		return;
	}
	new = (val & 0xff & ~keep) | (old & keep);
	if (old & ~keep & ~new) {
		log_warn_once("%s: driver cleared status bits without reset (0x%x -> 0x%x)",
			      dev->ops->name, old, val);
		return;
	}
	if ((new & VIRTIO_CONFIG_S_FEATURES_OK) && !(old & VIRTIO_CONFIG_S_FEATURES_OK) &&
	    !vmmio_features_ok(dev))
		new &= ~VIRTIO_CONFIG_S_FEATURES_OK;
	if ((new & VIRTIO_CONFIG_S_DRIVER_OK) && !(old & VIRTIO_CONFIG_S_DRIVER_OK) &&
	    !(new & VIRTIO_CONFIG_S_FEATURES_OK)) {
		log_warn_once("%s: DRIVER_OK without FEATURES_OK, ignored", dev->ops->name);
		new &= ~VIRTIO_CONFIG_S_DRIVER_OK;
	}
	/* OR, not store: a device thread may set NEEDS_RESET concurrently. */
	__atomic_fetch_or(&dev->status, new, __ATOMIC_SEQ_CST);
	if ((new & VIRTIO_CONFIG_S_DRIVER_OK) && !(old & VIRTIO_CONFIG_S_DRIVER_OK))
		vmmio_activate(t, after);
}

static void vmmio_write_features(struct vmmio *t, uint32_t val)
{
	struct vdev *dev = t->dev;
	uint64_t mask;

	/* §2.2.2: features are frozen once FEATURES_OK is set. */
	if (vdev_status(dev) & VIRTIO_CONFIG_S_FEATURES_OK) {
		log_warn_once("%s: DriverFeatures written after FEATURES_OK, ignored",
			      dev->ops->name);
		return;
	}
	if (t->drv_features_sel > 1)
		return;
	mask = 0xffffffffULL << (32 * t->drv_features_sel);
	dev->driver_features = (dev->driver_features & ~mask) |
			       ((uint64_t)val << (32 * t->drv_features_sel));
}

static void vmmio_set_half(gpa_t *gpa, uint32_t val, bool high)
{
	if (high)
		*gpa = (*gpa & 0xffffffffULL) | ((uint64_t)val << 32);
	else
		*gpa = (*gpa & ~0xffffffffULL) | val;
}

/*
 * QueueReady = 1: validate size and ring addresses now, so a device never sees
 * a ring outside guest RAM. A bad queue stays not ready (QueueReady reads 0)
 * and the device is marked DEVICE_NEEDS_RESET.
 */
static void vmmio_queue_ready(struct vmmio *t, struct virtqueue *vq, uint32_t val)
{
	struct vdev *dev = t->dev;
	int ret;

	if (!val) {
		vq_disable(vq);
		return;
	}
	if (vq->ready)
		return;
	if (!(vdev_status(dev) & VIRTIO_CONFIG_S_FEATURES_OK)) {
		log_warn_once("%s: QueueReady before FEATURES_OK, ignored", dev->ops->name);
		return;
	}
	ret = vq_enable(vq, dev->mem, dev->driver_features);
	if (ret < 0) {
		log_warn_once("%s: queue %u: bad %s (size %u, desc 0x%" PRIx64 " avail 0x%" PRIx64
			      " used 0x%" PRIx64 "), driver confused?", dev->ops->name,
			      vq->index, ret == -EFAULT ? "ring address" : "size/alignment",
			      vq->size, vq->desc_gpa, vq->avail_gpa, vq->used_gpa);
		vdev_set_needs_reset(dev);
	}
}

/* Writes to the selected queue's layout registers; ignored while the queue is ready (§4.2.2.2). */
static void vmmio_write_queue(struct vmmio *t, uint64_t off, uint32_t val)
{
	struct virtqueue *vq = vmmio_cur_queue(t);

	if (!vq)
		return;
	if (off == VIRTIO_MMIO_QUEUE_READY) {
		vmmio_queue_ready(t, vq, val);
		return;
	}
	if (vq->ready) {
		log_warn_once("%s: queue %u layout written while ready, ignored",
			      t->dev->ops->name, vq->index);
		return;
	}
	pthread_mutex_lock(&vq->lock);
	switch (off) {
	case VIRTIO_MMIO_QUEUE_NUM:
		/* Out-of-range sizes are stored as 0 and refused at QueueReady. */
		vq->size = val <= VQ_MAX_SIZE ? val : 0;
		break;
	case VIRTIO_MMIO_QUEUE_DESC_LOW:
	case VIRTIO_MMIO_QUEUE_DESC_HIGH:
		vmmio_set_half(&vq->desc_gpa, val, off == VIRTIO_MMIO_QUEUE_DESC_HIGH);
		break;
	case VIRTIO_MMIO_QUEUE_AVAIL_LOW:
	case VIRTIO_MMIO_QUEUE_AVAIL_HIGH:
		vmmio_set_half(&vq->avail_gpa, val, off == VIRTIO_MMIO_QUEUE_AVAIL_HIGH);
		break;
	case VIRTIO_MMIO_QUEUE_USED_LOW:
	case VIRTIO_MMIO_QUEUE_USED_HIGH:
		vmmio_set_half(&vq->used_gpa, val, off == VIRTIO_MMIO_QUEUE_USED_HIGH);
		break;
	}
	pthread_mutex_unlock(&vq->lock);
}

/* Register write; dev->lock held. Anything needing the device's thread goes to (after). */
static void vmmio_reg_write(struct vmmio *t, uint64_t off, uint32_t val, struct vmmio_after *after)
{
	struct vdev *dev = t->dev;

	switch (off) {
	case VIRTIO_MMIO_DEVICE_FEATURES_SEL: t->dev_features_sel = val; return;
	case VIRTIO_MMIO_DRIVER_FEATURES_SEL: t->drv_features_sel = val; return;
	case VIRTIO_MMIO_DRIVER_FEATURES: vmmio_write_features(t, val); return;
	case VIRTIO_MMIO_QUEUE_SEL: t->queue_sel = val; return;
	case VIRTIO_MMIO_SHM_SEL: t->shm_sel = val; return;
	case VIRTIO_MMIO_STATUS: vmmio_write_status(t, val, after); return;
	case VIRTIO_MMIO_INTERRUPT_ACK:
		__atomic_fetch_and(&dev->isr, ~val, __ATOMIC_SEQ_CST);
		return;
	case VIRTIO_MMIO_QUEUE_NOTIFY:
		/* Kicks before DRIVER_OK are dropped: activation kicks every queue once. */
		if (val < dev->num_queues && (vdev_status(dev) & VIRTIO_CONFIG_S_DRIVER_OK))
			after->notify_q = val;
		return;
	case VIRTIO_MMIO_QUEUE_NUM:
	case VIRTIO_MMIO_QUEUE_READY:
	case VIRTIO_MMIO_QUEUE_DESC_LOW:
	case VIRTIO_MMIO_QUEUE_DESC_HIGH:
	case VIRTIO_MMIO_QUEUE_AVAIL_LOW:
	case VIRTIO_MMIO_QUEUE_AVAIL_HIGH:
	case VIRTIO_MMIO_QUEUE_USED_LOW:
	case VIRTIO_MMIO_QUEUE_USED_HIGH:
		vmmio_write_queue(t, off, val);
		return;
	}
	log_warn_once("%s: write to read-only/unknown register 0x%" PRIx64 " ignored",
		      dev->ops->name, off);
}

/* Deliver a kick: through the queue's ioeventfd when there is one (keeps one thread per device). */
static void vmmio_kick(struct vdev *dev, unsigned q)
{
	struct virtqueue *vq = &dev->queues[q];
	uint64_t one = 1;

	if (vq->kick_fd >= 0) {
		if (write(vq->kick_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
			log_warn_once("%s: kick eventfd write failed: %m", dev->ops->name);
		return;
	}
	if (dev->ops->notify)
		dev->ops->notify(dev, q);
}

static void vmmio_run_after(struct vmmio *t, const struct vmmio_after *after)
{
	struct vdev *dev = t->dev;

	if (after->activated) {
		for (unsigned q = 0; q < dev->num_queues; q++)
			if (dev->queues[q].ready)
				vmmio_kick(dev, q);
	} else if (after->notify_q >= 0) {
		vmmio_kick(dev, after->notify_q);
	}
}

static bool vmmio_config_access_ok(struct vmmio *t, uint64_t off, unsigned len, bool write)
{
	if (len != 1 && len != 2 && len != 4 && len != 8) {
		log_warn_once("%s: config access of %u bytes ignored", t->dev->ops->name, len);
		return false;
	}
	if (off > t->dev->config_size || len > t->dev->config_size - off) {
		log_warn_once("%s: config %s at 0x%" PRIx64 "+%u past its %zu bytes ignored",
			      t->dev->ops->name, write ? "write" : "read", off, len,
			      t->dev->config_size);
		return false;
	}
	return true;
}

void vmmio_read(struct vmmio *t, uint64_t offset, void *data, unsigned len)
{
	struct vdev *dev = t->dev;
	uint32_t val;

	if (len <= 8)
		memset(data, 0, len);
	if (offset >= VIRTIO_MMIO_CONFIG) {
		offset -= VIRTIO_MMIO_CONFIG;
		if (!vmmio_config_access_ok(t, offset, len, false) || !dev->ops->config_read)
			return;
		pthread_mutex_lock(&dev->lock);
		if (dev->ops->config_read(dev, offset, data, len) < 0)
			memset(data, 0, len);
		pthread_mutex_unlock(&dev->lock);
		return;
	}
	if (len != 4 || offset % 4) {
		log_warn_once("%s: register read of %u bytes at 0x%" PRIx64 " ignored",
			      dev->ops->name, len, offset);
		return;
	}
	pthread_mutex_lock(&dev->lock);
	val = vmmio_reg_read(t, offset);
	pthread_mutex_unlock(&dev->lock);
	memcpy(data, &val, sizeof(val));
}

void vmmio_write(struct vmmio *t, uint64_t offset, const void *data, unsigned len)
{
	struct vmmio_after after = { .notify_q = -1 };
	struct vdev *dev = t->dev;
	uint32_t val;

	if (offset >= VIRTIO_MMIO_CONFIG) {
		offset -= VIRTIO_MMIO_CONFIG;
		if (!vmmio_config_access_ok(t, offset, len, true) || !dev->ops->config_write)
			return;
		pthread_mutex_lock(&dev->lock);
		dev->ops->config_write(dev, offset, data, len);
		pthread_mutex_unlock(&dev->lock);
		return;
	}
	if (len != 4 || offset % 4) {
		log_warn_once("%s: register write of %u bytes at 0x%" PRIx64 " ignored",
			      dev->ops->name, len, offset);
		return;
	}
	memcpy(&val, data, sizeof(val));
	pthread_mutex_lock(&dev->lock);
	vmmio_reg_write(t, offset, val, &after);
	pthread_mutex_unlock(&dev->lock);
	/* ops->notify runs without dev->lock (see virtio.h). */
	vmmio_run_after(t, &after);
}
