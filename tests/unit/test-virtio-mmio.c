/* tests/unit/test-virtio-mmio.c: virtio-mmio v2 registers and state machine, no KVM. */
#include "test.h"

#include <errno.h>
#include <stdint.h>
#include <sys/eventfd.h>

#include "virtio/transport-mmio.h"

#define RAM_GPA 0x100000ULL
#define RAM_SIZE 0x100000ULL
#define BASE 0xd0000000ULL
#define F_EVENT VIRTIO_BIT(VIRTIO_RING_F_EVENT_IDX)
#define F_DEV0 VIRTIO_BIT(0)
#define S_ACK VIRTIO_CONFIG_S_ACKNOWLEDGE
#define S_DRV VIRTIO_CONFIG_S_DRIVER
#define S_FOK VIRTIO_CONFIG_S_FEATURES_OK
#define S_DOK VIRTIO_CONFIG_S_DRIVER_OK
#define S_NR VIRTIO_CONFIG_S_NEEDS_RESET

/* A device that records what the transport asks of it. */
struct tdev {
	struct vdev vdev;
	uint8_t config[12];
	int activated, resets, config_reads, config_writes;
	int activate_ret;
	int notified[8];
};

static struct guest_mem mem;
static uint8_t *ram;
static struct tdev td;
static struct vmmio *t;

static struct tdev *to_tdev(struct vdev *d)
{
	return container_of(d, struct tdev, vdev);
}

static int t_config_read(struct vdev *d, uint64_t off, void *buf, unsigned len)
{
	to_tdev(d)->config_reads++;
	memcpy(buf, to_tdev(d)->config + off, len);
	return 0;
}

static int t_config_write(struct vdev *d, uint64_t off, const void *buf, unsigned len)
{
	to_tdev(d)->config_writes++;
	memcpy(to_tdev(d)->config + off, buf, len);
	return 0;
}

static int t_activate(struct vdev *d)
{
	to_tdev(d)->activated++;
	return to_tdev(d)->activate_ret;
}

static void t_reset(struct vdev *d)
{
	to_tdev(d)->resets++;
}

static void t_notify(struct vdev *d, unsigned q)
{
	if (q < 8)
		to_tdev(d)->notified[q]++;
}

static int t_get_shm(struct vdev *d, unsigned id, uint64_t *base, uint64_t *len)
{
	if (id != 0)
		return -ENOENT;
	*base = 0x123456789000ULL;
	*len = 0x200000000ULL;
	return 0;
}

static const struct vdev_ops t_ops = {
	.name = "virtio-test",
	.device_id = 26,
	.num_queues = 2,
	.queue_max_size = 64,
	.features = F_EVENT | F_DEV0,
	.config_size = 12,
	.config_read = t_config_read,
	.config_write = t_config_write,
	.activate = t_activate,
	.reset = t_reset,
	.notify = t_notify,
	.get_shm = t_get_shm,
};

static void setup(void)
{
	ram = calloc(1, RAM_SIZE);
	memset(&mem, 0, sizeof(mem));
	memset(&td, 0, sizeof(td));
	if (!ram || gmem_add(&mem, RAM_GPA, RAM_SIZE, ram) < 0 ||
	    vdev_init(&td.vdev, &t_ops, &mem, 0) < 0 ||
	    vmmio_create(&td.vdev, BASE, 5, &t) < 0) {
		printf("  setup failed\n");
		exit(1);
	}
	memcpy(td.config, "ABCDEFGHIJKL", 12);
}

static uint32_t rd(uint64_t off)
{
	uint32_t v = 0xdeadbeef;

	vmmio_read(t, off, &v, 4);
	return v;
}

static void wr(uint64_t off, uint32_t v)
{
	vmmio_write(t, off, &v, 4);
}

