/* tests/guest/vsock-test.c: static test program for vsock e2e cases: the guest side speaks AF_VSOCK, the host side AF_UNIX. */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "sha256.h"

/* musl ships no <linux/vm_sockets.h>; the ABI is fixed. */
#ifndef AF_VSOCK
#define AF_VSOCK 40
#endif
struct sockaddr_vm {
	unsigned short svm_family;
	unsigned short svm_reserved1;
	unsigned int svm_port;
	unsigned int svm_cid;
	unsigned char svm_zero[4];
};
#define CID_ANY 0xffffffffu
#define CID_HOST 2u

static void die(const char *what)
{
	printf("ERROR %s: %s\n", what, strerror(errno));
	fflush(stdout);
	exit(1);
}

/* ---- socket helpers ---- */

static int vsock_connect(unsigned port)
{
	struct sockaddr_vm a = { .svm_family = AF_VSOCK, .svm_port = port, .svm_cid = CID_HOST };
	int fd = socket(AF_VSOCK, SOCK_STREAM, 0);

	if (fd < 0)
		die("socket(AF_VSOCK)");
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int vsock_listen(unsigned port)
{
	struct sockaddr_vm a = { .svm_family = AF_VSOCK, .svm_port = port, .svm_cid = CID_ANY };
	int fd = socket(AF_VSOCK, SOCK_STREAM, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 16) < 0)
		die("vsock listen");
	return fd;
}

static void unix_addr(const char *path, struct sockaddr_un *a)
{
	*a = (struct sockaddr_un){ .sun_family = AF_UNIX };
	snprintf(a->sun_path, sizeof(a->sun_path), "%s", path);
}

static int unix_listen(const char *path)
{
	struct sockaddr_un a;
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	unix_addr(path, &a);
	unlink(path);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 128) < 0)
		die("unix listen");
	return fd;
}

static int unix_connect(const char *path)
{
	struct sockaddr_un a;
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	unix_addr(path, &a);
	if (fd < 0)
		die("socket(AF_UNIX)");
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* One line (without the newline) into buf; returns its length, -1 on EOF first. */
static int read_line(int fd, char *buf, size_t size)
{
	size_t n = 0;
	char ch;

	while (n + 1 < size) {
		ssize_t r = read(fd, &ch, 1);

		if (r <= 0)
			return n ? (int)n : -1;
		if (ch == '\n')
			break;
		buf[n++] = ch;
	}
	buf[n] = 0;
	return n;
}

static void write_all(int fd, const void *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			die("write");
		p = (const char *)p + w;
		n -= w;
	}
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- bulk transfer both ways at once, hashing what goes each way ---- */

struct xfer {
	unsigned long long sent, received;
	char sent_sha[65], recv_sha[65];
};

static uint64_t rnd_state;
/* Benchmarks set VSOCK_TEST_FAST=1: constant data, no hashing, so the transport is what is measured. */
static bool fast;

static void fill_random(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i += 8) {
		rnd_state ^= rnd_state << 13;
		rnd_state ^= rnd_state >> 7;
		rnd_state ^= rnd_state << 17;
		memcpy(p + i, &rnd_state, n - i < 8 ? n - i : 8);
	}
}

/* Send (to_send) random bytes then shut down writing, while reading until EOF. */
static void xfer(int fd, unsigned long long to_send, struct xfer *x)
{
	static uint8_t out[65536], in[65536];
	struct sha256 ss, rs;
	size_t out_len = 0, out_off = 0;
	bool wr_done = !to_send, rd_done = false;

	sha256_init(&ss);
	sha256_init(&rs);
	rnd_state = (uint64_t)time(NULL) * 2654435761u ^ (uint64_t)getpid() << 32 ^ 0x9e3779b97f4a7c15ULL;
	if (wr_done)
		shutdown(fd, SHUT_WR);
	*x = (struct xfer){ 0 };
	while (!wr_done || !rd_done) {
		struct pollfd p = { .fd = fd, .events = (rd_done ? 0 : POLLIN) | (wr_done ? 0 : POLLOUT) };

		if (poll(&p, 1, -1) < 0)
			die("poll");
		if (!rd_done && (p.revents & (POLLIN | POLLHUP | POLLERR))) {
			ssize_t r = recv(fd, in, sizeof(in), MSG_DONTWAIT);

			if (r < 0 && errno != EAGAIN)
				die("recv");
			if (r == 0)
				rd_done = true;
			if (r > 0) {
				if (!fast)
					sha256_update(&rs, in, r);
				x->received += r;
			}
		}
		if (!wr_done && (p.revents & (POLLOUT | POLLERR))) {
			ssize_t w;

			if (out_off == out_len) {
				out_len = to_send - x->sent < sizeof(out) ? to_send - x->sent : sizeof(out);
				if (!fast) {
					fill_random(out, out_len);
					sha256_update(&ss, out, out_len);
				}
				out_off = 0;
			}
			w = send(fd, out + out_off, out_len - out_off, MSG_DONTWAIT | MSG_NOSIGNAL);
			if (w < 0 && errno != EAGAIN)
				die("send");
			if (w > 0) {
				out_off += w;
				x->sent += w;
			}
			if (x->sent == to_send) {
				shutdown(fd, SHUT_WR);
				wr_done = true;
			}
		}
	}
	sha256_hex(&ss, x->sent_sha);
	sha256_hex(&rs, x->recv_sha);
}

