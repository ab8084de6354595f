/* src/devices/virtio-net.c: virtio-net (virtio 1.2 §5.1): one NIC between a guest and a src/net/ backend, on the event-loop thread. */
#include "devices/virtio-devices.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/syscall.h>

#include <linux/virtio_net.h>

#include "net/net-backend.h"
#include "sandbox/lists.h"
#include "util/log.h"
#include "vmm/event.h"

#define VTNET_QUEUE_SIZE	1024
#define VTNET_Q_RX		0
#define VTNET_Q_TX		1
/* VERSION_1 makes the header 12 bytes whatever else is negotiated (§5.1.6). */
#define VTNET_HDR_LEN		sizeof(struct virtio_net_hdr_v1)
/* Receive buffers one frame may span; a guest posting tinier ones loses the frame. */
#define VTNET_MAX_RX_BUFS	256
#define VTNET_MAX_TX_IOV	64

struct vtnet_rx_buf {
	uint16_t head;
	uint32_t gen;
	uint32_t in_len;
	uint32_t written;
};

/*
 * Everything below vdev is touched by the event-loop thread only, except
 * (reset_req), which ops->reset sets from the vCPU thread.
 */
struct vtnet {
	struct vdev vdev;		/* first: container_of */
	struct virtio_net_config config;
	struct ev_loop *loop;
	struct net_backend *be;
	uint32_t watch;			/* events asked for on be->fd */
	bool started;			/* the driver is up: backend I/O may flow */
	bool rx_stalled;		/* no receive buffers: EPOLLIN off until the RX kick */
	bool tx_blocked;		/* backend full: wait for EPOLLOUT */
	bool peer_gone;
	bool reset_req;			/* atomic: the driver reset the device */
	bool rx_data_valid;		/* mark received frames' checksums verified (GUEST_CSUM) */
	size_t max_frame;		/* transmit frames above this are dropped */
	size_t rx_len;			/* bytes of the pending received frame, header included */
	uint8_t *rx_frame;		/* VTNET_HDR_LEN + NET_MAX_FRAME */
	struct iovec tx_iov[VTNET_MAX_TX_IOV];
	struct vtnet_rx_buf rx_bufs[VTNET_MAX_RX_BUFS];
	struct vq_chain first, cur;	/* receive: first buffer of a frame, the others */
	struct vq_chain tx;
	/* Frame counters, for the exit-time log line that tells where frames went. */
	uint64_t rx_frames, rx_dropped, rx_stalls, tx_frames, tx_dropped, tx_blocks;
};

static void vtnet_update_watch(struct vtnet *n)
{
	uint32_t want = 0;

	if (n->peer_gone)
		return;
	if (n->started && !n->rx_stalled)
		want |= EPOLLIN;
	if (n->started && n->tx_blocked)
		want |= EPOLLOUT;
	if (want != n->watch && ev_mod(n->loop, n->be->fd, want) == 0)
		n->watch = want;
}

/* The backend's peer closed: link down, stop polling (virtio 1.2 §5.1.4.2). */
static void vtnet_peer_gone(struct vtnet *n)
{
	if (n->peer_gone)
		return;
	log_warn("virtio-net: %s backend: the peer went away; link down", n->be->ops->name);
	n->peer_gone = true;
	ev_del(n->loop, n->be->fd);
	n->watch = 0;
	__atomic_store_n(&n->config.status, 0, __ATOMIC_RELAXED);
	vdev_signal_config(&n->vdev);
}

/* Point (dst) at the chain's readable bytes from (skip) on; the count, or -E2BIG. */
static int vtnet_iov_from(const struct vq_chain *c, size_t skip, struct iovec *dst, int max)
{
	const struct iovec *src = c->iov;
	int n = 0;

	for (unsigned i = 0; i < c->nr_out; i++) {
		size_t len = src[i].iov_len;

		if (skip >= len) {
			skip -= len;
			continue;
		}
		if (n == max)
			return -E2BIG;
		dst[n++] = (struct iovec){ .iov_base = (char *)src[i].iov_base + skip,
					   .iov_len = len - skip };
		skip = 0;
	}
	return n;
}

