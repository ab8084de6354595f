/* tests/unit/test-vsock.c: vsock API rules, connection bookkeeping, and the virtio-vsock device driven by a (hostile) test driver. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/epoll.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <linux/virtio_config.h>
#include <linux/virtio_mmio.h>
#include <linux/virtio_vsock.h>

#include "libkrun.h"
#include "devices/virtio-devices.h"
#include "test.h"
#include "util/log.h"
#include "virtio/transport-mmio.h"
#include "vmm/event.h"
#include "vsock/conn.h"
#include "../common/vdriver.h"

/* ---- API rules (upstream v1.19 errors; TSI bits -ENOTSUP until TSI exists) ---- */

static void test_api_rules(void)
{
	int32_t a = krun_create_ctx(), b = krun_create_ctx();

	CHECK_EQ(krun_add_vsock_port(a, 1234, "/tmp/krun-vsock-test-none"), 0);
	CHECK_EQ(krun_add_vsock_port(a, 1234, "/tmp/other"), -EEXIST);
	CHECK_EQ(krun_add_vsock_port2(a, 1235, "/tmp", true), -EEXIST); /* listen path exists */
	CHECK_EQ(krun_add_vsock_port2(a, 1236, "/tmp/krun-vsock-test-none2", true), 0);
	CHECK_EQ(krun_add_vsock_port(a, 1237, NULL), -EINVAL);
	CHECK_EQ(krun_add_vsock(a, 0), -EEXIST); /* the implicit vsock is still on */
	CHECK_EQ(krun_add_vsock(a, 4), -EINVAL);

	CHECK_EQ(krun_disable_implicit_vsock(b), 0);
	CHECK_EQ(krun_add_vsock_port(b, 1234, "/tmp/s"), -ENODEV);
	CHECK_EQ(krun_add_vsock(b, KRUN_TSI_HIJACK_INET), -ENOTSUP);
	CHECK_EQ(krun_add_vsock(b, KRUN_TSI_HIJACK_UNIX), -ENOTSUP);
	CHECK_EQ(krun_add_vsock(b, 1u << 5), -EINVAL);
	CHECK_EQ(krun_add_vsock(b, 0), 0);
	CHECK_EQ(krun_add_vsock(b, 0), -EEXIST);
	CHECK_EQ(krun_add_vsock_port(b, 1234, "/tmp/s"), 0);
	CHECK_EQ(krun_free_ctx(a), 0);
	CHECK_EQ(krun_free_ctx(b), 0);
	CHECK_EQ(krun_add_vsock(a, 0), -ENOENT);
}

/* ---- connection table ---- */

static void test_conn_table(void)
{
	struct vsock_table t;
	struct vsock_conn *c, *d;

	vsock_table_init(&t);
	CHECK_EQ(vsock_conn_new(&t, 1, 2, &c), 0);
	CHECK_EQ(vsock_conn_new(&t, 1, 2, &d), -EEXIST);
	CHECK(vsock_conn_find(&t, 1, 2) == c);
	CHECK(vsock_conn_find(&t, 2, 1) == NULL);
	for (unsigned i = 1; i < VSOCK_MAX_CONNS; i++)
		CHECK_EQ(vsock_conn_new(&t, vsock_alloc_port(&t), 7, &d), 0);
	CHECK_EQ(vsock_conn_new(&t, 99, 99, &d), -ENOSPC);
	vsock_queue(&t, c);
	vsock_queue(&t, c);
	CHECK(vsock_dequeue(&t) == c);
	CHECK(vsock_dequeue(&t) == NULL);
	vsock_queue(&t, c);
	vsock_conn_free(&t, c);		/* a queued connection leaves the queue too */
	CHECK(vsock_dequeue(&t) == NULL);
	CHECK_EQ(t.nr, VSOCK_MAX_CONNS - 1);
}

static void test_credit(void)
{
	struct vsock_conn c = { 0 };

	vsock_peer_credit_set(&c, 1000, 0);
	CHECK_EQ(vsock_peer_credit(&c), 1000);
	c.tx_cnt = 600;
	CHECK_EQ(vsock_peer_credit(&c), 400);
	vsock_peer_credit_set(&c, 1000, 700);	/* claims more consumed than sent */
	CHECK_EQ(vsock_peer_credit(&c), 0);
	c.tx_cnt = 5;				/* counters wrap */
	vsock_peer_credit_set(&c, 1000, 0xfffffff0u);
	CHECK_EQ(vsock_peer_credit(&c), 1000 - 21);
	CHECK(!vsock_consumed(&c, 10));
	CHECK(vsock_consumed(&c, VSOCK_BUF_ALLOC / 4));
}

