/* tests/unit/test-virtio-net.c: virtio-net against a datagram peer: frames both ways, and a hostile driver (short chains, oversized frames, bogus headers). */
#include <fcntl.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <sys/socket.h>

#include <linux/virtio_config.h>
#include <linux/virtio_mmio.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>

#include "devices/virtio-devices.h"
#include "net/net-backend.h"
#include "test.h"
#include "util/log.h"
#include "virtio/transport-mmio.h"
#include "vmm/event.h"
#include "../common/vdriver.h"

#define MEM_SIZE	(1u << 20)
#define QSIZE		64
#define Q_RX		0
#define Q_TX		1
#define BUF_BASE	0x40000
#define HDR		12

static struct guest_mem mem;
static uint8_t *ram;
static struct ev_loop loop;
static struct vdev *dev;
static struct vmmio *t;
static int peer;			/* the test's end of the backend socket pair */
static uint16_t avail_idx[2], used_seen[2], next_desc[2];
static uint64_t next_buf;
static bool csum_backend;		/* setup() marks the backend's frames checksum-verified */

static uint64_t ring_base(unsigned q)
{
	return VDRV_DESC(q);
}

static void w32(uint64_t off, uint32_t v)
{
	vmmio_write(t, off, &v, 4);
}

static void driver_init(uint64_t features)
{
	vdrv_init(t, features, 2, QSIZE);
}

static void setup(uint64_t drop_features)
{
	struct vtnet_cfg nc = { .mac = { 0x5a, 0x94, 0xef, 0xe4, 0x0c, 0xee } };
	struct net_backend *be;
	int sp[2];

	if (getenv("TEST_LOG"))
		log_configure(-1, atoi(getenv("TEST_LOG")), 2);
	ram = calloc(1, MEM_SIZE);
	mem = (struct guest_mem){ 0 };
	CHECK(gmem_add(&mem, 0, MEM_SIZE, ram) == 0);
	CHECK(ev_init(&loop) == 0);
	CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sp) == 0);
	peer = sp[1];
	CHECK(fcntl(peer, F_SETFL, O_NONBLOCK) == 0);
	CHECK(net_unixgram_create(NULL, sp[0], false, &be) == 0);
	be->rx_csum_valid = csum_backend;
	close(sp[0]);
	nc.backend = be;
	CHECK(vtnet_create(&mem, &loop, &nc, &dev) == 0);
	CHECK(vmmio_create(dev, 0xd0000000, 5, &t) == 0);
	dev->irqfd = eventfd(0, EFD_NONBLOCK);
	driver_init(dev->host_features & ~drop_features);
	memset(avail_idx, 0, sizeof(avail_idx));
	memset(used_seen, 0, sizeof(used_seen));
	memset(next_desc, 0, sizeof(next_desc));
	next_buf = BUF_BASE;
}

/* A chain of (n) descriptors (len[i], write if wr) made available on (q); returns its head. */
static uint16_t add_chain(unsigned q, unsigned n, const uint32_t *len, bool wr, uint64_t *addr)
{
	struct vring_desc *d = (struct vring_desc *)(ram + ring_base(q));
	uint16_t *avail = (uint16_t *)(ram + ring_base(q) + 0x1000);
	uint16_t head = next_desc[q];

	for (unsigned i = 0; i < n; i++) {
		uint16_t idx = (head + i) % QSIZE;

		d[idx].addr = next_buf;
		d[idx].len = len[i];
		d[idx].flags = (wr ? VRING_DESC_F_WRITE : 0) | (i + 1 < n ? VRING_DESC_F_NEXT : 0);
		d[idx].next = (idx + 1) % QSIZE;
		if (addr)
			addr[i] = next_buf;
		next_buf += (len[i] + 63) & ~63u;
		if (next_buf > MEM_SIZE - 0x20000)
			next_buf = BUF_BASE;
	}
	next_desc[q] = (head + n) % QSIZE;
	avail[2 + avail_idx[q] % QSIZE] = head;
	__atomic_store_n(&avail[1], ++avail_idx[q], __ATOMIC_RELEASE);
	return head;
}

/* The next used element of (q): false if none. */
static bool take_used(unsigned q, uint32_t *id, uint32_t *len)
{
	struct vring_used *u = (struct vring_used *)(ram + ring_base(q) + 0x2000);

	if (__atomic_load_n(&u->idx, __ATOMIC_ACQUIRE) == used_seen[q])
		return false;
	*id = u->ring[used_seen[q] % QSIZE].id;
	*len = u->ring[used_seen[q] % QSIZE].len;
	used_seen[q]++;
	return true;
}

