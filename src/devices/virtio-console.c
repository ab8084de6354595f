/* src/devices/virtio-console.c: multiport virtio-console; ports bridge guest hvc/vport devices to host fds on the event-loop thread. */
#include "devices/virtio-devices.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include <linux/virtio_console.h>

#include "sandbox/lists.h"
#include "util/log.h"
#include "vmm/event.h"

#define VTCON_QUEUE_SIZE	32
#define VTCON_MAX_PORTS		31
#define VTCON_MAX_PENDING	(4 * VTCON_MAX_PORTS + 8)
#define VTCON_Q_CTRL_RX		2
#define VTCON_Q_CTRL_TX		3
#define VTCON_NAME_MAX		64

struct vtcon;

struct vtcon_port {
	struct vtcon *con;
	unsigned id;
	char name[VTCON_NAME_MAX];
	bool console;
	int in_fd, out_fd;
	bool watching;		/* in_fd is in the epoll set with EPOLLIN */
	bool no_poll;		/* regular file or /dev/null: epoll refuses it, always readable */
	bool eof;		/* host input ended: the guest was told (PORT_OPEN 0) */
	bool guest_open;	/* the guest has the port open: only then is input kept */
	unsigned short cols, rows;
	char line[256];		/* VTCON_OUT_LOG: partial line */
	size_t line_len;
};

/* A control message waiting for a control-receive buffer from the driver. */
struct vtcon_msg {
	size_t len;
	uint8_t buf[sizeof(struct virtio_console_control) + VTCON_NAME_MAX];
};

struct vtcon {
	struct vdev vdev;	/* first: container_of */
	struct virtio_console_config config;
	struct ev_loop *loop;
	struct vtcon_port ports[VTCON_MAX_PORTS];
	unsigned nr_ports;
	struct vtcon_msg pending[VTCON_MAX_PENDING];
	unsigned nr_pending;
	struct vq_chain chain;	/* loop thread only: data and control-transmit chains */
	struct vq_chain ctrl_chain; /* control-receive chain; vtcon_ctrl() runs while (chain) is held */
	struct vq_chain rx_chain;   /* input chain; input may be read while (chain) is held */
};

static unsigned port_rxq(unsigned id)
{
	return id == 0 ? 0 : 2 + 2 * id;
}

static unsigned port_txq(unsigned id)
{
	return id == 0 ? 1 : 3 + 2 * id;
}

/* Queue -> port id, or -1 for the control queues. */
static int queue_port(unsigned q)
{
	if (q < 2)
		return 0;
	if (q < 4)
		return -1;
	return (q - 2) / 2;
}

static void vtcon_send_pending(struct vtcon *c)
{
	struct virtqueue *vq = &c->vdev.queues[VTCON_Q_CTRL_RX];
	unsigned sent = 0;

	while (sent < c->nr_pending && vq_next(vq, &c->ctrl_chain)) {
		size_t n = vq_chain_write(&c->ctrl_chain, 0, c->pending[sent].buf,
					  c->pending[sent].len);
		vq_push(vq, &c->ctrl_chain, n);
		sent++;
	}
	memmove(c->pending, c->pending + sent, (c->nr_pending - sent) * sizeof(c->pending[0]));
	c->nr_pending -= sent;
	vdev_signal_used(&c->vdev, vq);
}

static void vtcon_ctrl(struct vtcon *c, unsigned id, uint16_t event, uint16_t value,
		       const void *extra, size_t extra_len)
{
	struct virtio_console_control hdr = { .id = id, .event = event, .value = value };
	struct vtcon_msg *m;

	if (c->nr_pending >= VTCON_MAX_PENDING) {
		log_warn_once("virtio-console: control queue full, driver not reading it");
		return;
	}
	m = &c->pending[c->nr_pending++];
	memcpy(m->buf, &hdr, sizeof(hdr));
	if (extra_len)	/* extra may be NULL: memcpy's arguments must not be, even for 0 bytes */
		memcpy(m->buf + sizeof(hdr), extra, extra_len);
	m->len = sizeof(hdr) + extra_len;
	vtcon_send_pending(c);
}