/* Driver side of §3.1.1 up to FEATURES_OK with (features); returns the Status read back. */
static uint32_t negotiate(uint64_t features)
{
	wr(VIRTIO_MMIO_STATUS, S_ACK);
	wr(VIRTIO_MMIO_STATUS, S_ACK | S_DRV);
	wr(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	wr(VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)features);
	wr(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	wr(VIRTIO_MMIO_DRIVER_FEATURES, features >> 32);
	wr(VIRTIO_MMIO_STATUS, S_ACK | S_DRV | S_FOK);
	return rd(VIRTIO_MMIO_STATUS);
}

static void setup_queue(unsigned q, uint32_t num, uint64_t desc, uint64_t avail, uint64_t used)
{
	wr(VIRTIO_MMIO_QUEUE_SEL, q);
	wr(VIRTIO_MMIO_QUEUE_NUM, num);
	wr(VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)desc);
	wr(VIRTIO_MMIO_QUEUE_DESC_HIGH, desc >> 32);
	wr(VIRTIO_MMIO_QUEUE_AVAIL_LOW, (uint32_t)avail);
	wr(VIRTIO_MMIO_QUEUE_AVAIL_HIGH, avail >> 32);
	wr(VIRTIO_MMIO_QUEUE_USED_LOW, (uint32_t)used);
	wr(VIRTIO_MMIO_QUEUE_USED_HIGH, used >> 32);
	wr(VIRTIO_MMIO_QUEUE_READY, 1);
}

static void good_queue(unsigned q)
{
	uint64_t b = RAM_GPA + q * 0x4000;

	setup_queue(q, 64, b, b + 0x1000, b + 0x2000);
}

static void test_identity(void)
{
	char buf[64];

	setup();
	CHECK_EQ(rd(VIRTIO_MMIO_MAGIC_VALUE), 0x74726976);
	CHECK_EQ(rd(VIRTIO_MMIO_VERSION), 2);
	CHECK_EQ(rd(VIRTIO_MMIO_DEVICE_ID), 26);
	CHECK_EQ(rd(VIRTIO_MMIO_VENDOR_ID), 0);
	CHECK_EQ(rd(VIRTIO_MMIO_STATUS), 0);
	CHECK_EQ(vmmio_cmdline(t, buf, sizeof(buf)), strlen("virtio_mmio.device=4K@0xd0000000:5"));
	CHECK(!strcmp(buf, "virtio_mmio.device=4K@0xd0000000:5"));
	CHECK_EQ(vmmio_cmdline(t, buf, 10), -ENOSPC);
	CHECK(vmmio_create(&td.vdev, BASE + 8, 5, &t) == -EINVAL);
}