static void xfer_report(const char *who, const struct xfer *x)
{
	printf("%s-SENT %llu %s\n%s-RECV %llu %s\n", who, x->sent, x->sent_sha, who, x->received,
	       x->recv_sha);
}

/* ---- guest side ---- */

static int guest_connect(unsigned port)
{
	char line[256];
	int fd = vsock_connect(port + 1);

	/* A port nobody mapped is refused at once (RST), not after a timeout. */
	printf("GUEST-UNMAPPED %s\n", fd < 0 ? strerror(errno) : "connected?!");
	if (fd >= 0)
		close(fd);
	fd = vsock_connect(port);

	if (fd < 0)
		die("connect");
	write_all(fd, "hello from guest\n", 17);
	if (read_line(fd, line, sizeof(line)) < 0)
		die("no reply");
	printf("GUEST-GOT %s\n", line);
	if (read_line(fd, line, sizeof(line)) < 0)
		printf("GUEST-EOF\n");
	close(fd);
	return 0;
}

static int guest_listen(unsigned port)
{
	char line[256], reply[300];
	int lfd = vsock_listen(port), fd;

	printf("GUEST-LISTENING\n");
	fflush(stdout);
	fd = accept(lfd, NULL, NULL);
	if (fd < 0)
		die("accept");
	if (read_line(fd, line, sizeof(line)) < 0)
		die("no request");
	snprintf(reply, sizeof(reply), "pong: %s\n", line);
	write_all(fd, reply, strlen(reply));
	close(fd);
	printf("GUEST-SERVED %s\n", line);
	return 0;
}

static int guest_bulk(unsigned port, unsigned mib)
{
	struct xfer x;
	int fd = vsock_connect(port);

	if (fd < 0)
		die("connect");
	xfer(fd, (unsigned long long)mib << 20, &x);
	close(fd);
	xfer_report("GUEST", &x);
	return 0;
}

/* (n) connections open at once; each sends its id in 16 KiB and expects it echoed. */
static int guest_many(unsigned port, int n)
{
	static char buf[16384], back[16384];
	int *fds = calloc(n, sizeof(int)), ok = 0;

	for (int i = 0; i < n; i++) {
		fds[i] = vsock_connect(port);
		if (fds[i] < 0)
			die("connect");
	}
	for (int i = 0; i < n; i++) {
		memset(buf, 'a' + i % 26, sizeof(buf));
		snprintf(buf, 16, "conn %d", i);
		write_all(fds[i], buf, sizeof(buf));
		shutdown(fds[i], SHUT_WR);
	}
	for (int i = 0; i < n; i++) {
		size_t got = 0;
		ssize_t r;

		memset(buf, 'a' + i % 26, sizeof(buf));
		snprintf(buf, 16, "conn %d", i);
		while (got < sizeof(back) && (r = read(fds[i], back + got, sizeof(back) - got)) > 0)
			got += r;
		if (got == sizeof(back) && !memcmp(buf, back, sizeof(buf)))
			ok++;
		close(fds[i]);
	}
	printf("GUEST-MANY %d/%d\n", ok, n);
	return ok == n ? 0 : 1;
}

/* Write until the host closes; then show the VM still connects. */
static int guest_peer_gone(unsigned port)
{
	static char buf[65536];
	unsigned long long total = 0;
	char line[256];
	int fd = vsock_connect(port);

	if (fd < 0)
		die("connect");
	for (;;) {
		ssize_t w = send(fd, buf, sizeof(buf), MSG_NOSIGNAL);

		if (w < 0) {
			printf("GUEST-WRITE-ERROR %s after %llu bytes\n", strerror(errno), total);
			break;
		}
		total += w;
	}
	close(fd);
	fd = vsock_connect(port);
	if (fd < 0)
		die("second connect");
	write_all(fd, "again\n", 6);
	if (read_line(fd, line, sizeof(line)) >= 0)
		printf("GUEST-AFTER %s\n", line);
	close(fd);
	return 0;
}

/* ---- host side ---- */

static int accept_one(int lfd)
{
	int fd = accept(lfd, NULL, NULL);

	if (fd < 0)
		die("accept");
	return fd;
}

static void host_greet(int fd)
{
	char line[256];

	if (read_line(fd, line, sizeof(line)) < 0)
		die("no greeting");
	printf("HOST-GOT %s\n", line);
	write_all(fd, "hello from host\n", 16);
	close(fd);
}