/* Transmit (frame_len) bytes after a header of (hdr_len) bytes with bogus fields; the frame byte pattern is (fill). */
static void tx(uint32_t hdr_len, uint32_t frame_len, uint8_t fill)
{
	uint32_t lens[2] = { hdr_len, frame_len };
	uint64_t addr[2];

	add_chain(Q_TX, frame_len ? 2 : 1, lens, false, addr);
	memset(ram + addr[0], 0xff, hdr_len);	/* num_buffers 0xffff, bogus flags: ignored */
	if (frame_len)
		memset(ram + addr[1], fill, frame_len);
	dev->ops->notify(dev, Q_TX);
}

static void test_tx(void)
{
	uint8_t buf[70000];
	uint32_t id, len;
	ssize_t n;

	setup(0);
	tx(HDR, 60, 0xab);
	n = recv(peer, buf, sizeof(buf), 0);
	CHECK_EQ(n, 60);
	CHECK(buf[0] == 0xab && buf[59] == 0xab);
	CHECK(take_used(Q_TX, &id, &len));
	/* Shorter than the header, header without a frame, a runt: dropped, returned, nothing sent. */
	tx(5, 0, 0);
	tx(HDR, 0, 0);
	tx(HDR, 6, 0x11);
	/* Over the largest frame (no MTU announced for this backend): dropped. */
	tx(HDR, NET_MAX_FRAME + 1, 0x22);
	CHECK(take_used(Q_TX, &id, &len) && take_used(Q_TX, &id, &len) &&
	      take_used(Q_TX, &id, &len) && take_used(Q_TX, &id, &len));
	CHECK(recv(peer, buf, sizeof(buf), MSG_DONTWAIT) < 0);
	/* The largest legal frame still goes through. */
	tx(HDR, NET_MAX_FRAME, 0x33);
	CHECK_EQ(recv(peer, buf, sizeof(buf), 0), NET_MAX_FRAME);
}

static void post_rx(unsigned n, uint32_t each)
{
	for (unsigned i = 0; i < n; i++)
		add_chain(Q_RX, 1, &each, true, NULL);
}

/* A 4000-byte frame over 1500-byte mergeable buffers: 3 buffers, num_buffers = 3. */
static void test_rx_mergeable(void)
{
	uint8_t frame[4000];
	uint32_t id = 0, len = 0, total = 0;
	struct virtio_net_hdr_v1 *h;
	struct vring_desc *d;

	setup(0);
	d = (struct vring_desc *)(ram + ring_base(Q_RX));
	post_rx(8, 1500);
	for (size_t i = 0; i < sizeof(frame); i++)
		frame[i] = (uint8_t)i;
	CHECK_EQ(send(peer, frame, sizeof(frame), 0), (ssize_t)sizeof(frame));
	dev->ops->notify(dev, Q_RX);
	CHECK(take_used(Q_RX, &id, &len));
	h = (struct virtio_net_hdr_v1 *)(ram + d[id].addr);
	CHECK_EQ(h->num_buffers, 3);
	CHECK_EQ(h->flags, 0);
	CHECK(!memcmp(ram + d[id].addr + HDR, frame, len - HDR));
	total = len;
	for (int i = 0; i < 2; i++) {
		CHECK(take_used(Q_RX, &id, &len));
		total += len;
	}
	CHECK_EQ(total, sizeof(frame) + HDR);
	CHECK(!take_used(Q_RX, &id, &len));
}

/* No buffers: the frame waits (bounded: one frame), then arrives once the driver posts some. */
/* DATA_VALID only for a backend that builds its frames (libslirp) and a driver that took GUEST_CSUM. */
static void test_rx_data_valid(void)
{
	uint8_t frame[100] = { 0 };
	uint32_t id = 0, len = 0;
	struct vring_desc *d;

	setup(0);
	CHECK(!(dev->host_features & VIRTIO_BIT(VIRTIO_NET_F_GUEST_CSUM)));
	for (int pass = 0; pass < 2; pass++) {
		csum_backend = true;
		setup(pass ? VIRTIO_BIT(VIRTIO_NET_F_GUEST_CSUM) : 0);
		csum_backend = false;
		CHECK(dev->host_features & VIRTIO_BIT(VIRTIO_NET_F_GUEST_CSUM));
		d = (struct vring_desc *)(ram + ring_base(Q_RX));
		post_rx(1, 1500);
		CHECK_EQ(send(peer, frame, sizeof(frame), 0), (ssize_t)sizeof(frame));
		dev->ops->notify(dev, Q_RX);
		CHECK(take_used(Q_RX, &id, &len));
		CHECK_EQ(((struct virtio_net_hdr_v1 *)(ram + d[id].addr))->flags,
			 pass ? 0 : VIRTIO_NET_HDR_F_DATA_VALID);
	}
}

