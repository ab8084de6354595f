/* tests/unit/test-net-backends.c: the stream framing (passt) over a socket pair: split reads, bogus lengths, partial writes. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>

#include "net/net-backend.h"
#include "test.h"

static uint8_t buf[NET_MAX_FRAME + 64];

static struct net_backend *stream_pair(int *peer)
{
	struct net_backend *b;
	int sp[2];

	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == 0);
	CHECK(net_unixstream_create(NULL, sp[0], &b) == 0);
	close(sp[0]);
	*peer = sp[1];
	return b;
}

/* Frames arriving a byte at a time, and several in one read, come out whole and in order. */
static void test_stream_recv(void)
{
	uint8_t wire[2 * (4 + 60)];
	int peer;
	struct net_backend *b = stream_pair(&peer);
	uint32_t be = htonl(60);

	for (int f = 0; f < 2; f++) {
		memcpy(wire + f * 64, &be, 4);
		memset(wire + f * 64 + 4, 'a' + f, 60);
	}
	CHECK_EQ(b->ops->recv(b, buf, sizeof(buf)), -EAGAIN);
	for (int i = 0; i < 10; i++) {
		CHECK_EQ(write(peer, wire + i, 1), 1);
		CHECK_EQ(b->ops->recv(b, buf, sizeof(buf)), -EAGAIN);
	}
	CHECK_EQ(write(peer, wire + 10, sizeof(wire) - 10), (ssize_t)sizeof(wire) - 10);
	CHECK_EQ(b->ops->recv(b, buf, sizeof(buf)), 60);
	CHECK(buf[0] == 'a' && buf[59] == 'a');
	CHECK_EQ(b->ops->recv(b, buf, sizeof(buf)), 60);
	CHECK(buf[0] == 'b');
	CHECK_EQ(b->ops->recv(b, buf, sizeof(buf)), -EAGAIN);
	/* A length no frame can have: the peer is broken, not trusted further. */
	be = htonl(1u << 30);
	CHECK_EQ(write(peer, &be, 4), 4);
	CHECK_EQ(b->ops->recv(b, buf, sizeof(buf)), -EPIPE);
	b->ops->destroy(b);
	close(peer);
}

/*
 * Largest frames back to back with small ones between, the peer writing as the
 * socket takes it: each comes out whole and in order (the receive buffer holds
 * one frame and a bit, so partial frames move to its front again and again).
 */
static void test_stream_big_frames(void)
{
	static uint8_t wire[6 * (4 + NET_MAX_FRAME)];
	size_t len = 0, off = 0;
	int peer, got = 0;
	struct net_backend *b = stream_pair(&peer);

	for (int f = 0; f < 6; f++) {
		uint32_t n = f % 2 ? 100 + f : NET_MAX_FRAME, be = htonl(n);

		memcpy(wire + len, &be, 4);
		memset(wire + len + 4, 'a' + f, n);
		len += 4 + n;
	}
	fcntl(peer, F_SETFL, O_NONBLOCK);
	for (int i = 0; i < 100000 && got < 6; i++) {
		ssize_t w = off < len ? write(peer, wire + off, len - off) : 0;
		ssize_t r;

		off += w > 0 ? (size_t)w : 0;
		while ((r = b->ops->recv(b, buf, sizeof(buf))) > 0) {
			CHECK_EQ(r, got % 2 ? 100 + got : NET_MAX_FRAME);
			CHECK(buf[0] == 'a' + got && buf[r - 1] == 'a' + got);
			got++;
		}
		CHECK_EQ(r, -EAGAIN);
	}
	CHECK_EQ(got, 6);
	b->ops->destroy(b);
	close(peer);
}

/* A full socket takes part of a frame: the rest is kept, later sends wait for it (-EAGAIN). */
static void test_stream_partial_send(void)
{
	int peer, sz = 4096, frames = 0, ret;
	struct net_backend *b = stream_pair(&peer);
	struct iovec iov = { .iov_base = buf, .iov_len = 60000 };
	static uint8_t sink[1 << 16];
	size_t got = 0;
	ssize_t n;

	setsockopt(b->fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	memset(buf, 'z', sizeof(buf));
	while ((ret = b->ops->send(b, &iov, 1)) == 0) {
		frames++;
		if (b->ops->send_pending(b))
			break;
	}
	CHECK(b->ops->send_pending(b));
	CHECK_EQ(b->ops->send(b, &iov, 1), -EAGAIN);
	/* Drain the peer while retrying: every frame taken arrives whole, once. */
	fcntl(peer, F_SETFL, O_NONBLOCK);
	for (int i = 0; i < 100000 && b->ops->send_pending(b); i++) {
		while ((n = read(peer, sink, sizeof(sink))) > 0)
			got += n;
		if (b->ops->send(b, &iov, 1) == 0)
			frames++;
	}
	CHECK(!b->ops->send_pending(b));
	while ((n = read(peer, sink, sizeof(sink))) > 0)
		got += n;
	CHECK_EQ(got, (size_t)frames * 60004);
	CHECK(frames >= 2);
	b->ops->destroy(b);
	close(peer);
}

TEST_MAIN_BEGIN("net-backends")
	RUN(test_stream_recv);
	RUN(test_stream_big_frames);
	RUN(test_stream_partial_send);
TEST_MAIN_END()
