/* tests/unit/test-virtqueue.c: split virtqueue against a fake guest RAM: hostile chains, EVENT_IDX. */
#include "test.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <time.h>

#include "virtio/virtio.h"

#define RAM_GPA 0x100000ULL
#define RAM_SIZE 0x100000ULL
#define QSZ 16
#define DESC_GPA (RAM_GPA + 0x0)
#define AVAIL_GPA (RAM_GPA + 0x1000)
#define USED_GPA (RAM_GPA + 0x2000)
#define BUF_GPA (RAM_GPA + 0x10000)
#define TABLE_GPA (RAM_GPA + 0x8000)

#define F_INDIRECT VIRTIO_BIT(VIRTIO_RING_F_INDIRECT_DESC)
#define F_EVENT VIRTIO_BIT(VIRTIO_RING_F_EVENT_IDX)

static const struct vdev_ops test_ops = {
	.name = "virtio-test",
	.device_id = 4,
	.num_queues = 1,
	.queue_max_size = 256,
	.features = F_INDIRECT | F_EVENT,
};

static struct guest_mem mem;
static uint8_t *ram;
static struct vdev dev;
static struct virtqueue *vq;
static struct vq_chain chain;
static struct vring_desc *desc;
static struct vring_avail *avail;
static struct vring_used *used;

static void *host(gpa_t gpa)
{
	return ram + (gpa - RAM_GPA);
}

/* Fresh RAM, device and queue 0 of size QSZ enabled with (features). */
static void setup(uint64_t features)
{
	ram = calloc(1, RAM_SIZE);
	memset(&mem, 0, sizeof(mem));
	if (!ram || gmem_add(&mem, RAM_GPA, RAM_SIZE, ram) < 0 ||
	    vdev_init(&dev, &test_ops, &mem, 0) < 0) {
		printf("  setup failed\n");
		exit(1);
	}
	vq = &dev.queues[0];
	vq->size = QSZ;
	vq->desc_gpa = DESC_GPA;
	vq->avail_gpa = AVAIL_GPA;
	vq->used_gpa = USED_GPA;
	CHECK_EQ(vq_enable(vq, &mem, features), 0);
	desc = host(DESC_GPA);
	avail = host(AVAIL_GPA);
	used = host(USED_GPA);
}

static void set_desc(struct vring_desc *t, unsigned i, uint64_t addr, uint32_t len,
		     uint16_t flags, uint16_t next)
{
	t[i] = (struct vring_desc){ .addr = addr, .len = len, .flags = flags, .next = next };
}

static void make_avail(uint16_t head)
{
	avail->ring[avail->idx % QSZ] = head;
	avail->idx++;
}

static void test_single_readable(void)
{
	setup(0);
	set_desc(desc, 0, BUF_GPA, 100, 0, 0);
	make_avail(0);
	CHECK_EQ(vq_pop(vq, &chain), 1);
	CHECK_EQ(chain.head, 0);
	CHECK_EQ(chain.nr_out, 1);
	CHECK_EQ(chain.nr_in, 0);
	CHECK_EQ(chain.out_len, 100);
	CHECK(chain.iov[0].iov_base == host(BUF_GPA));
	CHECK_EQ(chain.iov[0].iov_len, 100);
	CHECK_EQ(vq_pop(vq, &chain), 0);
	CHECK(!vq_has_avail(vq));
}

static void test_multi_with_writable_tail(void)
{
	char out[64];

	setup(0);
	memcpy(host(BUF_GPA), "0123456789", 10);
	memcpy(host(BUF_GPA + 0x100), "abcdefghijklmnopqrst", 20);
	set_desc(desc, 3, BUF_GPA, 10, VRING_DESC_F_NEXT, 5);
	set_desc(desc, 5, BUF_GPA + 0x100, 20, VRING_DESC_F_NEXT, 1);
	set_desc(desc, 1, BUF_GPA + 0x200, 30, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 2);
	set_desc(desc, 2, BUF_GPA + 0x300, 40, VRING_DESC_F_WRITE, 0);
	make_avail(3);
	CHECK_EQ(vq_pop(vq, &chain), 1);
	CHECK_EQ(chain.head, 3);
	CHECK_EQ(chain.nr_out, 2);
	CHECK_EQ(chain.nr_in, 2);
	CHECK_EQ(chain.out_len, 30);
	CHECK_EQ(chain.in_len, 70);
	CHECK(vq_chain_in(&chain)[1].iov_base == host(BUF_GPA + 0x300));
	/* Copy helpers cross iovec boundaries and stop at the end of each part. */
	CHECK_EQ(vq_chain_read(&chain, 8, out, sizeof(out)), 22);
	CHECK(!memcmp(out, "89abcdefghijklmnopqrst", 22));
	CHECK_EQ(vq_chain_write(&chain, 25, "HELLOWORLD", 10), 10);
	CHECK(!memcmp(host(BUF_GPA + 0x200 + 25), "HELLO", 5));
	CHECK(!memcmp(host(BUF_GPA + 0x300), "WORLD", 5));
	CHECK_EQ(vq_chain_write(&chain, 65, "0123456789", 10), 5);
}

