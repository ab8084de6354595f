/* tests/fuzz/fuzz-net.c: libFuzzer target for virtio-net (src/devices/virtio-net.c) over the unixstream backend (src/net/net-unixstream.c): guest TX/RX chains and a hostile peer's byte stream. */
#include <errno.h>
#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
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
 * Per input: the device over a socket pair (the harness is passt), reset by
 * its driver, which negotiates features from the input, then up to 64 steps: guest
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
#define MEM_SIZE	(32u << 20)
/* The input's buffers: 64 steps of up to 4 x 64 KiB never wrap (the oracle reads headers back). */
#define BUF_END		(MEM_SIZE - DRAIN_BUFS * DRAIN_LEN)
/* Receive buffers posted after the input to drain the peer's frames: each holds any frame. */
#define DRAIN_BUFS	16
#define DRAIN_LEN	0x10040
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
static struct net_backend *backend;
static int peer = -1;
/* What the peer sent, parsed as the backend frames it: inside a length word or a frame's body. */
static unsigned peer_hdr_have;
static uint8_t peer_hdr[4];
static uint32_t peer_body_left;
static bool peer_bogus;			/* a length over NET_MAX_FRAME: the backend drops the peer */
static bool drain_head[QSIZE];		/* a drain buffer (quiesce()) is posted at this head */
static unsigned drain_out;
static bool fresh_each;			/* FUZZ_NET_FRESH: a new device for every input, as before */
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

/* A new device over a new socket pair; the old one (if any) is gone. */
static void create(void)
{
	struct vtnet_cfg nc = { .mac = { 0x5a, 0x94, 0xef, 0xe4, 0x0c, 0xee } };
	int sp[2];

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sp) || fcntl(sp[1], F_SETFL, O_NONBLOCK) ||
	    net_unixstream_create(NULL, sp[0], &backend))
		abort();
	close(sp[0]);
	peer = sp[1];
	nc.backend = backend;
	if (vtnet_create(&mem, &loop, &nc, &dev) || vmmio_create(dev, 0xd0000000, 5, &mmio))
		abort();
	dev->irqfd = -1;
	peer_hdr_have = 0;
	peer_body_left = 0;
	peer_bogus = false;
	wire_len = 0;
}

static void destroy(void)
{
	vmmio_destroy(mmio);
	vtnet_destroy(dev);
	close(peer);
	peer = -1;
	dev = NULL;
}

static void start(uint64_t features)
{
	if (!ram) {
		fresh_each = getenv("FUZZ_NET_FRESH");
		if (!getenv("FUZZ_LOG"))
			log_configure(-1, 0, 2);
		ram = calloc(1, MEM_SIZE);
		if (!ram || gmem_add(&mem, 0, MEM_SIZE, ram) || ev_init(&loop))
			abort();
	}
	if (!dev)
		create();
	vdrv_init(mmio, dev->host_features & features, 2, QSIZE);
	mrg = dev->host_features & features & (1ull << VIRTIO_NET_F_MRG_RXBUF);
	rx_more = 0;
	memset(avail_idx, 0, sizeof(avail_idx));
	memset(used_seen, 0, sizeof(used_seen));
	memset(next_desc, 0, sizeof(next_desc));
	memset(rx_posted, 0, sizeof(rx_posted));
	next_buf = BUF_BASE;
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

	if (next_buf + len > BUF_END)
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

/* Follow the backend's framing over the bytes the peer got into the socket. */
static void peer_model(const uint8_t *b, size_t n)
{
	while (n) {
		if (peer_body_left) {
			size_t k = n < peer_body_left ? n : peer_body_left;

			peer_body_left -= k;
			b += k;
			n -= k;
			continue;
		}
		peer_hdr[peer_hdr_have++] = *b++;
		n--;
		if (peer_hdr_have == 4) {
			uint32_t be;

			memcpy(&be, peer_hdr, 4);
			peer_body_left = be32toh(be);
			peer_bogus |= peer_body_left > NET_MAX_FRAME;
			peer_hdr_have = 0;
		}
	}
}

/* What of (n) bytes the socket took (it may take a part when full). */
static size_t send_all(const uint8_t *b, size_t n)
{
	ssize_t k = send(peer, b, n, MSG_DONTWAIT | MSG_NOSIGNAL);

	return k > 0 ? (size_t)k : 0;
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
	peer_model(frame, send_all(frame, n));
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
			if (drain_head[e.id]) {
				drain_head[e.id] = false;
				drain_out--;
			}
		}
	}
}

