/* tests/fuzz/fuzz-blk-req.c: libFuzzer target for virtio-blk's request parsing (src/devices/virtio-blk.c) over a raw image, with a model of the disk. */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/virtio_mmio.h>
#include <linux/virtio_ring.h>

/*
 * The device's own file, so that its requests can be served on this thread:
 * vtblk_create() starts a worker, and a target that waits on another thread
 * neither replays exactly nor bounds a hang. fuzz_vtblk_new() below builds
 * the same device without it and calls vtblk_drain() directly.
 */
#include "../../src/devices/virtio-blk.c"

#include "disk/disk.h"
#include "fuzz.h"
#include "libkrun.h"
#include "util/log.h"
#include "virtio/transport-mmio.h"
#include "../common/vdriver.h"

/*
 * Input: u8 setup (bit 0: the read-only disk, bit 1: EVENT_IDX, bit 2:
 * INDIRECT_DESC), then up to 16 requests. Each: u8 kind (the request type:
 * the six known ones, or any u32 from the input), u8 layout (header split
 * over two descriptors, 0..3 data descriptors, the status byte alone or at
 * the end of the last data descriptor, no writable byte at all, data of the
 * wrong direction, a readable descriptor after a writable one, the chain in
 * an indirect table), u32 sector (mostly inside the disk), u16 length, and
 * for DISCARD/WRITE_ZEROES the segments (a count, then sector, sectors, flags
 * each, mostly plausible). Each chain is served by vtblk_drain() at once.
 *
 * Oracle besides ASan/UBSan: each chain comes back once, under its head, its
 * used length at most its writable bytes (0 for a malformed chain or one
 * without a writable byte); the status byte (the chain's last writable byte)
 * is OK, IOERR or UNSUPP and agrees with the request: OK only inside the disk,
 * on whole sectors, writes and zeroing only on the writable disk, unknown
 * types UNSUPP, GET_ID the id's first bytes; an OK read returns what the model
 * says the disk holds (writes, zeroed ranges; discarded ranges become
 * unknown), a failed one writes only the status byte; readable buffers are
 * never written; the image file keeps its size.
 */
#define MEM_SIZE	(4u << 20)
#define QSIZE		64
#define DESC_GPA	VDRV_DESC(0)
#define AVAIL_GPA	VDRV_AVAIL(0)
#define USED_GPA	VDRV_USED(0)
#define INDIRECT_GPA	0x3000
#define BUF_BASE	0x4000
#define DISK_BYTES	(256u << 10)
#define DISK_SECTORS	(DISK_BYTES / DISK_SECTOR)
#define MAX_DATA	(64u << 10)
#define MAX_DESC	8
#define BLK_ID		"fuzz-blk-req-serial0"	/* 20 bytes: not terminated in GET_ID */

struct fdev {
	struct vtblk *b;
	struct vmmio *mmio;
};

static uint8_t *ram;
static struct guest_mem mem;
static struct fdev devs[2];		/* writable, read-only */
static char dir[64], img[96];
static uint8_t pattern[DISK_BYTES], model[DISK_BYTES];
static bool known[DISK_SECTORS];
static bool dirty;
static uint16_t avail_idx, used_seen;
static uint64_t next_buf;
static int img_fd = -1;

struct desc {
	uint64_t addr;
	uint32_t len;
	bool write;
};

/* vtblk_create() without the worker thread: the target drains the queue itself. */
static struct vtblk *fuzz_vtblk_new(struct disk *disk)
{
	struct vtblk *b = calloc(1, sizeof(*b));

	if (!b)
		abort();
	b->disk = disk;
	memcpy(b->id, BLK_ID, sizeof(b->id));
	vtblk_fill_config(b);
	pthread_mutex_init(&b->io_lock, NULL);
	b->wake_fd = -1;
	if (vdev_init(&b->vdev, &vtblk_ops, &mem, 0))
		abort();
	if (disk->read_only)
		b->vdev.host_features |= VIRTIO_BIT(VIRTIO_BLK_F_RO);
	else
		b->vdev.host_features |= VIRTIO_BIT(VIRTIO_BLK_F_DISCARD) |
					 VIRTIO_BIT(VIRTIO_BLK_F_WRITE_ZEROES);
	b->vdev.irqfd = -1;
	return b;
}

