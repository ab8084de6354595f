/* src/vsock/conn.h: vsock stream connection bookkeeping: the per-VM table, credit accounting and the bounded host-bound buffer. */
#ifndef KRUN_VSOCK_CONN_H
#define KRUN_VSOCK_CONN_H

/*
 * Knows nothing of virtqueues or host sockets, so the device (and later a TSI
 * proxy) can share it. One thread uses a table at a time; nothing here locks.
 *
 * Credit (virtio 1.2 §5.10.6.3): each side advertises buf_alloc (bytes it
 * will hold for the connection) and fwd_cnt (bytes it has consumed so far).
 * A sender may have at most peer_buf_alloc - (tx_cnt - peer_fwd_cnt) bytes in
 * flight. We advertise VSOCK_BUF_ALLOC and count in fwd_cnt what the host
 * socket took; what the guest sent but the host socket has not taken yet sits
 * in the connection's buffer, which therefore never exceeds VSOCK_BUF_ALLOC
 * unless the guest ignores our credit (then the connection is reset).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

/* Per-VM bounds: worst case VSOCK_MAX_CONNS * VSOCK_BUF_ALLOC = 64 MiB buffered. */
#define VSOCK_MAX_CONNS		256
#define VSOCK_BUF_ALLOC		(256u * 1024)
#define VSOCK_BUCKETS		64
/* Host-initiated connections take local ports from here up (Linux's ephemeral range). */
#define VSOCK_EPHEMERAL_FIRST	49152u

enum vsock_state {
	VSOCK_CONNECTING,	/* we sent REQUEST, waiting for the guest's RESPONSE */
	VSOCK_ESTABLISHED,
};

/* Control packets a connection owes the guest (sent as rx buffers allow). */
#define VSOCK_OWE_REQUEST	(1u << 0)
#define VSOCK_OWE_RESPONSE	(1u << 1)
#define VSOCK_OWE_CREDIT	(1u << 2)
#define VSOCK_OWE_SHUTDOWN	(1u << 3)

struct vsock_conn {
	uint32_t local_port;		/* host side (CID 2) */
	uint32_t peer_port;		/* guest side */
	enum vsock_state state;
	int fd;				/* host socket, owned by the user of the table */
	uint32_t owe;			/* VSOCK_OWE_* */
	uint32_t shutdown_flags;	/* VIRTIO_VSOCK_SHUTDOWN_* for the owed SHUTDOWN */

	/* guest -> host */
	uint8_t *buf;			/* ring of VSOCK_BUF_ALLOC bytes, allocated on first use */
	uint32_t buf_head, buf_len;
	uint32_t fwd_cnt;		/* bytes the host socket took */
	uint32_t fwd_cnt_sent;		/* fwd_cnt last told to the guest */

	/* host -> guest */
	uint32_t peer_buf_alloc, peer_fwd_cnt;
	uint32_t tx_cnt;		/* payload bytes sent to the guest */

	/* Free for the table's user (socket state of the device). */
	uint32_t flags;
	uint32_t ep_events;

	struct vsock_conn *hnext;	/* hash chain */
	struct vsock_conn *qprev, *qnext; /* work queue */
	bool queued;
};

struct vsock_table {
	struct vsock_conn *buckets[VSOCK_BUCKETS];
	unsigned nr;
	struct vsock_conn *qhead, *qtail;
	uint32_t next_port;
};

void vsock_table_init(struct vsock_table *t);

/* The connection between host (local) and guest (peer) ports, or NULL. */
struct vsock_conn *vsock_conn_find(struct vsock_table *t, uint32_t local, uint32_t peer);

/*
 * A new connection (fd -1, CONNECTING, nothing owed) in (*out).
 * Returns 0, -EEXIST (that pair exists), -ENOSPC (VSOCK_MAX_CONNS reached), -ENOMEM.
 */
int vsock_conn_new(struct vsock_table *t, uint32_t local, uint32_t peer, struct vsock_conn **out);

/* Unlink and free (c) and its buffer; the caller closed c->fd. */
void vsock_conn_free(struct vsock_table *t, struct vsock_conn *c);

/* Call (fn) on every connection; (fn) may free the one it is given. */
void vsock_table_each(struct vsock_table *t, void (*fn)(void *opaque, struct vsock_conn *c),
		      void *opaque);

/* A host port no connection uses yet (for host-initiated connections). */
uint32_t vsock_alloc_port(struct vsock_table *t);

/* Work queue of connections that have something for the guest, FIFO for fairness. */
void vsock_queue(struct vsock_table *t, struct vsock_conn *c);
struct vsock_conn *vsock_dequeue(struct vsock_table *t);

/* The guest's latest buf_alloc / fwd_cnt, from any packet it sent on (c). */
void vsock_peer_credit_set(struct vsock_conn *c, uint32_t buf_alloc, uint32_t fwd_cnt);
/* Bytes we may send the guest now. */
uint32_t vsock_peer_credit(const struct vsock_conn *c);

/* (n) bytes went to the host socket; true when a CREDIT_UPDATE is due. */
bool vsock_consumed(struct vsock_conn *c, uint32_t n);

/*
 * Keep (len) bytes of (iov, iovcnt) starting at byte (off) for the host.
 * Returns 0, -ENOBUFS if the buffer would exceed VSOCK_BUF_ALLOC (the guest
 * ignored our credit), -ENOMEM.
 */
int vsock_buf_put(struct vsock_conn *c, const struct iovec *iov, unsigned iovcnt, size_t off,
		  size_t len);

/*
 * Send buffered bytes to the socket (fd) (no SIGPIPE). Returns bytes written (counted as consumed,
 * *credit_due set as vsock_consumed says), 0 when empty or the socket is full,
 * or -errno (other than EAGAIN) from the socket.
 */
long vsock_buf_flush(struct vsock_conn *c, int fd, bool *credit_due);

/*
 * Fill (out, at most outmax entries) with the part of (iov, iovcnt) from byte
 * (off), at most (max) bytes. Returns the number of entries used.
 */
unsigned vsock_iov_slice(const struct iovec *iov, unsigned iovcnt, size_t off, size_t max,
			 struct iovec *out, unsigned outmax);

#endif