/* A malformed chain is consumed, returned with len 0, and the next chain still works. */
static void expect_bad_chain(int err, uint16_t head)
{
	uint16_t used_before = used->idx;

	make_avail(head);
	CHECK_EQ(vq_pop(vq, &chain), err);
	CHECK_EQ(used->idx, (uint16_t)(used_before + 1));
	CHECK_EQ(used->ring[used_before % QSZ].id, head);
	CHECK_EQ(used->ring[used_before % QSZ].len, 0);
	CHECK(!vq->broken);
	CHECK_EQ(vq_pop(vq, &chain), 0);
}

static void test_loop(void)
{
	setup(0);
	set_desc(desc, 0, BUF_GPA, 8, VRING_DESC_F_NEXT, 1);
	set_desc(desc, 1, BUF_GPA, 8, VRING_DESC_F_NEXT, 0);
	expect_bad_chain(-ELOOP, 0);
	set_desc(desc, 4, BUF_GPA, 8, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 4);
	expect_bad_chain(-ELOOP, 4);
	/* Zero-length self loop: no iovecs, still bounded. */
	set_desc(desc, 6, 0, 0, VRING_DESC_F_NEXT, 6);
	expect_bad_chain(-ELOOP, 6);
}

static void test_next_out_of_range(void)
{
	setup(0);
	set_desc(desc, 0, BUF_GPA, 8, VRING_DESC_F_NEXT, QSZ);
	expect_bad_chain(-ERANGE, 0);
	set_desc(desc, 0, BUF_GPA, 8, VRING_DESC_F_NEXT, 0xffff);
	expect_bad_chain(-ERANGE, 0);
}

static void test_address_out_of_range(void)
{
	setup(0);
	set_desc(desc, 0, RAM_GPA + RAM_SIZE, 1, 0, 0);
	expect_bad_chain(-EFAULT, 0);
	set_desc(desc, 0, RAM_GPA + RAM_SIZE - 8, 16, VRING_DESC_F_WRITE, 0);
	expect_bad_chain(-EFAULT, 0);
	set_desc(desc, 0, 0, 16, 0, 0);
	expect_bad_chain(-EFAULT, 0);
}

static void test_address_len_wraps(void)
{
	setup(0);
	set_desc(desc, 0, UINT64_MAX - 10, 100, 0, 0);
	expect_bad_chain(-EOVERFLOW, 0);
}

static void test_length_sum_overflow(void)
{
	struct vring_desc *t;

	setup(F_INDIRECT);
	t = host(TABLE_GPA);
	set_desc(desc, 0, BUF_GPA, 16, VRING_DESC_F_NEXT, 1);
	set_desc(desc, 1, BUF_GPA, 0xffffffff, VRING_DESC_F_WRITE, 0);
	expect_bad_chain(-EOVERFLOW, 0);
	/* Same inside an indirect table, after a direct descriptor. */
	set_desc(t, 0, BUF_GPA, 0x10, VRING_DESC_F_NEXT, 1);
	set_desc(t, 1, BUF_GPA, 0xfffffff0u, VRING_DESC_F_WRITE, 0);
	set_desc(desc, 2, BUF_GPA, 1, VRING_DESC_F_NEXT, 3);
	set_desc(desc, 3, TABLE_GPA, 2 * 16, VRING_DESC_F_INDIRECT, 0);
	expect_bad_chain(-EOVERFLOW, 2);
}