/* Reset, then bring the queue up with (features): the path a guest's driver takes. */
static void driver_init(struct vmmio *m, uint64_t features)
{
	vdrv_w32(m, VIRTIO_MMIO_STATUS, 0);
	vdrv_init(m, features, 1, QSIZE);
}

/* libFuzzer returns from its driver at the end of a run: leave no scratch directory behind. */
static void remove_scratch(void)
{
	unlink(img);
	rmdir(dir);
}

static void setup(void)
{
	const char *tmp = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	struct disk_cfg dc = { .path = img, .format = KRUN_DISK_FORMAT_RAW, .sync_mode = KRUN_SYNC_NONE };
	struct disk *d;

	if (!getenv("FUZZ_LOG"))
		log_configure(-1, 0, 2);	/* bad requests log by design */
	snprintf(dir, sizeof(dir), "%s/krun-fuzz-blk-req-XXXXXX", tmp);
	if (!mkdtemp(dir))
		abort();
	snprintf(img, sizeof(img), "%s/disk.img", dir);
	atexit(remove_scratch);
	for (unsigned i = 0; i < DISK_BYTES; i++)
		pattern[i] = (uint8_t)(i * 13 + (i >> 9) + 1);
	img_fd = open(img, O_CREAT | O_RDWR | O_TRUNC | O_CLOEXEC, 0644);
	if (img_fd < 0 || pwrite(img_fd, pattern, DISK_BYTES, 0) != DISK_BYTES)
		abort();
	ram = calloc(1, MEM_SIZE);
	if (!ram || gmem_add(&mem, 0, MEM_SIZE, ram))
		abort();
	for (int ro = 0; ro < 2; ro++) {
		dc.read_only = ro;
		if (disk_open(&dc, &d))
			abort();
		devs[ro].b = fuzz_vtblk_new(d);
		if (vmmio_create(&devs[ro].b->vdev, 0xd0000000, 5, &devs[ro].mmio))
			abort();
	}
}

/* The image back to the pattern (only when the last input changed it), the model with it. */
static void reset_disk(void)
{
	if (dirty && pwrite(img_fd, pattern, DISK_BYTES, 0) != DISK_BYTES)
		abort();
	dirty = false;
	memcpy(model, pattern, DISK_BYTES);
	memset(known, 1, sizeof(known));
}

static uint64_t take_buf(uint32_t len)
{
	uint64_t a = next_buf;

	next_buf += (len + 63) & ~63u;
	FUZZ_ASSERT(next_buf <= MEM_SIZE, "harness ran out of guest RAM");
	return a;
}

/* Posts the chain (direct, or one indirect descriptor naming a table); returns its head. */
static uint16_t post(const struct desc *d, unsigned n, bool indirect)
{
	struct vring_desc *table = (struct vring_desc *)(ram + (indirect ? INDIRECT_GPA : DESC_GPA));
	struct vring_desc *ring = (struct vring_desc *)(ram + DESC_GPA);
	uint16_t *avail = (uint16_t *)(ram + AVAIL_GPA);
	uint16_t head = 0;	/* one request in flight at a time: slots 0..n-1 are free */

	for (unsigned i = 0; i < n; i++)
		table[i] = (struct vring_desc){
			.addr = d[i].addr, .len = d[i].len, .next = i + 1,
			.flags = (d[i].write ? VRING_DESC_F_WRITE : 0) | (i + 1 < n ? VRING_DESC_F_NEXT : 0),
		};
	if (indirect)
		ring[head] = (struct vring_desc){ .addr = INDIRECT_GPA, .len = n * sizeof(*table),
						  .flags = VRING_DESC_F_INDIRECT };
	avail[2 + avail_idx % QSIZE] = head;
	__atomic_store_n(&avail[1], ++avail_idx, __ATOMIC_RELEASE);
	return head;
}

