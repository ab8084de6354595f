/* src/virtio/virtqueue.c: split virtqueue; every descriptor/ring index a driver writes is checked here. */
#include "virtio/virtqueue.h"

#include <errno.h>
#include <string.h>

#include "util/log.h"
#include "virtio/virtio.h"

/*
 * Guest-shared ring fields are read and written with atomics: the guest
 * changes them concurrently, and the compiler must neither re-read a value we
 * already validated nor tear a store the guest reads.
 */
#define RING_LOAD(p) __atomic_load_n((p), __ATOMIC_RELAXED)
#define RING_STORE(p, v) __atomic_store_n((p), (v), __ATOMIC_RELAXED)

static const char *vq_name(const struct virtqueue *vq)
{
	return vq->dev && vq->dev->ops && vq->dev->ops->name ? vq->dev->ops->name : "virtio";
}

void vq_init(struct virtqueue *vq, struct vdev *dev, unsigned index, uint16_t max_size)
{
	memset(vq, 0, sizeof(*vq));
	vq->dev = dev;
	vq->index = index;
	vq->max_size = max_size;
	vq->kick_fd = -1;
	pthread_mutex_init(&vq->lock, NULL);
}

void vq_destroy(struct virtqueue *vq)
{
	pthread_mutex_destroy(&vq->lock);
}

/* Forget the rings; lock held. */
static void vq_clear_locked(struct virtqueue *vq)
{
	vq->ready = false;
	vq->desc = NULL;
	vq->avail = NULL;
	vq->used = NULL;
	vq->event_idx = false;
	vq->indirect = false;
	vq->last_avail_idx = 0;
	vq->used_idx = 0;
	vq->signalled_used = 0;
	vq->broken = false;
	/* Chains popped before this point must never reach the next ring. */
	vq->gen++;
}

void vq_reset(struct virtqueue *vq)
{
	pthread_mutex_lock(&vq->lock);
	vq_clear_locked(vq);
	vq->size = 0;
	vq->desc_gpa = 0;
	vq->avail_gpa = 0;
	vq->used_gpa = 0;
	pthread_mutex_unlock(&vq->lock);
}

void vq_disable(struct virtqueue *vq)
{
	pthread_mutex_lock(&vq->lock);
	vq_clear_locked(vq);
	pthread_mutex_unlock(&vq->lock);
}

/* Sizes and alignments of the three areas: virtio 1.2 §2.7 ("Virtqueue Part Alignment Size"). */
static int vq_map_rings(struct virtqueue *vq, const struct guest_mem *mem)
{
	uint64_t n = vq->size;

	if (vq->desc_gpa % 16 || vq->avail_gpa % 2 || vq->used_gpa % 4)
		return -EINVAL;
	vq->desc = gmem_ptr(mem, vq->desc_gpa, 16 * n);
	vq->avail = gmem_ptr(mem, vq->avail_gpa, 6 + 2 * n);
	vq->used = gmem_ptr(mem, vq->used_gpa, 6 + 8 * n);
	if (!vq->desc || !vq->avail || !vq->used)
		return -EFAULT;
	return 0;
}

int vq_enable(struct virtqueue *vq, const struct guest_mem *mem, uint64_t features)
{
	int ret;

	pthread_mutex_lock(&vq->lock);
	vq_clear_locked(vq);
	if (!vq->size || vq->size > vq->max_size || (vq->size & (vq->size - 1))) {
		ret = -EINVAL;
		goto out;
	}
	ret = vq_map_rings(vq, mem);
	if (ret < 0) {
		vq->desc = NULL;
		vq->avail = NULL;
		vq->used = NULL;
		goto out;
	}
	vq->event_idx = features & (1ULL << VIRTIO_RING_F_EVENT_IDX);
	vq->indirect = features & (1ULL << VIRTIO_RING_F_INDIRECT_DESC);
	vq->ready = true;
out:
	pthread_mutex_unlock(&vq->lock);
	return ret;
}

/* used_event lives after avail.ring[size]; avail_event after used.ring[size] (§2.7.10). */
static uint16_t *vq_used_event(struct virtqueue *vq)
{
	return &vq->avail->ring[vq->size];
}