static void test_writable_before_readable(void)
{
	setup(0);
	set_desc(desc, 0, BUF_GPA, 8, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 1);
	set_desc(desc, 1, BUF_GPA, 8, 0, 0);
	expect_bad_chain(-EINVAL, 0);
	/* A zero-length writable descriptor still counts. */
	set_desc(desc, 0, BUF_GPA, 0, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 1);
	expect_bad_chain(-EINVAL, 0);
}

static void test_indirect_valid(void)
{
	struct vring_desc *t;

	setup(F_INDIRECT);
	t = host(TABLE_GPA);
	set_desc(t, 0, BUF_GPA, 12, VRING_DESC_F_NEXT, 2);
	set_desc(t, 2, BUF_GPA + 0x100, 100, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 1);
	set_desc(t, 1, BUF_GPA + 0x200, 200, VRING_DESC_F_WRITE, 0);
	/* A direct readable descriptor may precede the indirect one. */
	set_desc(desc, 7, BUF_GPA + 0x400, 4, VRING_DESC_F_NEXT, 9);
	set_desc(desc, 9, TABLE_GPA, 3 * 16, VRING_DESC_F_INDIRECT, 0);
	make_avail(7);
	CHECK_EQ(vq_pop(vq, &chain), 1);
	CHECK_EQ(chain.head, 7);
	CHECK_EQ(chain.nr_out, 2);
	CHECK_EQ(chain.nr_in, 2);
	CHECK_EQ(chain.out_len, 16);
	CHECK_EQ(chain.in_len, 300);
	CHECK(chain.iov[0].iov_base == host(BUF_GPA + 0x400));
	CHECK(chain.iov[3].iov_base == host(BUF_GPA + 0x200));
}

static void test_indirect_not_negotiated(void)
{
	struct vring_desc *t;

	setup(0);
	t = host(TABLE_GPA);
	set_desc(t, 0, BUF_GPA, 12, 0, 0);
	set_desc(desc, 0, TABLE_GPA, 16, VRING_DESC_F_INDIRECT, 0);
	expect_bad_chain(-EINVAL, 0);
}

static void test_indirect_nested(void)
{
	struct vring_desc *t;

	setup(F_INDIRECT);
	t = host(TABLE_GPA);
	set_desc(t, 0, BUF_GPA, 12, VRING_DESC_F_NEXT, 1);
	set_desc(t, 1, TABLE_GPA, 32, VRING_DESC_F_INDIRECT, 0);
	set_desc(desc, 0, TABLE_GPA, 32, VRING_DESC_F_INDIRECT, 0);
	expect_bad_chain(-EINVAL, 0);
}

static void test_indirect_bad_table(void)
{
	struct vring_desc *t;

	setup(F_INDIRECT);
	t = host(TABLE_GPA);
	set_desc(t, 0, BUF_GPA, 12, 0, 0);
	set_desc(desc, 0, TABLE_GPA, 0, VRING_DESC_F_INDIRECT, 0);
	expect_bad_chain(-EINVAL, 0);
	set_desc(desc, 0, TABLE_GPA, 20, VRING_DESC_F_INDIRECT, 0);
	expect_bad_chain(-EINVAL, 0);
	set_desc(desc, 0, TABLE_GPA, (VQ_MAX_IOV + 1) * 16, VRING_DESC_F_INDIRECT, 0);
	expect_bad_chain(-EINVAL, 0);
	set_desc(desc, 0, RAM_GPA + RAM_SIZE - 16, 32, VRING_DESC_F_INDIRECT, 0);
	expect_bad_chain(-EFAULT, 0);
	/* INDIRECT together with NEXT is forbidden (§2.7.5.3.1). */
	set_desc(desc, 0, TABLE_GPA, 16, VRING_DESC_F_INDIRECT | VRING_DESC_F_NEXT, 1);
	expect_bad_chain(-EINVAL, 0);
	/* A loop inside the table. */
	set_desc(t, 0, BUF_GPA, 12, VRING_DESC_F_NEXT, 1);
	set_desc(t, 1, BUF_GPA, 12, VRING_DESC_F_NEXT, 0);
	set_desc(desc, 0, TABLE_GPA, 32, VRING_DESC_F_INDIRECT, 0);
	expect_bad_chain(-ELOOP, 0);
	/* next past the table's own size (but < queue size). */
	set_desc(t, 1, BUF_GPA, 12, VRING_DESC_F_NEXT, 2);
	expect_bad_chain(-ERANGE, 0);
}

