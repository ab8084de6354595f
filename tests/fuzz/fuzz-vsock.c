/* tests/fuzz/fuzz-vsock.c: libFuzzer target for virtio-vsock (src/devices/virtio-vsock.c + src/vsock/): guest packets, rx buffers and host sockets interleaved. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <linux/virtio_vsock.h>

#include "devices/virtio-devices.h"
#include "fuzz.h"
#include "util/log.h"
#include "virtio/transport-mmio.h"
#include "vmm/event.h"
#include "../common/vdriver.h"

/*
 * One device for the whole run, reset (Status 0) at the end of every input,
 * which must drop every connection. Port 1234 is a guest-connect port whose
 * UNIX socket this harness listens on; port 1235 is listen=true (the device
 * listens, the harness connects as a host client).
 */
#define MEM_SIZE	(1u << 20)
#define QSIZE		64
#define QBASE(q)	VDRV_DESC(q)
#define TXBUF(i)	(0x10000 + (uint64_t)(i) * 0x2000)	/* 16 slots of 8 KiB */
#define RXBUF(i)	(0x40000 + (uint64_t)(i) * 0x2000)	/* QSIZE slots of 8 KiB */
#define HDR		sizeof(struct virtio_vsock_hdr)
#define MAX_HOST	16

static uint8_t *ram;
static struct guest_mem mem;
static struct vdev *dev;
static struct vmmio *mmio;
static struct ev_loop loop;
static char guest_path[108], listen_path[108];
static int host_listen = -1;
static int host[MAX_HOST], nhost;
static uint16_t tx_idx, rx_idx, rx_seen;
static uint32_t rx_len[QSIZE];
/* Buffer slots this input wrote or posted: only they (and the rings) are cleared after it. */
static uint16_t tx_dirty;
static uint64_t rx_dirty;
static unsigned inputs, base_fds;
/* Counting fds costs a directory walk: every 1024 inputs (FUZZ_FD_EVERY=1 to reproduce a leak). */
static unsigned fd_check_every = 1024;

static void w32(uint64_t off, uint32_t v)
{
	vmmio_write(mmio, off, &v, 4);
}

/*
 * Sockets and epoll/event fds open (what the device creates); with (show), each on
 * stderr. Pipes are not counted: the sanitizers' symbolizer opens some as it goes.
 */
static unsigned count_fds(bool show)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	char p[300], t[256];
	unsigned n = 0;
	ssize_t k;

	if (!d)
		abort();
	while ((e = readdir(d))) {
		snprintf(p, sizeof(p), "/proc/self/fd/%s", e->d_name);
		k = readlink(p, t, sizeof(t) - 1);
		t[k < 0 ? 0 : k] = '\0';
		if (strncmp(t, "socket:", 7) && strncmp(t, "anon_inode:", 11))
			continue;
		n++;
		if (show)
			fprintf(stderr, "fd %s -> %s\n", e->d_name, t);
	}
	closedir(d);
	return n;
}

static void drv_init(void)
{
	vdrv_init(mmio, 1ULL << VIRTIO_F_VERSION_1, 3, QSIZE);
	tx_idx = rx_idx = rx_seen = 0;
}

static void setup(void)
{
	struct vtsock_port_cfg ports[2] = {
		{ .port = 1234, .path = guest_path }, { .port = 1235, .path = listen_path, .listen = true },
	};
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	if (!getenv("FUZZ_LOG"))
		log_configure(-1, 0, 2);	/* the device logs every reset it sends */
	ram = calloc(1, MEM_SIZE);
	if (!ram || gmem_add(&mem, 0, MEM_SIZE, ram))
		abort();
	snprintf(guest_path, sizeof(guest_path), "/tmp/krun-fuzz-vsock-%d", getpid());
	snprintf(listen_path, sizeof(listen_path), "/tmp/krun-fuzz-vsock-%d-l", getpid());
	unlink(guest_path);
	unlink(listen_path);
	strcpy(sa.sun_path, guest_path);
	host_listen = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (host_listen < 0 || bind(host_listen, (struct sockaddr *)&sa, sizeof(sa)) ||
	    listen(host_listen, 1024))
		abort();
	if (ev_init(&loop) || vtsock_create(&mem, &loop, ports, 2, &dev) ||
	    vmmio_create(dev, 0xd0000000, 5, &mmio))
		abort();
	dev->irqfd = -1;
}

static void teardown(void)
{
	vtsock_unlink_listeners(dev);
	unlink(guest_path);
}