static uint16_t *vq_avail_event(struct virtqueue *vq)
{
	return (uint16_t *)&vq->used->ring[vq->size];
}

/* A descriptor copied out of guest memory once; validation works on this copy only. */
struct vq_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

static void vq_read_desc(const struct vring_desc *table, unsigned i, struct vq_desc *d)
{
	struct vring_desc raw;

	/* memcpy: indirect tables need not be 8-byte aligned. The barrier pins the copy. */
	memcpy(&raw, &table[i], sizeof(raw));
	__asm__ __volatile__("" ::: "memory");
	d->addr = raw.addr;
	d->len = raw.len;
	d->flags = raw.flags;
	d->next = raw.next;
}

/* Bytes of [gpa, ...) that lie in the VMM-accessible region containing gpa, or 0. */
static uint64_t vq_region_left(const struct guest_mem *mem, gpa_t gpa)
{
	for (int i = 0; i < mem->nr_regions; i++) {
		const struct gmem_region *r = &mem->regions[i];

		if (gpa >= r->gpa && gpa - r->gpa < r->size)
			return (r->flags & GMEM_F_NO_VMM) ? 0 : r->size - (gpa - r->gpa);
	}
	return 0;
}

/*
 * Append guest range (gpa, len) to the chain as host iovecs. A range that runs
 * from one region straight into an adjacent one becomes two iovecs; each piece
 * still goes through gmem_ptr(). Appends at iov[nr_out + nr_in] and bumps (*count).
 */
static int vq_add_range(const struct guest_mem *mem, struct vq_chain *c, gpa_t gpa,
			uint32_t len, unsigned *count)
{
	gpa_t end;

	if (__builtin_add_overflow(gpa, (uint64_t)len, &end))
		return -EOVERFLOW;
	while (len) {
		uint64_t piece = vq_region_left(mem, gpa);
		void *p;

		if (!piece)
			return -EFAULT;
		if (piece > len)
			piece = len;
		p = gmem_ptr(mem, gpa, piece);
		if (!p)
			return -EFAULT;
		if (c->nr_out + c->nr_in >= VQ_MAX_IOV)
			return -E2BIG;
		c->iov[c->nr_out + c->nr_in] = (struct iovec){ .iov_base = p, .iov_len = piece };
		gpa += piece;
		len -= piece;
		/* (count) is nr_out or nr_in: readable iovecs only arrive while nr_in == 0. */
		(*count)++;
	}
	return 0;
}

/* Switch into an indirect table described by (d) (§2.7.5.3). */
static int vq_enter_indirect(struct virtqueue *vq, const struct vq_desc *d,
			     const struct vring_desc **table, unsigned *table_size)
{
	if (!vq->indirect)
		return -EINVAL;
	if (d->flags & VRING_DESC_F_NEXT)
		return -EINVAL;
	if (!d->len || d->len % sizeof(struct vring_desc) ||
	    d->len / sizeof(struct vring_desc) > VQ_MAX_IOV)
		return -EINVAL;
	*table = gmem_ptr(vq->dev->mem, d->addr, d->len);
	if (!*table)
		return -EFAULT;
	*table_size = d->len / sizeof(struct vring_desc);
	return 0;
}

/* Add one (non-indirect) descriptor to the chain, keeping readable parts before writable ones. */
static int vq_add_desc(struct virtqueue *vq, struct vq_chain *c, const struct vq_desc *d,
		       bool *seen_write, uint64_t *total)
{
	bool write = d->flags & VRING_DESC_F_WRITE;
	int ret;

	if (write)
		*seen_write = true;
	else if (*seen_write)
		return -EINVAL;	/* readable after writable: §2.7.4.2 */
	*total += d->len;
	if (*total > UINT32_MAX)
		return -EOVERFLOW;
	ret = vq_add_range(vq->dev->mem, c, d->addr, d->len, write ? &c->nr_in : &c->nr_out);
	if (ret < 0)
		return ret;
	if (write)
		c->in_len += d->len;
	else
		c->out_len += d->len;
	return 0;
}

