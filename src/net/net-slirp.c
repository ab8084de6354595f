/* src/net/net-slirp.c: the built-in user network: Debian's libslirp (NAT, DNS forwarder, host loopback at the gateway) on its own thread. */
#include "net/net-backend.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <slirp/libslirp.h>

#include "sandbox/lists.h"
#include "util/log.h"

/*
 * libslirp is single-threaded and wants to own a poll loop, so it runs on a
 * thread of its own. The device talks to it through a SOCK_SEQPACKET socket
 * pair (one frame per message), exactly as it talks to the other backends:
 * the kernel's socket buffer is the only queue between the two, so both
 * directions have bounded memory and backpressure.
 */

#define SLIRP_SOCKBUF	(4 << 20)	/* socket pair buffer per direction */
#define SLIRP_MAX_FDS	1024
#define SLIRP_RX_BURST	64		/* guest frames handled per poll round */
#define SLIRP_SEND_WAIT_MS 1000		/* a stalled guest: wait this long, then drop */
#define EXPOSE_MAX	256		/* listener forwards the guest may have at once */
#define EXPOSE_LINE	16		/* "+65535\n" and some slack */

struct slirp_timer {
	struct slirp_timer *next;
	int64_t expire_ms;		/* -1: not armed */
	SlirpTimerId id;
	void *cb_opaque;
};

/*
 * Listener exposure (TSI's "a guest listen() is a host listen()"): the init
 * reports the guest's TCP listeners as "+PORT\n" / "-PORT\n" lines over a
 * guest-forward connection to NET_SLIRP_EXPOSE_ADDR:PORT; each listened port
 * gets a host forward, renamed by the port map as TSI does. write_cb runs
 * inside slirp_input, where changing slirp's socket lists is unsafe, so the
 * lines only queue requests; the thread loop applies them afterwards.
 */
struct slirp_expose {
	char line[EXPOSE_LINE];
	unsigned line_len;
	bool overlong;			/* discard up to the next newline */
	uint8_t want[65536 / 8];	/* ports the guest listens on (bitmap) */
	uint8_t have[65536 / 8];	/* ports with a host forward we added */
	uint8_t failed[65536 / 8];	/* ports whose host forward failed (logged once) */
	unsigned nr_have;
	bool dirty;
};

struct net_slirp {
	struct net_backend b;		/* b.fd: the device's end */
	int peer;			/* slirp thread's end */
	Slirp *slirp;
	pthread_t thread;
	bool thread_started;
	struct slirp_timer *timers;
	struct pollfd pfds[SLIRP_MAX_FDS];
	unsigned nr_pfds;
	uint64_t dropped;		/* frames to the guest dropped after a long stall */
	uint16_t (*port_map)[2];	/* {host, guest} pairs */
	size_t nr_port_map;
	struct slirp_expose *expose;	/* NULL: guest listeners are not exposed */
	uint8_t frame[NET_MAX_FRAME];
};

static int64_t slirp_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* libslirp -> guest: runs on the slirp thread. A full pair means the guest is slow: wait. */
static ssize_t slirp_cb_send(const void *buf, size_t len, void *opaque)
{
	struct net_slirp *s = opaque;
	struct pollfd p = { .fd = s->peer, .events = POLLOUT };

	for (;;) {
		if (send(s->peer, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL) >= 0)
			return len;
		if (errno == EINTR)
			continue;
		if ((errno != EAGAIN && errno != ENOBUFS) || poll(&p, 1, SLIRP_SEND_WAIT_MS) <= 0) {
			if (!s->dropped++)
				log_warn("net: built-in: the guest is not taking frames; dropping");
			return len;
		}
	}
}

static void slirp_cb_guest_error(const char *msg, void *opaque)
{
	log_warn_once("net: built-in: guest error: %s", msg);
}

static int64_t slirp_cb_clock(void *opaque)
{
	return slirp_now_ns();
}

static void *slirp_cb_timer_new_opaque(SlirpTimerId id, void *cb_opaque, void *opaque)
{
	struct net_slirp *s = opaque;
	struct slirp_timer *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	*t = (struct slirp_timer){ .next = s->timers, .expire_ms = -1, .id = id,
				   .cb_opaque = cb_opaque };
	s->timers = t;
	return t;
}