static void test_avail_idx_jump(void)
{
	setup(0);
	set_desc(desc, 0, BUF_GPA, 8, 0, 0);
	avail->idx = QSZ + 1;
	CHECK_EQ(vq_pop(vq, &chain), -EIO);
	CHECK(vq->broken);
	CHECK(vdev_status(&dev) & VIRTIO_CONFIG_S_NEEDS_RESET);
	CHECK_EQ(vq_pop(vq, &chain), -EIO);
	CHECK_EQ(used->idx, 0);
	/* Exactly a full ring is fine after a reset. */
	vq_reset(vq);
	vq->size = QSZ;
	vq->desc_gpa = DESC_GPA;
	vq->avail_gpa = AVAIL_GPA;
	vq->used_gpa = USED_GPA;
	CHECK_EQ(vq_enable(vq, &mem, 0), 0);
	avail->idx = QSZ;
	for (int i = 0; i < QSZ; i++)
		avail->ring[i] = 0;
	for (int i = 0; i < QSZ; i++)
		CHECK_EQ(vq_pop(vq, &chain), 1);
	CHECK_EQ(vq_pop(vq, &chain), 0);
}

static void test_head_out_of_range(void)
{
	setup(0);
	make_avail(QSZ);
	CHECK_EQ(vq_pop(vq, &chain), -EIO);
	CHECK(vq->broken);
}

/* vq_next() hands out only usable chains: malformed ones are skipped, a broken ring ends it. */
static void test_next_skips_bad_chains(void)
{
	setup(0);
	set_desc(desc, 0, BUF_GPA, 8, VRING_DESC_F_NEXT, QSZ); /* bad: next out of range */
	set_desc(desc, 1, BUF_GPA, 8, 0, 0);			/* good */
	make_avail(0);
	make_avail(1);
	CHECK(vq_next(vq, &chain));
	CHECK_EQ(chain.head, 1);
	CHECK(!vq_next(vq, &chain));
	/* The bad chain went back to the driver with length 0. */
	CHECK_EQ(used->idx, 1);
	CHECK_EQ(used->ring[0].id, 0);
	CHECK_EQ(used->ring[0].len, 0);
	make_avail(QSZ); /* corrupt ring */
	CHECK(!vq_next(vq, &chain));
	CHECK(vq->broken);
}

static void test_used_ring(void)
{
	struct vq_chain *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b));

	setup(0);
	set_desc(desc, 0, BUF_GPA, 8, VRING_DESC_F_NEXT, 1);
	set_desc(desc, 1, BUF_GPA + 8, 64, VRING_DESC_F_WRITE, 0);
	set_desc(desc, 2, BUF_GPA + 0x100, 32, VRING_DESC_F_WRITE, 0);
	make_avail(0);
	make_avail(2);
	CHECK_EQ(vq_pop(vq, a), 1);
	CHECK_EQ(vq_pop(vq, b), 1);
	/* Out of order completion; lengths clamped to the writable total. */
	vq_push(vq, b, 1000);
	vq_push(vq, a, 10);
	CHECK_EQ(used->idx, 2);
	CHECK_EQ(used->ring[0].id, 2);
	CHECK_EQ(used->ring[0].len, 32);
	CHECK_EQ(used->ring[1].id, 0);
	CHECK_EQ(used->ring[1].len, 10);
	/* Wrap-around of the free-running indices. */
	for (int i = 0; i < 3 * QSZ; i++) {
		make_avail(2);
		CHECK_EQ(vq_pop(vq, a), 1);
		vq_push(vq, a, 5);
	}
	CHECK_EQ(used->idx, 2 + 3 * QSZ);
	CHECK_EQ(used->ring[(1 + 3 * QSZ) % QSZ].len, 5);
	/* A chain popped before a reset never reaches the re-armed ring. */
	make_avail(2);
	CHECK_EQ(vq_pop(vq, a), 1);
	vq_disable(vq);
	CHECK_EQ(vq_enable(vq, &mem, 0), 0);
	used->idx = 0;
	vq_push(vq, a, 5);
	CHECK_EQ(used->idx, 0);
	free(a);
	free(b);
}