static void vtcon_input(void *opaque, int fd, uint32_t events);

/*
 * Poll host input only while the port has receive buffers: registering with
 * no buffers would spin on EPOLLHUP. Files epoll cannot watch are read until
 * the buffers or the file run out.
 */
static void vtcon_watch(struct vtcon_port *p, bool on)
{
	/* The guest drops data for a generic port nobody has open (virtio_console.c). */
	if (on && !p->console && !p->guest_open)
		return;
	if (p->in_fd < 0 || p->eof || p->watching == on)
		return;
	if (!on) {
		if (!p->no_poll)
			ev_del(p->con->loop, p->in_fd);
		p->watching = false;
		return;
	}
	if (!p->no_poll) {
		int ret = ev_add(p->con->loop, p->in_fd, EPOLLIN, vtcon_input, p);

		if (ret == -EPERM)
			p->no_poll = true;
		else if (ret)
			return;
	}
	p->watching = true;
	while (p->no_poll && p->watching && !p->eof)
		vtcon_input(p, p->in_fd, EPOLLIN);
}

/* Host input is readable: move it into the port's receive buffers. */
static void vtcon_input(void *opaque, int fd, uint32_t events)
{
	struct vtcon_port *p = opaque;
	struct vtcon *c = p->con;
	struct virtqueue *vq = &c->vdev.queues[port_rxq(p->id)];
	ssize_t n;

	if (!vq_next(vq, &c->rx_chain)) {
		/* No buffer yet: stop polling until the driver kicks the queue. */
		vtcon_watch(p, false);
		return;
	}
	n = readv(fd, vq_chain_in(&c->rx_chain), c->rx_chain.nr_in);
	if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
		vq_unpop(vq, &c->rx_chain);
		return;
	}
	if (n <= 0) {
		/* EOF (or a dead fd): the guest reads EOF once the host side closes. */
		vq_unpop(vq, &c->rx_chain);
		vtcon_watch(p, false);
		p->eof = true;
		/*
		 * "Host closed" is how the guest learns of EOF, but it also blocks the
		 * guest's writes to the port: only an input-only port is closed.
		 */
		if (p->out_fd == -1)
			vtcon_ctrl(c, p->id, VIRTIO_CONSOLE_PORT_OPEN, 0, NULL, 0);
		return;
	}
	log_trace("virtio-console: %zd bytes of input for port %u", n, p->id);
	vq_push(vq, &c->rx_chain, n);
	vdev_signal_used(&c->vdev, vq);
}

/* Blocking write of everything; a reader that went away just drops output. */
static void write_all(struct vtcon_port *p, const uint8_t *b, size_t len)
{
	while (len && p->out_fd >= 0) {
		ssize_t n = write(p->out_fd, b, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			struct pollfd pfd = { .fd = p->out_fd, .events = POLLOUT };

			poll(&pfd, 1, -1);
			continue;
		}
		if (n <= 0) {
			p->out_fd = -1;
			return;
		}
		b += n;
		len -= n;
	}
}

static void log_output(struct vtcon_port *p, const uint8_t *b, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		bool eol = b[i] == '\n';

		if (!eol && b[i] != '\r')
			p->line[p->line_len++] = b[i];
		if (eol || p->line_len == sizeof(p->line) - 1) {
			p->line[p->line_len] = '\0';
			log_err("guest: %s", p->line);
			p->line_len = 0;
		}
	}
}

static void vtcon_output(struct vtcon *c, struct vtcon_port *p, struct virtqueue *vq)
{

	while (vq_next(vq, &c->chain)) {
		for (unsigned i = 0; i < c->chain.nr_out; i++) {
			const struct iovec *iov = &vq_chain_out(&c->chain)[i];

			if (p->out_fd == VTCON_OUT_LOG)
				log_output(p, iov->iov_base, iov->iov_len);
			else
				write_all(p, iov->iov_base, iov->iov_len);
		}
		vq_push(vq, &c->chain, 0);
	}
	vdev_signal_used(&c->vdev, vq);
}