/*
 * Walk the chain starting at (head) (already < size). Bounded: at most
 * size + VQ_MAX_IOV descriptors are read (one pass of each table).
 */
static int vq_walk(struct virtqueue *vq, uint16_t head, struct vq_chain *c)
{
	const struct vring_desc *table = vq->desc;
	unsigned table_size = vq->size, hops = 0, i = head;
	bool in_indirect = false, seen_write = false;
	uint64_t total = 0;
	struct vq_desc d;
	int ret;

	c->nr_out = c->nr_in = 0;
	c->out_len = c->in_len = 0;
	for (;;) {
		/* More hops than entries in this table means a cycle in next. */
		if (++hops > table_size)
			return -ELOOP;
		vq_read_desc(table, i, &d);
		if (d.flags & VRING_DESC_F_INDIRECT) {
			if (in_indirect)
				return -EINVAL;	/* nested indirect: §2.7.5.3.1 */
			ret = vq_enter_indirect(vq, &d, &table, &table_size);
			if (ret < 0)
				return ret;
			in_indirect = true;
			hops = 0;
			i = 0;
			continue;
		}
		ret = vq_add_desc(vq, c, &d, &seen_write, &total);
		if (ret < 0)
			return ret;
		if (!(d.flags & VRING_DESC_F_NEXT))
			return 0;
		if (d.next >= table_size)
			return -ERANGE;
		i = d.next;
	}
}

/* Append a used element and publish it; lock held. */
static void vq_push_locked(struct virtqueue *vq, uint16_t head, uint32_t len)
{
	struct vring_used_elem *e = &vq->used->ring[vq->used_idx % vq->size];

	RING_STORE(&e->id, head);
	RING_STORE(&e->len, len);
	vq->used_idx++;
	/* Release: the element must be visible before the index that exposes it. */
	__atomic_store_n(&vq->used->idx, vq->used_idx, __ATOMIC_RELEASE);
}

static void vq_mark_broken(struct virtqueue *vq, const char *why)
{
	log_warn_once("%s: queue %u: %s, driver confused?", vq_name(vq), vq->index, why);
	vq->broken = true;
}

/*
 * Fetch avail->idx (acquire: ring entries and descriptors written before it
 * are then visible). With EVENT_IDX and an empty ring, publish avail_event and
 * look again, so a buffer added meanwhile is not missed (§2.7.10).
 */
static uint16_t vq_avail_idx(struct virtqueue *vq)
{
	uint16_t idx = __atomic_load_n(&vq->avail->idx, __ATOMIC_ACQUIRE);

	if (idx != vq->last_avail_idx || !vq->event_idx)
		return idx;
	RING_STORE(vq_avail_event(vq), vq->last_avail_idx);
	/* Store avail_event before re-reading avail->idx (store-load order). */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return __atomic_load_n(&vq->avail->idx, __ATOMIC_ACQUIRE);
}

static const char *vq_strerror(int err)
{
	switch (err) {
	case -ELOOP: return "descriptor loop";
	case -ERANGE: return "descriptor next out of range";
	case -EFAULT: return "buffer outside guest memory";
	case -EOVERFLOW: return "buffer length overflow";
	case -E2BIG: return "descriptor chain too long";
	default: return "malformed descriptor (flags/order/indirect)";
	}
}

static int vq_pop_locked(struct virtqueue *vq, struct vq_chain *chain)
{
	uint16_t avail_idx, head;
	int ret;

	if (!vq->ready)
		return 0;
	if (vq->broken)
		return -EIO;
	avail_idx = vq_avail_idx(vq);
	if (avail_idx == vq->last_avail_idx)
		return 0;
	if ((uint16_t)(avail_idx - vq->last_avail_idx) > vq->size) {
		vq_mark_broken(vq, "avail index jumped past the queue size");
		return -EIO;
	}
	head = RING_LOAD(&vq->avail->ring[vq->last_avail_idx % vq->size]);
	if (head >= vq->size) {
		vq_mark_broken(vq, "avail ring head out of range");
		return -EIO;
	}
	vq->last_avail_idx++;
	if (vq->event_idx)
		RING_STORE(vq_avail_event(vq), vq->last_avail_idx);

	ret = vq_walk(vq, head, chain);
	if (ret < 0) {
		/* Give the descriptors back so the driver does not leak them. */
		log_warn_once("%s: queue %u: %s, driver confused?", vq_name(vq), vq->index,
			      vq_strerror(ret));
		vq_push_locked(vq, head, 0);
		return ret;
	}
	chain->head = head;
	chain->gen = vq->gen;
	return 1;
}