static void slirp_cb_timer_free(void *timer, void *opaque)
{
	struct net_slirp *s = opaque;

	for (struct slirp_timer **p = &s->timers; *p; p = &(*p)->next) {
		if (*p == timer) {
			*p = (*p)->next;
			free(timer);
			return;
		}
	}
}

static void slirp_cb_timer_mod(void *timer, int64_t expire_ms, void *opaque)
{
	if (timer)
		((struct slirp_timer *)timer)->expire_ms = expire_ms;
}

static void slirp_cb_nop_fd(int fd, void *opaque)
{
}

static void slirp_cb_notify(void *opaque)
{
}

static void slirp_cb_init_completed(Slirp *slirp, void *opaque)
{
	((struct net_slirp *)opaque)->slirp = slirp;
}

static const SlirpCb slirp_callbacks = {
	.send_packet = slirp_cb_send,
	.guest_error = slirp_cb_guest_error,
	.clock_get_ns = slirp_cb_clock,
	.timer_free = slirp_cb_timer_free,
	.timer_mod = slirp_cb_timer_mod,
	.register_poll_fd = slirp_cb_nop_fd,
	.unregister_poll_fd = slirp_cb_nop_fd,
	.notify = slirp_cb_notify,
	.init_completed = slirp_cb_init_completed,
	.timer_new_opaque = slirp_cb_timer_new_opaque,
};

static short to_poll(int ev)
{
	return (ev & SLIRP_POLL_IN ? POLLIN : 0) | (ev & SLIRP_POLL_OUT ? POLLOUT : 0) |
	       (ev & SLIRP_POLL_PRI ? POLLPRI : 0);
}

static int from_poll(short rev)
{
	return (rev & POLLIN ? SLIRP_POLL_IN : 0) | (rev & POLLOUT ? SLIRP_POLL_OUT : 0) |
	       (rev & POLLPRI ? SLIRP_POLL_PRI : 0) | (rev & POLLERR ? SLIRP_POLL_ERR : 0) |
	       (rev & POLLHUP ? SLIRP_POLL_HUP : 0);
}

static int slirp_add_poll(int fd, int events, void *opaque)
{
	struct net_slirp *s = opaque;

	if (s->nr_pfds == SLIRP_MAX_FDS) {
		log_warn_once("net: built-in: more than %d host sockets; some wait", SLIRP_MAX_FDS);
		return -1;
	}
	s->pfds[s->nr_pfds] = (struct pollfd){ .fd = fd, .events = to_poll(events) };
	return s->nr_pfds++;
}

static int slirp_get_revents(int idx, void *opaque)
{
	struct net_slirp *s = opaque;

	return idx >= 0 && (unsigned)idx < s->nr_pfds ? from_poll(s->pfds[idx].revents) : 0;
}

/* Milliseconds until the next armed timer, capped by (timeout). */
static uint32_t slirp_timers_timeout(struct net_slirp *s, uint32_t timeout)
{
	int64_t now = slirp_now_ns() / 1000000;

	for (struct slirp_timer *t = s->timers; t; t = t->next) {
		if (t->expire_ms < 0)
			continue;
		if (t->expire_ms <= now)
			return 0;
		if (t->expire_ms - now < timeout)
			timeout = t->expire_ms - now;
	}
	return timeout;
}

static void slirp_timers_run(struct net_slirp *s)
{
	int64_t now = slirp_now_ns() / 1000000;
	bool again = true;

	/* A handler may re-arm or free timers: rescan from the head after each one. */
	while (again) {
		again = false;
		for (struct slirp_timer *t = s->timers; t; t = t->next) {
			if (t->expire_ms >= 0 && t->expire_ms <= now) {
				t->expire_ms = -1;
				slirp_handle_timer(s->slirp, t->id, t->cb_opaque);
				again = true;
				break;
			}
		}
	}
}

/* Guest frames -> libslirp. false when the device's end is gone. */
static bool slirp_take_frames(struct net_slirp *s)
{
	for (int i = 0; i < SLIRP_RX_BURST; i++) {
		ssize_t n = recv(s->peer, s->frame, sizeof(s->frame), MSG_DONTWAIT);

		if (n == 0)
			return false;
		if (n < 0)
			return errno == EAGAIN || errno == EINTR;
		slirp_input(s->slirp, s->frame, n);
	}
	return true;
}

static bool bit_get(const uint8_t *m, unsigned i)
{
	return m[i / 8] & (1u << (i % 8));
}

