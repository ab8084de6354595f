/* src/devices/virtio-vsock.c: virtio-vsock (guest CID 3): guest stream connections bridged to host UNIX sockets on the event-loop thread. */
#include "devices/virtio-devices.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/virtio_vsock.h>

#include "sandbox/lists.h"
#include "util/log.h"
#include "vmm/event.h"
#include "vsock/conn.h"
#include "vsock/host-unix.h"

#define VTSOCK_QUEUE_SIZE	256
#define VTSOCK_Q_RX		0
#define VTSOCK_Q_TX		1
#define VTSOCK_Q_EVENT		2
#define VTSOCK_HOST_CID		2
#define VTSOCK_GUEST_CID	3
#define HDR_LEN			sizeof(struct virtio_vsock_hdr)
/* Largest payload per packet (Linux's VIRTIO_VSOCK_MAX_PKT_BUF_SIZE). */
#define VTSOCK_MAX_PAYLOAD	(64u * 1024)
/* RSTs waiting for rx buffers; beyond this a flood of bad packets is dropped. */
#define VTSOCK_MAX_RST		512
/* Host socket events handled per wake-up before the loop serves others. */
#define VTSOCK_EVENT_BATCH	256
/* epoll data of a listening socket: a port index with the top bit (never set in a pointer). */
#define LISTENER_TAG		(1ull << 63)

/* vsock_conn.flags */
#define CF_READABLE	(1u << 0)	/* the host socket has data or EOF we did not read */
#define CF_HOST_EOF	(1u << 1)	/* the host will send no more */
#define CF_PEER_NO_RCV	(1u << 2)	/* guest: SHUTDOWN RCV */
#define CF_PEER_NO_SEND	(1u << 3)	/* guest: SHUTDOWN SEND */
#define CF_SHUT_WR	(1u << 4)	/* we passed the guest's SEND shutdown on to the host */

struct vtsock_port {
	uint32_t port;
	char *path;
	bool listen;
	int fd;			/* listening socket, -1 otherwise */
};

struct vtsock_rst {
	uint64_t src_cid;
	uint32_t src_port, dst_port;
};

struct vtsock {
	struct vdev vdev;	/* first: container_of */
	struct virtio_vsock_config config;
	struct ev_loop *loop;
	int epfd;		/* host sockets; itself watched by (loop) */
	struct vsock_table conns;
	struct vtsock_port *ports;
	unsigned nr_ports;
	struct vtsock_rst rst[VTSOCK_MAX_RST];
	unsigned rst_head, nr_rst;
	bool reset_pending;	/* atomic: set by the transport, acted on by the loop thread */
	struct vq_chain tx_chain, rx_chain;
	struct iovec iov[VQ_MAX_IOV]; /* a slice of a chain for readv/sendmsg */
};

static void rst_push(struct vtsock *s, uint64_t src_cid, uint32_t src_port, uint32_t dst_port)
{
	if (s->nr_rst == VTSOCK_MAX_RST) {
		log_warn_once("virtio-vsock: too many resets pending, driver not reading rx");
		return;
	}
	s->rst[(s->rst_head + s->nr_rst++) % VTSOCK_MAX_RST] =
		(struct vtsock_rst){ .src_cid = src_cid, .src_port = src_port, .dst_port = dst_port };
}

/* Answer a guest packet (h) with RST, unless it is one. */
static void rst_reply(struct vtsock *s, const struct virtio_vsock_hdr *h)
{
	if (h->op != VIRTIO_VSOCK_OP_RST)
		rst_push(s, h->dst_cid, h->dst_port, h->src_port);
}

static void conn_close(struct vtsock *s, struct vsock_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);	/* also leaves s->epfd */
	vsock_conn_free(&s->conns, c);
}

/* Abortive close: the guest gets a RST, the host socket is closed. */
static void conn_reset(struct vtsock *s, struct vsock_conn *c)
{
	rst_push(s, VTSOCK_HOST_CID, c->local_port, c->peer_port);
	conn_close(s, c);
}

/* Watch the host socket for what we can act on; a socket with nothing to watch leaves the set (EPOLLHUP would spin). */
static void conn_watch(struct vtsock *s, struct vsock_conn *c)
{
	uint32_t want = 0;
	struct epoll_event ev = { .data.ptr = c };
	int op;

	if (!(c->flags & (CF_READABLE | CF_HOST_EOF)))
		want |= EPOLLIN;
	if (c->buf_len)
		want |= EPOLLOUT;
	if (want == c->ep_events)
		return;
	op = !want ? EPOLL_CTL_DEL : c->ep_events ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
	ev.events = want;
	if (epoll_ctl(s->epfd, op, c->fd, &ev) < 0)
		log_warn_once("virtio-vsock: epoll_ctl: %s", strerror(errno));
	c->ep_events = want;
}