int vq_pop(struct virtqueue *vq, struct vq_chain *chain)
{
	bool was_broken;
	int ret;

	pthread_mutex_lock(&vq->lock);
	was_broken = vq->broken;
	ret = vq_pop_locked(vq, chain);
	pthread_mutex_unlock(&vq->lock);
	/* Outside vq->lock: it raises an interrupt. Only on the transition. */
	if (ret == -EIO && !was_broken)
		vdev_set_needs_reset(vq->dev);
	return ret;
}

void vq_push(struct virtqueue *vq, const struct vq_chain *chain, uint32_t written_len)
{
	pthread_mutex_lock(&vq->lock);
	if (vq->ready && !vq->broken && chain->gen == vq->gen && chain->head < vq->size)
		vq_push_locked(vq, chain->head, written_len > chain->in_len ?
				chain->in_len : written_len);
	pthread_mutex_unlock(&vq->lock);
}

void vq_unpop(struct virtqueue *vq, const struct vq_chain *chain)
{
	pthread_mutex_lock(&vq->lock);
	if (vq->ready && chain->gen == vq->gen)
		vq->last_avail_idx--;
	pthread_mutex_unlock(&vq->lock);
}

bool vq_needs_signal(struct virtqueue *vq)
{
	uint16_t old, new;
	bool need = false;

	pthread_mutex_lock(&vq->lock);
	if (!vq->ready)
		goto out;
	/* used->idx store must be visible before we read the driver's suppression state. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	old = vq->signalled_used;
	new = vq->used_idx;
	vq->signalled_used = new;
	if (old == new)
		goto out;
	if (vq->event_idx)
		need = vring_need_event(RING_LOAD(vq_used_event(vq)), new, old);
	else
		need = !(RING_LOAD(&vq->avail->flags) & VRING_AVAIL_F_NO_INTERRUPT);
out:
	pthread_mutex_unlock(&vq->lock);
	return need;
}

bool vq_has_avail(struct virtqueue *vq)
{
	bool ret;

	pthread_mutex_lock(&vq->lock);
	ret = vq->ready && !vq->broken &&
	      __atomic_load_n(&vq->avail->idx, __ATOMIC_ACQUIRE) != vq->last_avail_idx;
	pthread_mutex_unlock(&vq->lock);
	return ret;
}

/* Copy between (buf) and iovecs [first, first + n) starting at byte (off). */
static size_t vq_iov_copy(const struct iovec *iov, unsigned n, size_t off, void *buf,
			  size_t len, bool to_iov)
{
	size_t done = 0;

	for (unsigned i = 0; i < n && done < len; i++) {
		size_t chunk;

		if (off >= iov[i].iov_len) {
			off -= iov[i].iov_len;
			continue;
		}
		chunk = iov[i].iov_len - off;
		if (chunk > len - done)
			chunk = len - done;
		if (to_iov)
			memcpy((char *)iov[i].iov_base + off, (char *)buf + done, chunk);
		else
			memcpy((char *)buf + done, (char *)iov[i].iov_base + off, chunk);
		done += chunk;
		off = 0;
	}
	return done;
}

size_t vq_chain_read(const struct vq_chain *c, size_t off, void *buf, size_t len)
{
	return vq_iov_copy(c->iov, c->nr_out, off, buf, len, false);
}

size_t vq_chain_write(const struct vq_chain *c, size_t off, const void *buf, size_t len)
{
	return vq_iov_copy(c->iov + c->nr_out, c->nr_in, off, (void *)buf, len, true);
}

bool vq_next(struct virtqueue *vq, struct vq_chain *chain)
{
	int ret;

	while ((ret = vq_pop(vq, chain)) < 0 && ret != -EIO)
		;
	return ret > 0;
}
