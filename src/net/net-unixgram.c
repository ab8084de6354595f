/* src/net/net-unixgram.c: datagram backend (gvproxy, vfkit, vmnet-helper): one Ethernet frame per datagram. */
#include "net/net-backend.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "util/log.h"

/* gvproxy's vfkit mode expects these 4 bytes before the first frame. */
static const char vfkit_magic[4] = { 'V', 'F', 'K', 'T' };

struct net_unixgram {
	struct net_backend b;
	char *local_path;	/* our bound address in path mode, unlinked at destroy */
};

int net_dgram_send(int fd, const struct iovec *iov, int iovcnt)
{
	struct msghdr m = { .msg_iov = (struct iovec *)iov, .msg_iovlen = iovcnt };

	for (;;) {
		if (sendmsg(fd, &m, MSG_NOSIGNAL | MSG_DONTWAIT) >= 0)
			return 0;
		if (errno == EINTR)
			continue;
		/* ENOBUFS: the peer's queue is full, same as EAGAIN for a datagram socket. */
		if (errno == EAGAIN || errno == ENOBUFS)
			return -EAGAIN;
		return -errno;
	}
}

ssize_t net_dgram_recv(int fd, void *buf, size_t len)
{
	for (;;) {
		ssize_t n = recv(fd, buf, len, MSG_DONTWAIT | MSG_TRUNC);

		if (n >= 0)
			return (size_t)n > len ? -EMSGSIZE : n;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN)
			return -EAGAIN;
		/* A datagram peer that is not there yet (ECONNREFUSED) is not fatal. */
		return errno == ECONNRESET || errno == ENOTCONN ? -EPIPE : -errno;
	}
}

static int unixgram_send(struct net_backend *b, const struct iovec *iov, int iovcnt)
{
	return net_dgram_send(b->fd, iov, iovcnt);
}

static ssize_t unixgram_recv(struct net_backend *b, void *buf, size_t len)
{
	return net_dgram_recv(b->fd, buf, len);
}

static bool unixgram_send_pending(struct net_backend *b)
{
	return false;
}

static void unixgram_destroy(struct net_backend *b)
{
	struct net_unixgram *u = (struct net_unixgram *)b;

	if (u->local_path)
		unlink(u->local_path);
	free(u->local_path);
	close(b->fd);
	free(u);
}

static const struct net_backend_ops unixgram_ops = {
	.name = "unixgram",
	.send = unixgram_send,
	.recv = unixgram_recv,
	.send_pending = unixgram_send_pending,
	.destroy = unixgram_destroy,
};

static int sun_set(struct sockaddr_un *sa, const char *path)
{
	*sa = (struct sockaddr_un){ .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(sa->sun_path))
		return -ENAMETOOLONG;
	strcpy(sa->sun_path, path);
	return 0;
}

/*
 * The peer answers to our own address, so bind one next to its socket
 * ("<path>-krun.sock", as upstream), then connect.
 */
static int unixgram_connect(struct net_unixgram *u, const char *path)
{
	struct sockaddr_un local, peer;
	int ret;

	if (asprintf(&u->local_path, "%s-krun.sock", path) < 0) {
		u->local_path = NULL;
		return -ENOMEM;
	}
	ret = sun_set(&local, u->local_path);
	if (!ret)
		ret = sun_set(&peer, path);
	if (ret)
		return ret;
	unlink(u->local_path);
	if (bind(u->b.fd, (struct sockaddr *)&local, sizeof(local)) < 0)
		return -errno;
	if (connect(u->b.fd, (struct sockaddr *)&peer, sizeof(peer)) < 0)
		return -errno;
	return 0;
}

static int unixgram_open(struct net_unixgram *u, const char *path, int fd)
{
	int ret;

	if (!path) {
		u->b.fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
		return u->b.fd < 0 ? -errno : 0;
	}
	u->b.fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (u->b.fd < 0)
		return -errno;
	ret = unixgram_connect(u, path);
	if (ret)
		log_err("net: unixgram %s: %s", path, strerror(-ret));
	return ret;
}

int net_unixgram_create(const char *path, int fd, bool vfkit, struct net_backend **out)
{
	struct net_unixgram *u = calloc(1, sizeof(*u));
	int ret;

	if (!u)
		return -ENOMEM;
	u->b = (struct net_backend){ .ops = &unixgram_ops, .fd = -1 };
	ret = unixgram_open(u, path, fd);
	if (!ret && vfkit && path && send(u->b.fd, vfkit_magic, sizeof(vfkit_magic), MSG_NOSIGNAL) < 0)
		ret = -errno;
	if (!ret && fcntl(u->b.fd, F_SETFL, O_NONBLOCK) < 0)
		ret = -errno;
	if (ret) {
		if (u->b.fd >= 0)
			close(u->b.fd);
		if (u->local_path)
			unlink(u->local_path);
		free(u->local_path);
		free(u);
		return ret;
	}
	*out = &u->b;
	return 0;
}