/* Host data may go to the guest now. */
static bool conn_can_send(const struct vsock_conn *c)
{
	return c->state == VSOCK_ESTABLISHED && (c->flags & CF_READABLE) &&
	       !(c->flags & CF_PEER_NO_RCV) && vsock_peer_credit(c) > 0;
}

static bool conn_wants_rx(const struct vsock_conn *c)
{
	return c->owe || conn_can_send(c);
}

static void conn_kick(struct vtsock *s, struct vsock_conn *c)
{
	if (conn_wants_rx(c))
		vsock_queue(&s->conns, c);
}

/*
 * After the guest-to-host buffer changed: pass a SEND shutdown on once the
 * buffer is empty, and when the guest shut both directions (its close()),
 * answer with the RST it waits for. Returns true when (c) is gone.
 */
static bool conn_settle(struct vtsock *s, struct vsock_conn *c)
{
	if (c->buf_len || !(c->flags & CF_PEER_NO_SEND))
		return false;
	if (!(c->flags & CF_SHUT_WR)) {
		shutdown(c->fd, SHUT_WR);
		c->flags |= CF_SHUT_WR;
	}
	if (c->flags & CF_PEER_NO_RCV) {
		conn_reset(s, c);
		return true;
	}
	return false;
}

/* --- guest -> host (transmit queue) --- */

static void tx_request(struct vtsock *s, struct vsock_conn *c, const struct virtio_vsock_hdr *h)
{
	struct vtsock_port *p = NULL;
	int fd, ret;

	if (c) {	/* a second REQUEST on a live connection: both go */
		conn_reset(s, c);
		return;
	}
	for (unsigned i = 0; i < s->nr_ports && !p; i++)
		if (s->ports[i].port == h->dst_port && !s->ports[i].listen)
			p = &s->ports[i];
	if (!p || vsock_unix_connect(p->path, &fd)) {
		rst_reply(s, h);
		return;
	}
	ret = vsock_conn_new(&s->conns, h->dst_port, h->src_port, &c);
	if (ret) {
		if (ret == -ENOSPC)
			log_warn_once("virtio-vsock: %d connections open, refusing more", VSOCK_MAX_CONNS);
		close(fd);
		rst_reply(s, h);
		return;
	}
	c->fd = fd;
	c->state = VSOCK_ESTABLISHED;
	c->owe |= VSOCK_OWE_RESPONSE;
	vsock_peer_credit_set(c, h->buf_alloc, h->fwd_cnt);
	conn_watch(s, c);
	vsock_queue(&s->conns, c);
}

/* Payload of an RW packet straight to the host socket; what it does not take is buffered. */
static void tx_rw(struct vtsock *s, struct vsock_conn *c, const struct virtio_vsock_hdr *h,
		  struct vq_chain *ch)
{
	struct msghdr msg = { .msg_iov = s->iov };
	size_t sent = 0;
	bool due = false;
	ssize_t n;
	int ret = 0;

	if (c->state != VSOCK_ESTABLISHED || (c->flags & CF_PEER_NO_SEND)) {
		conn_reset(s, c);
		return;
	}
	if (!c->buf_len && h->len) {
		msg.msg_iovlen = vsock_iov_slice(ch->iov, ch->nr_out, HDR_LEN, h->len, s->iov, VQ_MAX_IOV);
		n = sendmsg(c->fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno != EAGAIN && errno != EINTR) {
			conn_reset(s, c);
			return;
		}
		sent = n > 0 ? n : 0;
		due = vsock_consumed(c, sent);
	}
	if (sent < h->len)
		ret = vsock_buf_put(c, ch->iov, ch->nr_out, HDR_LEN + sent, h->len - sent);
	if (ret) {
		if (ret == -ENOBUFS)
			log_warn_once("virtio-vsock: guest sent beyond its credit, resetting");
		conn_reset(s, c);
		return;
	}
	if (due)
		c->owe |= VSOCK_OWE_CREDIT;
	conn_watch(s, c);
	/* The header may have brought credit; the guest sends no separate update then. */
	conn_kick(s, c);
}