static void vtcon_port_ready(struct vtcon *c, struct vtcon_port *p)
{
	if (p->console) {
		uint16_t size[2] = { p->rows, p->cols };

		vtcon_ctrl(c, p->id, VIRTIO_CONSOLE_CONSOLE_PORT, 1, NULL, 0);
		vtcon_ctrl(c, p->id, VIRTIO_CONSOLE_RESIZE, 0, size, sizeof(size));
	}
	/* An input that already ended is reported closed, so the guest reads EOF. */
	vtcon_ctrl(c, p->id, VIRTIO_CONSOLE_PORT_OPEN, !p->eof || p->out_fd != -1, NULL, 0);
	if (p->name[0])
		vtcon_ctrl(c, p->id, VIRTIO_CONSOLE_PORT_NAME, 1, p->name, strlen(p->name));
}

static void vtcon_handle_ctrl(struct vtcon *c, const struct virtio_console_control *m)
{
	log_debug("virtio-console: control event %u port %u value %u", m->event, m->id, m->value);
	switch (m->event) {
	case VIRTIO_CONSOLE_DEVICE_READY:
		if (m->value != 1) {
			log_warn_once("virtio-console: driver failed to initialize");
			break;
		}
		for (unsigned i = 0; i < c->nr_ports; i++)
			vtcon_ctrl(c, i, VIRTIO_CONSOLE_PORT_ADD, 1, NULL, 0);
		break;
	case VIRTIO_CONSOLE_PORT_READY:
		if (m->id >= c->nr_ports) {
			log_warn_once("virtio-console: PORT_READY for unknown port %u, driver confused?", m->id);
			break;
		}
		if (m->value == 1)
			vtcon_port_ready(c, &c->ports[m->id]);
		break;
	case VIRTIO_CONSOLE_PORT_OPEN:
		if (m->id >= c->nr_ports)
			break;
		c->ports[m->id].guest_open = m->value == 1;
		vtcon_watch(&c->ports[m->id], m->value == 1);
		break;
	default:
		log_warn_once("virtio-console: unexpected control event %u", m->event);
		break;
	}
}

static void vtcon_ctrl_tx(struct vtcon *c)
{
	struct virtqueue *vq = &c->vdev.queues[VTCON_Q_CTRL_TX];
	struct virtio_console_control m;

	while (vq_next(vq, &c->chain)) {
		/* Copy once: the guest may change the buffer under us. */
		if (vq_chain_read(&c->chain, 0, &m, sizeof(m)) == sizeof(m))
			vtcon_handle_ctrl(c, &m);
		else
			log_warn_once("virtio-console: short control message, driver confused?");
		vq_push(vq, &c->chain, 0);
	}
	vdev_signal_used(&c->vdev, vq);
}

static void vtcon_notify(struct vdev *dev, unsigned q)
{
	struct vtcon *c = container_of(dev, struct vtcon, vdev);
	int id = queue_port(q);

	if (q == VTCON_Q_CTRL_RX)
		vtcon_send_pending(c);
	else if (q == VTCON_Q_CTRL_TX)
		vtcon_ctrl_tx(c);
	else if (id >= 0 && (unsigned)id < c->nr_ports && q == port_txq(id))
		vtcon_output(c, &c->ports[id], &dev->queues[q]);
	else if (id >= 0 && (unsigned)id < c->nr_ports)
		vtcon_watch(&c->ports[id], true); /* new receive buffers */
}

static int vtcon_config_read(struct vdev *dev, uint64_t off, void *buf, unsigned len)
{
	struct vtcon *c = container_of(dev, struct vtcon, vdev);

	memcpy(buf, (uint8_t *)&c->config + off, len);
	return 0;
}

static void vtcon_reset(struct vdev *dev)
{
	struct vtcon *c = container_of(dev, struct vtcon, vdev);

	c->nr_pending = 0;
}

