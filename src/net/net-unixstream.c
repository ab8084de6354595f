/* src/net/net-unixstream.c: stream backend (passt, socket_vmnet): each frame is a 32-bit big-endian length and the frame. */
#include "net/net-backend.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "util/log.h"

#define STREAM_HDR	4
#define STREAM_BUF	(STREAM_HDR + NET_MAX_FRAME)

struct net_unixstream {
	struct net_backend b;
	size_t tx_off, tx_len;
	size_t rx_off, rx_len;
	/* The rest of a frame the socket did not take at once (at most one frame): [tx_off, tx_len). */
	uint8_t *tx;
	/*
	 * Last: creation zeroes only what precedes it. Bytes read but not yet
	 * handed out: [rx_off, rx_len). A whole frame and then some; with less
	 * than a frame left free, the partial frame moves to the front. Both
	 * buffers stay under 128 KiB, which allocators serve from their pools
	 * rather than a mapping of its own each time.
	 */
	uint8_t rx[STREAM_BUF + (16 << 10)];
};

static struct net_unixstream *to_stream(struct net_backend *b)
{
	return (struct net_unixstream *)b;
}

/* Write what is left of the pending frame: 0 when nothing is left, -EAGAIN, -errno. */
static int stream_flush(struct net_unixstream *s)
{
	while (s->tx_off < s->tx_len) {
		ssize_t n = send(s->b.fd, s->tx + s->tx_off, s->tx_len - s->tx_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN ? -EAGAIN : -errno;
		s->tx_off += n;
	}
	s->tx_off = s->tx_len = 0;
	return 0;
}

/* Keep the unsent tail (skip bytes already written) of [len header + frame]. */
static void stream_keep_tail(struct net_unixstream *s, const uint8_t *hdr, const struct iovec *iov,
			     int iovcnt, size_t skip)
{
	size_t len = 0;

	memcpy(s->tx, hdr, STREAM_HDR);
	len = STREAM_HDR;
	for (int i = 0; i < iovcnt; i++) {
		memcpy(s->tx + len, iov[i].iov_base, iov[i].iov_len);
		len += iov[i].iov_len;
	}
	s->tx_off = skip;
	s->tx_len = len;
}

static int stream_send(struct net_backend *b, const struct iovec *iov, int iovcnt)
{
	struct net_unixstream *s = to_stream(b);
	struct iovec v[65];
	size_t total = 0;
	uint32_t be;
	ssize_t n;
	int ret;

	ret = stream_flush(s);
	if (ret)
		return ret;
	if (iovcnt > 64)
		return -E2BIG;
	for (int i = 0; i < iovcnt; i++)
		total += iov[i].iov_len;
	if (total > NET_MAX_FRAME)
		return -EMSGSIZE;
	be = htonl((uint32_t)total);
	v[0] = (struct iovec){ .iov_base = &be, .iov_len = STREAM_HDR };
	memcpy(v + 1, iov, iovcnt * sizeof(*iov));
	do {
		n = sendmsg(b->fd, &(struct msghdr){ .msg_iov = v, .msg_iovlen = iovcnt + 1 },
			    MSG_NOSIGNAL | MSG_DONTWAIT);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EAGAIN ? -EAGAIN : -errno;
	if ((size_t)n < total + STREAM_HDR)
		stream_keep_tail(s, (const uint8_t *)&be, iov, iovcnt, n);
	return 0;
}

/* A complete frame at the read position: its length, 0 if incomplete, -EPIPE if bogus. */
static ssize_t stream_frame_ready(struct net_unixstream *s)
{
	size_t have = s->rx_len - s->rx_off;
	uint32_t be, len;

	if (have < STREAM_HDR)
		return 0;
	memcpy(&be, s->rx + s->rx_off, STREAM_HDR);
	len = ntohl(be);
	if (len > NET_MAX_FRAME) {
		log_warn_once("net: unixstream: peer sent a %u-byte frame; closing", len);
		return -EPIPE;
	}
	return have - STREAM_HDR >= len ? (ssize_t)len : 0;
}

static int stream_fill(struct net_unixstream *s)
{
	ssize_t n;

	if (s->rx_off && s->rx_len + STREAM_BUF > sizeof(s->rx)) {
		memmove(s->rx, s->rx + s->rx_off, s->rx_len - s->rx_off);
		s->rx_len -= s->rx_off;
		s->rx_off = 0;
	}
	do {
		n = recv(s->b.fd, s->rx + s->rx_len, sizeof(s->rx) - s->rx_len, MSG_DONTWAIT);
	} while (n < 0 && errno == EINTR);
	if (n == 0)
		return -EPIPE;
	if (n < 0)
		return errno == EAGAIN ? -EAGAIN : -errno;
	s->rx_len += n;
	return 0;
}

static ssize_t stream_recv(struct net_backend *b, void *buf, size_t len)
{
	struct net_unixstream *s = to_stream(b);
	ssize_t flen;
	int ret;

	while (!(flen = stream_frame_ready(s))) {
		ret = stream_fill(s);
		if (ret)
			return ret;
	}
	if (flen < 0)
		return flen;
	if ((size_t)flen > len)
		return -EMSGSIZE;
	memcpy(buf, s->rx + s->rx_off + STREAM_HDR, flen);
	s->rx_off += STREAM_HDR + flen;
	if (s->rx_off == s->rx_len)
		s->rx_off = s->rx_len = 0;
	return flen;
}

static bool stream_send_pending(struct net_backend *b)
{
	struct net_unixstream *s = to_stream(b);

	return s->tx_off < s->tx_len;
}

static void stream_destroy(struct net_backend *b)
{
	close(b->fd);
	free(to_stream(b)->tx);
	free(to_stream(b));
}

static const struct net_backend_ops unixstream_ops = {
	.name = "unixstream",
	.send = stream_send,
	.recv = stream_recv,
	.send_pending = stream_send_pending,
	.destroy = stream_destroy,
};

static int stream_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, ret;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		ret = -errno;
		close(fd);
		log_err("net: unixstream: connecting to %s: %s", path, strerror(-ret));
		return ret;
	}
	return fd;
}

int net_unixstream_create(const char *path, int fd, struct net_backend **out)
{
	struct net_unixstream *s = malloc(sizeof(*s));
	int ret;

	if (!s)
		return -ENOMEM;
	memset(s, 0, offsetof(struct net_unixstream, rx));
	s->tx = malloc(STREAM_BUF);
	if (!s->tx) {
		free(s);
		return -ENOMEM;
	}
	s->b = (struct net_backend){ .ops = &unixstream_ops, .fd = -1 };
	s->b.fd = path ? stream_connect(path) : fcntl(fd, F_DUPFD_CLOEXEC, 3);
	if (s->b.fd < 0) {
		ret = path ? s->b.fd : -errno;
		free(s->tx);
		free(s);
		return ret;
	}
	if (fcntl(s->b.fd, F_SETFL, O_NONBLOCK) < 0) {
		ret = -errno;
		stream_destroy(&s->b);
		return ret;
	}
	*out = &s->b;
	return 0;
}
