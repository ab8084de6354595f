/* src/net/net-backend.h: the host side of a virtio-net device: one small ops table per backend, no virtqueue knowledge. */
#ifndef KRUN_NET_NET_BACKEND_H
#define KRUN_NET_NET_BACKEND_H

/*
 * Every backend is a non-blocking fd the device polls: EPOLLIN means frames
 * may be ready for recv(), EPOLLOUT means send() may have room again. Frames
 * are plain Ethernet frames, except with (vnet_hdr) set (tap with
 * IFF_VNET_HDR), where each frame starts with a struct virtio_net_hdr_v1, so
 * the guest's offload metadata passes through unchanged.
 *
 * Backpressure: send() never queues more than the one frame it was given
 * (the stream backend finishes a partly written frame first), so a guest that
 * floods transmit stalls on -EAGAIN instead of growing VMM memory; recv()
 * reads at most one frame, and the device reads only while the guest gives
 * receive buffers.
 *
 * All calls come from the device's one thread (the VMM's event loop).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

/* Largest frame any backend carries: 64 KiB IP packet + Ethernet and VLAN headers. */
#define NET_MAX_FRAME		(65535 + 18)
/* 802.3 header without VLAN tag. */
#define NET_ETH_HLEN		14

struct net_backend;

struct net_backend_ops {
	const char *name;	/* "unixstream", ...: prefix of log lines */
	/*
	 * Send one frame (iov, iovcnt). 0: taken (possibly still in flight in the
	 * backend); -EAGAIN: nothing taken, wait for EPOLLOUT and retry the same
	 * frame; other -errno: the frame is dropped (logged by the caller).
	 */
	int (*send)(struct net_backend *b, const struct iovec *iov, int iovcnt);
	/*
	 * Receive one frame into (buf, len >= NET_MAX_FRAME + header): its
	 * length, -EAGAIN when none is ready, -EPIPE when the peer went away,
	 * other -errno for a dropped frame (call again).
	 */
	ssize_t (*recv)(struct net_backend *b, void *buf, size_t len);
	/*
	 * Optional: the driver accepted (features) (VIRTIO_NET_F_* of the
	 * guest). The tap tells the kernel which offloaded frames it may now
	 * hand us. 0 or -errno.
	 */
	int (*activate)(struct net_backend *b, uint64_t features);
	/* True while send() holds a partly written frame: the device wants EPOLLOUT. */
	bool (*send_pending)(struct net_backend *b);
	void (*destroy)(struct net_backend *b);
};

struct net_backend {
	const struct net_backend_ops *ops;
	int fd;			/* polled by the device; owned by the backend */
	bool vnet_hdr;		/* frames carry virtio_net_hdr_v1 (tap) */
	uint64_t offloads;	/* VIRTIO_NET_F_* the peer honours (only with vnet_hdr) */
	uint16_t mtu;		/* suggested to the guest through VIRTIO_NET_F_MTU; 0 = none */
	/*
	 * Every frame recv() returns was built by the backend itself with correct
	 * checksums (libslirp), so the guest may skip verifying them
	 * (VIRTIO_NET_F_GUEST_CSUM + VIRTIO_NET_HDR_F_DATA_VALID). Never for
	 * backends that pass on frames from a wire or another program.
	 */
	bool rx_csum_valid;
};

/* What the VMM knows about the built-in network, for the guest's static configuration. */
struct net_slirp_cfg {
	uint16_t mtu;
	const uint16_t (*port_map)[2];	/* {host, guest} pairs forwarded on 0.0.0.0 */
	size_t nr_port_map;
	bool expose_listeners;		/* the guest reports its TCP listeners; each gets a host forward */
};

/* Guest-side addresses of the built-in network (the init configures them). */
#define NET_SLIRP_NETWORK	"10.0.2.0"
#define NET_SLIRP_PREFIX	24
#define NET_SLIRP_GUEST		"10.0.2.15"
#define NET_SLIRP_GATEWAY	"10.0.2.2"
#define NET_SLIRP_DNS		"10.0.2.3"
#define NET_SLIRP_MTU		65520
/* Where the init reports its TCP listeners (a libslirp guest-forward, no host socket behind it). */
#define NET_SLIRP_EXPOSE_ADDR	"10.0.2.4"
#define NET_SLIRP_EXPOSE_PORT	1024

/*
 * Constructors: 0 and *out, or -errno. (fd) arguments are the caller's and
 * are dup()ed; (path) connects a socket.
 */
int net_unixstream_create(const char *path, int fd, struct net_backend **out);
/* (vfkit): in path mode, send the 4-byte "VFKT" magic right after connecting (gvproxy's vfkit mode). */
int net_unixgram_create(const char *path, int fd, bool vfkit, struct net_backend **out);
/* (offloads): VIRTIO_NET_F_* the caller wants; the tap honours what TUNSETOFFLOAD accepts. */
int net_tap_create(const char *ifname, uint64_t offloads, struct net_backend **out);
/* libslirp on its own thread, behind a socket pair. */
int net_slirp_create(const struct net_slirp_cfg *cfg, struct net_backend **out);

/* Shared by the datagram-shaped backends: one frame per sendmsg()/read(). */
int net_dgram_send(int fd, const struct iovec *iov, int iovcnt);
ssize_t net_dgram_recv(int fd, void *buf, size_t len);

#endif