static void test_device_features(void)
{
	setup();
	wr(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	CHECK_EQ(rd(VIRTIO_MMIO_DEVICE_FEATURES), (uint32_t)(F_EVENT | F_DEV0));
	wr(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	CHECK_EQ(rd(VIRTIO_MMIO_DEVICE_FEATURES), 1);	/* VERSION_1 (bit 32) */
	wr(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 2);
	CHECK_EQ(rd(VIRTIO_MMIO_DEVICE_FEATURES), 0);
}

static void test_features_accepted(void)
{
	setup();
	CHECK_EQ(negotiate(VIRTIO_BIT(VIRTIO_F_VERSION_1) | F_EVENT), S_ACK | S_DRV | S_FOK);
	CHECK_EQ(td.vdev.driver_features, VIRTIO_BIT(VIRTIO_F_VERSION_1) | F_EVENT);
	/* Frozen after FEATURES_OK. */
	wr(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	wr(VIRTIO_MMIO_DRIVER_FEATURES, 0);
	CHECK_EQ(td.vdev.driver_features, VIRTIO_BIT(VIRTIO_F_VERSION_1) | F_EVENT);
}

static void test_features_refused(void)
{
	setup();
	/* A bit we never offered. */
	CHECK_EQ(negotiate(VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(5)), S_ACK | S_DRV);
	/* DRIVER_OK without FEATURES_OK does not activate. */
	wr(VIRTIO_MMIO_STATUS, S_ACK | S_DRV | S_DOK);
	CHECK_EQ(rd(VIRTIO_MMIO_STATUS) & S_DOK, 0);
	CHECK_EQ(td.activated, 0);
	/* Legacy (no VERSION_1) is refused too. */
	wr(VIRTIO_MMIO_STATUS, 0);
	CHECK_EQ(negotiate(F_EVENT), S_ACK | S_DRV);
	/* A high-word unoffered bit. */
	wr(VIRTIO_MMIO_STATUS, 0);
	CHECK_EQ(negotiate(VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VIRTIO_F_RING_PACKED)),
		 S_ACK | S_DRV);
}

static void test_status_no_clear_without_reset(void)
{
	setup();
	negotiate(VIRTIO_BIT(VIRTIO_F_VERSION_1));
	wr(VIRTIO_MMIO_STATUS, S_ACK);
	CHECK_EQ(rd(VIRTIO_MMIO_STATUS), S_ACK | S_DRV | S_FOK);
}

static void test_queue_setup(void)
{
	setup();
	negotiate(VIRTIO_BIT(VIRTIO_F_VERSION_1) | F_EVENT);
	wr(VIRTIO_MMIO_QUEUE_SEL, 0);
	CHECK_EQ(rd(VIRTIO_MMIO_QUEUE_NUM_MAX), 64);
	CHECK_EQ(rd(VIRTIO_MMIO_QUEUE_READY), 0);
	good_queue(0);
	CHECK_EQ(rd(VIRTIO_MMIO_QUEUE_READY), 1);
	CHECK(td.vdev.queues[0].ready);
	CHECK(td.vdev.queues[0].event_idx);
	CHECK_EQ(rd(VIRTIO_MMIO_QUEUE_DESC_LOW), (uint32_t)RAM_GPA);
	/* Layout writes while ready are ignored. */
	wr(VIRTIO_MMIO_QUEUE_NUM, 32);
	CHECK_EQ(rd(VIRTIO_MMIO_QUEUE_NUM), 64);
	/* QueueReady = 0 stops the queue; it can then be re-armed. */
	wr(VIRTIO_MMIO_QUEUE_READY, 0);
	CHECK_EQ(rd(VIRTIO_MMIO_QUEUE_READY), 0);
	wr(VIRTIO_MMIO_QUEUE_READY, 1);
	CHECK_EQ(rd(VIRTIO_MMIO_QUEUE_READY), 1);
	/* Nonexistent queue: max 0, writes ignored. */
	wr(VIRTIO_MMIO_QUEUE_SEL, 7);
	CHECK_EQ(rd(VIRTIO_MMIO_QUEUE_NUM_MAX), 0);
	wr(VIRTIO_MMIO_QUEUE_READY, 1);
	CHECK_EQ(rd(VIRTIO_MMIO_QUEUE_READY), 0);
	CHECK_EQ(rd(VIRTIO_MMIO_STATUS) & S_NR, 0);
}

/* Each bad layout: QueueReady stays 0 and the device asks for a reset. */
static void expect_bad_queue(uint32_t num, uint64_t desc, uint64_t avail, uint64_t used)
{
	wr(VIRTIO_MMIO_STATUS, 0);
	negotiate(VIRTIO_BIT(VIRTIO_F_VERSION_1));
	setup_queue(1, num, desc, avail, used);
	CHECK_EQ(rd(VIRTIO_MMIO_QUEUE_READY), 0);
	CHECK(!td.vdev.queues[1].ready);
	CHECK(rd(VIRTIO_MMIO_STATUS) & S_NR);
}

static void test_queue_invalid(void)
{
	uint64_t b = RAM_GPA;

	setup();
	expect_bad_queue(0, b, b + 0x1000, b + 0x2000);
	expect_bad_queue(48, b, b + 0x1000, b + 0x2000);	/* not a power of 2 */
	expect_bad_queue(128, b, b + 0x1000, b + 0x2000);	/* above QueueNumMax */
	expect_bad_queue(0x10040, b, b + 0x1000, b + 0x2000);	/* truncation must not help */
	expect_bad_queue(64, b + 4, b + 0x1000, b + 0x2000);	/* desc not 16-aligned */
	expect_bad_queue(64, b, b + 0x1001, b + 0x2000);	/* avail not 2-aligned */
	expect_bad_queue(64, b, b + 0x1000, b + 0x2002);	/* used not 4-aligned */
	expect_bad_queue(64, 0x1000, b + 0x1000, b + 0x2000);	/* below RAM */
	expect_bad_queue(64, b, b + RAM_SIZE - 8, b + 0x2000);	/* avail runs off RAM */
	expect_bad_queue(64, b, b + 0x1000, 0xfffffffffffffff0ULL);	/* wraps */
	/* QueueReady before FEATURES_OK is ignored. */
	wr(VIRTIO_MMIO_STATUS, 0);
	wr(VIRTIO_MMIO_STATUS, S_ACK | S_DRV);
	good_queue(0);
	CHECK_EQ(rd(VIRTIO_MMIO_QUEUE_READY), 0);
}

static void test_reset(void)
{
	setup();
	negotiate(VIRTIO_BIT(VIRTIO_F_VERSION_1) | F_EVENT);
	good_queue(0);
	good_queue(1);
	wr(VIRTIO_MMIO_STATUS, S_ACK | S_DRV | S_FOK | S_DOK);
	CHECK_EQ(td.activated, 1);
	wr(VIRTIO_MMIO_STATUS, 0);
	CHECK_EQ(td.resets, 1);
	CHECK_EQ(rd(VIRTIO_MMIO_STATUS), 0);
	CHECK_EQ(td.vdev.driver_features, 0);
	CHECK(!td.vdev.queues[0].ready && !td.vdev.queues[1].ready);
	CHECK_EQ(td.vdev.queues[0].size, 0);
	CHECK_EQ(td.vdev.queues[1].desc_gpa, 0);
	wr(VIRTIO_MMIO_QUEUE_SEL, 1);
	CHECK_EQ(rd(VIRTIO_MMIO_QUEUE_READY), 0);
	/* NEEDS_RESET is cleared by a reset too. */
	vdev_set_needs_reset(&td.vdev);
	CHECK(rd(VIRTIO_MMIO_STATUS) & S_NR);
	wr(VIRTIO_MMIO_STATUS, 0);
	CHECK_EQ(rd(VIRTIO_MMIO_STATUS), 0);
}

static void test_activate_failure(void)
{
	int efd = eventfd(0, EFD_NONBLOCK);
	uint64_t cnt;

	setup();
	td.vdev.irqfd = efd;
	td.activate_ret = -ENODEV;
	negotiate(VIRTIO_BIT(VIRTIO_F_VERSION_1));
	wr(VIRTIO_MMIO_STATUS, S_ACK | S_DRV | S_FOK | S_DOK);
	CHECK_EQ(td.activated, 1);
	CHECK(rd(VIRTIO_MMIO_STATUS) & S_NR);
	CHECK(rd(VIRTIO_MMIO_INTERRUPT_STATUS) & VIRTIO_MMIO_INT_CONFIG);
	CHECK_EQ(read(efd, &cnt, 8), 8);
	close(efd);
}

static void test_notify(void)
{
	int efd = eventfd(0, EFD_NONBLOCK);
	uint64_t cnt = 0;

	setup();
	negotiate(VIRTIO_BIT(VIRTIO_F_VERSION_1));
	good_queue(0);
	good_queue(1);
	/* Before DRIVER_OK: dropped. */
	wr(VIRTIO_MMIO_QUEUE_NOTIFY, 1);
	CHECK_EQ(td.notified[1], 0);
	/* DRIVER_OK kicks every ready queue once (buffers queued before activation). */
	wr(VIRTIO_MMIO_STATUS, S_ACK | S_DRV | S_FOK | S_DOK);
	CHECK_EQ(td.notified[0], 1);
	CHECK_EQ(td.notified[1], 1);
	wr(VIRTIO_MMIO_QUEUE_NOTIFY, 1);
	CHECK_EQ(td.notified[1], 2);
	CHECK_EQ(td.notified[0], 1);
	wr(VIRTIO_MMIO_QUEUE_NOTIFY, 5);	/* no such queue */
	wr(VIRTIO_MMIO_QUEUE_NOTIFY, 0xffffffff);
	CHECK_EQ(td.notified[1] + td.notified[0], 3);
	/* With a kick eventfd the write goes there instead (device thread picks it up). */
	td.vdev.queues[0].kick_fd = efd;
	wr(VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	CHECK_EQ(td.notified[0], 1);
	CHECK_EQ(read(efd, &cnt, 8), 8);
	CHECK_EQ(cnt, 1);
	close(efd);
}

static void test_config_space(void)
{
	uint8_t b[8];
	uint16_t h;
	uint64_t q;

	setup();
	vmmio_read(t, 0x100, b, 1);
	CHECK_EQ(b[0], 'A');
	vmmio_read(t, 0x102, &h, 2);
	CHECK(!memcmp(&h, "CD", 2));
	vmmio_read(t, 0x104, &q, 8);
	CHECK(!memcmp(&q, "EFGHIJKL", 8));
	CHECK_EQ(td.config_reads, 3);
	/* Straddling or past the end: zeroes, device not asked. */
	q = 0x1111111111111111ULL;
	vmmio_read(t, 0x108, &q, 8);
	CHECK_EQ(q, 0);
	memset(b, 0x55, 4);
	vmmio_read(t, 0x10c, b, 1);
	CHECK_EQ(b[0], 0);
	vmmio_read(t, 0xfff, b, 1);
	CHECK_EQ(b[0], 0);
	vmmio_read(t, 0xfffffffffffffffeULL, b, 4);	/* off + len wraps */
	CHECK_EQ(b[0], 0);
	/* Odd widths ignored. */
	memset(b, 0x55, 4);
	vmmio_read(t, 0x100, b, 3);
	CHECK_EQ(b[0], 0);
	CHECK_EQ(td.config_reads, 3);
	/* Writes: in bounds reach the device, out of bounds do not. */
	vmmio_write(t, 0x10a, "xy", 2);
	CHECK(!memcmp(td.config + 10, "xy", 2));
	vmmio_write(t, 0x10b, "zz", 2);
	vmmio_write(t, 0x10c, "z", 1);
	CHECK_EQ(td.config_writes, 1);
}

static void test_shm(void)
{
	setup();
	wr(VIRTIO_MMIO_SHM_SEL, 0);
	CHECK_EQ(rd(VIRTIO_MMIO_SHM_BASE_LOW), 0x56789000);
	CHECK_EQ(rd(VIRTIO_MMIO_SHM_BASE_HIGH), 0x1234);
	CHECK_EQ(rd(VIRTIO_MMIO_SHM_LEN_LOW), 0);
	CHECK_EQ(rd(VIRTIO_MMIO_SHM_LEN_HIGH), 2);
	wr(VIRTIO_MMIO_SHM_SEL, 1);
	CHECK_EQ(rd(VIRTIO_MMIO_SHM_LEN_LOW), 0xffffffff);
	CHECK_EQ(rd(VIRTIO_MMIO_SHM_LEN_HIGH), 0xffffffff);
}

static void test_interrupts(void)
{
	int efd = eventfd(0, EFD_NONBLOCK);
	uint64_t cnt;
	uint32_t gen;

	setup();
	td.vdev.irqfd = efd;
	gen = rd(VIRTIO_MMIO_CONFIG_GENERATION);
	vdev_signal_config(&td.vdev);
	CHECK_EQ(rd(VIRTIO_MMIO_CONFIG_GENERATION), gen + 1);
	CHECK_EQ(rd(VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_MMIO_INT_CONFIG);
	CHECK_EQ(read(efd, &cnt, 8), 8);
	__atomic_fetch_or(&td.vdev.isr, VIRTIO_MMIO_INT_VRING, __ATOMIC_SEQ_CST);
	wr(VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_MMIO_INT_CONFIG);
	CHECK_EQ(rd(VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_MMIO_INT_VRING);
	wr(VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_MMIO_INT_VRING);
	CHECK_EQ(rd(VIRTIO_MMIO_INTERRUPT_STATUS), 0);
	/* Read-only registers stay put. */
	wr(VIRTIO_MMIO_INTERRUPT_STATUS, 3);
	wr(VIRTIO_MMIO_MAGIC_VALUE, 0);
	CHECK_EQ(rd(VIRTIO_MMIO_INTERRUPT_STATUS), 0);
	CHECK_EQ(rd(VIRTIO_MMIO_MAGIC_VALUE), 0x74726976);
	close(efd);
}

static void test_bad_register_access(void)
{
	uint8_t b[8] = { 0x55, 0x55 };
	uint16_t h = 0x5555;

	setup();
	vmmio_read(t, VIRTIO_MMIO_MAGIC_VALUE, &h, 2);
	CHECK_EQ(h, 0);
	vmmio_read(t, VIRTIO_MMIO_MAGIC_VALUE + 1, b, 4);
	CHECK_EQ(b[0], 0);
	vmmio_read(t, VIRTIO_MMIO_MAGIC_VALUE, b, 8);
	CHECK_EQ(b[0], 0);
	/* A 1-byte Status write or unaligned write must not change state. */
	vmmio_write(t, VIRTIO_MMIO_STATUS, "\x01", 1);
	vmmio_write(t, VIRTIO_MMIO_STATUS + 2, "\x01\0\0\0", 4);
	CHECK_EQ(rd(VIRTIO_MMIO_STATUS), 0);
	CHECK_EQ(rd(0x0f8), 0);	/* unknown register reads 0 */
	wr(0x0f8, 1);
}

TEST_MAIN_BEGIN("virtio-mmio")
	RUN(test_identity);
	RUN(test_device_features);
	RUN(test_features_accepted);
	RUN(test_features_refused);
	RUN(test_status_no_clear_without_reset);
	RUN(test_queue_setup);
	RUN(test_queue_invalid);
	RUN(test_reset);
	RUN(test_activate_failure);
	RUN(test_notify);
	RUN(test_config_space);
	RUN(test_shm);
	RUN(test_interrupts);
	RUN(test_bad_register_access);
TEST_MAIN_END()
