/* tests/unit/test-virtio-blk.c: virtio-blk over a raw image file: a well-behaved driver's requests, then a hostile driver's (no KVM). */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <sys/stat.h>

#include <linux/virtio_blk.h>
#include <linux/virtio_config.h>
#include <linux/virtio_mmio.h>
#include <linux/virtio_ring.h>

#include "devices/virtio-devices.h"
#include "disk/disk.h"
#include "libkrun.h"
#include "test.h"
#include "util/log.h"
#include "virtio/transport-mmio.h"

#define MEM_SIZE	(4u << 20)
#define QSIZE		16
#define DESC_GPA	0x0
#define AVAIL_GPA	0x1000
#define USED_GPA	0x2000
#define BUF_GPA		0x10000
#define IMG_SIZE	(1u << 20)

static struct guest_mem mem;
static uint8_t *ram;
static char dir[] = "/tmp/krun-blk-XXXXXX";
static char img[64], outside[64];
static struct vmmio *t;
static struct vdev *dev;
static uint16_t avail_idx, used_seen;

static void w32(uint64_t off, uint32_t v)
{
	vmmio_write(t, off, &v, 4);
}

static uint32_t r32(uint64_t off)
{
	uint32_t v = 0;

	vmmio_read(t, off, &v, 4);
	return v;
}

static void write_file(const char *path, size_t size, int byte)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	uint8_t *buf = malloc(size);

	memset(buf, byte, size);
	CHECK(fd >= 0 && write(fd, buf, size) == (ssize_t)size);
	close(fd);
	free(buf);
}