/* One event-loop turn as ev_run() makes it: the sources epoll reports ready; false when none was. */
static bool run_loop(void)
{
	struct epoll_event evs[8];
	int n = epoll_wait(loop.epfd, evs, 8, 0);

	for (int i = 0; i < n; i++) {
		struct ev_source *s = &loop.src[evs[i].data.u32];

		if (s->used)
			s->cb(s->opaque, s->fd, evs[i].events);
	}
	return n > 0;
}

static void make_avail(unsigned q, uint16_t *idx, unsigned head)
{
	uint16_t *avail = (uint16_t *)(ram + QBASE(q) + 0x1000);

	avail[2 + *idx % QSIZE] = head;
	__atomic_store_n(&avail[1], ++*idx, __ATOMIC_RELEASE);
}

static void set_desc(unsigned q, unsigned i, uint64_t addr, uint32_t len, uint16_t flags)
{
	((struct vring_desc *)(ram + QBASE(q)))[i] = (struct vring_desc){ .addr = addr, .len = len, .flags = flags };
}

/* A guest packet: mostly plausible addresses so the connection state machine is reached. */
static void guest_tx(struct fuzz_in *in)
{
	struct virtio_vsock_hdr h;
	unsigned slot = tx_idx % 16;
	uint8_t shape = fuzz_u8(in);
	const uint8_t *payload;
	size_t n;

	fuzz_take(in, &h, sizeof(h));
	if (!(shape & 1)) {
		h.src_cid = 3;
		h.dst_cid = 2;
		h.type = VIRTIO_VSOCK_TYPE_STREAM;
		h.op %= 8;
		h.dst_port = 1234 + (h.dst_port & 1);
		h.src_port &= 7;
	}
	n = fuzz_blob(in, &payload, 0x2000 - HDR);
	if (!(shape & 2))
		h.len = n;
	tx_dirty |= 1u << slot;
	memcpy(ram + TXBUF(slot), &h, sizeof(h));
	memcpy(ram + TXBUF(slot) + HDR, payload, n);
	/* Sometimes split header and payload over two descriptors, or cut the header. */
	if (shape & 4 && n) {
		set_desc(1, slot, TXBUF(slot), HDR, VRING_DESC_F_NEXT);
		((struct vring_desc *)(ram + QBASE(1)))[slot].next = 16 + slot;
		set_desc(1, 16 + slot, TXBUF(slot) + HDR, n, 0);
	} else {
		set_desc(1, slot, TXBUF(slot), shape & 8 ? shape % HDR : HDR + n, 0);
	}
	make_avail(1, &tx_idx, slot);
	dev->ops->notify(dev, 1);
}

static void rx_post(struct fuzz_in *in)
{
	unsigned n = fuzz_u8(in) % 16 + 1;
	uint8_t sz = fuzz_u8(in);

	for (unsigned k = 0; k < n && (uint16_t)(rx_idx - rx_seen) < QSIZE; k++) {
		unsigned slot = rx_idx % QSIZE;

		rx_len[slot] = sz & 0x80 ? sz : 0x2000;
		rx_dirty |= 1ull << slot;
		set_desc(0, slot, RXBUF(slot), rx_len[slot], VRING_DESC_F_WRITE);
		make_avail(0, &rx_idx, slot);
	}
	dev->ops->notify(dev, 0);
}

/* What the device put on rx: inside the buffer, a well-formed header from the host to the guest. */
static void rx_check(void)
{
	struct vring_used *used = (struct vring_used *)(ram + QBASE(0) + 0x2000);

	while (__atomic_load_n(&used->idx, __ATOMIC_ACQUIRE) != rx_seen) {
		struct vring_used_elem e = used->ring[rx_seen++ % QSIZE];
		struct virtio_vsock_hdr h;

		FUZZ_ASSERT(e.id < QSIZE, "used id %u", e.id);
		FUZZ_ASSERT(e.len <= rx_len[e.id], "wrote %u into %u", e.len, rx_len[e.id]);
		if (e.len < HDR)
			continue;
		memcpy(&h, ram + RXBUF(e.id), sizeof(h));
		/* A RST answers from the CID the guest addressed (any); everything else comes from the host. */
		FUZZ_ASSERT((h.src_cid == 2 || h.op == VIRTIO_VSOCK_OP_RST) && h.dst_cid == 3, "cids %llu -> %llu",
			    (unsigned long long)h.src_cid, (unsigned long long)h.dst_cid);
		FUZZ_ASSERT(h.type == VIRTIO_VSOCK_TYPE_STREAM, "type %u", h.type);
		FUZZ_ASSERT(h.op >= VIRTIO_VSOCK_OP_REQUEST && h.op <= VIRTIO_VSOCK_OP_CREDIT_REQUEST,
			    "op %u", h.op);
		FUZZ_ASSERT(h.len == e.len - HDR, "header len %u, used len %u", h.len, e.len);
		FUZZ_ASSERT(h.op == VIRTIO_VSOCK_OP_RW || h.len == 0, "op %u with %u bytes", h.op, h.len);
	}
}