struct req {
	uint32_t type;
	uint64_t sector;
	struct desc d[MAX_DESC];
	unsigned n;
	bool bad_order;		/* a readable descriptor after a writable one */
	uint32_t out_bytes, in_bytes;
	uint8_t out[16 + MAX_DATA];	/* the readable bytes, as the device should see them */
};

static uint32_t pick_type(struct fuzz_in *in, uint8_t kind)
{
	static const uint32_t known_types[] = {
		VIRTIO_BLK_T_IN, VIRTIO_BLK_T_OUT, VIRTIO_BLK_T_FLUSH, VIRTIO_BLK_T_GET_ID,
		VIRTIO_BLK_T_DISCARD, VIRTIO_BLK_T_WRITE_ZEROES, VIRTIO_BLK_T_IN, VIRTIO_BLK_T_OUT,
	};

	return kind & 0x80 ? fuzz_u32(in) : known_types[kind % 8];
}

/* DISCARD/WRITE_ZEROES segments: mostly well-formed, sometimes anything. */
static uint32_t fill_segments(struct fuzz_in *in, uint8_t *p, uint32_t room)
{
	uint8_t shape = fuzz_u8(in);
	unsigned nseg = shape % 36;
	uint32_t bytes = 0;

	for (unsigned i = 0; i < nseg && bytes + 16 <= room; i++) {
		struct vtblk_range r = { .sector = fuzz_u32(in), .num_sectors = fuzz_u16(in),
					 .flags = fuzz_u8(in) };

		if (!(shape & 0x40)) {
			r.sector %= DISK_SECTORS + 1;
			r.num_sectors %= 64;
			r.flags &= 1;
		} else if (r.flags & 0x80) {
			r.sector = fuzz_u64(in);
			r.num_sectors = fuzz_u32(in);
			r.flags = fuzz_u32(in);
		}
		memcpy(p + bytes, &r, sizeof(r));
		bytes += sizeof(r);
	}
	/* Sometimes a part of a segment more. */
	if ((shape & 0x80) && bytes + 8 <= room)
		bytes += 8;
	return bytes;
}