/* Hand one transmit chain to the backend: 0 (done or dropped) or -EAGAIN (retry later). */
static int vtnet_tx_one(struct vtnet *n, struct vq_chain *c)
{
	size_t skip = n->be->vnet_hdr ? 0 : VTNET_HDR_LEN;
	size_t frame = c->out_len >= VTNET_HDR_LEN ? c->out_len - VTNET_HDR_LEN : 0;
	int cnt, ret;

	if (c->out_len < VTNET_HDR_LEN + NET_ETH_HLEN || frame > n->max_frame) {
		log_warn_once("virtio-net: dropping a %u-byte transmit buffer (header %zu, "
			      "frame limit %zu), driver confused?", c->out_len, VTNET_HDR_LEN,
			      n->max_frame);
		return 0;
	}
	cnt = vtnet_iov_from(c, skip, n->tx_iov, VTNET_MAX_TX_IOV);
	if (cnt < 0) {
		log_warn_once("virtio-net: transmit frame in more than %d pieces; dropped",
			      VTNET_MAX_TX_IOV);
		return 0;
	}
	ret = n->be->ops->send(n->be, n->tx_iov, cnt);
	if (ret == -EAGAIN)
		return ret;
	if (ret)
		n->tx_dropped++;
	else
		n->tx_frames++;
	if (ret == -EPIPE || ret == -ECONNRESET)
		vtnet_peer_gone(n);
	else if (ret)
		log_warn_once("virtio-net: %s backend dropped a frame: %s", n->be->ops->name,
			      strerror(-ret));
	return 0;
}

static void vtnet_tx(struct vtnet *n)
{
	struct virtqueue *vq = &n->vdev.queues[VTNET_Q_TX];

	while (!n->tx_blocked && vq_next(vq, &n->tx)) {
		if (!n->peer_gone && vtnet_tx_one(n, &n->tx) == -EAGAIN) {
			vq_unpop(vq, &n->tx);
			n->tx_blocked = true;
			n->tx_blocks++;
			break;
		}
		vq_push(vq, &n->tx, 0);
	}
	if (!n->peer_gone && n->be->ops->send_pending(n->be))
		n->tx_blocked = true;
	vdev_signal_used(&n->vdev, vq);
}

/* Return the (nr) buffers taken for a frame with the lengths written, first one first. */
static void vtnet_rx_push(struct vtnet *n, unsigned nr, bool drop)
{
	struct virtqueue *vq = &n->vdev.queues[VTNET_Q_RX];

	for (unsigned i = 0; i < nr; i++) {
		struct vtnet_rx_buf *b = &n->rx_bufs[i];

		n->cur.head = b->head;
		n->cur.gen = b->gen;
		n->cur.in_len = b->in_len;
		vq_push(vq, &n->cur, drop ? 0 : b->written);
	}
}

/* Take the next receive buffer into (c): 1, 0 when none, -EINVAL for a bad one (consumed). */
static int vtnet_rx_pop(struct vtnet *n, struct vq_chain *c)
{
	int ret = vq_pop(&n->vdev.queues[VTNET_Q_RX], c);

	if (ret < 0 && ret != -EIO)
		return -EINVAL;
	if (ret <= 0)
		return 0;
	if (c->nr_out || c->in_len < VTNET_HDR_LEN) {
		log_warn_once("virtio-net: receive buffer with %u readable and %u writable bytes, "
			      "driver confused?", c->out_len, c->in_len);
		vq_push(&n->vdev.queues[VTNET_Q_RX], c, 0);
		return -EINVAL;
	}
	return 1;
}

/*
 * Copy the pending frame into receive buffers (several with MRG_RXBUF,
 * §5.1.6.4). 0: delivered or dropped; -EAGAIN: not enough buffers, all given
 * back untouched-as-far-as-the-driver-knows, retry after the next RX kick.
 */
static int vtnet_rx_deliver(struct vtnet *n)
{
	bool mrg = vdev_has_feature(&n->vdev, VIRTIO_NET_F_MRG_RXBUF);
	size_t off = 0;
	unsigned nr = 0;
	uint16_t nbufs;

	while (off < n->rx_len) {
		struct vq_chain *c = nr ? &n->cur : &n->first;
		int ret = vtnet_rx_pop(n, c);

		if (ret == 0) {
			for (unsigned i = 0; i < nr; i++)
				vq_unpop(&n->vdev.queues[VTNET_Q_RX], &n->first);
			return -EAGAIN;
		}
		if (ret < 0 || nr == VTNET_MAX_RX_BUFS || (nr && !mrg)) {
			if (ret > 0)
				vq_push(&n->vdev.queues[VTNET_Q_RX], c, 0);
			log_warn_once("virtio-net: a %zu-byte frame does not fit the receive "
				      "buffers; dropped", n->rx_len - VTNET_HDR_LEN);
			n->rx_dropped++;
			vtnet_rx_push(n, nr, true);
			return 0;
		}
		n->rx_bufs[nr] = (struct vtnet_rx_buf){ .head = c->head, .gen = c->gen,
			.in_len = c->in_len,
			.written = vq_chain_write(c, 0, n->rx_frame + off, n->rx_len - off) };
		off += n->rx_bufs[nr++].written;
	}
	nbufs = nr;
	vq_chain_write(&n->first, offsetof(struct virtio_net_hdr_v1, num_buffers), &nbufs,
		       sizeof(nbufs));
	vtnet_rx_push(n, nr, false);
	return 0;
}