static void test_unpop(void)
{
	setup(0);
	set_desc(desc, 4, BUF_GPA, 8, VRING_DESC_F_WRITE, 0);
	make_avail(4);
	CHECK_EQ(vq_pop(vq, &chain), 1);
	vq_unpop(vq, &chain);
	CHECK(vq_has_avail(vq));
	CHECK_EQ(vq_pop(vq, &chain), 1);
	CHECK_EQ(chain.head, 4);
	CHECK_EQ(vq_pop(vq, &chain), 0);
}

static void test_event_idx_signalling(void)
{
	uint16_t *used_event, *avail_event;

	setup(F_EVENT);
	used_event = &avail->ring[QSZ];
	avail_event = (uint16_t *)&used->ring[QSZ];
	set_desc(desc, 0, BUF_GPA, 8, VRING_DESC_F_WRITE, 0);
	CHECK(!vq_needs_signal(vq));	/* nothing pushed */
	/* Empty pop publishes avail_event = last_avail_idx. */
	*avail_event = 0xbeef;
	CHECK_EQ(vq_pop(vq, &chain), 0);
	CHECK_EQ(*avail_event, 0);

	*used_event = 0;
	make_avail(0);
	CHECK_EQ(vq_pop(vq, &chain), 1);
	CHECK_EQ(*avail_event, 1);
	vq_push(vq, &chain, 8);
	CHECK(vq_needs_signal(vq));	/* used_event 0 in [0, 1) */
	make_avail(0);
	CHECK_EQ(vq_pop(vq, &chain), 1);
	vq_push(vq, &chain, 8);
	CHECK(!vq_needs_signal(vq));	/* driver still wants used_event 0: already signalled */
	*used_event = 2;
	make_avail(0);
	CHECK_EQ(vq_pop(vq, &chain), 1);
	vq_push(vq, &chain, 8);
	CHECK(vq_needs_signal(vq));	/* 2 in [2, 3) */
	/* NO_INTERRUPT is ignored under EVENT_IDX: only used_event counts. */
	avail->flags = VRING_AVAIL_F_NO_INTERRUPT;
	*used_event = 3;
	make_avail(0);
	CHECK_EQ(vq_pop(vq, &chain), 1);
	vq_push(vq, &chain, 8);
	CHECK(vq_needs_signal(vq));
	CHECK(!vq_needs_signal(vq));	/* nothing new */
}

static void test_no_interrupt_flag(void)
{
	int efd = eventfd(0, EFD_NONBLOCK);
	uint64_t cnt = 0;

	setup(0);
	dev.irqfd = efd;
	set_desc(desc, 0, BUF_GPA, 8, VRING_DESC_F_WRITE, 0);
	avail->flags = VRING_AVAIL_F_NO_INTERRUPT;
	make_avail(0);
	CHECK_EQ(vq_pop(vq, &chain), 1);
	vq_push(vq, &chain, 8);
	CHECK(!vdev_signal_used(&dev, vq));
	CHECK_EQ(read(efd, &cnt, 8), -1);
	avail->flags = 0;
	make_avail(0);
	CHECK_EQ(vq_pop(vq, &chain), 1);
	vq_push(vq, &chain, 8);
	CHECK(vdev_signal_used(&dev, vq));
	CHECK_EQ(read(efd, &cnt, 8), 8);
	CHECK_EQ(cnt, 1);
	CHECK(dev.isr & VIRTIO_MMIO_INT_VRING);
	CHECK(!vdev_signal_used(&dev, vq));	/* nothing new since */
	close(efd);
}

static void test_enable_validation(void)
{
	setup(0);
	vq_disable(vq);
	vq->size = 3;
	CHECK_EQ(vq_enable(vq, &mem, 0), -EINVAL);
	vq->size = 0;
	CHECK_EQ(vq_enable(vq, &mem, 0), -EINVAL);
	vq->size = 512;	/* above max 256 */
	CHECK_EQ(vq_enable(vq, &mem, 0), -EINVAL);
	vq->size = 256;
	vq->desc_gpa = DESC_GPA + 8;	/* misaligned */
	CHECK_EQ(vq_enable(vq, &mem, 0), -EINVAL);
	vq->desc_gpa = RAM_GPA + RAM_SIZE - 16 * 255;	/* one entry short */
	CHECK_EQ(vq_enable(vq, &mem, 0), -EFAULT);
	vq->desc_gpa = DESC_GPA;
	vq->used_gpa = RAM_GPA + RAM_SIZE - 8 * 256;	/* avail_event falls outside */
	CHECK_EQ(vq_enable(vq, &mem, 0), -EFAULT);
	CHECK(!vq->ready);
	CHECK_EQ(vq_pop(vq, &chain), 0);	/* not ready: nothing, no crash */
	vq->used_gpa = USED_GPA + 0x4000;
	CHECK_EQ(vq_enable(vq, &mem, 0), 0);
	CHECK(vq->ready);
}