static void tx_shutdown(struct vtsock *s, struct vsock_conn *c, uint32_t flags)
{
	if (flags & VIRTIO_VSOCK_SHUTDOWN_RCV)
		c->flags |= CF_PEER_NO_RCV;
	if (flags & VIRTIO_VSOCK_SHUTDOWN_SEND)
		c->flags |= CF_PEER_NO_SEND;
	if (!conn_settle(s, c))
		conn_kick(s, c);
}

/* One packet on an existing connection (c). */
static void tx_conn(struct vtsock *s, struct vsock_conn *c, const struct virtio_vsock_hdr *h,
		    struct vq_chain *ch)
{
	vsock_peer_credit_set(c, h->buf_alloc, h->fwd_cnt);
	switch (h->op) {
	case VIRTIO_VSOCK_OP_REQUEST:
		tx_request(s, c, h);
		return;
	case VIRTIO_VSOCK_OP_RESPONSE:
		if (c->state != VSOCK_CONNECTING) {
			conn_reset(s, c);
			return;
		}
		c->state = VSOCK_ESTABLISHED;
		break;
	case VIRTIO_VSOCK_OP_RST:
		conn_close(s, c);
		return;
	case VIRTIO_VSOCK_OP_SHUTDOWN:
		tx_shutdown(s, c, h->flags);
		return;
	case VIRTIO_VSOCK_OP_RW:
		tx_rw(s, c, h, ch);
		return;
	case VIRTIO_VSOCK_OP_CREDIT_UPDATE:
		break;
	case VIRTIO_VSOCK_OP_CREDIT_REQUEST:
		c->owe |= VSOCK_OWE_CREDIT;
		break;
	default:
		log_warn_once("virtio-vsock: unknown op %u, driver confused?", h->op);
		conn_reset(s, c);
		return;
	}
	conn_kick(s, c);
}

static void tx_packet(struct vtsock *s, struct vq_chain *ch)
{
	struct virtio_vsock_hdr h;
	struct vsock_conn *c;

	if (vq_chain_read(ch, 0, &h, HDR_LEN) < HDR_LEN) {
		log_warn_once("virtio-vsock: tx packet shorter than its header, driver confused?");
		return;
	}
	if (h.src_cid != VTSOCK_GUEST_CID) {
		log_warn_once("virtio-vsock: tx packet from CID %llu, driver confused?",
			      (unsigned long long)h.src_cid);
		return;
	}
	if (h.len > ch->out_len - HDR_LEN || (h.op != VIRTIO_VSOCK_OP_RW && h.len)) {
		log_warn_once("virtio-vsock: tx packet length %u does not match its buffer", h.len);
		rst_reply(s, &h);
		return;
	}
	/* Only the host's stream sockets live here: anything else is refused at once. */
	if (h.dst_cid != VTSOCK_HOST_CID || h.type != VIRTIO_VSOCK_TYPE_STREAM) {
		rst_reply(s, &h);
		return;
	}
	c = vsock_conn_find(&s->conns, h.dst_port, h.src_port);
	if (c)
		tx_conn(s, c, &h, ch);
	else if (h.op == VIRTIO_VSOCK_OP_REQUEST)
		tx_request(s, NULL, &h);
	else
		rst_reply(s, &h);
}

static void tx_drain(struct vtsock *s)
{
	struct virtqueue *vq = &s->vdev.queues[VTSOCK_Q_TX];

	while (vq_next(vq, &s->tx_chain)) {
		tx_packet(s, &s->tx_chain);
		vq_push(vq, &s->tx_chain, 0);
	}
	vdev_signal_used(&s->vdev, vq);
}

/* --- host -> guest (receive queue) --- */

static void hdr_init(struct virtio_vsock_hdr *h, struct vsock_conn *c, uint16_t op, uint32_t len)
{
	*h = (struct virtio_vsock_hdr){
		.src_cid = VTSOCK_HOST_CID, .dst_cid = VTSOCK_GUEST_CID,
		.src_port = c->local_port, .dst_port = c->peer_port, .len = len,
		.type = VIRTIO_VSOCK_TYPE_STREAM, .op = op,
		.buf_alloc = VSOCK_BUF_ALLOC, .fwd_cnt = c->fwd_cnt,
	};
	c->fwd_cnt_sent = c->fwd_cnt;
}