/* Read the next frame from the backend into rx_frame: 0, -EAGAIN (none) or -EPIPE. */
static int vtnet_rx_fetch(struct vtnet *n)
{
	bool vh = n->be->vnet_hdr;
	uint8_t *dst = vh ? n->rx_frame : n->rx_frame + VTNET_HDR_LEN;
	size_t cap = vh ? VTNET_HDR_LEN + NET_MAX_FRAME : NET_MAX_FRAME;
	ssize_t len;

	for (;;) {
		len = n->be->ops->recv(n->be, dst, cap);
		if (len == -EAGAIN || len == -EPIPE)
			return len;
		if (len < 0) {
			log_warn_once("virtio-net: %s backend: receive: %s", n->be->ops->name,
				      strerror(-len));
			continue;
		}
		if ((size_t)len >= (vh ? VTNET_HDR_LEN : 0) + NET_ETH_HLEN)
			break;
	}
	if (!vh) {
		memset(n->rx_frame, 0, VTNET_HDR_LEN);
		if (n->rx_data_valid)
			((struct virtio_net_hdr_v1 *)n->rx_frame)->flags = VIRTIO_NET_HDR_F_DATA_VALID;
	}
	n->rx_len = vh ? (size_t)len : VTNET_HDR_LEN + len;
	n->rx_frames++;
	return 0;
}

static void vtnet_rx(struct vtnet *n)
{
	while (n->started && !n->rx_stalled && !n->peer_gone) {
		int ret = n->rx_len ? 0 : vtnet_rx_fetch(n);

		if (ret == -EPIPE)
			vtnet_peer_gone(n);
		if (ret)
			break;
		if (vtnet_rx_deliver(n) == -EAGAIN) {
			n->rx_stalled = true;
			n->rx_stalls++;
			break;
		}
		n->rx_len = 0;
	}
	vdev_signal_used(&n->vdev, &n->vdev.queues[VTNET_Q_RX]);
}

/* A reset from the vCPU thread: forget the pending frame and stop backend I/O. */
static bool vtnet_check_reset(struct vtnet *n)
{
	if (!__atomic_exchange_n(&n->reset_req, false, __ATOMIC_ACQ_REL))
		return false;
	n->started = n->rx_stalled = n->tx_blocked = false;
	n->rx_len = 0;
	vtnet_update_watch(n);
	return true;
}

static void vtnet_backend_ready(void *opaque, int fd, uint32_t events)
{
	struct vtnet *n = opaque;

	vtnet_check_reset(n);
	if (!n->started) {
		vtnet_update_watch(n);
		return;
	}
	if (events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) {
		n->tx_blocked = false;
		vtnet_tx(n);
	}
	if (events & (EPOLLIN | EPOLLERR | EPOLLHUP))
		vtnet_rx(n);
	/*
	 * A hang-up is reported whatever we asked for: take what the guest has
	 * room for (above), then stop, or the loop would spin on it.
	 */
	if (events & EPOLLHUP)
		vtnet_peer_gone(n);
	vtnet_update_watch(n);
}

static void vtnet_notify(struct vdev *dev, unsigned q)
{
	struct vtnet *n = container_of(dev, struct vtnet, vdev);

	vtnet_check_reset(n);
	if (!vdev_driver_ok(dev))
		return;
	/* The transport kicks every queue once after DRIVER_OK: start there. */
	n->started = true;
	if (q == VTNET_Q_TX) {
		vtnet_tx(n);
	} else {
		n->rx_stalled = false;
		vtnet_rx(n);
	}
	vtnet_update_watch(n);
}

static int vtnet_activate(struct vdev *dev)
{
	struct vtnet *n = container_of(dev, struct vtnet, vdev);

	n->rx_data_valid = n->be->rx_csum_valid && !n->be->vnet_hdr &&
			   vdev_has_feature(dev, VIRTIO_NET_F_GUEST_CSUM);
	if (n->be->ops->activate)
		return n->be->ops->activate(n->be, dev->driver_features);
	return 0;
}

static void vtnet_reset(struct vdev *dev)
{
	struct vtnet *n = container_of(dev, struct vtnet, vdev);

	__atomic_store_n(&n->reset_req, true, __ATOMIC_RELEASE);
}