static void test_buffer_bound(void)
{
	static uint8_t data[VSOCK_BUF_ALLOC];
	struct iovec iov[2] = { { data, 10 }, { data + 10, sizeof(data) - 10 } };
	struct vsock_conn c = { 0 };
	uint8_t back[64];
	bool due;
	int sv[2];

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = i * 7;
	CHECK_EQ(vsock_buf_put(&c, iov, 2, 5, 100), 0);
	CHECK_EQ(vsock_buf_put(&c, iov, 2, 0, VSOCK_BUF_ALLOC - 100), 0);
	CHECK_EQ(vsock_buf_put(&c, iov, 2, 0, 1), -ENOBUFS);
	CHECK_EQ(c.buf_len, VSOCK_BUF_ALLOC);
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	CHECK(vsock_buf_flush(&c, sv[0], &due) > 0);
	CHECK(read(sv[1], back, sizeof(back)) == sizeof(back));
	CHECK(!memcmp(back, data + 5, sizeof(back)));
	CHECK_EQ(vsock_buf_put(&c, iov, 2, 0, 1), 0);	/* room again */
	free(c.buf);
}

static void test_iov_slice(void)
{
	char a[10], b[10];
	struct iovec in[2] = { { a, 10 }, { b, 10 } }, out[4];

	CHECK_EQ(vsock_iov_slice(in, 2, 4, 100, out, 4), 2);
	CHECK(out[0].iov_base == a + 4 && out[0].iov_len == 6 && out[1].iov_len == 10);
	CHECK_EQ(vsock_iov_slice(in, 2, 12, 3, out, 4), 1);
	CHECK(out[0].iov_base == b + 2 && out[0].iov_len == 3);
	CHECK_EQ(vsock_iov_slice(in, 2, 20, 3, out, 4), 0);
	CHECK_EQ(vsock_iov_slice(in, 2, 0, 0, out, 4), 0);
}

/* ---- the device, through a small driver on fake guest RAM ---- */

#define MEM_SIZE	(4u << 20)
#define QSIZE		64
#define QBASE(q)	VDRV_DESC(q)
#define TXBUF(i)	(0x20000 + (uint64_t)(i) * 0x11000)	/* 64 KiB + header each: 16 of them */
#define RXBUF(i)	(0x200000 + (uint64_t)(i) * 0x2000)
#define RXBUF_LEN	(44 + 4096)
#define GUEST_PORT	5000

static struct guest_mem mem;
static uint8_t *ram;
static struct vdev *dev;
static struct vmmio *mmio;
static struct ev_loop loop;
static uint16_t tx_idx, rx_idx, rx_seen;
static char sock_path[108];
static int listen_fd = -1;
static uint32_t guest_fwd_cnt;	/* fwd_cnt the test driver reports in its packets */

static void w32(uint64_t off, uint32_t v)
{
	vmmio_write(mmio, off, &v, 4);
}

static void drv_init(void)
{
	vdrv_init(mmio, 1ULL << VIRTIO_F_VERSION_1, 3, QSIZE);
	tx_idx = rx_idx = rx_seen = 0;
}

static void set_desc(unsigned q, unsigned i, uint64_t addr, uint32_t len, uint16_t flags)
{
	struct vring_desc *d = (struct vring_desc *)(ram + QBASE(q)) + i;

	*d = (struct vring_desc){ .addr = addr, .len = len, .flags = flags };
}

static void make_avail(unsigned q, uint16_t *idx, unsigned head)
{
	uint16_t *avail = (uint16_t *)(ram + QBASE(q) + 0x1000);

	avail[2 + *idx % QSIZE] = head;
	__atomic_store_n(&avail[1], ++*idx, __ATOMIC_RELEASE);
}

/* Run the event loop's callbacks once (the host sockets of the device). */
static void run_loop(void)
{
	for (int i = 0; i < EV_MAX_SOURCES; i++)
		if (loop.src[i].used)
			loop.src[i].cb(loop.src[i].opaque, loop.src[i].fd, EPOLLIN);
}

/* Put one tx packet of (total) bytes (header + payload) in guest RAM and kick. */
static void tx_raw(const void *pkt, uint32_t total)
{
	unsigned slot = tx_idx % 16;

	memcpy(ram + TXBUF(slot), pkt, total);
	set_desc(1, slot, TXBUF(slot), total, 0);
	make_avail(1, &tx_idx, slot);
	dev->ops->notify(dev, 1);
}