static void test_rx_backpressure(void)
{
	uint8_t frame[100] = { 1, 2, 3 };
	uint32_t id, len;

	setup(0);
	CHECK_EQ(send(peer, frame, sizeof(frame), 0), 100);
	CHECK_EQ(send(peer, frame, sizeof(frame), 0), 100);
	dev->ops->notify(dev, Q_RX);
	CHECK(!take_used(Q_RX, &id, &len));
	post_rx(1, 2048);
	dev->ops->notify(dev, Q_RX);
	CHECK(take_used(Q_RX, &id, &len) && len == 100 + HDR);
	CHECK(!take_used(Q_RX, &id, &len));
	post_rx(1, 2048);
	dev->ops->notify(dev, Q_RX);
	CHECK(take_used(Q_RX, &id, &len) && len == 100 + HDR);
}

/* Hostile receive buffers: readable ones, ones shorter than the header, 1-byte ones. */
static void test_rx_hostile(void)
{
	uint8_t frame[3000] = { 0 };
	uint32_t id, len, small = 4, one = 1;
	int got = 0;

	setup(0);
	add_chain(Q_RX, 1, &small, true, NULL);		/* shorter than the header */
	add_chain(Q_RX, 1, &small, false, NULL);	/* device-readable */
	/* Each bad buffer costs the frame being delivered: two frames, two buffers returned empty. */
	CHECK_EQ(send(peer, frame, sizeof(frame), 0), 3000);
	CHECK_EQ(send(peer, frame, sizeof(frame), 0), 3000);
	dev->ops->notify(dev, Q_RX);
	while (take_used(Q_RX, &id, &len)) {
		CHECK_EQ(len, 0);
		got++;
	}
	CHECK_EQ(got, 2);
	/* Without MRG_RXBUF a frame larger than the one buffer is dropped, not truncated. */
	setup(VIRTIO_BIT(VIRTIO_NET_F_MRG_RXBUF));
	post_rx(2, 1000);
	CHECK_EQ(send(peer, frame, sizeof(frame), 0), 3000);
	dev->ops->notify(dev, Q_RX);
	while (take_used(Q_RX, &id, &len))
		CHECK_EQ(len, 0);
	/* Hundreds of 1-byte buffers: more than a frame may span; dropped, the device goes on. */
	setup(0);
	for (int i = 0; i < QSIZE - 1; i++)
		add_chain(Q_RX, 1, &one, true, NULL);
	CHECK_EQ(send(peer, frame, 60, 0), 60);
	dev->ops->notify(dev, Q_RX);
	tx(HDR, 60, 0x44);
	CHECK_EQ(recv(peer, frame, sizeof(frame), 0), 60);
}

/* The peer hangs up: link status goes down, transmit chains are still returned. */
static void test_peer_gone(void)
{
	uint32_t id, len;
	uint16_t status = 1;

	setup(0);
	close(peer);
	tx(HDR, 60, 0x55);
	CHECK(take_used(Q_TX, &id, &len));
	vmmio_read(t, 0x100 + offsetof(struct virtio_net_config, status), &status, 2);
	CHECK_EQ(status, 0);
	tx(HDR, 60, 0x55);
	CHECK(take_used(Q_TX, &id, &len));
}

static uint64_t rnd(void)
{
	static uint64_t x = 0x9e3779b97f4a7c15ULL;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return x;
}

/* Random rings, indices and frames both ways, with resets: no crash, frames stay whole. */
static void test_random(void)
{
	static uint8_t frame[NET_MAX_FRAME + 100];

	setup(0);
	for (int round = 0; round < 400; round++) {
		for (unsigned q = 0; q < 2; q++) {
			uint8_t *r = ram + ring_base(q);
			uint16_t *avail = (uint16_t *)(r + 0x1000);

			for (unsigned i = 0; i < QSIZE; i++) {
				uint64_t *d = (uint64_t *)(r + 16 * i);

				d[0] = rnd() % 4 ? BUF_BASE + rnd() % (MEM_SIZE - BUF_BASE) : rnd();
				d[1] = rnd() & 0x7fff00070001ffffULL;
			}
			for (unsigned i = 0; i < QSIZE; i++)
				avail[2 + i] = rnd() % 16 ? rnd() % QSIZE : rnd();
			avail[1] = rnd() % 16 ? dev->queues[q].last_avail_idx + rnd() % 8 : rnd();
			dev->ops->notify(dev, q);
		}
		send(peer, frame, rnd() % sizeof(frame), MSG_DONTWAIT);
		while (recv(peer, frame, sizeof(frame), MSG_DONTWAIT) > 0)
			;
		if (round % 100 == 99) {
			w32(VIRTIO_MMIO_STATUS, 0);
			driver_init(dev->host_features);
		}
	}
}

TEST_MAIN_BEGIN("virtio-net")
	RUN(test_tx);
	RUN(test_rx_mergeable);
	RUN(test_rx_data_valid);
	RUN(test_rx_backpressure);
	RUN(test_rx_hostile);
	RUN(test_peer_gone);
	RUN(test_random);
TEST_MAIN_END()
