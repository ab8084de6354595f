/* tests/fuzz/fuzz-net.c: libFuzzer target for virtio-net (src/devices/virtio-net.c) over the unixstream backend (src/net/net-unixstream.c): guest TX/RX chains and a hostile peer's byte stream. */
#include <errno.h>
#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/virtio_config.h>
#include <linux/virtio_mmio.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>

#include "devices/virtio-devices.h"
#include "fuzz.h"
#include "net/net-backend.h"
#include "util/log.h"
#include "virtio/transport-mmio.h"
#include "vmm/event.h"
#include "../common/vdriver.h"

/*
 * Per input: a fresh device over a socket pair (the harness is passt), the
 * driver negotiates features from the input, then up to 64 steps: guest
 * transmit chains (1..4 descriptors, lengths that lie, a writable one
 * slipped in), receive buffers of odd sizes, raw bytes from the peer
 * (4-byte big-endian length framing, or garbage), event-loop turns.
 *
 * Oracle besides ASan/UBSan: what the device writes to the peer is a valid
 * frame stream (every length <= NET_MAX_FRAME); every used receive element
 * names a head the driver posted and reports at most the bytes its chain
 * could hold; the first buffer of each received frame holds at least a
 * virtio-net header (later buffers of a MRG_RXBUF frame may hold less, and
 * their count is the header's num_buffers); transmit elements report 0.
 */
#define MEM_SIZE	(32u << 20)	/* 64 steps of up to 4 x 64 KiB never wrap: the oracle reads headers back */
#define QSIZE		64
#define Q_RX		0
#define Q_TX		1
#define QBASE(q)	VDRV_DESC(q)
#define BUF_BASE	0x10000
#define HDR_LEN		12

static uint8_t *ram;
static struct guest_mem mem;
static struct ev_loop loop;
static struct vdev *dev;
static struct vmmio *mmio;
static int peer = -1;
static uint16_t avail_idx[2], used_seen[2], next_desc[2];
static uint64_t next_buf;
static uint32_t rx_cap[QSIZE];		/* writable bytes of the chain posted at head i */
static bool rx_posted[QSIZE];
static uint64_t rx_addr[QSIZE][3];	/* writable descriptors of the chain at head i */
static uint32_t rx_len[QSIZE][3];
static unsigned rx_nseg[QSIZE];
static unsigned rx_more;		/* buffers still to come of the current frame */
static bool mrg;
static uint8_t wire[4 + NET_MAX_FRAME];	/* the peer's view of the device's stream */
static size_t wire_len;

static void driver_init(uint64_t features)
{
	vdrv_init(mmio, features, 2, QSIZE);
}

static void start(uint64_t features)
{
	struct vtnet_cfg nc = { .mac = { 0x5a, 0x94, 0xef, 0xe4, 0x0c, 0xee } };
	struct net_backend *be;
	int sp[2];

	if (!ram) {
		if (!getenv("FUZZ_LOG"))
			log_configure(-1, 0, 2);
		ram = calloc(1, MEM_SIZE);
		if (!ram || gmem_add(&mem, 0, MEM_SIZE, ram) || ev_init(&loop))
			abort();
	}
	memset(ram, 0, BUF_BASE);
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sp) || fcntl(sp[1], F_SETFL, O_NONBLOCK) ||
	    net_unixstream_create(NULL, sp[0], &be))
		abort();
	close(sp[0]);
	peer = sp[1];
	nc.backend = be;
	if (vtnet_create(&mem, &loop, &nc, &dev) || vmmio_create(dev, 0xd0000000, 5, &mmio))
		abort();
	dev->irqfd = -1;
	driver_init(dev->host_features & features);
	mrg = dev->host_features & features & (1ull << VIRTIO_NET_F_MRG_RXBUF);
	rx_more = 0;
	memset(avail_idx, 0, sizeof(avail_idx));
	memset(used_seen, 0, sizeof(used_seen));
	memset(next_desc, 0, sizeof(next_desc));
	memset(rx_posted, 0, sizeof(rx_posted));
	next_buf = BUF_BASE;
	wire_len = 0;
}

