/* tests/fuzz/fuzz-virtqueue.c: libFuzzer target for the split virtqueue and the virtio-mmio transport; every iovec must lie in RAM the VMM may touch. */
#include <errno.h>
#include <sys/mman.h>

#include "fuzz.h"
#include "virtio/transport-mmio.h"
#include "virtio/virtio.h"

/*
 * Guest-physical map (small, so clearing it per input is cheap):
 *   [0x00000, 0x10000)   RAM a
 *   [0x10000, 0x20000)   hole
 *   [0x20000, 0x30000)   RAM b
 *   [0x30000, 0x38000)   RAM c (adjacent to b: chains may cross into it)
 *   [0x40000, 0x80000)   DAX window: GMEM_F_NO_VMM, host pages PROT_NONE
 * RAM is heap memory of the exact size, so ASan reports a byte past a region.
 */
#define NR_RAM		3
#define DAX_GPA		0x40000
#define DAX_SIZE	0x40000
#define NQ		2
#define MAX_POPS	64

static const struct { uint64_t gpa, size; } ram_map[NR_RAM] = {
	{ 0x00000, 0x10000 }, { 0x20000, 0x10000 }, { 0x30000, 0x8000 },
};
static uint8_t *ram[NR_RAM];
static struct guest_mem mem;

struct fdev {
	struct vdev vdev;
	uint8_t config[16];
	struct vq_chain chain;
	uint32_t write_len;	/* what the next pushed chain claims was written */
	bool unpop;
};

static struct fdev fd_dev;
static struct vmmio *mmio;

static bool in_ram(const void *p, size_t len)
{
	for (int i = 0; i < NR_RAM; i++) {
		const uint8_t *lo = ram[i], *hi = ram[i] + ram_map[i].size;

		if ((const uint8_t *)p >= lo && (const uint8_t *)p <= hi && len <= (size_t)(hi - (const uint8_t *)p))
			return true;
	}
	return false;
}

/* Every iovec inside one RAM region, the parts add up, and the bytes can be touched. */
static void check_chain(struct vq_chain *c)
{
	uint64_t out = 0, in = 0;
	uint8_t scratch[64];

	FUZZ_ASSERT(c->nr_out + c->nr_in <= VQ_MAX_IOV, "%u iovecs", c->nr_out + c->nr_in);
	for (unsigned i = 0; i < c->nr_out + c->nr_in; i++) {
		FUZZ_ASSERT(in_ram(c->iov[i].iov_base, c->iov[i].iov_len),
			    "iovec %u (%p, %zu) outside guest RAM", i, c->iov[i].iov_base, c->iov[i].iov_len);
		*(i < c->nr_out ? &out : &in) += c->iov[i].iov_len;
	}
	FUZZ_ASSERT(out == c->out_len && in == c->in_len, "lengths %llu/%u, %llu/%u",
		    (unsigned long long)out, c->out_len, (unsigned long long)in, c->in_len);
	FUZZ_ASSERT(c->head < fd_dev.vdev.queues[0].max_size, "head %u", c->head);
	/* Touch the first and last bytes of each part as a device would. */
	vq_chain_read(c, 0, scratch, sizeof(scratch));
	if (c->out_len)
		vq_chain_read(c, c->out_len - 1, scratch, 1);
	vq_chain_write(c, 0, scratch, sizeof(scratch));
	if (c->in_len)
		vq_chain_write(c, c->in_len - 1, scratch, 1);
}

static void f_notify(struct vdev *d, unsigned q)
{
	struct virtqueue *vq = &d->queues[q];
	struct fdev *f = container_of(d, struct fdev, vdev);

	for (int n = 0; n < MAX_POPS; n++) {
		int ret = vq_pop(vq, &f->chain);

		if (ret == 0)
			break;
		if (ret < 0) {
			FUZZ_ASSERT(ret > -4096, "vq_pop %d", ret);
			if (ret == -EIO)
				break;
			continue;
		}
		check_chain(&f->chain);
		if (f->unpop) {
			vq_unpop(vq, &f->chain);
			f->unpop = false;
			continue;
		}
		vq_push(vq, &f->chain, f->write_len);
	}
	vdev_signal_used(d, vq);
	(void)vq_has_avail(vq);
}

static int f_config_read(struct vdev *d, uint64_t off, void *buf, unsigned len)
{
	FUZZ_ASSERT(off + len <= sizeof(fd_dev.config), "config read %llu+%u", (unsigned long long)off, len);
	memcpy(buf, fd_dev.config + off, len);
	return 0;
}

static int f_config_write(struct vdev *d, uint64_t off, const void *buf, unsigned len)
{
	FUZZ_ASSERT(off + len <= sizeof(fd_dev.config), "config write %llu+%u", (unsigned long long)off, len);
	memcpy(fd_dev.config + off, buf, len);
	return 0;
}