/* Read host data into the chain after the header: > 0 bytes, 0 nothing now, -errno reset. */
static long rx_read(struct vtsock *s, struct vsock_conn *c, struct vq_chain *ch)
{
	size_t max = ch->in_len - HDR_LEN;
	uint32_t credit = vsock_peer_credit(c);
	unsigned n;
	ssize_t r;

	if (max > credit)
		max = credit;
	if (max > VTSOCK_MAX_PAYLOAD)
		max = VTSOCK_MAX_PAYLOAD;
	n = vsock_iov_slice(vq_chain_in(ch), ch->nr_in, HDR_LEN, max, s->iov, VQ_MAX_IOV);
	r = readv(c->fd, s->iov, n);
	if (r > 0)
		return r;
	if (r < 0 && (errno == EAGAIN || errno == EINTR)) {
		c->flags &= ~CF_READABLE;
		conn_watch(s, c);
		return 0;
	}
	if (r < 0)
		return -errno;
	/* EOF: the host sends no more; the guest may still send (half close). */
	c->flags = (c->flags & ~CF_READABLE) | CF_HOST_EOF;
	c->owe |= VSOCK_OWE_SHUTDOWN;
	c->shutdown_flags |= VIRTIO_VSOCK_SHUTDOWN_SEND;
	conn_watch(s, c);
	return 0;
}

/* The next packet (c) owes the guest into (ch): bytes written, 0 none, -errno reset it. */
static long rx_conn_packet(struct vtsock *s, struct vsock_conn *c, struct vq_chain *ch)
{
	struct virtio_vsock_hdr h;
	uint16_t op = 0;
	long len = 0;

	if (c->owe & VSOCK_OWE_REQUEST)
		op = VIRTIO_VSOCK_OP_REQUEST;
	else if (c->owe & VSOCK_OWE_RESPONSE)
		op = VIRTIO_VSOCK_OP_RESPONSE;
	else if (conn_can_send(c) && ch->in_len > HDR_LEN) {
		len = rx_read(s, c, ch);
		if (len < 0)
			return len;
		if (len > 0)
			op = VIRTIO_VSOCK_OP_RW;
	}
	if (!op && (c->owe & VSOCK_OWE_SHUTDOWN))
		op = VIRTIO_VSOCK_OP_SHUTDOWN;
	else if (!op && (c->owe & VSOCK_OWE_CREDIT))
		op = VIRTIO_VSOCK_OP_CREDIT_UPDATE;
	if (!op)
		return 0;
	hdr_init(&h, c, op, len);
	if (op == VIRTIO_VSOCK_OP_SHUTDOWN)
		h.flags = c->shutdown_flags;
	c->tx_cnt += len;
	c->owe &= ~(op == VIRTIO_VSOCK_OP_REQUEST ? VSOCK_OWE_REQUEST :
		    op == VIRTIO_VSOCK_OP_RESPONSE ? VSOCK_OWE_RESPONSE :
		    op == VIRTIO_VSOCK_OP_SHUTDOWN ? VSOCK_OWE_SHUTDOWN : 0);
	c->owe &= ~VSOCK_OWE_CREDIT;	/* every packet carries our credit */
	vq_chain_write(ch, 0, &h, HDR_LEN);
	return HDR_LEN + len;
}

static long rx_rst_packet(struct vtsock *s, struct vq_chain *ch)
{
	struct vtsock_rst *r = &s->rst[s->rst_head];
	struct virtio_vsock_hdr h = {
		.src_cid = r->src_cid, .dst_cid = VTSOCK_GUEST_CID,
		.src_port = r->src_port, .dst_port = r->dst_port,
		.type = VIRTIO_VSOCK_TYPE_STREAM, .op = VIRTIO_VSOCK_OP_RST,
	};

	s->rst_head = (s->rst_head + 1) % VTSOCK_MAX_RST;
	s->nr_rst--;
	vq_chain_write(ch, 0, &h, HDR_LEN);
	return HDR_LEN;
}

/*
 * Fill (ch) with the next packet for the guest: RSTs first, then connections
 * in turn. Each queued connection is asked at most once per chain (a chain
 * too small for its data leaves it queued).
 */
static long rx_packet(struct vtsock *s, struct vq_chain *ch)
{
	unsigned budget = s->conns.nr;
	struct vsock_conn *c;
	long len;

	for (;; budget--) {
		if (s->nr_rst)
			return rx_rst_packet(s, ch);
		c = budget ? vsock_dequeue(&s->conns) : NULL;
		if (!c)
			return 0;
		len = rx_conn_packet(s, c, ch);
		if (len < 0) {
			conn_reset(s, c);
			continue;
		}
		conn_kick(s, c);
		if (len > 0)
			return len;
	}
}

