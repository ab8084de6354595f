/* src/vsock/conn.c: the vsock connection table, credit arithmetic and per-connection ring buffer. */
#include "vsock/conn.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

void vsock_table_init(struct vsock_table *t)
{
	*t = (struct vsock_table){ .next_port = VSOCK_EPHEMERAL_FIRST };
}

static unsigned bucket(uint32_t local, uint32_t peer)
{
	return (local * 2654435761u ^ peer * 40503u) % VSOCK_BUCKETS;
}

struct vsock_conn *vsock_conn_find(struct vsock_table *t, uint32_t local, uint32_t peer)
{
	struct vsock_conn *c = t->buckets[bucket(local, peer)];

	while (c && (c->local_port != local || c->peer_port != peer))
		c = c->hnext;
	return c;
}

int vsock_conn_new(struct vsock_table *t, uint32_t local, uint32_t peer, struct vsock_conn **out)
{
	unsigned b = bucket(local, peer);
	struct vsock_conn *c;

	if (vsock_conn_find(t, local, peer))
		return -EEXIST;
	if (t->nr >= VSOCK_MAX_CONNS)
		return -ENOSPC;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->local_port = local;
	c->peer_port = peer;
	c->fd = -1;
	c->hnext = t->buckets[b];
	t->buckets[b] = c;
	t->nr++;
	*out = c;
	return 0;
}

static void unqueue(struct vsock_table *t, struct vsock_conn *c)
{
	if (!c->queued)
		return;
	if (c->qprev)
		c->qprev->qnext = c->qnext;
	else
		t->qhead = c->qnext;
	if (c->qnext)
		c->qnext->qprev = c->qprev;
	else
		t->qtail = c->qprev;
	c->qprev = c->qnext = NULL;
	c->queued = false;
}

void vsock_conn_free(struct vsock_table *t, struct vsock_conn *c)
{
	struct vsock_conn **pp = &t->buckets[bucket(c->local_port, c->peer_port)];

	while (*pp && *pp != c)
		pp = &(*pp)->hnext;
	if (*pp) {
		*pp = c->hnext;
		t->nr--;
	}
	unqueue(t, c);
	free(c->buf);
	free(c);
}

void vsock_table_each(struct vsock_table *t, void (*fn)(void *opaque, struct vsock_conn *c),
		      void *opaque)
{
	for (unsigned b = 0; b < VSOCK_BUCKETS; b++) {
		struct vsock_conn *c = t->buckets[b], *next;

		for (; c; c = next) {
			next = c->hnext;
			fn(opaque, c);
		}
	}
}

static bool local_port_used(struct vsock_table *t, uint32_t port)
{
	for (unsigned b = 0; b < VSOCK_BUCKETS; b++)
		for (struct vsock_conn *c = t->buckets[b]; c; c = c->hnext)
			if (c->local_port == port)
				return true;
	return false;
}

/* At most VSOCK_MAX_CONNS ports are taken, so this ends within that many steps. */
uint32_t vsock_alloc_port(struct vsock_table *t)
{
	uint32_t p;

	do {
		p = t->next_port++;
		if (t->next_port == 0)
			t->next_port = VSOCK_EPHEMERAL_FIRST;
	} while (local_port_used(t, p));
	return p;
}

void vsock_queue(struct vsock_table *t, struct vsock_conn *c)
{
	if (c->queued)
		return;
	c->qprev = t->qtail;
	c->qnext = NULL;
	if (t->qtail)
		t->qtail->qnext = c;
	else
		t->qhead = c;
	t->qtail = c;
	c->queued = true;
}

struct vsock_conn *vsock_dequeue(struct vsock_table *t)
{
	struct vsock_conn *c = t->qhead;

	if (c)
		unqueue(t, c);
	return c;
}

void vsock_peer_credit_set(struct vsock_conn *c, uint32_t buf_alloc, uint32_t fwd_cnt)
{
	c->peer_buf_alloc = buf_alloc;
	c->peer_fwd_cnt = fwd_cnt;
}

/* u32 counters wrap; a peer claiming to have consumed more than we sent gets no extra credit. */
uint32_t vsock_peer_credit(const struct vsock_conn *c)
{
	uint32_t in_flight = c->tx_cnt - c->peer_fwd_cnt;

	if (in_flight > c->peer_buf_alloc)
		return 0;
	return c->peer_buf_alloc - in_flight;
}

/* Tell the guest once a quarter of its window came free, so a blocked sender resumes early. */
bool vsock_consumed(struct vsock_conn *c, uint32_t n)
{
	c->fwd_cnt += n;
	return c->fwd_cnt - c->fwd_cnt_sent >= VSOCK_BUF_ALLOC / 4;
}

int vsock_buf_put(struct vsock_conn *c, const struct iovec *iov, unsigned iovcnt, size_t off,
		  size_t len)
{
	struct iovec parts[64];
	unsigned n;

	if (len > VSOCK_BUF_ALLOC - c->buf_len)
		return -ENOBUFS;
	if (!c->buf && !(c->buf = malloc(VSOCK_BUF_ALLOC)))
		return -ENOMEM;
	while (len) {
		n = vsock_iov_slice(iov, iovcnt, off, len, parts, 64);
		if (!n)
			return -EINVAL;
		for (unsigned i = 0; i < n; i++) {
			const uint8_t *src = parts[i].iov_base;
			size_t left = parts[i].iov_len;

			while (left) {
				uint32_t tail = (c->buf_head + c->buf_len) % VSOCK_BUF_ALLOC;
				size_t chunk = VSOCK_BUF_ALLOC - tail;

				if (chunk > left)
					chunk = left;
				memcpy(c->buf + tail, src, chunk);
				c->buf_len += chunk;
				src += chunk;
				left -= chunk;
			}
			off += parts[i].iov_len;
			len -= parts[i].iov_len;
		}
	}
	return 0;
}

long vsock_buf_flush(struct vsock_conn *c, int fd, bool *credit_due)
{
	long total = 0;

	*credit_due = false;
	while (c->buf_len) {
		size_t chunk = VSOCK_BUF_ALLOC - c->buf_head;
		ssize_t n;

		if (chunk > c->buf_len)
			chunk = c->buf_len;
		n = send(fd, c->buf + c->buf_head, chunk, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n < 0)
			return -errno;
		c->buf_head = (c->buf_head + n) % VSOCK_BUF_ALLOC;
		c->buf_len -= n;
		total += n;
		*credit_due |= vsock_consumed(c, n);
		if ((size_t)n < chunk)
			break;
	}
	if (!c->buf_len)
		c->buf_head = 0;
	return total;
}

unsigned vsock_iov_slice(const struct iovec *iov, unsigned iovcnt, size_t off, size_t max,
			 struct iovec *out, unsigned outmax)
{
	unsigned n = 0;

	for (unsigned i = 0; i < iovcnt && n < outmax && max; i++) {
		size_t len = iov[i].iov_len;

		if (off >= len) {
			off -= len;
			continue;
		}
		len -= off;
		if (len > max)
			len = max;
		out[n].iov_base = (char *)iov[i].iov_base + off;
		out[n].iov_len = len;
		n++;
		max -= len;
		off = 0;
	}
	return n;
}