static void bit_set(uint8_t *m, unsigned i, bool on)
{
	if (on)
		m[i / 8] |= 1u << (i % 8);
	else
		m[i / 8] &= ~(1u << (i % 8));
}

/* One complete line from the guest: "+PORT" or "-PORT"; anything else is ignored (logged once). */
static void expose_line(struct slirp_expose *e, const char *l)
{
	char *end;
	unsigned long port;

	if ((l[0] != '+' && l[0] != '-') || l[1] < '0' || l[1] > '9')
		goto bad;
	port = strtoul(l + 1, &end, 10);
	if (*end || port == 0 || port > 65535)
		goto bad;
	bit_set(e->want, port, l[0] == '+');
	e->dirty = true;
	return;
bad:
	log_warn_once("net: built-in: ignoring a malformed listener report from the guest");
}

/* Guest bytes on the exposure connection (slirp thread, inside slirp_input). */
static ssize_t slirp_expose_write(const void *buf, size_t len, void *opaque)
{
	struct slirp_expose *e = ((struct net_slirp *)opaque)->expose;
	const char *p = buf;

	for (size_t i = 0; i < len; i++) {
		if (p[i] == '\n') {
			e->line[e->line_len] = '\0';
			if (!e->overlong)
				expose_line(e, e->line);
			e->line_len = 0;
			e->overlong = false;
		} else if (e->line_len < EXPOSE_LINE - 1) {
			e->line[e->line_len++] = p[i];
		} else {
			e->overlong = true;
		}
	}
	return len;
}

/* The host port a guest listener on (gport) gets: the port map renames it, as with TSI. */
static uint16_t expose_host_port(const struct net_slirp *s, uint16_t gport, bool *mapped)
{
	for (size_t i = 0; i < s->nr_port_map; i++) {
		if (s->port_map[i][1] == gport) {
			*mapped = true;
			return s->port_map[i][0];
		}
	}
	*mapped = false;
	return gport;
}

/* Add or remove the host forward of one guest port to match what the guest reported. */
static void expose_sync_port(struct net_slirp *s, unsigned port)
{
	struct slirp_expose *e = s->expose;
	struct in_addr any = { .s_addr = htonl(INADDR_ANY) }, guest;
	bool want = bit_get(e->want, port), mapped;

	inet_pton(AF_INET, NET_SLIRP_GUEST, &guest);
	if (want == bit_get(e->have, port) || expose_host_port(s, port, &mapped) == 0 || mapped)
		return;	/* in sync, or a port map forward made at start covers it */
	if (!want) {
		slirp_remove_hostfwd(s->slirp, 0, any, port);
		bit_set(e->have, port, false);
		e->nr_have--;
		log_debug("net: built-in: guest port %u no longer listens; host forward removed", port);
		return;
	}
	if (e->nr_have == EXPOSE_MAX || slirp_add_hostfwd(s->slirp, 0, any, port, guest, port) < 0) {
		if (!bit_get(e->failed, port))
			log_warn("net: built-in: the guest listens on TCP port %u but host port %u "
				 "cannot be forwarded (in use, or %d forwards already)", port, port,
				 EXPOSE_MAX);
		bit_set(e->failed, port, true);
		return;
	}
	bit_set(e->have, port, true);
	e->nr_have++;
	log_debug("net: built-in: guest port %u listens; forwarded from host port %u", port, port);
}

/*
 * Apply queued listener reports. A port whose forward failed is retried on
 * the next report only, so a busy host port costs no polling.
 */
static void expose_apply(struct net_slirp *s)
{
	struct slirp_expose *e = s->expose;

	if (!e || !e->dirty)
		return;
	e->dirty = false;
	for (unsigned i = 0; i < sizeof(e->want); i++)
		if (e->want[i] != e->have[i])
			for (unsigned b = 0; b < 8; b++)
				expose_sync_port(s, i * 8 + b);
}

static void *slirp_thread(void *arg)
{
	struct net_slirp *s = arg;

	for (;;) {
		uint32_t timeout = UINT32_MAX;
		int n;

		s->nr_pfds = 0;
		slirp_add_poll(s->peer, SLIRP_POLL_IN, s);
		slirp_pollfds_fill(s->slirp, &timeout, slirp_add_poll, s);
		timeout = slirp_timers_timeout(s, timeout);
		n = poll(s->pfds, s->nr_pfds, timeout == UINT32_MAX ? -1 : (int)timeout);
		slirp_pollfds_poll(s->slirp, n < 0, slirp_get_revents, s);
		if ((s->pfds[0].revents & (POLLIN | POLLHUP)) && !slirp_take_frames(s))
			break;
		slirp_timers_run(s);
		expose_apply(s);
	}
	return NULL;
}