static void rx_pump(struct vtsock *s)
{
	struct virtqueue *vq = &s->vdev.queues[VTSOCK_Q_RX];
	long len;

	while ((s->nr_rst || s->conns.qhead) && vq_next(vq, &s->rx_chain)) {
		if (s->rx_chain.nr_out || s->rx_chain.in_len < HDR_LEN) {
			log_warn_once("virtio-vsock: rx buffer too small or readable, driver confused?");
			vq_push(vq, &s->rx_chain, 0);
			continue;
		}
		len = rx_packet(s, &s->rx_chain);
		if (!len) {
			vq_unpop(vq, &s->rx_chain);
			break;
		}
		vq_push(vq, &s->rx_chain, len);
	}
	vdev_signal_used(&s->vdev, vq);
}

/* --- host sockets --- */

static void host_accept(struct vtsock *s, struct vtsock_port *p)
{
	struct vsock_conn *c;
	int fd, ret;

	fd = accept4(p->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return;
	ret = vsock_conn_new(&s->conns, vsock_alloc_port(&s->conns), p->port, &c);
	if (ret) {
		log_warn_once("virtio-vsock: refusing a host connection to port %u: %s",
			      p->port, strerror(-ret));
		close(fd);
		return;
	}
	c->fd = fd;
	c->state = VSOCK_CONNECTING;
	c->owe |= VSOCK_OWE_REQUEST;
	conn_watch(s, c);
	vsock_queue(&s->conns, c);
}

static void host_conn_event(struct vtsock *s, struct vsock_conn *c, uint32_t events)
{
	bool due;

	if (c->buf_len && (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
		if (vsock_buf_flush(c, c->fd, &due) < 0) {
			conn_reset(s, c);
			return;
		}
		if (due)
			c->owe |= VSOCK_OWE_CREDIT;
		if (conn_settle(s, c))
			return;
	}
	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR))
		c->flags |= CF_READABLE;
	conn_watch(s, c);
	conn_kick(s, c);
}

static void vtsock_check_reset(struct vtsock *s);

/* Loop thread: the host socket set has events; one at a time, so a socket freed by one is never seen stale. */
static void host_events(void *opaque, int fd, uint32_t events)
{
	struct vtsock *s = opaque;
	struct epoll_event ev;

	vtsock_check_reset(s);
	for (int i = 0; i < VTSOCK_EVENT_BATCH && epoll_wait(s->epfd, &ev, 1, 0) == 1; i++) {
		if (ev.data.u64 & LISTENER_TAG)
			host_accept(s, &s->ports[ev.data.u64 & ~LISTENER_TAG]);
		else
			host_conn_event(s, ev.data.ptr, ev.events);
	}
	if (vdev_driver_ok(&s->vdev))
		rx_pump(s);
}

/* --- device ops --- */

static void close_one(void *opaque, struct vsock_conn *c)
{
	conn_close(opaque, c);
}

/*
 * A driver reset drops every connection; done on the loop thread, which owns
 * them. The table starts over (ephemeral ports from the first again), so a
 * reset device behaves as a new one.
 */
static void vtsock_check_reset(struct vtsock *s)
{
	if (!__atomic_exchange_n(&s->reset_pending, false, __ATOMIC_ACQ_REL))
		return;
	vsock_table_each(&s->conns, close_one, s);
	vsock_table_init(&s->conns);
	s->nr_rst = 0;
	s->rst_head = 0;
}

static void vtsock_reset(struct vdev *dev)
{
	struct vtsock *s = container_of(dev, struct vtsock, vdev);

	__atomic_store_n(&s->reset_pending, true, __ATOMIC_RELEASE);
}

static void vtsock_notify(struct vdev *dev, unsigned q)
{
	struct vtsock *s = container_of(dev, struct vtsock, vdev);

	vtsock_check_reset(s);
	if (!vdev_driver_ok(dev))
		return;
	if (q == VTSOCK_Q_TX)
		tx_drain(s);
	rx_pump(s);
}

static int vtsock_config_read(struct vdev *dev, uint64_t off, void *buf, unsigned len)
{
	struct vtsock *s = container_of(dev, struct vtsock, vdev);

	memcpy(buf, (uint8_t *)&s->config + off, len);
	return 0;
}