/* Lays the request out in guest RAM as descriptors, from the input. */
static void build(struct fuzz_in *in, struct req *r)
{
	uint8_t kind = fuzz_u8(in), layout = fuzz_u8(in);
	uint32_t sector = fuzz_u32(in), len = fuzz_u16(in), body = 0;
	unsigned ndata = layout >> 2 & 3;
	bool data_in, hdr_split = layout & 1, status_alone = !(layout & 2);
	struct virtio_blk_outhdr hdr;
	uint32_t split;

	r->type = pick_type(in, kind);
	r->sector = kind & 0x40 ? sector : sector % (DISK_SECTORS + 2);
	len = kind & 0x20 ? len % (MAX_DATA + 1) : (len % (MAX_DATA / DISK_SECTOR + 1)) * DISK_SECTOR;
	data_in = r->type == VIRTIO_BLK_T_IN || r->type == VIRTIO_BLK_T_GET_ID;
	if (layout & 0x40)
		data_in = !data_in;	/* the wrong direction */
	hdr = (struct virtio_blk_outhdr){ .type = r->type, .sector = r->sector };
	memcpy(r->out, &hdr, sizeof(hdr));
	r->out_bytes = sizeof(hdr);
	if (layout & 0x10)
		r->out_bytes = fuzz_u8(in) % sizeof(hdr);	/* a short header, nothing after it */
	if (!data_in && r->out_bytes == sizeof(hdr)) {
		if (r->type == VIRTIO_BLK_T_DISCARD || r->type == VIRTIO_BLK_T_WRITE_ZEROES)
			body = fill_segments(in, r->out + r->out_bytes, MAX_DATA);
		else
			fuzz_take(in, r->out + r->out_bytes, body = len < 256 ? len : 256);
		if (len > body && r->type != VIRTIO_BLK_T_DISCARD && r->type != VIRTIO_BLK_T_WRITE_ZEROES)
			memset(r->out + r->out_bytes + body, body, len - body), body = len;
		r->out_bytes += body;
	}
	/* The readable part: the header (maybe over two descriptors), then the data when it is readable. */
	r->n = 0;
	split = hdr_split && r->out_bytes > 1 ? 1 + fuzz_u8(in) % (r->out_bytes - 1) : r->out_bytes;
	r->d[r->n++] = (struct desc){ take_buf(split), split, false };
	if (split < r->out_bytes)
		r->d[r->n++] = (struct desc){ take_buf(r->out_bytes - split), r->out_bytes - split, false };
	/* The writable part: data in 1..3 descriptors when it is writable, then the status byte. */
	if (data_in && len) {
		unsigned k = ndata ? ndata : 1;
		uint32_t left = len;

		for (unsigned i = 0; i < k; i++) {
			uint32_t part = i + 1 == k ? left : left / 2;

			if (i + 1 == k && !status_alone)
				part++;	/* the status byte ends the last data descriptor */
			r->d[r->n++] = (struct desc){ take_buf(part), part, true };
			left -= i + 1 == k ? left : part;
		}
	}
	if (!(data_in && len && !status_alone) && !(layout & 0x20))
		r->d[r->n++] = (struct desc){ take_buf(1), 1, true };
	/* Sometimes a readable descriptor after the writable ones: the chain is malformed. */
	r->bad_order = (layout & 0x80) && r->d[r->n - 1].write;
	if (r->bad_order)
		r->d[r->n++] = (struct desc){ take_buf(16), 16, false };
	r->in_bytes = 0;
	for (unsigned i = 0, off = 0; i < r->n; i++) {
		uint8_t *p = ram + r->d[i].addr;

		if (r->d[i].write) {
			memset(p, 0xee, r->d[i].len);	/* the device must overwrite what it claims */
			r->in_bytes += r->d[i].len;
		} else {
			memcpy(p, r->out + off, r->d[i].len < r->out_bytes - off ? r->d[i].len : r->out_bytes - off);
			off += r->d[i].len;
		}
	}
}

/* The writable bytes of the chain from byte (off), (len) of them, gathered into (dst). */
static void gather_in(const struct req *r, uint32_t off, uint8_t *dst, uint32_t len)
{
	for (unsigned i = 0; i < r->n && len; i++) {
		uint32_t k;

		if (!r->d[i].write)
			continue;
		if (off >= r->d[i].len) {
			off -= r->d[i].len;
			continue;
		}
		k = r->d[i].len - off < len ? r->d[i].len - off : len;
		memcpy(dst, ram + r->d[i].addr + off, k);
		dst += k;
		len -= k;
		off = 0;
	}
}

static bool in_disk(uint64_t sector, uint64_t bytes)
{
	return sector <= DISK_SECTORS && bytes <= (uint64_t)(DISK_SECTORS - sector) * DISK_SECTOR;
}

/* Whether the segments are all ones the device accepts, and applies them to the model when (apply). */
static bool segments_ok(const struct req *r, bool apply)
{
	uint32_t bytes = r->out_bytes - 16;

	if (!bytes || bytes % 16 || bytes / 16 > VTBLK_MAX_DISCARD_SEG)
		return false;
	for (uint32_t i = 0; i < bytes / 16; i++) {
		struct vtblk_range g;

		memcpy(&g, r->out + 16 + i * 16, sizeof(g));
		if (!apply && (g.num_sectors > VTBLK_MAX_RANGE_SECTORS ||
			       (r->type == VIRTIO_BLK_T_DISCARD ? g.flags != 0 :
				(g.flags & ~VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP) != 0) ||
			       !in_disk(g.sector, (uint64_t)g.num_sectors * DISK_SECTOR)))
			return false;
		if (!apply)
			continue;
		for (uint64_t s = g.sector; s < g.sector + g.num_sectors; s++) {
			known[s] = r->type == VIRTIO_BLK_T_WRITE_ZEROES;
			memset(model + s * DISK_SECTOR, 0, DISK_SECTOR);
		}
	}
	return true;
}