static void host_op(struct fuzz_in *in)
{
	uint8_t what = fuzz_u8(in), k = fuzz_u8(in) % MAX_HOST;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char buf[4096];
	int fd;

	switch (what % 4) {
	case 0:	/* accept what the device connected to port 1234's socket */
		fd = accept4(host_listen, NULL, NULL, SOCK_NONBLOCK);
		if (fd >= 0 && nhost < MAX_HOST)
			host[nhost++] = fd;
		else if (fd >= 0)
			close(fd);
		break;
	case 1:	/* a host client of the listen=true port */
		strcpy(sa.sun_path, listen_path);
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
		if (fd >= 0 && nhost < MAX_HOST && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			host[nhost++] = fd;
		else if (fd >= 0)
			close(fd);
		break;
	case 2:	/* write (k-th socket) */
		if (nhost)
			(void)!send(host[k % nhost], buf, (what >> 2) * 64 + 1, MSG_NOSIGNAL | MSG_DONTWAIT);
		break;
	default: /* read or close */
		if (!nhost)
			break;
		k %= nhost;
		if (what & 4) {
			(void)!recv(host[k], buf, sizeof(buf), MSG_DONTWAIT);
		} else {
			close(host[k]);
			host[k] = host[--nhost];
		}
	}
}

static void close_host(void)
{
	int fd;

	while (nhost)
		close(host[--nhost]);
	while ((fd = accept(host_listen, NULL, NULL)) >= 0)
		close(fd);
}

/* Guest RAM back to zeroes: the three queues' rings and the buffer slots the input used. */
static void clear_ram(void)
{
	for (unsigned q = 0; q < 3; q++) {
		memset(ram + VDRV_DESC(q), 0, QSIZE * sizeof(struct vring_desc));
		memset(ram + VDRV_AVAIL(q), 0, 6 + 2 * QSIZE);
		memset(ram + VDRV_USED(q), 0, 6 + sizeof(struct vring_used_elem) * QSIZE);
	}
	for (unsigned i = 0; i < 16; i++)
		if (tx_dirty >> i & 1)
			memset(ram + TXBUF(i), 0, 0x2000);
	for (unsigned i = 0; i < QSIZE; i++)
		if (rx_dirty >> i & 1)
			memset(ram + RXBUF(i), 0, rx_len[i]);
	tx_dirty = 0;
	rx_dirty = 0;
}

/*
 * After each input: the device back to its state after setup(). Host clients
 * the device has not accepted yet are still in its backlog: the loop runs
 * until it has taken them all (and seen every hang-up), then the driver
 * resets the device, which must drop every connection, and the device acts
 * on it (a kick stands for the transport's). Done at the end rather than the
 * start of the next input so that an input's mallocs and frees balance
 * (libFuzzer re-runs an input that ends with more mallocs, to look for leaks).
 */
static void quiesce(void)
{
	close_host();
	for (int i = 0; i < 64 && run_loop(); i++)
		;
	w32(VIRTIO_MMIO_STATUS, 0);
	dev->ops->notify(dev, 0);
	if (inputs++ % fd_check_every == 0) {
		unsigned n = count_fds(false);

		if (n > base_fds)
			count_fds(true);
		FUZZ_ASSERT(n <= base_fds, "%u fds open after a reset, %u at the start", n, base_fds);
	}
	clear_ram();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };

	if (!ram) {
		setup();
		atexit(teardown);
		if (getenv("FUZZ_FD_EVERY"))
			fd_check_every = atoi(getenv("FUZZ_FD_EVERY")) ?: 1;
		base_fds = count_fds(false);
	}
	drv_init();
	for (int ops = 0; in.left && ops < 256; ops++) {
		switch (fuzz_u8(&in) % 5) {
		case 0: case 1: guest_tx(&in); break;
		case 2: rx_post(&in); break;
		case 3: host_op(&in); break;
		default: run_loop(); break;
		}
		rx_check();
	}
	quiesce();
	return 0;
}