static const struct vdev_ops vtsock_ops = {
	.name = "virtio-vsock",
	.device_id = VIRTIO_ID_VSOCK,
	.num_queues = 3,
	.queue_max_size = VTSOCK_QUEUE_SIZE,
	.features = VIRTIO_BIT(VIRTIO_RING_F_EVENT_IDX),
	.config_size = sizeof(struct virtio_vsock_config),
	.config_read = vtsock_config_read,
	.reset = vtsock_reset,
	.notify = vtsock_notify,
};

static int vtsock_add_port(struct vtsock *s, const struct vtsock_port_cfg *pc)
{
	struct vtsock_port *p = &s->ports[s->nr_ports];
	struct epoll_event ev = { .events = EPOLLIN };
	int ret;

	*p = (struct vtsock_port){ .port = pc->port, .listen = pc->listen, .fd = -1 };
	p->path = strdup(pc->path);
	if (!p->path)
		return -ENOMEM;
	s->nr_ports++;
	if (!pc->listen)
		return 0;
	ret = vsock_unix_listen(p->path, &p->fd);
	if (ret) {
		log_err("virtio-vsock: listening on %s: %s", p->path, strerror(-ret));
		return ret;
	}
	ev.data.u64 = LISTENER_TAG | (s->nr_ports - 1);
	return epoll_ctl(s->epfd, EPOLL_CTL_ADD, p->fd, &ev) < 0 ? -errno : 0;
}

static void vtsock_free(struct vtsock *s)
{
	for (unsigned i = 0; i < s->nr_ports; i++) {
		if (s->ports[i].fd >= 0) {
			close(s->ports[i].fd);
			unlink(s->ports[i].path);
		}
		free(s->ports[i].path);
	}
	free(s->ports);
	if (s->epfd >= 0)
		close(s->epfd);
	vdev_destroy(&s->vdev);
	free(s);
}

int vtsock_create(struct guest_mem *mem, struct ev_loop *loop, const struct vtsock_port_cfg *ports,
		  unsigned nr_ports, struct vdev **out)
{
	struct vtsock *s = calloc(1, sizeof(*s));
	int ret;

	if (!s)
		return -ENOMEM;
	s->epfd = -1;
	ret = vdev_init(&s->vdev, &vtsock_ops, mem, 0);
	if (ret) {
		free(s);
		return ret;
	}
	s->config.guest_cid = VTSOCK_GUEST_CID;
	s->loop = loop;
	vsock_table_init(&s->conns);
	s->ports = calloc(nr_ports ? nr_ports : 1, sizeof(*s->ports));
	s->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (!s->ports || s->epfd < 0) {
		ret = s->ports ? -errno : -ENOMEM;
		goto err;
	}
	for (unsigned i = 0; i < nr_ports; i++) {
		ret = vtsock_add_port(s, &ports[i]);
		if (ret)
			goto err;
	}
	ret = ev_add(loop, s->epfd, EPOLLIN, host_events, s);
	if (ret)
		goto err;
	*out = &s->vdev;
	return 0;
err:
	vtsock_free(s);
	return ret;
}

void vtsock_unlink_listeners(struct vdev *dev)
{
	struct vtsock *s = container_of(dev, struct vtsock, vdev);

	for (unsigned i = 0; i < s->nr_ports; i++) {
		if (s->ports[i].fd < 0)
			continue;
		unlink(s->ports[i].path);
		close(s->ports[i].fd);
		s->ports[i].fd = -1;
	}
}

/* Sandbox (x86_64): Host sockets behind guest vsock connections, on the event loop. */
#ifdef __x86_64__
static const int vsock_sbx_syscalls[] = {
	/* guest connects make the VMM connect host UNIX sockets; listeners accept */
	__NR_socket, __NR_connect, __NR_accept4, __NR_accept, __NR_getsockopt, __NR_setsockopt,
	__NR_shutdown, __NR_close, __NR_fcntl,
	__NR_read, __NR_readv, __NR_recvfrom, __NR_recvmsg, __NR_sendto, __NR_sendmsg,
	/* the device's own epoll set of host sockets */
	__NR_epoll_wait, __NR_epoll_pwait, __NR_epoll_ctl,
	/* listening sockets are removed at exit */
	__NR_unlink, __NR_unlinkat,
};
const struct sbx_list vsock_sbx = SBX_SYSCALLS("vsock", vsock_sbx_syscalls);
#else
const struct sbx_list vsock_sbx = { .name = "vsock" };
#endif