static int slirp_send(struct net_backend *b, const struct iovec *iov, int iovcnt)
{
	return net_dgram_send(b->fd, iov, iovcnt);
}

static ssize_t slirp_recv(struct net_backend *b, void *buf, size_t len)
{
	ssize_t n = net_dgram_recv(b->fd, buf, len);

	return n == 0 ? -EPIPE : n;
}

static bool slirp_send_pending(struct net_backend *b)
{
	return false;
}

static void slirp_destroy(struct net_backend *b)
{
	struct net_slirp *s = (struct net_slirp *)b;

	/* Closing our end makes the thread see EOF and return. */
	if (b->fd >= 0)
		close(b->fd);
	if (s->thread_started)
		pthread_join(s->thread, NULL);
	if (s->slirp)
		slirp_cleanup(s->slirp);
	while (s->timers)
		slirp_cb_timer_free(s->timers, s);
	if (s->peer >= 0)
		close(s->peer);
	free(s->port_map);
	free(s->expose);
	free(s);
}

static const struct net_backend_ops slirp_ops = {
	.name = "built-in",
	.send = slirp_send,
	.recv = slirp_recv,
	.send_pending = slirp_send_pending,
	.destroy = slirp_destroy,
};

static void slirp_fill_config(SlirpConfig *c, uint16_t mtu)
{
	*c = (SlirpConfig){
		.version = 4, .in_enabled = true, .in6_enabled = true,
		.vprefix_len = 64, .if_mtu = mtu, .if_mru = mtu,
	};
	inet_pton(AF_INET, NET_SLIRP_NETWORK, &c->vnetwork);
	c->vnetmask.s_addr = htonl(~0u << (32 - NET_SLIRP_PREFIX));
	inet_pton(AF_INET, NET_SLIRP_GATEWAY, &c->vhost);
	inet_pton(AF_INET, NET_SLIRP_GUEST, &c->vdhcp_start);
	inet_pton(AF_INET, NET_SLIRP_DNS, &c->vnameserver);
	inet_pton(AF_INET6, "fd00::", &c->vprefix_addr6);
	inet_pton(AF_INET6, "fd00::2", &c->vhost6);
	inet_pton(AF_INET6, "fd00::3", &c->vnameserver6);
}

/*
 * Host port forwards on every host address to the guest's fixed address. A
 * busy host port costs that forward only, as with upstream's TSI (where only
 * the guest's listen() fails), not the whole VM.
 */
static void slirp_add_port_map(struct net_slirp *s)
{
	struct in_addr any = { .s_addr = htonl(INADDR_ANY) }, guest;

	inet_pton(AF_INET, NET_SLIRP_GUEST, &guest);
	for (size_t i = 0; i < s->nr_port_map; i++) {
		uint16_t host = s->port_map[i][0], gport = s->port_map[i][1];

		if (slirp_add_hostfwd(s->slirp, 0, any, host, guest, gport) < 0)
			log_warn("net: built-in: cannot listen on host port %u for guest port %u "
				 "(in use?); that forward is off", host, gport);
	}
}

static void slirp_grow_buffers(int fd)
{
	int sz = SLIRP_SOCKBUF;

	/* FORCE needs CAP_NET_ADMIN; otherwise the kernel caps at net.core.wmem_max. */
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof(sz)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
}

static const struct sbx_list *const slirp_lists[] = { &net_slirp_sbx };
static const struct sbx_role slirp_role = { "net-slirp", slirp_lists, SBX_N(slirp_lists) };

/* What the thread needs from (cfg), copied: the caller's arrays are gone by the time it runs. */
static int slirp_copy_cfg(struct net_slirp *s, const struct net_slirp_cfg *cfg)
{
	s->port_map = calloc(cfg->nr_port_map + 1, sizeof(*s->port_map));
	if (!s->port_map)
		return -ENOMEM;
	if (cfg->nr_port_map)
		memcpy(s->port_map, cfg->port_map, cfg->nr_port_map * sizeof(*s->port_map));
	s->nr_port_map = cfg->nr_port_map;
	if (cfg->expose_listeners) {
		s->expose = calloc(1, sizeof(*s->expose));
		if (!s->expose)
			return -ENOMEM;
	}
	return 0;
}