static void check_read(const struct req *r, uint32_t len)
{
	static uint8_t got[MAX_DATA];

	gather_in(r, 0, got, len);
	for (uint32_t s = 0; s < len / DISK_SECTOR; s++)
		FUZZ_ASSERT(!known[r->sector + s] ||
			    !memcmp(got + s * DISK_SECTOR, model + (r->sector + s) * DISK_SECTOR, DISK_SECTOR),
			    "read of sector %llu differs from what was written",
			    (unsigned long long)(r->sector + s));
}

/* What the device answered must agree with the request. */
static void check(struct fdev *f, const struct req *r, uint32_t used_len)
{
	bool ro = f->b->disk->read_only, full_hdr = r->out_bytes >= 16;
	uint32_t data = r->in_bytes ? r->in_bytes - 1 : 0, wdata = r->out_bytes > 16 ? r->out_bytes - 16 : 0;
	uint8_t status;

	FUZZ_ASSERT(used_len <= r->in_bytes, "used length %u > %u writable bytes", used_len, r->in_bytes);
	if (r->bad_order || !r->in_bytes) {
		FUZZ_ASSERT(used_len == 0, "malformed chain or no status byte, used length %u", used_len);
		return;
	}
	FUZZ_ASSERT(used_len >= 1, "no status byte reported");
	gather_in(r, r->in_bytes - 1, &status, 1);
	FUZZ_ASSERT(status <= VIRTIO_BLK_S_UNSUPP, "status %u", status);
	if (status != VIRTIO_BLK_S_OK || r->type != VIRTIO_BLK_T_IN)
		FUZZ_ASSERT(used_len == 1 || (status == VIRTIO_BLK_S_OK && r->type == VIRTIO_BLK_T_GET_ID),
			    "type %u status %u but %u bytes written", r->type, status, used_len);
	if (!full_hdr) {
		FUZZ_ASSERT(status == VIRTIO_BLK_S_IOERR, "short header, status %u", status);
		return;
	}
	switch (r->type) {
	case VIRTIO_BLK_T_IN:
		if (status != VIRTIO_BLK_S_OK)
			return;
		FUZZ_ASSERT(data % DISK_SECTOR == 0 && in_disk(r->sector, data) && used_len == r->in_bytes,
			    "read of %u bytes at sector %llu: OK, %u used", data,
			    (unsigned long long)r->sector, used_len);
		check_read(r, data);
		return;
	case VIRTIO_BLK_T_OUT:
		if (status != VIRTIO_BLK_S_OK)
			return;
		FUZZ_ASSERT(!ro && wdata % DISK_SECTOR == 0 && in_disk(r->sector, wdata),
			    "write of %u bytes at sector %llu OK (read-only %d)", wdata,
			    (unsigned long long)r->sector, ro);
		memcpy(model + r->sector * DISK_SECTOR, r->out + 16, wdata);
		for (uint32_t s = 0; s < wdata / DISK_SECTOR; s++)
			known[r->sector + s] = true;
		dirty |= wdata > 0;
		return;
	case VIRTIO_BLK_T_FLUSH:
		FUZZ_ASSERT(status == VIRTIO_BLK_S_OK, "flush: status %u", status);
		return;
	case VIRTIO_BLK_T_GET_ID: {
		uint8_t id[VIRTIO_BLK_ID_BYTES];
		uint32_t n = data < sizeof(id) ? data : sizeof(id);

		FUZZ_ASSERT(status == VIRTIO_BLK_S_OK && used_len == n + 1, "GET_ID: status %u, %u used",
			    status, used_len);
		gather_in(r, 0, id, n);
		FUZZ_ASSERT(!memcmp(id, BLK_ID, n), "GET_ID returned other bytes");
		return;
	}
	case VIRTIO_BLK_T_DISCARD:
	case VIRTIO_BLK_T_WRITE_ZEROES:
		if (ro) {
			FUZZ_ASSERT(status == VIRTIO_BLK_S_UNSUPP, "zeroing a read-only disk: status %u", status);
			return;
		}
		if (status != VIRTIO_BLK_S_OK) {
			/* Segments before the failing one may have been applied: their sectors are unknown now. */
			for (uint32_t i = 0; wdata % 16 == 0 && i < wdata / 16 && i < VTBLK_MAX_DISCARD_SEG; i++) {
				struct vtblk_range g;

				memcpy(&g, r->out + 16 + i * 16, sizeof(g));
				for (uint64_t s = g.sector; s < DISK_SECTORS && s < g.sector + g.num_sectors; s++)
					known[s] = false;
			}
			dirty = true;
			return;
		}
		FUZZ_ASSERT(segments_ok(r, false), "bad segments accepted");
		segments_ok(r, true);
		dirty = true;
		return;
	default:
		FUZZ_ASSERT(status == VIRTIO_BLK_S_UNSUPP, "type %u: status %u", r->type, status);
	}
}