static void tx(uint16_t op, uint32_t src_port, uint32_t dst_port, const void *data, uint32_t len)
{
	static uint8_t pkt[44 + 65536];
	struct virtio_vsock_hdr h = {
		.src_cid = 3, .dst_cid = 2, .src_port = src_port, .dst_port = dst_port,
		.len = len, .type = VIRTIO_VSOCK_TYPE_STREAM, .op = op, .buf_alloc = 65536,
		.fwd_cnt = guest_fwd_cnt,
	};

	memcpy(pkt, &h, sizeof(h));
	if (len)
		memcpy(pkt + sizeof(h), data, len);
	tx_raw(pkt, sizeof(h) + len);
}

static void rx_post(unsigned n)
{
	for (unsigned k = 0; k < n; k++) {
		unsigned slot = rx_idx % QSIZE;

		set_desc(0, slot, RXBUF(slot), RXBUF_LEN, VRING_DESC_F_WRITE);
		make_avail(0, &rx_idx, slot);
	}
	dev->ops->notify(dev, 0);
}

/* The next packet the device put on rx: 1 with (h) and payload in (data), 0 if none. */
static int rx_get(struct virtio_vsock_hdr *h, void *data)
{
	struct vring_used *used = (struct vring_used *)(ram + QBASE(0) + 0x2000);
	struct vring_used_elem e;

	if (__atomic_load_n(&used->idx, __ATOMIC_ACQUIRE) == rx_seen)
		return 0;
	e = used->ring[rx_seen++ % QSIZE];
	memcpy(h, ram + RXBUF(e.id), sizeof(*h));
	if (data && h->len <= 4096)
		memcpy(data, ram + RXBUF(e.id) + sizeof(*h), h->len);
	return 1;
}