/*
 * On the slirp thread, before its filter, while the VMM loads the kernel:
 * create the stack, its host forwards and the
 * guest-forward the init reports its listeners to (struct slirp_expose).
 * Frames the guest sends meanwhile wait in the socket pair.
 */
static int slirp_thread_init(void *arg)
{
	struct net_slirp *s = arg;
	struct in_addr addr;
	SlirpConfig c;

	slirp_fill_config(&c, s->b.mtu);
	s->slirp = slirp_new(&c, &slirp_callbacks, s);
	if (!s->slirp) {
		log_err("net: built-in network: libslirp refused its configuration");
		return -EINVAL;
	}
	slirp_add_port_map(s);
	inet_pton(AF_INET, NET_SLIRP_EXPOSE_ADDR, &addr);
	if (s->expose &&
	    slirp_add_guestfwd(s->slirp, slirp_expose_write, s, &addr, NET_SLIRP_EXPOSE_PORT) < 0) {
		log_err("net: built-in network: cannot add the listener-report forward");
		return -EINVAL;
	}
	log_debug("net: built-in network (libslirp %s), guest %s/%d, gateway %s",
		  slirp_version_string(), NET_SLIRP_GUEST, NET_SLIRP_PREFIX, NET_SLIRP_GATEWAY);
	return 0;
}

static int slirp_start(struct net_slirp *s, const struct net_slirp_cfg *cfg)
{
	int sp[2], ret;

	ret = slirp_copy_cfg(s, cfg);
	if (ret)
		return ret;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
		return -errno;
	s->b.fd = sp[0];
	s->peer = sp[1];
	slirp_grow_buffers(sp[0]);
	slirp_grow_buffers(sp[1]);
	if (fcntl(sp[0], F_SETFL, O_NONBLOCK) < 0)
		return -errno;
	/* Settled (libslirp up, filter on) before the guest runs: vmm_start_enter. */
	ret = sbx_thread_start(&s->thread, "net-slirp", &slirp_role, slirp_thread_init,
			       slirp_thread, s);
	s->thread_started = !ret;
	return ret;
}

int net_slirp_create(const struct net_slirp_cfg *cfg, struct net_backend **out)
{
	struct net_slirp *s = calloc(1, sizeof(*s));
	int ret;

	if (!s)
		return -ENOMEM;
	s->b = (struct net_backend){ .ops = &slirp_ops, .fd = -1, .mtu = cfg->mtu,
				     .rx_csum_valid = true };
	s->peer = -1;
	ret = slirp_start(s, cfg);
	if (ret) {
		slirp_destroy(&s->b);
		return ret;
	}
	*out = &s->b;
	return 0;
}

/* Sandbox (x86_64): The libslirp thread (and glib underneath): its sockets to the outside world. */
#ifdef __x86_64__
static const int net_slirp_sbx_syscalls[] = {
	__NR_poll, __NR_ppoll, __NR_read, __NR_readv, __NR_write, __NR_writev, __NR_close,
	/* NAT: one host socket per guest connection, host forwards, ICMP echo */
	__NR_socket, __NR_connect, __NR_bind, __NR_listen, __NR_accept, __NR_accept4,
	__NR_shutdown, __NR_getsockopt, __NR_setsockopt, __NR_getsockname, __NR_getpeername,
	__NR_recvfrom, __NR_recvmsg, __NR_sendto, __NR_sendmsg, __NR_fcntl,
	/* the DNS forwarder reads /etc/resolv.conf on first use and when it changes (openat: below) */
	__NR_fstat, __NR_newfstatat, __NR_stat, __NR_lseek,
	/* glib: random numbers for DNS/DHCP ids */
	__NR_getrandom,
};
static const unsigned long net_slirp_sbx_ioctls[] = { FIONREAD, FIONBIO };
/* Files are only ever read (resolv.conf): openat to read only. */
const struct sbx_list net_slirp_sbx = {
	.name = "net-slirp", .syscalls = net_slirp_sbx_syscalls, .nr_syscalls = SBX_N(net_slirp_sbx_syscalls),
	.ioctls = net_slirp_sbx_ioctls, .nr_ioctls = SBX_N(net_slirp_sbx_ioctls), .openat_read_only = true,
};
#else
const struct sbx_list net_slirp_sbx = { .name = "net-slirp" };
#endif