/* Adjacent regions: a buffer crossing the seam becomes two iovecs; one touching a hole fails. */
static void test_region_split(void)
{
	uint8_t *second = calloc(1, 0x10000);
	struct vring_desc *t;
	struct vq_chain *big = malloc(sizeof(*big));

	setup(F_INDIRECT);
	t = host(TABLE_GPA);
	CHECK_EQ(gmem_add(&mem, RAM_GPA + RAM_SIZE, 0x10000, second), 0);
	set_desc(desc, 0, RAM_GPA + RAM_SIZE - 16, 48, VRING_DESC_F_WRITE, 0);
	make_avail(0);
	CHECK_EQ(vq_pop(vq, &chain), 1);
	CHECK_EQ(chain.nr_in, 2);
	CHECK_EQ(chain.in_len, 48);
	CHECK(chain.iov[0].iov_base == host(RAM_GPA + RAM_SIZE - 16));
	CHECK_EQ(chain.iov[0].iov_len, 16);
	CHECK(chain.iov[1].iov_base == second);
	CHECK_EQ(chain.iov[1].iov_len, 32);
	set_desc(desc, 0, RAM_GPA + RAM_SIZE + 0x10000 - 16, 48, VRING_DESC_F_WRITE, 0);
	expect_bad_chain(-EFAULT, 0);
	/* VQ_MAX_IOV descriptors that each split in two: too many iovecs. */
	for (int i = 0; i < VQ_MAX_IOV; i++)
		set_desc(t, i, RAM_GPA + RAM_SIZE - 1, 2, VRING_DESC_F_NEXT, i + 1);
	t[VQ_MAX_IOV - 1].flags = 0;
	set_desc(desc, 1, TABLE_GPA, VQ_MAX_IOV * 16, VRING_DESC_F_INDIRECT, 0);
	make_avail(1);
	CHECK_EQ(vq_pop(vq, big), -E2BIG);
	/* ...while VQ_MAX_IOV plain ones are fine. */
	for (int i = 0; i < VQ_MAX_IOV; i++)
		t[i].addr = BUF_GPA;
	make_avail(1);
	CHECK_EQ(vq_pop(vq, big), 1);
	CHECK_EQ(big->nr_out, VQ_MAX_IOV);
	CHECK_EQ(big->out_len, 2 * VQ_MAX_IOV);
	free(big);
}

/*
 * A driver thread (modelled on how Linux uses the ring with EVENT_IDX) and a
 * device thread run concurrently: every chain must come back exactly once
 * with the right length, and neither side may wait on a wake-up that never
 * comes (a 1 s poll timeout with work pending is a lost wake-up).
 */
#define STRESS_N 200000
static int kick_efd, stress_stop, lost_kicks;

static void *stress_device(void *arg)
{
	struct vq_chain *c = malloc(sizeof(*c));
	struct pollfd pfd = { .fd = kick_efd, .events = POLLIN };
	uint64_t n;

	while (!__atomic_load_n(&stress_stop, __ATOMIC_ACQUIRE)) {
		while (vq_pop(vq, c) == 1) {
			uint32_t v;

			vq_chain_read(c, 0, &v, 4);
			vq_chain_write(c, 0, &v, 4);
			vq_push(vq, c, v % 4 + 1);
		}
		vdev_signal_used(&dev, vq);
		if (poll(&pfd, 1, 1000) == 0 && vq_has_avail(vq) &&
		    !__atomic_load_n(&stress_stop, __ATOMIC_ACQUIRE))
			lost_kicks++;
		if (read(kick_efd, &n, 8) < 0)
			continue;
	}
	free(c);
	return NULL;
}