/* Echo (n) connections at once until each sends EOF. */
static void host_echo(int lfd, int n)
{
	struct pollfd p[n + 1];
	static char buf[65536];
	int accepted = 0, done = 0;

	p[0] = (struct pollfd){ .fd = lfd, .events = POLLIN };
	for (int i = 1; i <= n; i++)
		p[i] = (struct pollfd){ .fd = -1 };
	while (done < n) {
		if (poll(p, n + 1, -1) < 0)
			die("poll");
		if ((p[0].revents & POLLIN) && accepted < n) {
			p[1 + accepted] = (struct pollfd){ .fd = accept_one(lfd), .events = POLLIN };
			accepted++;
		}
		for (int i = 1; i <= n; i++) {
			ssize_t r;

			if (p[i].fd < 0 || !(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			r = read(p[i].fd, buf, sizeof(buf));
			if (r > 0) {
				write_all(p[i].fd, buf, r);
				continue;
			}
			close(p[i].fd);
			p[i].fd = -1;
			done++;
		}
	}
	printf("HOST-ECHOED %d\n", done);
}

/* serve PATH MODE [ARG]: one listening socket, then what MODE says. */
static int host_serve(const char *path, const char *mode, const char *arg)
{
	int lfd = unix_listen(path), fd;

	printf("HOST-READY\n");
	fflush(stdout);
	if (!strcmp(mode, "greet")) {
		host_greet(accept_one(lfd));
	} else if (!strcmp(mode, "bulk")) {
		struct xfer x;
		double t;

		fd = accept_one(lfd);
		t = now_s();
		xfer(fd, strtoull(arg, NULL, 0) << 20, &x);
		t = now_s() - t;
		close(fd);
		xfer_report("HOST", &x);
		printf("HOST-MIBS %.1f\n", (x.sent + x.received) / 1048576.0 / t);
	} else if (!strcmp(mode, "echo")) {
		host_echo(lfd, atoi(arg));
	} else if (!strcmp(mode, "peer-gone")) {
		static char buf[65536];
		unsigned long long got = 0;
		ssize_t r;

		fd = accept_one(lfd);
		while (got < (1u << 20) && (r = read(fd, buf, sizeof(buf))) > 0)
			got += r;
		close(fd);
		printf("HOST-CLOSED after %llu bytes\n", got);
		fflush(stdout);
		host_greet(accept_one(lfd));
	} else {
		return 2;
	}
	close(lfd);
	unlink(path);
	return 0;
}

/* client PATH MSG: retry until the guest's listener answers (it may not be up yet). */
static int host_client(const char *path, const char *msg)
{
	char line[256];

	for (int i = 0; i < 600; i++) {
		int fd = unix_connect(path);

		if (fd >= 0) {
			write_all(fd, msg, strlen(msg));
			write_all(fd, "\n", 1);
			if (read_line(fd, line, sizeof(line)) >= 0) {
				printf("HOST-CLIENT-GOT %s\n", line);
				close(fd);
				return 0;
			}
			close(fd);
		}
		usleep(100 * 1000);
	}
	printf("HOST-CLIENT no answer\n");
	return 1;
}

/* pair MIB: the same bulk transfer over a host socketpair (the benchmark's peer). */
static int host_pair(unsigned mib)
{
	int sv[2];
	struct xfer x;
	double t;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		die("socketpair");
	pid = fork();
	if (pid == 0) {
		close(sv[0]);
		xfer(sv[1], 0, &x);
		_exit(0);
	}
	close(sv[1]);
	t = now_s();
	xfer(sv[0], (unsigned long long)mib << 20, &x);
	t = now_s() - t;
	printf("PAIR-MIBS %.1f\n", x.sent / 1048576.0 / t);
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	fast = getenv("VSOCK_TEST_FAST") != NULL;
	if (argc >= 3 && !strcmp(argv[1], "connect"))
		return guest_connect(atoi(argv[2]));
	if (argc >= 3 && !strcmp(argv[1], "listen"))
		return guest_listen(atoi(argv[2]));
	if (argc >= 4 && !strcmp(argv[1], "bulk"))
		return guest_bulk(atoi(argv[2]), atoi(argv[3]));
	if (argc >= 4 && !strcmp(argv[1], "many"))
		return guest_many(atoi(argv[2]), atoi(argv[3]));
	if (argc >= 3 && !strcmp(argv[1], "peer-gone"))
		return guest_peer_gone(atoi(argv[2]));
	if (argc >= 4 && !strcmp(argv[1], "serve"))
		return host_serve(argv[2], argv[3], argc > 4 ? argv[4] : "0");
	if (argc >= 4 && !strcmp(argv[1], "client"))
		return host_client(argv[2], argv[3]);
	if (argc >= 3 && !strcmp(argv[1], "pair"))
		return host_pair(atoi(argv[2]));
	fprintf(stderr, "usage: vsock-test connect|listen|peer-gone PORT | bulk PORT MIB | many PORT N\n"
			"       vsock-test serve PATH greet|bulk MIB|echo N|peer-gone | client PATH MSG | pair MIB\n");
	return 2;
}