static void stop(void)
{
	vmmio_destroy(mmio);
	vtnet_destroy(dev);
	close(peer);
	peer = -1;
}

static void run_loop(void)
{
	for (int i = 0; i < EV_MAX_SOURCES; i++)
		if (loop.src[i].used)
			loop.src[i].cb(loop.src[i].opaque, loop.src[i].fd, EPOLLIN | EPOLLOUT);
}

static uint64_t take_buf(uint32_t len)
{
	uint64_t a;

	if (next_buf + len > MEM_SIZE)
		next_buf = BUF_BASE;
	a = next_buf;
	next_buf += (len + 63) & ~63u;
	return a;
}

/* A chain of (n) descriptors; (wmask) bit i makes descriptor i writable. Returns its head. */
static uint16_t add_chain(unsigned q, unsigned n, const uint32_t *len, unsigned wmask, uint64_t *addr)
{
	struct vring_desc *d = (struct vring_desc *)(ram + QBASE(q));
	uint16_t *avail = (uint16_t *)(ram + QBASE(q) + 0x1000);
	uint16_t head = next_desc[q];

	for (unsigned i = 0; i < n; i++) {
		uint16_t idx = (head + i) % QSIZE;

		addr[i] = take_buf(len[i] > 0x10000 ? 0x10000 : len[i]);
		d[idx] = (struct vring_desc){
			.addr = addr[i], .len = len[i], .next = (idx + 1) % QSIZE,
			.flags = (wmask >> i & 1 ? VRING_DESC_F_WRITE : 0) |
				 (i + 1 < n ? VRING_DESC_F_NEXT : 0),
		};
	}
	next_desc[q] = (head + n) % QSIZE;
	avail[2 + avail_idx[q] % QSIZE] = head;
	__atomic_store_n(&avail[1], ++avail_idx[q], __ATOMIC_RELEASE);
	return head;
}

static void guest_tx(struct fuzz_in *in)
{
	uint8_t shape = fuzz_u8(in);
	unsigned n = shape % 4 + 1;
	uint32_t len[4];
	uint64_t addr[4];
	const uint8_t *b;
	size_t k;

	for (unsigned i = 0; i < n; i++)
		len[i] = shape & 0x80 ? fuzz_u16(in) : fuzz_u16(in) % 2048;
	if (!(shape & 0x40))
		len[0] = HDR_LEN;
	add_chain(Q_TX, n, len, shape & 0x20 ? 1u << (shape >> 2 & 3) : 0, addr);
	for (unsigned i = 0; i < n; i++) {
		k = fuzz_blob(in, &b, len[i] < 0x10000 ? len[i] : 0x10000);
		memcpy(ram + addr[i], b, k);
	}
	dev->ops->notify(dev, Q_TX);
}

static void guest_rx(struct fuzz_in *in)
{
	uint8_t shape = fuzz_u8(in);
	unsigned n = shape % 3 + 1;
	unsigned wmask = shape & 0x40 ? 6 : 7;	/* 6: a read-only first descriptor */
	uint32_t len[3], cap = 0;
	uint64_t addr[3];
	uint16_t head;

	if ((uint16_t)(avail_idx[Q_RX] - used_seen[Q_RX]) >= QSIZE / 4)
		return;
	for (unsigned i = 0; i < n; i++) {
		len[i] = shape & 0x80 ? fuzz_u16(in) % 0x10001 : 1526;
		if (wmask >> i & 1)
			cap += len[i];
	}
	head = add_chain(Q_RX, n, len, wmask, addr);
	rx_cap[head] = cap;
	rx_nseg[head] = 0;
	for (unsigned i = 0; i < n; i++) {
		if (!(wmask >> i & 1))
			continue;
		rx_addr[head][rx_nseg[head]] = addr[i];
		rx_len[head][rx_nseg[head]++] = len[i];
	}
	rx_posted[head] = true;
	dev->ops->notify(dev, Q_RX);
}

