/* src/net/net-tap.c: tap backend: a Linux tap device with IFF_VNET_HDR, so checksum and segmentation offloads pass through. */
#include "net/net-backend.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/if.h>
#include <linux/if_tun.h>
#include <linux/virtio_net.h>

#include "sandbox/lists.h"
#include "util/log.h"

/* Feature bits a tap with a virtio-net header can honour. */
#define TAP_OFFLOADS ((1ULL << VIRTIO_NET_F_CSUM) | (1ULL << VIRTIO_NET_F_GUEST_CSUM) |	\
		      (1ULL << VIRTIO_NET_F_GUEST_TSO4) | (1ULL << VIRTIO_NET_F_GUEST_TSO6) |	\
		      (1ULL << VIRTIO_NET_F_GUEST_UFO) | (1ULL << VIRTIO_NET_F_HOST_TSO4) |	\
		      (1ULL << VIRTIO_NET_F_HOST_TSO6) | (1ULL << VIRTIO_NET_F_HOST_UFO))

static int tap_send(struct net_backend *b, const struct iovec *iov, int iovcnt)
{
	ssize_t n;

	do {
		n = writev(b->fd, iov, iovcnt);
	} while (n < 0 && errno == EINTR);
	if (n >= 0)
		return 0;
	return errno == EAGAIN ? -EAGAIN : -errno;
}

static ssize_t tap_recv(struct net_backend *b, void *buf, size_t len)
{
	ssize_t n;

	do {
		n = read(b->fd, buf, len);
	} while (n < 0 && errno == EINTR);
	if (n >= 0)
		return n;
	return errno == EAGAIN ? -EAGAIN : -errno;
}

/* What the guest accepts decides what the kernel may give us (virtio 1.2 §5.1.6.4). */
static int tap_activate(struct net_backend *b, uint64_t features)
{
	unsigned flags = 0;

	if (features & (1ULL << VIRTIO_NET_F_GUEST_CSUM)) {
		flags |= TUN_F_CSUM;
		if (features & (1ULL << VIRTIO_NET_F_GUEST_TSO4))
			flags |= TUN_F_TSO4;
		if (features & (1ULL << VIRTIO_NET_F_GUEST_TSO6))
			flags |= TUN_F_TSO6;
		if (features & (1ULL << VIRTIO_NET_F_GUEST_UFO))
			flags |= TUN_F_UFO;
	}
	if (ioctl(b->fd, TUNSETOFFLOAD, flags) < 0) {
		log_warn("net: tap: TUNSETOFFLOAD 0x%x: %s", flags, strerror(errno));
		return -errno;
	}
	return 0;
}

static bool tap_send_pending(struct net_backend *b)
{
	return false;
}

static void tap_destroy(struct net_backend *b)
{
	close(b->fd);
	free(b);
}

static const struct net_backend_ops tap_ops = {
	.name = "tap",
	.send = tap_send,
	.recv = tap_recv,
	.activate = tap_activate,
	.send_pending = tap_send_pending,
	.destroy = tap_destroy,
};

static int tap_open(const char *ifname)
{
	struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR };
	int hdr = sizeof(struct virtio_net_hdr_v1);
	int fd, ret;

	if (strlen(ifname) >= IFNAMSIZ)
		return -EINVAL;
	strcpy(ifr.ifr_name, ifname);
	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (ioctl(fd, TUNSETIFF, &ifr) < 0 || ioctl(fd, TUNSETVNETHDRSZ, &hdr) < 0 ||
	    ioctl(fd, TUNSETOFFLOAD, 0) < 0) {
		ret = -errno;
		close(fd);
		log_err("net: tap %s: %s", ifname, strerror(-ret));
		return ret;
	}
	return fd;
}

int net_tap_create(const char *ifname, uint64_t offloads, struct net_backend **out)
{
	struct net_backend *b = calloc(1, sizeof(*b));
	int fd;

	if (!b)
		return -ENOMEM;
	fd = tap_open(ifname);
	if (fd < 0) {
		free(b);
		return fd;
	}
	*b = (struct net_backend){ .ops = &tap_ops, .fd = fd, .vnet_hdr = true,
				   .offloads = offloads & TAP_OFFLOADS };
	*out = b;
	return 0;
}

/* Sandbox (x86_64): The guest's offloads are set on the tap when the driver says DRIVER_OK (a vCPU). */
#ifdef __x86_64__
static const unsigned long net_tap_sbx_ioctls[] = { TUNSETOFFLOAD };
const struct sbx_list net_tap_sbx = SBX_IOCTLS("net-tap", net_tap_sbx_ioctls);
#else
const struct sbx_list net_tap_sbx = { .name = "net-tap" };
#endif