static void test_threaded_driver_device(void)
{
	uint16_t *used_event, *avail_event, free_ids[QSZ], nfree = QSZ, last_used = 0;
	uint16_t avail_idx = 0, kicked_at = 0;
	struct pollfd pfd;
	long posted = 0, done = 0, lost_irqs = 0, bad = 0;
	struct timespec t0, t1;
	pthread_t th;
	uint64_t n;

	setup(F_EVENT);
	used_event = &avail->ring[QSZ];
	avail_event = (uint16_t *)&used->ring[QSZ];
	kick_efd = eventfd(0, EFD_NONBLOCK);
	dev.irqfd = eventfd(0, EFD_NONBLOCK);
	pfd = (struct pollfd){ .fd = dev.irqfd, .events = POLLIN };
	for (int i = 0; i < QSZ; i++) {
		free_ids[i] = i;
		set_desc(desc, i, BUF_GPA + 64 * i, 64, VRING_DESC_F_WRITE, 0);
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pthread_create(&th, NULL, stress_device, NULL);
	while (done < STRESS_N) {
		bool progress = false;

		/* Post buffers, then kick only if the device asked for it (avail_event). */
		while (nfree && posted < STRESS_N) {
			uint16_t id = free_ids[--nfree];
			uint32_t v = posted++;

			memcpy(host(BUF_GPA + 64 * id), &v, 4);
			avail->ring[avail_idx % QSZ] = id;
			__atomic_store_n(&avail->idx, ++avail_idx, __ATOMIC_RELEASE);
			progress = true;
		}
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		if (vring_need_event(__atomic_load_n(avail_event, __ATOMIC_RELAXED), avail_idx,
				     kicked_at)) {
			n = 1;
			if (write(kick_efd, &n, 8) < 0)
				bad++;
		}
		kicked_at = avail_idx;
		/* Reap used, then re-arm used_event and look once more. */
		for (;;) {
			while (last_used != __atomic_load_n(&used->idx, __ATOMIC_ACQUIRE)) {
				struct vring_used_elem e = used->ring[last_used % QSZ];
				uint32_t v;

				memcpy(&v, host(BUF_GPA + 64 * e.id), 4);
				if (e.id >= QSZ || e.len != v % 4 + 1)
					bad++;
				free_ids[nfree++] = e.id;
				last_used++;
				done++;
				progress = true;
			}
			__atomic_store_n(used_event, last_used, __ATOMIC_RELAXED);
			__atomic_thread_fence(__ATOMIC_SEQ_CST);
			if (last_used == __atomic_load_n(&used->idx, __ATOMIC_ACQUIRE))
				break;
		}
		if (progress || done >= STRESS_N)
			continue;
		if (poll(&pfd, 1, 1000) == 0 && last_used == used->idx)
			lost_irqs++;
		if (read(dev.irqfd, &n, 8) < 0)
			continue;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	__atomic_store_n(&stress_stop, 1, __ATOMIC_RELEASE);
	n = 1;
	CHECK_EQ(write(kick_efd, &n, 8), 8);
	pthread_join(th, NULL);
	printf("  %d chains through a %d-entry ring in %.0f ms\n", STRESS_N, QSZ,
	       (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6);
	CHECK_EQ(bad, 0);
	CHECK_EQ(lost_irqs, 0);
	CHECK_EQ(lost_kicks, 0);
	CHECK_EQ(used->idx, (uint16_t)STRESS_N);
}

TEST_MAIN_BEGIN("virtqueue")
	RUN(test_single_readable);
	RUN(test_multi_with_writable_tail);
	RUN(test_loop);
	RUN(test_next_out_of_range);
	RUN(test_address_out_of_range);
	RUN(test_address_len_wraps);
	RUN(test_length_sum_overflow);
	RUN(test_writable_before_readable);
	RUN(test_indirect_valid);
	RUN(test_indirect_not_negotiated);
	RUN(test_indirect_nested);
	RUN(test_indirect_bad_table);
	RUN(test_avail_idx_jump);
	RUN(test_head_out_of_range);
	RUN(test_next_skips_bad_chains);
	RUN(test_used_ring);
	RUN(test_unpop);
	RUN(test_event_idx_signalling);
	RUN(test_no_interrupt_flag);
	RUN(test_enable_validation);
	RUN(test_region_split);
	RUN(test_threaded_driver_device);
TEST_MAIN_END()