static void peer_send(struct fuzz_in *in, bool framed)
{
	uint8_t frame[4 + 2048];
	const uint8_t *b;
	size_t n = fuzz_blob(in, &b, 2048);

	if (framed) {
		uint32_t be = htobe32(n);

		memcpy(frame, &be, 4);
		memcpy(frame + 4, b, n);
		n += 4;
	} else {
		memcpy(frame, b, n);
	}
	if (send(peer, frame, n, MSG_DONTWAIT | MSG_NOSIGNAL) < 0 && errno != EAGAIN)
		return;
}

/* What the device sent: whole frames are checked and dropped from (wire). */
static void peer_read(void)
{
	ssize_t n;

	while ((n = recv(peer, wire + wire_len, sizeof(wire) - wire_len, MSG_DONTWAIT)) > 0) {
		wire_len += n;
		for (;;) {
			uint32_t be, len;

			if (wire_len < 4)
				break;
			memcpy(&be, wire, 4);
			len = be32toh(be);
			FUZZ_ASSERT(len <= NET_MAX_FRAME, "device framed %u bytes", len);
			if (wire_len < 4 + len)
				break;
			memmove(wire, wire + 4 + len, wire_len - 4 - len);
			wire_len -= 4 + len;
		}
	}
}

/* Byte (off) of the writable part of the receive chain at (head), as the device wrote it. */
static uint8_t rx_byte(uint16_t head, uint32_t off)
{
	for (unsigned i = 0; i < rx_nseg[head]; i++) {
		if (off < rx_len[head][i])
			return ram[rx_addr[head][i] + off];
		off -= rx_len[head][i];
	}
	abort();
}

static void check_rx_used(struct vring_used_elem e)
{
	FUZZ_ASSERT(rx_posted[e.id], "rx used id %u was never posted", e.id);
	FUZZ_ASSERT(e.len <= rx_cap[e.id], "rx used len %u > chain capacity %u", e.len,
		    rx_cap[e.id]);
	rx_posted[e.id] = false;
	if (rx_more) {		/* a later buffer of a merged frame */
		FUZZ_ASSERT(e.len > 0, "rx buffer %u of a merged frame is empty", e.id);
		rx_more--;
		return;
	}
	FUZZ_ASSERT(e.len == 0 || e.len >= HDR_LEN, "rx used len %u < header", e.len);
	if (e.len && mrg) {
		uint16_t nb = rx_byte(e.id, 10) | rx_byte(e.id, 11) << 8;

		FUZZ_ASSERT(nb >= 1, "rx num_buffers %u", nb);
		rx_more = nb - 1u;
	}
}

static void check_used(void)
{
	for (unsigned q = 0; q < 2; q++) {
		struct vring_used *u = (struct vring_used *)(ram + QBASE(q) + 0x2000);
		uint16_t idx = __atomic_load_n(&u->idx, __ATOMIC_ACQUIRE);

		for (; used_seen[q] != idx; used_seen[q]++) {
			struct vring_used_elem e = u->ring[used_seen[q] % QSIZE];

			FUZZ_ASSERT(e.id < QSIZE, "used id %u", e.id);
			if (q == Q_TX)
				continue;
			check_rx_used(e);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };

	start(fuzz_u64(&in));
	for (int i = 0; i < 64 && in.left; i++) {
		switch (fuzz_u8(&in) % 6) {
		case 0: guest_tx(&in); break;
		case 1: guest_rx(&in); break;
		case 2: peer_send(&in, true); break;
		case 3: peer_send(&in, false); break;
		case 4: run_loop(); break;
		case 5: peer_read(); break;
		}
		check_used();
	}
	run_loop();
	peer_read();
	check_used();
	stop();
	return 0;
}