static unsigned sock_unread(int fd)
{
	int n = 0;

	return ioctl(fd, FIONREAD, &n) ? 1 : (unsigned)n;
}

/* Receive buffers that hold any frame (one descriptor each), while the ring has room; a kick. */
static void drain_post(void)
{
	struct vring_desc *d = (struct vring_desc *)(ram + QBASE(Q_RX));
	uint16_t *avail = (uint16_t *)(ram + QBASE(Q_RX) + 0x1000);

	for (unsigned k = 0; k < DRAIN_BUFS && (uint16_t)(avail_idx[Q_RX] - used_seen[Q_RX]) < QSIZE / 4; k++) {
		uint16_t head = next_desc[Q_RX];
		uint64_t addr = BUF_END + (uint64_t)k * DRAIN_LEN;

		if (drain_head[head])
			break;
		d[head] = (struct vring_desc){ .addr = addr, .len = DRAIN_LEN, .flags = VRING_DESC_F_WRITE };
		next_desc[Q_RX] = (head + 1) % QSIZE;
		avail[2 + avail_idx[Q_RX] % QSIZE] = head;
		__atomic_store_n(&avail[1], ++avail_idx[Q_RX], __ATOMIC_RELEASE);
		rx_cap[head] = DRAIN_LEN;
		rx_nseg[head] = 1;
		rx_addr[head][0] = addr;
		rx_len[head][0] = DRAIN_LEN;
		rx_posted[head] = true;
		drain_head[head] = true;
		drain_out++;
	}
	dev->ops->notify(dev, Q_RX);
}

/*
 * The peer finishes the frame it left half sent with zeroes (as much as the
 * socket takes now), so that the stream ends on a frame boundary.
 */
static void peer_complete(void)
{
	static const uint8_t zero[4096];
	size_t n;

	while (!peer_bogus && (peer_hdr_have || peer_body_left)) {
		n = peer_hdr_have ? 4 - peer_hdr_have : peer_body_left < sizeof(zero) ? peer_body_left : sizeof(zero);
		n = send_all(zero, n);
		if (!n)
			return;
		peer_model(zero, n);
	}
}

/*
 * After the input: can the device serve the next one as if new? It can when
 * the link is up, everything the peer sent was whole frames (it completes
 * a frame it left half sent with zeroes) that the device has taken (receive buffers for all of them are posted until a kick takes
 * none and the socket is empty), and everything the device sent reached the
 * peer as whole frames (no partly written frame left in the backend). Then a
 * driver reset leaves nothing behind: the next input starts from what a new
 * device is. Otherwise the device is destroyed and the next input makes one.
 */
static bool quiesce(void)
{
	uint16_t st = 0;
	bool idle = false;

	for (int r = 0; r < 32 && !idle; r++) {
		uint16_t before = used_seen[Q_RX];
		size_t wire_before = wire_len;

		peer_complete();
		peer_read();
		run_loop();
		drain_post();
		check_used();
		peer_read();
		/* A kick that found a buffer for any frame and took nothing: the backend holds no whole frame. */
		idle = drain_out && used_seen[Q_RX] == before && wire_len == wire_before &&
		       !sock_unread(backend->fd) && !sock_unread(peer);
	}
	vmmio_read(mmio, 0x100 + offsetof(struct virtio_net_config, status), &st, 2);
	return idle && (st & VIRTIO_NET_S_LINK_UP) && !peer_bogus && !peer_hdr_have && !peer_body_left &&
	       !wire_len;
}

/* The rings back to zeroes (buffer contents only ever flow through the device, never steer it). */
static void reset(void)
{
	memset(drain_head, 0, sizeof(drain_head));
	drain_out = 0;
	vdrv_w32(mmio, VIRTIO_MMIO_STATUS, 0);
	dev->ops->notify(dev, Q_RX);	/* the device acts on the reset on its own thread, here */
	memset(ram, 0, BUF_BASE);
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
	if (quiesce() && !fresh_each) {
		reset();
		return 0;
	}
	destroy();
	memset(drain_head, 0, sizeof(drain_head));
	drain_out = 0;
	memset(ram, 0, BUF_BASE);
	return 0;
}