void vtcon_flush(struct vdev *dev)
{
	struct vtcon *c = container_of(dev, struct vtcon, vdev);

	for (unsigned i = 0; i < c->nr_ports; i++) {
		struct vtcon_port *p = &c->ports[i];

		if (dev->queues[port_txq(i)].ready)
			vtcon_output(c, p, &dev->queues[port_txq(i)]);
		if (p->out_fd == VTCON_OUT_LOG && p->line_len)
			log_output(p, (const uint8_t *)"\n", 1);
	}
}

void vtcon_resize(struct vdev *dev, unsigned port, unsigned short cols, unsigned short rows)
{
	struct vtcon *c = container_of(dev, struct vtcon, vdev);
	uint16_t size[2] = { rows, cols };

	if (port >= c->nr_ports || !c->ports[port].console)
		return;
	c->ports[port].cols = cols;
	c->ports[port].rows = rows;
	if (port == 0) {
		c->config.cols = cols;
		c->config.rows = rows;
	}
	vtcon_ctrl(c, port, VIRTIO_CONSOLE_RESIZE, 0, size, sizeof(size));
}

static const struct vdev_ops vtcon_ops = {
	.name = "virtio-console",
	.device_id = VIRTIO_ID_CONSOLE,
	.queue_max_size = VTCON_QUEUE_SIZE,
	.features = VIRTIO_BIT(VIRTIO_CONSOLE_F_SIZE) | VIRTIO_BIT(VIRTIO_CONSOLE_F_MULTIPORT),
	.config_size = sizeof(struct virtio_console_config),
	.config_read = vtcon_config_read,
	.reset = vtcon_reset,
	.notify = vtcon_notify,
};

static int vtcon_add_port(struct vtcon *c, unsigned id, const struct vtcon_port_cfg *pc)
{
	struct vtcon_port *p = &c->ports[id];

	*p = (struct vtcon_port){
		.con = c, .id = id, .console = pc->console,
		.in_fd = pc->in_fd, .out_fd = pc->out_fd, .cols = pc->cols, .rows = pc->rows,
	};
	if (pc->name && strlen(pc->name) >= VTCON_NAME_MAX)
		return -ENAMETOOLONG;
	if (pc->name)
		strcpy(p->name, pc->name);
	return 0;
}

int vtcon_create(struct guest_mem *mem, struct ev_loop *loop,
		 const struct vtcon_port_cfg *ports, unsigned nr_ports, struct vdev **out)
{
	struct vtcon *c;
	int ret;

	if (!nr_ports || nr_ports > VTCON_MAX_PORTS)
		return -EINVAL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->loop = loop;
	c->nr_ports = nr_ports;
	c->config.max_nr_ports = nr_ports;
	c->config.cols = ports[0].cols;
	c->config.rows = ports[0].rows;
	ret = vdev_init(&c->vdev, &vtcon_ops, mem, 2 + 2 * nr_ports);
	for (unsigned i = 0; !ret && i < nr_ports; i++)
		ret = vtcon_add_port(c, i, &ports[i]);
	if (ret) {
		free(c);
		return ret;
	}
	*out = &c->vdev;
	return 0;
}

/* Sandbox (x86_64): Console ports: host tty/pipe I/O, terminal modes restored at exit, window size on SIGWINCH. */
#ifdef __x86_64__
static const int console_sbx_syscalls[] = {
	__NR_read, __NR_readv, __NR_writev, __NR_write,
	/* dup'd stdio may be pipes or sockets */
	__NR_recvfrom, __NR_sendto, __NR_fcntl,
};
static const unsigned long console_sbx_ioctls[] = { TCGETS, TCSETS, TCSETSW, TCSETSF, TIOCGWINSZ };
const struct sbx_list console_sbx = SBX_LIST("console", console_sbx_syscalls, console_sbx_ioctls);
#else
const struct sbx_list console_sbx = { .name = "console" };
#endif
