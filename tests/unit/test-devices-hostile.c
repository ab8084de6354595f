/* tests/unit/test-devices-hostile.c: a hostile driver feeds random rings and registers to each device; the VMM must not crash. */
#include <fcntl.h>
#include <sys/stat.h>
#include <stdint.h>
#include <sys/eventfd.h>

#include <linux/virtio_config.h>
#include <linux/virtio_mmio.h>

#include "devices/virtio-devices.h"
#include "disk/disk.h"
#include "libkrun.h"
#include "test.h"
#include "util/log.h"
#include "virtio/transport-mmio.h"
#include "vmm/event.h"

#define MEM_SIZE	(1u << 20)
#define QSIZE		128
#define RING_STRIDE	0x4000
#define ROUNDS		300

static struct guest_mem mem;
static uint8_t *ram;
static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static void w32(struct vmmio *t, uint64_t off, uint32_t v)
{
	vmmio_write(t, off, &v, 4);
}

/* Bring the device up like a driver would, with rings at fixed places in guest RAM. */
static void driver_init(struct vmmio *t, struct vdev *dev)
{
	w32(t, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	w32(t, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	w32(t, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)dev->host_features);
	w32(t, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	w32(t, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(dev->host_features >> 32));
	w32(t, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
				   VIRTIO_CONFIG_S_FEATURES_OK);
	for (unsigned q = 0; q < dev->num_queues && q * RING_STRIDE < MEM_SIZE / 2; q++) {
		uint64_t base = q * RING_STRIDE;

		w32(t, VIRTIO_MMIO_QUEUE_SEL, q);
		w32(t, VIRTIO_MMIO_QUEUE_NUM, QSIZE > dev->queues[q].max_size ? dev->queues[q].max_size : QSIZE);
		w32(t, VIRTIO_MMIO_QUEUE_DESC_LOW, base);
		w32(t, VIRTIO_MMIO_QUEUE_AVAIL_LOW, base + 0x2000);
		w32(t, VIRTIO_MMIO_QUEUE_USED_LOW, base + 0x3000);
		w32(t, VIRTIO_MMIO_QUEUE_READY, 1);
	}
	w32(t, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
				   VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK);
}

/* Random descriptors (some pointing into RAM, some not), a random avail index, random registers. */
static void hostile_round(struct vmmio *t, struct vdev *dev)
{
	for (unsigned q = 0; q < dev->num_queues && q * RING_STRIDE < MEM_SIZE / 2; q++) {
		uint8_t *r = ram + q * RING_STRIDE;

		for (unsigned i = 0; i < QSIZE; i++) {
			uint64_t *d = (uint64_t *)(r + 16 * i);

			d[0] = rnd() % 4 ? MEM_SIZE / 2 + rnd() % (MEM_SIZE / 2) : rnd();
			d[1] = rnd() & 0x7fff00070000ffffULL; /* len, flags, next */
		}
		/* Mostly valid heads and a plausible index, so the chain walker gets exercised. */
		uint16_t *avail = (uint16_t *)(r + 0x2000);
		bool wild = rnd() % 16 == 0;

		avail[0] = rnd();
		for (unsigned i = 0; i < QSIZE; i++)
			avail[2 + i] = wild ? rnd() : rnd() % QSIZE;
		avail[1] = wild ? rnd() : dev->queues[q].last_avail_idx + rnd() % 8;
		dev->ops->notify(dev, q);
	}
	uint32_t v = rnd(), off = rnd() % 0x200;
	if (rnd() % 64 == 0)
		vmmio_write(t, off & ~3u, &v, 4);
	vmmio_read(t, off, &v, 1 << (rnd() % 3));
}

static void hammer(struct vdev *dev)
{
	struct vmmio *t;

	CHECK(vmmio_create(dev, 0xd0000000, 5, &t) == 0);
	dev->irqfd = eventfd(0, EFD_NONBLOCK);
	for (int i = 0; i < ROUNDS; i++) {
		if (i % 50 == 0) {
			w32(t, VIRTIO_MMIO_STATUS, 0); /* reset, then a fresh init */
			driver_init(t, dev);
		}
		hostile_round(t, dev);
	}
}

static void setup(void)
{
	if (getenv("TEST_LOG"))
		log_configure(-1, atoi(getenv("TEST_LOG")), 2);
	mem = (struct guest_mem){ 0 };
	ram = calloc(1, MEM_SIZE);
	CHECK(gmem_add(&mem, 0, MEM_SIZE, ram) == 0);
}

static void test_rng(void)
{
	struct vdev *dev;

	size_t nonzero = 0;

	setup();
	CHECK(vtrng_create(&mem, &dev) == 0);
	hammer(dev);
	/* Some random chains were valid: the device really filled buffers in guest RAM. */
	for (size_t i = MEM_SIZE / 2; i < MEM_SIZE; i++)
		nonzero += ram[i] != 0;
	CHECK(nonzero > 0);
}

static void test_balloon(void)
{
	struct vdev *dev;

	setup();
	CHECK(vtbal_create(&mem, &dev) == 0);
	hammer(dev);
}

static void test_console(void)
{
	struct vtcon_port_cfg ports[3];
	int in[2], out[2];
	struct ev_loop loop;
	struct vdev *dev;

	setup();
	CHECK(ev_init(&loop) == 0);
	CHECK(pipe2(in, O_NONBLOCK) == 0 && pipe2(out, O_NONBLOCK) == 0);
	CHECK(write(in[1], "input bytes", 11) == 11);
	ports[0] = (struct vtcon_port_cfg){ .console = true, .in_fd = -1, .out_fd = out[1] };
	ports[1] = (struct vtcon_port_cfg){ .name = "krun-stdin", .in_fd = in[0], .out_fd = -1 };
	ports[2] = (struct vtcon_port_cfg){ .name = "krun-stdout", .in_fd = -1, .out_fd = out[1] };
	CHECK(vtcon_create(&mem, &loop, ports, 3, &dev) == 0);
	hammer(dev);
	vtcon_flush(dev);
}

/* Random FUSE requests through the virtio-fs device: served on its worker thread, contained in the share. */
static void test_fs(void)
{
	char dir[] = "/tmp/krun-hostile-XXXXXX", share[64], outside[64], cmd[96];
	struct vtfs_cfg fc = { .tag = "hostile" };
	struct vdev *dev;
	struct stat st;
	FILE *f;

	setup();
	CHECK(mkdtemp(dir) != NULL);
	snprintf(share, sizeof(share), "%s/share", dir);
	snprintf(outside, sizeof(outside), "%s/outside", dir);
	CHECK(mkdir(share, 0755) == 0);
	f = fopen(outside, "w");
	CHECK(f && fputs("keep", f) >= 0 && fclose(f) == 0);
	fc.root_dir = share;
	CHECK(vtfs_create(&mem, &fc, &dev) == 0);
	hammer(dev);
	usleep(200 * 1000); /* let the worker drain what it was given */
	CHECK(stat(outside, &st) == 0 && st.st_size == 4);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	CHECK(system(cmd) == 0);
}

/* virtio-blk over a raw image: random rings, served on its worker thread, the image never grows. */
static void test_blk(void)
{
	char dir[] = "/tmp/krun-hostile-blk-XXXXXX", img[64], cmd[96];
	struct disk_cfg dc = { .path = img, .format = KRUN_DISK_FORMAT_RAW, .sync_mode = KRUN_SYNC_NONE };
	struct disk *disk;
	struct vdev *dev;
	struct stat st;

	setup();
	CHECK(mkdtemp(dir) != NULL);
	snprintf(img, sizeof(img), "%s/disk.img", dir);
	snprintf(cmd, sizeof(cmd), "truncate -s 1M '%s'", img);
	CHECK(system(cmd) == 0);
	CHECK(disk_open(&dc, &disk) == 0);
	CHECK(vtblk_create(&mem, disk, "hostile", &dev) == 0);
	hammer(dev);
	usleep(200 * 1000);
	vtblk_shutdown(dev);
	CHECK(stat(img, &st) == 0 && st.st_size == 1 << 20);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	CHECK(system(cmd) == 0);
}

TEST_MAIN_BEGIN("devices-hostile")
	RUN(test_rng);
	RUN(test_balloon);
	RUN(test_console);
	RUN(test_fs);
	RUN(test_blk);
TEST_MAIN_END()