static int f_activate(struct vdev *d)
{
	for (unsigned q = 0; q < d->num_queues; q++)
		FUZZ_ASSERT(!d->queues[q].ready || d->queues[q].desc, "ready queue %u without rings", q);
	return 0;
}

static int f_get_shm(struct vdev *d, unsigned id, uint64_t *base, uint64_t *len)
{
	if (id)
		return -ENOENT;
	*base = DAX_GPA;
	*len = DAX_SIZE;
	return 0;
}

static const struct vdev_ops f_ops = {
	.name = "fuzz-dev", .device_id = VIRTIO_ID_RNG, .num_queues = NQ, .queue_max_size = 256,
	.features = VIRTIO_BIT(VIRTIO_RING_F_EVENT_IDX) | VIRTIO_BIT(VIRTIO_RING_F_INDIRECT_DESC) | 0xff,
	.config_size = sizeof(fd_dev.config),
	.config_read = f_config_read, .config_write = f_config_write, .activate = f_activate,
	.notify = f_notify, .get_shm = f_get_shm,
};

static void setup(void)
{
	void *dax = mmap(NULL, DAX_SIZE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (dax == MAP_FAILED)
		abort();
	for (int i = 0; i < NR_RAM; i++) {
		ram[i] = malloc(ram_map[i].size);
		if (!ram[i] || gmem_add(&mem, ram_map[i].gpa, ram_map[i].size, ram[i]))
			abort();
	}
	if (gmem_add_flags(&mem, DAX_GPA, DAX_SIZE, dax, GMEM_F_NO_VMM))
		abort();
	if (vdev_init(&fd_dev.vdev, &f_ops, &mem, 0) || vmmio_create(&fd_dev.vdev, 0xd0000000, 5, &mmio))
		abort();
}

static void w32(uint64_t off, uint32_t v)
{
	vmmio_write(mmio, off, &v, 4);
}

/* A driver's usual bring-up of queue (q), with sizes and ring addresses from the input. */
static void bring_up(struct fuzz_in *in)
{
	unsigned q = fuzz_u8(in) % (NQ + 1);
	uint32_t feat = fuzz_u32(in);

	w32(VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	w32(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	w32(VIRTIO_MMIO_DRIVER_FEATURES, feat);
	w32(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	w32(VIRTIO_MMIO_DRIVER_FEATURES, 1);
	w32(VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
				VIRTIO_CONFIG_S_FEATURES_OK);
	w32(VIRTIO_MMIO_QUEUE_SEL, q);
	w32(VIRTIO_MMIO_QUEUE_NUM, fuzz_u16(in));
	w32(VIRTIO_MMIO_QUEUE_DESC_LOW, fuzz_u32(in));
	w32(VIRTIO_MMIO_QUEUE_AVAIL_LOW, fuzz_u32(in));
	w32(VIRTIO_MMIO_QUEUE_USED_LOW, fuzz_u32(in));
	w32(VIRTIO_MMIO_QUEUE_READY, 1);
	w32(VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
				VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK);
}

/* Guest writes (len) input bytes at a guest address (only RAM: the guest owns it). */
static void poke(struct fuzz_in *in)
{
	unsigned r = fuzz_u8(in) % NR_RAM;
	uint32_t off = fuzz_u32(in) % ram_map[r].size;
	const uint8_t *b;
	size_t n = fuzz_blob(in, &b, 256);

	if (n > ram_map[r].size - off)
		n = ram_map[r].size - off;
	memcpy(ram[r] + off, b, n);
}

static void mmio_access(struct fuzz_in *in, bool write)
{
	static const unsigned lens[4] = { 1, 2, 4, 8 };
	uint64_t off = fuzz_u16(in) % 0x200, val = fuzz_u64(in);
	unsigned len = lens[fuzz_u8(in) & 3];

	if (write)
		vmmio_write(mmio, off, &val, len);
	else
		vmmio_read(mmio, off, &val, len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };

	if (!ram[0])
		setup();
	w32(VIRTIO_MMIO_STATUS, 0);
	for (int i = 0; i < NR_RAM; i++)
		memset(ram[i], 0, ram_map[i].size);
	while (in.left) {
		switch (fuzz_u8(&in) % 7) {
		case 0: bring_up(&in); break;
		case 1: poke(&in); break;
		case 2: mmio_access(&in, true); break;
		case 3: mmio_access(&in, false); break;
		case 4: fd_dev.write_len = fuzz_u32(&in); break;
		case 5: fd_dev.unpop = true; break;
		default: f_notify(&fd_dev.vdev, fuzz_u8(&in) % NQ); break;
		}
	}
	return 0;
}