static int vtnet_config_read(struct vdev *dev, uint64_t off, void *buf, unsigned len)
{
	struct vtnet *n = container_of(dev, struct vtnet, vdev);
	struct virtio_net_config c = n->config;

	c.status = __atomic_load_n(&n->config.status, __ATOMIC_RELAXED);
	memcpy(buf, (uint8_t *)&c + off, len);
	return 0;
}

static const struct vdev_ops vtnet_ops = {
	.name = "virtio-net",
	.device_id = VIRTIO_ID_NET,
	.num_queues = 2,
	.queue_max_size = VTNET_QUEUE_SIZE,
	.config_size = sizeof(struct virtio_net_config),
	.config_read = vtnet_config_read,
	.activate = vtnet_activate,
	.reset = vtnet_reset,
	.notify = vtnet_notify,
};

static uint64_t vtnet_features(const struct net_backend *be, uint64_t wanted)
{
	uint64_t f = VIRTIO_BIT(VIRTIO_RING_F_EVENT_IDX) | VIRTIO_BIT(VIRTIO_RING_F_INDIRECT_DESC) |
		     VIRTIO_BIT(VIRTIO_NET_F_MAC) | VIRTIO_BIT(VIRTIO_NET_F_STATUS) |
		     VIRTIO_BIT(VIRTIO_NET_F_MRG_RXBUF);

	if (be->mtu)
		f |= VIRTIO_BIT(VIRTIO_NET_F_MTU);
	/* The guest need not verify checksums the backend computed itself. */
	if (be->rx_csum_valid && !be->vnet_hdr)
		f |= VIRTIO_BIT(VIRTIO_NET_F_GUEST_CSUM);
	/* Offloads only where the peer takes the virtio-net header (tap). */
	if (be->vnet_hdr)
		f |= wanted & be->offloads;
	return f;
}

int vtnet_create(struct guest_mem *mem, struct ev_loop *loop, const struct vtnet_cfg *cfg,
		 struct vdev **out)
{
	struct vtnet *n = calloc(1, sizeof(*n));
	int ret = -ENOMEM;

	if (!n || !(n->rx_frame = malloc(VTNET_HDR_LEN + NET_MAX_FRAME)))
		goto err_free;
	ret = vdev_init(&n->vdev, &vtnet_ops, mem, 0);
	if (ret)
		goto err_free;
	n->vdev.host_features |= vtnet_features(cfg->backend, cfg->features);
	n->loop = loop;
	n->be = cfg->backend;
	memcpy(n->config.mac, cfg->mac, sizeof(n->config.mac));
	n->config.status = VIRTIO_NET_S_LINK_UP;
	n->config.mtu = n->be->mtu;
	n->max_frame = n->be->mtu ? n->be->mtu + 18 : NET_MAX_FRAME;
	ret = ev_add(loop, n->be->fd, 0, vtnet_backend_ready, n);
	if (ret)
		goto err_vdev;
	*out = &n->vdev;
	return 0;
err_vdev:
	vdev_destroy(&n->vdev);
err_free:
	if (n)
		free(n->rx_frame);
	free(n);
	cfg->backend->ops->destroy(cfg->backend);
	return ret;
}

void vtnet_log_stats(struct vdev *dev)
{
	struct vtnet *n = container_of(dev, struct vtnet, vdev);

	log_info("virtio-net %s: from the peer %" PRIu64 " frames (%" PRIu64 " dropped, %" PRIu64
		 " waits for receive buffers, %s pending)%s; to the peer %" PRIu64 " frames (%" PRIu64
		 " dropped, %" PRIu64 " waits for the peer)", n->be->ops->name, n->rx_frames,
		 n->rx_dropped, n->rx_stalls, n->rx_len ? "one" : "none",
		 n->peer_gone ? ", peer gone" : "", n->tx_frames, n->tx_dropped, n->tx_blocks);
}

void vtnet_destroy(struct vdev *dev)
{
	struct vtnet *n = container_of(dev, struct vtnet, vdev);

	if (!n->peer_gone)
		ev_del(n->loop, n->be->fd);
	n->be->ops->destroy(n->be);
	vdev_destroy(&n->vdev);
	free(n->rx_frame);
	free(n);
}

/* Sandbox (x86_64): Frames to and from every backend, on the event loop. */
#ifdef __x86_64__
static const int net_io_sbx_syscalls[] = {
	/* unixstream (passt), unixgram (gvproxy), tap and the built-in network's socketpair */
	__NR_read, __NR_readv, __NR_write, __NR_writev,
	__NR_recvfrom, __NR_recvmsg, __NR_sendto, __NR_sendmsg, __NR_close,
};
const struct sbx_list net_io_sbx = SBX_SYSCALLS("net-io", net_io_sbx_syscalls);
#else
const struct sbx_list net_io_sbx = { .name = "net-io" };
#endif