static void setup(bool read_only, uint64_t features)
{
	struct disk_cfg dc = { .format = KRUN_DISK_FORMAT_RAW, .read_only = read_only,
			       .sync_mode = KRUN_SYNC_FULL };
	struct disk *disk;

	if (getenv("TEST_LOG"))
		log_configure(-1, atoi(getenv("TEST_LOG")), 2);
	ram = calloc(1, MEM_SIZE);
	CHECK(gmem_add(&mem, 0, MEM_SIZE, ram) == 0);
	CHECK(mkdtemp(dir) != NULL);
	snprintf(img, sizeof(img), "%s/disk.img", dir);
	snprintf(outside, sizeof(outside), "%s/outside", dir);
	write_file(img, IMG_SIZE, 0xaa);
	write_file(outside, 4096, 0x55);
	dc.path = img;
	CHECK(disk_open(&dc, &disk) == 0);
	CHECK(vtblk_create(&mem, disk, "serial-of-the-disk-too-long", &dev) == 0);
	CHECK(vmmio_create(dev, 0xd0000000, 5, &t) == 0);
	dev->irqfd = eventfd(0, EFD_NONBLOCK);
	w32(VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	w32(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	w32(VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(dev->host_features & features));
	w32(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	w32(VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(dev->host_features >> 32));
	w32(VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
		VIRTIO_CONFIG_S_FEATURES_OK);
	w32(VIRTIO_MMIO_QUEUE_SEL, 0);
	w32(VIRTIO_MMIO_QUEUE_NUM, QSIZE);
	w32(VIRTIO_MMIO_QUEUE_DESC_LOW, DESC_GPA);
	w32(VIRTIO_MMIO_QUEUE_AVAIL_LOW, AVAIL_GPA);
	w32(VIRTIO_MMIO_QUEUE_USED_LOW, USED_GPA);
	w32(VIRTIO_MMIO_QUEUE_READY, 1);
	w32(VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
		VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK);
	avail_idx = used_seen = 0;
}

static void teardown(void)
{
	char cmd[96];

	vtblk_shutdown(dev);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	CHECK(system(cmd) == 0);
}

struct seg {
	uint64_t gpa;
	uint32_t len;
	bool writable;
};

/* Publish a chain of (n) segments and wait until the device returns it; the used length. */
static uint32_t submit(const struct seg *s, int n)
{
	struct vring_desc *d = (struct vring_desc *)(ram + DESC_GPA);
	struct vring_avail *a = (struct vring_avail *)(ram + AVAIL_GPA);
	struct vring_used *u = (struct vring_used *)(ram + USED_GPA);

	for (int i = 0; i < n; i++) {
		d[i].addr = s[i].gpa;
		d[i].len = s[i].len;
		d[i].flags = (s[i].writable ? VRING_DESC_F_WRITE : 0) | (i + 1 < n ? VRING_DESC_F_NEXT : 0);
		d[i].next = i + 1;
	}
	a->ring[avail_idx % QSIZE] = 0;
	__atomic_store_n(&a->idx, ++avail_idx, __ATOMIC_RELEASE);
	dev->ops->notify(dev, 0);
	for (int i = 0; i < 5000 && __atomic_load_n(&u->idx, __ATOMIC_ACQUIRE) == used_seen; i++)
		usleep(1000);
	CHECK(u->idx == (uint16_t)(used_seen + 1));
	return u->ring[used_seen++ % QSIZE].len;
}

/* A request: header at BUF_GPA, (data) bytes at BUF_GPA+0x1000, status at BUF_GPA+0x100; returns the status. */
static uint8_t request(uint32_t type, uint64_t sector, uint32_t data_len, bool data_in, uint32_t *used)
{
	struct virtio_blk_outhdr *h = (void *)(ram + BUF_GPA);
	struct seg s[3] = {
		{ BUF_GPA, sizeof(*h), false },
		{ BUF_GPA + 0x1000, data_len, data_in },
		{ BUF_GPA + 0x100, 1, true },
	};
	uint32_t u;

	h->type = type;
	h->ioprio = 0;
	h->sector = sector;
	ram[BUF_GPA + 0x100] = 0xff;
	if (data_len) {
		u = submit(s, 3);
	} else {
		s[1] = s[2];
		u = submit(s, 2);
	}
	if (used)
		*used = u;
	return ram[BUF_GPA + 0x100];
}

static void read_img(uint64_t off, void *buf, size_t len)
{
	int fd = open(img, O_RDONLY);

	CHECK(pread(fd, buf, len, off) == (ssize_t)len);
	close(fd);
}

static void test_read_write(void)
{
	uint8_t buf[4096];
	uint32_t used;

	setup(false, ~0ULL);
	CHECK(!(dev->host_features & (1ULL << VIRTIO_BLK_F_RO)));
	CHECK(r32(0x100) == IMG_SIZE / 512); /* capacity, low half */
	memset(ram + BUF_GPA + 0x1000, 0x11, 4096);
	CHECK_EQ(request(VIRTIO_BLK_T_OUT, 8, 4096, false, &used), VIRTIO_BLK_S_OK);
	CHECK_EQ(used, 1);
	read_img(8 * 512, buf, 4096);
	CHECK(buf[0] == 0x11 && buf[4095] == 0x11);
	memset(ram + BUF_GPA + 0x1000, 0, 8192);
	CHECK_EQ(request(VIRTIO_BLK_T_IN, 7, 1024, true, &used), VIRTIO_BLK_S_OK);
	CHECK_EQ(used, 1025);
	CHECK(ram[BUF_GPA + 0x1000] == 0xaa && ram[BUF_GPA + 0x1000 + 512] == 0x11);
	CHECK(ram[BUF_GPA + 0x1000 + 1024] == 0);
	CHECK_EQ(request(VIRTIO_BLK_T_FLUSH, 0, 0, false, NULL), VIRTIO_BLK_S_OK);
	CHECK_EQ(request(VIRTIO_BLK_T_GET_ID, 0, 20, true, &used), VIRTIO_BLK_S_OK);
	CHECK_EQ(used, 21);
	CHECK(!memcmp(ram + BUF_GPA + 0x1000, "serial-of-the-disk-t", 20));
	/* The last sector is reachable, one past it is not. */
	CHECK_EQ(request(VIRTIO_BLK_T_IN, IMG_SIZE / 512 - 1, 512, true, NULL), VIRTIO_BLK_S_OK);
	CHECK_EQ(request(VIRTIO_BLK_T_IN, IMG_SIZE / 512, 512, true, NULL), VIRTIO_BLK_S_IOERR);
	teardown();
}

static void test_discard_write_zeroes(void)
{
	struct { uint64_t sector; uint32_t num, flags; } *r = (void *)(ram + BUF_GPA + 0x1000);
	uint8_t buf[8192];
	struct stat st;

	setup(false, ~0ULL);
	/* ram is allocated in setup: take the pointer again. */
	r = (void *)(ram + BUF_GPA + 0x1000);
	*r = (typeof(*r)){ .sector = 16, .num = 16, .flags = 0 };
	CHECK_EQ(request(VIRTIO_BLK_T_DISCARD, 0, 16, false, NULL), VIRTIO_BLK_S_OK);
	read_img(16 * 512, buf, 8192);
	CHECK(buf[0] == 0 && buf[8191] == 0);
	CHECK(stat(img, &st) == 0 && st.st_blocks * 512 < IMG_SIZE);
	*r = (typeof(*r)){ .sector = 64, .num = 3, .flags = 0 };
	CHECK_EQ(request(VIRTIO_BLK_T_WRITE_ZEROES, 0, 16, false, NULL), VIRTIO_BLK_S_OK);
	read_img(63 * 512, buf, 5 * 512);
	CHECK(buf[0] == 0xaa && buf[512] == 0 && buf[4 * 512 - 1] == 0 && buf[4 * 512] == 0xaa);
	/* Flags a discard may not carry, and an unknown write-zeroes flag. */
	*r = (typeof(*r)){ .sector = 64, .num = 3, .flags = 1 };
	CHECK_EQ(request(VIRTIO_BLK_T_DISCARD, 0, 16, false, NULL), VIRTIO_BLK_S_UNSUPP);
	r->flags = 2;
	CHECK_EQ(request(VIRTIO_BLK_T_WRITE_ZEROES, 0, 16, false, NULL), VIRTIO_BLK_S_UNSUPP);
	/* A range past the end fails and the file does not grow. */
	*r = (typeof(*r)){ .sector = IMG_SIZE / 512 - 1, .num = 2, .flags = 0 };
	CHECK_EQ(request(VIRTIO_BLK_T_WRITE_ZEROES, 0, 16, false, NULL), VIRTIO_BLK_S_IOERR);
	CHECK(stat(img, &st) == 0 && st.st_size == IMG_SIZE);
	teardown();
}

static void test_read_only(void)
{
	uint8_t buf[512];

	setup(true, ~0ULL);
	CHECK(dev->host_features & (1ULL << VIRTIO_BLK_F_RO));
	CHECK(!(dev->host_features & (1ULL << VIRTIO_BLK_F_DISCARD)));
	memset(ram + BUF_GPA + 0x1000, 0x22, 512);
	CHECK_EQ(request(VIRTIO_BLK_T_OUT, 0, 512, false, NULL), VIRTIO_BLK_S_IOERR);
	CHECK_EQ(request(VIRTIO_BLK_T_DISCARD, 0, 16, false, NULL), VIRTIO_BLK_S_UNSUPP);
	CHECK_EQ(request(VIRTIO_BLK_T_IN, 0, 512, true, NULL), VIRTIO_BLK_S_OK);
	read_img(0, buf, 512);
	CHECK(buf[0] == 0xaa && buf[511] == 0xaa);
	teardown();
}

/* Malformed requests, each answered with an error status, none touching the host outside the image. */
static void test_hostile_requests(void)
{
	struct virtio_blk_outhdr *h;
	struct stat st;
	uint8_t buf[4096];

	setup(false, ~0ULL);
	h = (void *)(ram + BUF_GPA);
	/* Sector past the end; sector whose byte offset overflows 64 bits; offset+length wrapping. */
	CHECK_EQ(request(VIRTIO_BLK_T_OUT, IMG_SIZE / 512 + 1, 512, false, NULL), VIRTIO_BLK_S_IOERR);
	CHECK_EQ(request(VIRTIO_BLK_T_OUT, UINT64_MAX / 512 + 2, 512, false, NULL), VIRTIO_BLK_S_IOERR);
	CHECK_EQ(request(VIRTIO_BLK_T_OUT, UINT64_MAX / 512, 4096, false, NULL), VIRTIO_BLK_S_IOERR);
	CHECK_EQ(request(VIRTIO_BLK_T_IN, (UINT64_MAX - 4095) / 512, 4096, true, NULL), VIRTIO_BLK_S_IOERR);
	/* Length not a multiple of a sector. */
	CHECK_EQ(request(VIRTIO_BLK_T_OUT, 0, 100, false, NULL), VIRTIO_BLK_S_IOERR);
	/* Unknown and legacy types. */
	CHECK_EQ(request(0x1234, 0, 512, false, NULL), VIRTIO_BLK_S_UNSUPP);
	CHECK_EQ(request(VIRTIO_BLK_T_SCSI_CMD, 0, 512, false, NULL), VIRTIO_BLK_S_UNSUPP);
	CHECK_EQ(request(VIRTIO_BLK_T_SECURE_ERASE, 0, 16, false, NULL), VIRTIO_BLK_S_UNSUPP);
	/* Discard: zero segments, a partial segment, too many segments, a huge segment. */
	CHECK_EQ(request(VIRTIO_BLK_T_DISCARD, 0, 0, false, NULL), VIRTIO_BLK_S_UNSUPP);
	CHECK_EQ(request(VIRTIO_BLK_T_DISCARD, 0, 12, false, NULL), VIRTIO_BLK_S_UNSUPP);
	CHECK_EQ(request(VIRTIO_BLK_T_DISCARD, 0, 16 * 4096 / 16 * 16, false, NULL), VIRTIO_BLK_S_UNSUPP);
	memset(ram + BUF_GPA + 0x1000, 0xff, 16);
	ram[BUF_GPA + 0x1000 + 12] = 0;
	CHECK_EQ(request(VIRTIO_BLK_T_DISCARD, 0, 16, false, NULL), VIRTIO_BLK_S_IOERR);
	/* A short header (8 bytes): IOERR, with the status still written. */
	{
		struct seg s[2] = { { BUF_GPA, 8, false }, { BUF_GPA + 0x100, 1, true } };

		ram[BUF_GPA + 0x100] = 0xff;
		CHECK_EQ(submit(s, 2), 1);
		CHECK_EQ(ram[BUF_GPA + 0x100], VIRTIO_BLK_S_IOERR);
	}
	/* No writable byte at all: returned with length 0, nothing written. */
	{
		struct seg s[1] = { { BUF_GPA, 16, false } };

		h->type = VIRTIO_BLK_T_IN;
		CHECK_EQ(submit(s, 1), 0);
	}
	/* Data descriptor outside guest RAM: the virtqueue rejects the chain (length 0). */
	{
		struct seg s[3] = { { BUF_GPA, 16, false }, { MEM_SIZE - 256, 512, true },
				    { BUF_GPA + 0x100, 1, true } };

		h->type = VIRTIO_BLK_T_IN;
		h->sector = 0;
		CHECK_EQ(submit(s, 3), 0);
	}
	/* The device still works, and the host saw nothing outside the image. */
	CHECK_EQ(request(VIRTIO_BLK_T_IN, 0, 512, true, NULL), VIRTIO_BLK_S_OK);
	CHECK(stat(img, &st) == 0 && st.st_size == IMG_SIZE);
	read_img(0, buf, 512);
	CHECK(buf[0] == 0xaa);
	CHECK(stat(outside, &st) == 0 && st.st_size == 4096);
	teardown();
}

static uint64_t rng_state = 0x2545f4914f6cdd1dULL;

static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* Random headers, lengths and descriptor layouts: answers come back, the image never grows. */
static void test_hostile_random(void)
{
	struct virtio_blk_outhdr *h;
	static const uint32_t types[] = { 0, 1, 4, 8, 11, 13, 14, 2, 0xdeadbeef };
	struct stat st;

	setup(false, ~0ULL);
	h = (void *)(ram + BUF_GPA);
	for (int i = 0; i < 2000; i++) {
		struct seg s[3] = {
			{ BUF_GPA, rnd() % 4 ? 16 : rnd() % 40, false },
			{ BUF_GPA + 0x1000 + rnd() % 4096, rnd() % 3 ? (rnd() % 32) * 512 : rnd() % 70000, rnd() % 2 },
			{ BUF_GPA + 0x100, 1 + rnd() % 2, true },
		};

		memset(ram + BUF_GPA + 0x1000, (int)rnd(), 256);
		h->type = types[rnd() % 9];
		h->sector = rnd() % 3 ? rnd() % (IMG_SIZE / 512 + 8) : rnd();
		submit(s, (rnd() % 3) + 1);
	}
	CHECK(stat(img, &st) == 0 && st.st_size == IMG_SIZE);
	CHECK(stat(outside, &st) == 0 && st.st_size == 4096);
	teardown();
}

TEST_MAIN_BEGIN("virtio-blk")
	RUN(test_read_write);
	RUN(test_discard_write_zeroes);
	RUN(test_read_only);
	RUN(test_hostile_requests);
	RUN(test_hostile_random);
TEST_MAIN_END()