static void dev_setup(bool listening)
{
	struct vtsock_port_cfg port = { .port = 1234, .path = sock_path, .listen = listening };
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	if (getenv("TEST_LOG"))
		log_configure(-1, atoi(getenv("TEST_LOG")), 2);
	mem = (struct guest_mem){ 0 };
	ram = calloc(1, MEM_SIZE);
	CHECK(gmem_add(&mem, 0, MEM_SIZE, ram) == 0);
	snprintf(sock_path, sizeof(sock_path), "/tmp/krun-vsock-unit-%d", getpid());
	unlink(sock_path);
	if (!listening) {
		strcpy(sa.sun_path, sock_path);
		listen_fd = socket(AF_UNIX, SOCK_STREAM, 0);
		CHECK(bind(listen_fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
		CHECK(listen(listen_fd, 1024) == 0);
	}
	CHECK(ev_init(&loop) == 0);
	CHECK(vtsock_create(&mem, &loop, &port, 1, &dev) == 0);
	CHECK(vmmio_create(dev, 0xd0000000, 5, &mmio) == 0);
	dev->irqfd = eventfd(0, EFD_NONBLOCK);
	drv_init();
}

static void dev_teardown(void)
{
	if (listen_fd >= 0)
		close(listen_fd);
	vtsock_unlink_listeners(dev);
	unlink(sock_path);
}

/* Guest connects (GUEST_PORT -> 1234); returns the host end. */
static int guest_connect(uint32_t gport)
{
	struct virtio_vsock_hdr h;
	int fd;

	tx(VIRTIO_VSOCK_OP_REQUEST, gport, 1234, NULL, 0);
	CHECK(rx_get(&h, NULL) == 1);
	CHECK_EQ(h.op, VIRTIO_VSOCK_OP_RESPONSE);
	CHECK_EQ(h.dst_port, gport);
	CHECK_EQ(h.src_cid, 2);
	CHECK_EQ(h.buf_alloc, VSOCK_BUF_ALLOC);
	fd = accept(listen_fd, NULL, NULL);
	CHECK(fd >= 0);
	return fd;
}

static void test_stream(void)
{
	struct virtio_vsock_hdr h;
	char buf[4096];
	int fd;

	dev_setup(false);
	rx_post(32);
	fd = guest_connect(GUEST_PORT);
	tx(VIRTIO_VSOCK_OP_RW, GUEST_PORT, 1234, "hello", 5);
	CHECK(read(fd, buf, sizeof(buf)) == 5 && !memcmp(buf, "hello", 5));
	CHECK(write(fd, "world", 5) == 5);
	run_loop();
	CHECK(rx_get(&h, buf) == 1);
	CHECK(h.op == VIRTIO_VSOCK_OP_RW && h.len == 5 && !memcmp(buf, "world", 5));
	/* The host closes: the guest hears that no more data comes. */
	close(fd);
	run_loop();
	CHECK(rx_get(&h, NULL) == 1);
	CHECK(h.op == VIRTIO_VSOCK_OP_SHUTDOWN && (h.flags & VIRTIO_VSOCK_SHUTDOWN_SEND));
	/* The guest closes: it gets the RST it waits for. */
	tx(VIRTIO_VSOCK_OP_SHUTDOWN, GUEST_PORT, 1234, NULL, 0);
	CHECK(rx_get(&h, NULL) == 0);	/* flags 0 shut nothing */
	((struct virtio_vsock_hdr *)(ram + TXBUF(0)))->flags = 3;
	tx_raw(ram + TXBUF(0), 44);
	CHECK(rx_get(&h, NULL) == 1 && h.op == VIRTIO_VSOCK_OP_RST);
	dev_teardown();
}

/* Host data stops at the guest's credit and resumes when any guest packet brings more. */
static void test_credit_flow(void)
{
	static char data[100 * 1024];
	struct virtio_vsock_hdr h;
	size_t got = 0;
	int fd;

	dev_setup(false);
	rx_post(8);
	fd = guest_connect(GUEST_PORT);
	CHECK(write(fd, data, sizeof(data)) == sizeof(data));
	for (int round = 0; round < 6; round++) {
		rx_post(8);
		run_loop();
		while (rx_get(&h, NULL))
			got += h.op == VIRTIO_VSOCK_OP_RW ? h.len : 0;
	}
	CHECK_EQ(got, 65536);
	guest_fwd_cnt = 65536;	/* the guest read it all; an RW carries the news */
	tx(VIRTIO_VSOCK_OP_RW, GUEST_PORT, 1234, "x", 1);
	for (int round = 0; round < 4; round++) {
		rx_post(8);
		run_loop();
		while (rx_get(&h, NULL))
			got += h.op == VIRTIO_VSOCK_OP_RW ? h.len : 0;
	}
	CHECK_EQ(got, sizeof(data));
	guest_fwd_cnt = 0;
	close(fd);
	dev_teardown();
}

/* Unknown ports, other CIDs and types, ops on no connection: RST, never a crash. */
static void test_resets(void)
{
	struct virtio_vsock_hdr h, r;

	dev_setup(false);
	rx_post(32);
	tx(VIRTIO_VSOCK_OP_REQUEST, 1, 9999, NULL, 0);
	CHECK(rx_get(&r, NULL) == 1 && r.op == VIRTIO_VSOCK_OP_RST && r.src_port == 9999 && r.dst_port == 1);
	tx(VIRTIO_VSOCK_OP_RW, 1, 1234, "x", 1);
	CHECK(rx_get(&r, NULL) == 1 && r.op == VIRTIO_VSOCK_OP_RST);
	tx(VIRTIO_VSOCK_OP_RST, 1, 1234, NULL, 0);		/* RST is never answered */
	CHECK(rx_get(&r, NULL) == 0);
	h = (struct virtio_vsock_hdr){ .src_cid = 3, .dst_cid = 7, .src_port = 1, .dst_port = 1234,
				       .type = 1, .op = VIRTIO_VSOCK_OP_REQUEST };
	tx_raw(&h, sizeof(h));
	CHECK(rx_get(&r, NULL) == 1 && r.op == VIRTIO_VSOCK_OP_RST && r.src_cid == 7);
	h.dst_cid = 2;
	h.type = VIRTIO_VSOCK_TYPE_SEQPACKET;
	tx_raw(&h, sizeof(h));
	CHECK(rx_get(&r, NULL) == 1 && r.op == VIRTIO_VSOCK_OP_RST);
	h.type = 1;
	h.src_cid = 9;						/* not the guest: dropped */
	tx_raw(&h, sizeof(h));
	CHECK(rx_get(&r, NULL) == 0);
	dev_teardown();
}

/* Short headers, lengths beyond the buffer, unknown ops, credit abuse. */
static void test_hostile_packets(void)
{
	static uint8_t big[65536];
	struct virtio_vsock_hdr h = { .src_cid = 3, .dst_cid = 2, .src_port = GUEST_PORT,
				      .dst_port = 1234, .type = 1, .op = VIRTIO_VSOCK_OP_RW };
	unsigned resets = 0, got = 0;
	int fd;

	dev_setup(false);
	rx_post(32);
	fd = guest_connect(GUEST_PORT);
	tx_raw(&h, 20);						/* short header: dropped */
	CHECK(rx_get(&h, NULL) == 0);
	h.len = 1000;						/* claims more than the buffer */
	memcpy(big, &h, sizeof(h));
	tx_raw(big, sizeof(h) + 10);
	CHECK(rx_get(&h, NULL) == 1 && h.op == VIRTIO_VSOCK_OP_RST);
	h = (struct virtio_vsock_hdr){ .src_cid = 3, .dst_cid = 2, .src_port = GUEST_PORT,
				       .dst_port = 1234, .type = 1, .op = 42 };
	tx_raw(&h, sizeof(h));					/* unknown op: the connection goes */
	CHECK(rx_get(&h, NULL) == 1 && h.op == VIRTIO_VSOCK_OP_RST);
	close(fd);

	/* A guest that ignores our credit: the host does not read, the device resets at 256 KiB buffered. */
	fd = guest_connect(GUEST_PORT + 1);
	for (int i = 0; i < 64 && !resets; i++) {
		struct virtio_vsock_hdr r;

		tx(VIRTIO_VSOCK_OP_RW, GUEST_PORT + 1, 1234, big, sizeof(big));
		while (rx_get(&r, NULL)) {
			got++;
			resets += r.op == VIRTIO_VSOCK_OP_RST;
		}
	}
	CHECK_EQ(resets, 1);
	close(fd);
	/* Still serving: a new connection works. */
	rx_post(16);
	fd = guest_connect(GUEST_PORT + 2);
	close(fd);
	dev_teardown();
}

/* Random bytes as tx packets, random rx buffer sizes: no crash, the device keeps answering. */
static void test_random_packets(void)
{
	uint64_t s = 0x1234567;
	uint8_t pkt[256];

	dev_setup(false);
	fcntl(listen_fd, F_SETFL, O_NONBLOCK);
	for (int round = 0; round < 2000; round++) {
		struct virtio_vsock_hdr *h = (struct virtio_vsock_hdr *)pkt;

		for (size_t i = 0; i < sizeof(pkt); i++) {
			s ^= s << 13; s ^= s >> 7; s ^= s << 17;
			pkt[i] = s;
		}
		/* Mostly plausible addresses so the state machine is reached. */
		h->src_cid = s % 8 ? 3 : h->src_cid;
		h->dst_cid = s % 5 ? 2 : h->dst_cid;
		h->dst_port = s % 3 ? 1234 : h->dst_port;
		h->src_port %= 4;
		h->type = s % 7 ? 1 : h->type;
		h->op %= 9;
		if (s % 3)
			h->len %= sizeof(pkt) - sizeof(*h) + 1;
		tx_raw(pkt, s % 11 ? sizeof(pkt) : s % sizeof(pkt));
		if (round % 8 == 0) {
			unsigned slot = rx_idx % QSIZE;

			set_desc(0, slot, RXBUF(slot), s % 2 ? RXBUF_LEN : s % 64, VRING_DESC_F_WRITE);
			make_avail(0, &rx_idx, slot);
			dev->ops->notify(dev, 0);
		}
		for (int k = 0; k < 4; k++) {
			int fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK);

			if (fd >= 0) {
				(void)!write(fd, pkt, s % 64);
				if (s % 4 == 0)
					close(fd);
			}
		}
		run_loop();
	}
	/* The used ring stayed consistent: rx_seen can catch up with it. */
	struct virtio_vsock_hdr r;
	while (rx_get(&r, NULL))
		;
	dev_teardown();
}

/* Random descriptor tables, avail indices and registers on all three queues, with live connections. */
static void test_random_rings(void)
{
	uint64_t s = 0xfeedbeef;
	int fds[8], nfds = 0;

	dev_setup(false);
	rx_post(16);
	for (int i = 0; i < 8; i++)
		fds[nfds++] = guest_connect(20000 + i);
	for (int round = 0; round < 3000; round++) {
		unsigned q = round % 3;
		struct vring_desc *d = (struct vring_desc *)(ram + QBASE(q));
		uint16_t *avail = (uint16_t *)(ram + QBASE(q) + 0x1000);
		uint32_t v;

		s ^= s << 13; s ^= s >> 7; s ^= s << 17;
		for (unsigned i = 0; i < QSIZE; i++) {
			d[i].addr = s % 4 ? 0x20000 + (s >> 8) % (MEM_SIZE - 0x30000) : s;
			d[i].len = (s >> 20) % 70000;
			d[i].flags = (s >> 40) & 7;
			d[i].next = (s >> 44) % (QSIZE + 2);
			s ^= s << 13; s ^= s >> 7; s ^= s << 17;
		}
		for (unsigned i = 0; i < QSIZE; i++)
			avail[2 + i] = s % 16 ? (s >> (i % 48)) % QSIZE : s >> 16;
		avail[1] += s % 600 == 0 ? (uint16_t)(s >> 24) : (s >> 24) % 8; /* rarely broken: a reset every 500 rounds */
		dev->ops->notify(dev, q);
		(void)!send(fds[s % nfds], &s, sizeof(s), MSG_NOSIGNAL | MSG_DONTWAIT);
		run_loop();
		if (s % 97 == 0) {
			v = s >> 32;
			vmmio_write(mmio, (s >> 8) % 0x100 & ~3u, &v, 4);
		}
		if (round % 500 == 499) {
			w32(VIRTIO_MMIO_STATUS, 0);
			drv_init();
			run_loop();	/* the reset drops every connection on the loop thread */
		}
	}
	dev_teardown();
}

/* More connections than the per-VM limit: the extra ones are reset, the rest keep working. */
static void test_conn_limit(void)
{
	struct virtio_vsock_hdr h;
	int fds[VSOCK_MAX_CONNS], resets = 0, responses = 0;

	dev_setup(false);
	for (int i = 0; i < VSOCK_MAX_CONNS + 4; i++) {
		rx_post(1);
		tx(VIRTIO_VSOCK_OP_REQUEST, 10000 + i, 1234, NULL, 0);
		while (rx_get(&h, NULL)) {
			resets += h.op == VIRTIO_VSOCK_OP_RST;
			responses += h.op == VIRTIO_VSOCK_OP_RESPONSE;
		}
		if (i < VSOCK_MAX_CONNS)
			fds[i] = accept(listen_fd, NULL, NULL);
	}
	CHECK_EQ(responses, VSOCK_MAX_CONNS);
	CHECK_EQ(resets, 4);
	for (int i = 0; i < VSOCK_MAX_CONNS; i++)
		close(fds[i]);
	dev_teardown();
}

/* listen=true: a host connection becomes a guest connection; guest connects to that port are refused. */
static void test_listen(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct virtio_vsock_hdr h;
	char buf[4096];
	int fd;

	dev_setup(true);
	rx_post(16);
	tx(VIRTIO_VSOCK_OP_REQUEST, 7, 1234, NULL, 0);
	CHECK(rx_get(&h, NULL) == 1 && h.op == VIRTIO_VSOCK_OP_RST);
	strcpy(sa.sun_path, sock_path);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK(connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	CHECK(write(fd, "early", 5) == 5);
	run_loop();
	CHECK(rx_get(&h, NULL) == 1);
	CHECK(h.op == VIRTIO_VSOCK_OP_REQUEST && h.dst_port == 1234 && h.src_port >= VSOCK_EPHEMERAL_FIRST);
	/* Data waits for the guest's RESPONSE (and its credit). */
	CHECK(rx_get(&h, NULL) == 0);
	tx(VIRTIO_VSOCK_OP_RESPONSE, 1234, h.src_port, NULL, 0);
	CHECK(rx_get(&h, buf) == 1 && h.op == VIRTIO_VSOCK_OP_RW && h.len == 5 && !memcmp(buf, "early", 5));
	tx(VIRTIO_VSOCK_OP_RW, 1234, h.src_port, "reply", 5);
	CHECK(read(fd, buf, sizeof(buf)) == 5 && !memcmp(buf, "reply", 5));
	close(fd);
	dev_teardown();
	CHECK(access(sock_path, F_OK) != 0);
}

TEST_MAIN_BEGIN("vsock")
	RUN(test_api_rules);
	RUN(test_conn_table);
	RUN(test_credit);
	RUN(test_buffer_bound);
	RUN(test_iov_slice);
	RUN(test_stream);
	RUN(test_credit_flow);
	RUN(test_resets);
	RUN(test_hostile_packets);
	RUN(test_random_packets);
	RUN(test_random_rings);
	RUN(test_conn_limit);
	RUN(test_listen);
TEST_MAIN_END()