/* Readable buffers are the driver's: the device never writes them. */
static void check_readable(const struct req *r)
{
	for (unsigned i = 0, off = 0; i < r->n; i++) {
		uint32_t k;

		if (r->d[i].write)
			continue;
		k = r->d[i].len < r->out_bytes - off ? r->d[i].len : r->out_bytes - off;
		if (off >= r->out_bytes)
			k = 0;
		FUZZ_ASSERT(!memcmp(ram + r->d[i].addr, r->out + off, k), "device wrote a readable buffer");
		off += r->d[i].len;
	}
}

static void one_request(struct fdev *f, struct fuzz_in *in, bool indirect)
{
	static struct req r;
	struct vring_used *used = (struct vring_used *)(ram + USED_GPA);
	uint16_t head;

	next_buf = BUF_BASE;
	build(in, &r);
	head = post(r.d, r.n, indirect);
	vtblk_drain(f->b, &f->b->vdev.queues[0]);
	FUZZ_ASSERT(__atomic_load_n(&used->idx, __ATOMIC_ACQUIRE) == (uint16_t)(used_seen + 1),
		    "used index %u, expected %u", used->idx, (uint16_t)(used_seen + 1));
	FUZZ_ASSERT(used->ring[used_seen % QSIZE].id == head, "used id %u, posted %u",
		    used->ring[used_seen % QSIZE].id, head);
	check(f, &r, used->ring[used_seen % QSIZE].len);
	check_readable(&r);
	used_seen++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	struct fuzz_in in = { data, size };
	uint8_t how;
	struct fdev *f;
	struct stat st;
	uint64_t features;

	if (!ready) {
		setup();
		ready = true;
	}
	how = fuzz_u8(&in);
	f = &devs[how & 1];
	features = VIRTIO_BIT(VIRTIO_F_VERSION_1) | f->b->vdev.host_features;
	if (!(how & 2))
		features &= ~VIRTIO_BIT(VIRTIO_RING_F_EVENT_IDX);
	if (!(how & 4))
		features &= ~VIRTIO_BIT(VIRTIO_RING_F_INDIRECT_DESC);
	reset_disk();
	memset(ram, 0, BUF_BASE);
	driver_init(f->mmio, features);
	avail_idx = used_seen = 0;
	for (int i = 0; i < 16 && in.left; i++)
		one_request(f, &in, (how & 4) && (fuzz_u8(&in) & 1));
	FUZZ_ASSERT(!fstat(img_fd, &st) && st.st_size == DISK_BYTES, "image size changed");
	return 0;
}
