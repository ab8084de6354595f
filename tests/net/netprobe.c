/* tests/net/netprobe.c: static TCP/UDP/DNS probe for the net tests; the same binary runs in the guest and on the host side. */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <net/if.h>
#include <netpacket/packet.h>
#include <sys/un.h>

/* Local experimental ethertype: frames nobody else sends. */
#define ETH_P_TEST 0x88b5

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int addr_of(const char *host, int port, struct sockaddr_in *sa)
{
	*sa = (struct sockaddr_in){ .sin_family = AF_INET, .sin_port = htons(port) };
	return inet_pton(AF_INET, host, &sa->sin_addr) == 1 ? 0 : -1;
}

static int listen_on(const char *host, int port)
{
	struct sockaddr_in sa;
	int one = 1, s = socket(AF_INET, SOCK_STREAM, 0);

	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (addr_of(host, port, &sa) || bind(s, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(s, 16) < 0) {
		perror("netprobe: listen");
		exit(1);
	}
	printf("LISTENING %d\n", port);
	fflush(stdout);
	return s;
}

/* Read until EOF into (buf); returns bytes. */
static size_t read_all(int s, char *buf, size_t cap)
{
	size_t got = 0;
	ssize_t n;

	while (got < cap - 1 && (n = read(s, buf + got, cap - 1 - got)) > 0)
		got += n;
	buf[got] = '\0';
	return got;
}

/* serve ADDR PORT MSG: one connection; send MSG, print what came. */
static int cmd_serve(char **a)
{
	int l = listen_on(a[0], atoi(a[1])), s = accept(l, NULL, NULL);
	char buf[4096];

	if (s < 0)
		return 1;
	if (write(s, a[2], strlen(a[2])) < 0)
		return 1;
	shutdown(s, SHUT_WR);
	read_all(s, buf, sizeof(buf));
	printf("GOT %s\n", buf);
	return 0;
}

/* connect ADDR PORT MSG [SECONDS]: retry until the peer answers; send MSG, print the answer. */
static int cmd_connect(char **a, int n)
{
	double end = now() + (n > 3 ? atof(a[3]) : 30);
	struct sockaddr_in sa;
	char buf[4096];

	if (addr_of(a[0], atoi(a[1]), &sa))
		return 2;
	while (now() < end) {
		int s = socket(AF_INET, SOCK_STREAM, 0);

		/* Bounded wait for the answer too: a lost reply fails the case, it does not hang it. */
		double left = end - now();
		struct timeval tv = { .tv_sec = left > 1 ? (time_t)left : 1 };

		setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));	/* bounds connect() */
		if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
		    write(s, a[2], strlen(a[2])) >= 0) {
			shutdown(s, SHUT_WR);
			errno = 0;
			if (read_all(s, buf, sizeof(buf))) {
				printf("GOT %s\n", buf);
				close(s);
				return 0;
			}
			fprintf(stderr, "netprobe: %s:%s closed without an answer (%s)\n", a[0], a[1],
				errno ? strerror(errno) : "EOF");
		}
		close(s);
		usleep(200000);
	}
	fprintf(stderr, "netprobe: no answer from %s:%s\n", a[0], a[1]);
	return 1;
}

/* resolve NAME: the first IPv4 address through the libc resolver (/etc/resolv.conf). */
static int cmd_resolve(char **a)
{
	struct addrinfo hints = { .ai_family = AF_INET, .ai_socktype = SOCK_STREAM }, *res;
	char buf[64];
	int ret = getaddrinfo(a[0], NULL, &hints, &res);

	if (ret) {
		fprintf(stderr, "netprobe: %s: %s\n", a[0], gai_strerror(ret));
		return 1;
	}
	inet_ntop(AF_INET, &((struct sockaddr_in *)res->ai_addr)->sin_addr, buf, sizeof(buf));
	printf("RESOLVED %s %s\n", a[0], buf);
	return 0;
}

/* sink ADDR PORT: accept connections forever; count bytes of each, print MB/s. */
static int cmd_sink(char **a)
{
	int l = listen_on(a[0], atoi(a[1]));
	static char buf[1 << 16];

	for (;;) {
		int s = accept(l, NULL, NULL);
		double t0 = now();
		long long total = 0;
		ssize_t n;

		while ((n = read(s, buf, sizeof(buf))) > 0)
			total += n;
		printf("SINK %lld bytes %.1f MB/s\n", total, total / (now() - t0) / 1e6);
		fflush(stdout);
		close(s);
	}
	return 0;
}

/* source ADDR PORT SECONDS: connect (retrying), send as fast as possible, print MB/s. */
static int cmd_source(char **a)
{
	struct sockaddr_in sa;
	static char buf[1 << 16];
	double t0, secs = atof(a[2]), end = now() + 30;
	long long total = 0;
	int s = -1;

	if (addr_of(a[0], atoi(a[1]), &sa))
		return 2;
	while (now() < end) {
		s = socket(AF_INET, SOCK_STREAM, 0);
		if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			break;
		close(s);
		s = -1;
		usleep(200000);
	}
	if (s < 0)
		return 1;
	t0 = now();
	while (now() - t0 < secs) {
		ssize_t n = write(s, buf, sizeof(buf));

		if (n <= 0)
			break;
		total += n;
	}
	shutdown(s, SHUT_WR);
	read_all(s, buf, sizeof(buf));
	printf("SOURCE %lld bytes %.1f MB/s\n", total, total / (now() - t0) / 1e6);
	return 0;
}

/* ttfb ADDR PORT N: N fresh connections to a "serve"-like echo; median ms to the first byte. */
static int cmd_ttfb(char **a)
{
	struct sockaddr_in sa;
	int n = atoi(a[2]), ok = 0;
	double ms[256];

	if (addr_of(a[0], atoi(a[1]), &sa) || n > 256)
		return 2;
	for (int i = 0; i < n; i++) {
		int s = socket(AF_INET, SOCK_STREAM, 0);
		double t0 = now();
		char c;

		if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) == 0 && write(s, "x", 1) == 1 &&
		    read(s, &c, 1) == 1)
			ms[ok++] = (now() - t0) * 1000;
		close(s);
	}
	for (int i = 0; i < ok; i++)
		for (int j = i + 1; j < ok; j++)
			if (ms[j] < ms[i]) {
				double t = ms[i];
				ms[i] = ms[j];
				ms[j] = t;
			}
	printf("TTFB %d/%d median %.2f ms\n", ok, n, ok ? ms[ok / 2] : -1.0);
	return ok ? 0 : 1;
}

/* echo1 ADDR PORT: answer every connection's first byte, forever (for ttfb). */
static int cmd_echo1(char **a)
{
	int l = listen_on(a[0], atoi(a[1]));

	for (;;) {
		int s = accept(l, NULL, NULL);
		char c;

		if (read(s, &c, 1) == 1 && write(s, &c, 1) < 0)
			perror("netprobe: echo1");
		close(s);
	}
	return 0;
}

/* udpflood ADDR PORT SECONDS: send 1400-byte datagrams as fast as possible. */
static int cmd_udpflood(char **a)
{
	struct sockaddr_in sa;
	char buf[1400] = { 0 };
	double t0 = now(), secs = atof(a[2]);
	long long n = 0;
	int s = socket(AF_INET, SOCK_DGRAM, 0);

	if (addr_of(a[0], atoi(a[1]), &sa))
		return 2;
	while (now() - t0 < secs)
		if (sendto(s, buf, sizeof(buf), 0, (struct sockaddr *)&sa, sizeof(sa)) > 0)
			n++;
	printf("UDPFLOOD %lld datagrams\n", n);
	return 0;
}

/* rawpingpong IFNAME MSG: send MSG in a test frame (broadcast), wait for any test frame back; print its payload. */
static int cmd_rawpingpong(char **a)
{
	struct sockaddr_ll ll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_TEST),
				  .sll_ifindex = if_nametoindex(a[0]), .sll_halen = 6 };
	unsigned char frame[1514], buf[1514];
	size_t len = strlen(a[1]);
	int s = socket(AF_PACKET, SOCK_DGRAM, htons(ETH_P_TEST));

	if (s < 0 || !ll.sll_ifindex || bind(s, (struct sockaddr *)&ll, sizeof(ll)) < 0) {
		perror("netprobe: packet socket");
		return 1;
	}
	memset(ll.sll_addr, 0xff, 6);
	memcpy(frame, a[1], len);
	for (int i = 0; i < 60; i++) {
		struct pollfd p = { .fd = s, .events = POLLIN };

		sendto(s, frame, len, 0, (struct sockaddr *)&ll, sizeof(ll));
		if (poll(&p, 1, 500) > 0) {
			ssize_t n = recv(s, buf, sizeof(buf) - 1, 0);

			if (n > 0) {
				buf[n] = 0;
				printf("RAW GOT %s\n", buf);
				return 0;
			}
		}
	}
	return 1;
}

/*
 * grampeer PATH MSG: a gvproxy-like datagram peer: expects the "VFKT" magic
 * first, then answers the first test frame with MSG.
 */
static int cmd_grampeer(char **a)
{
	struct sockaddr_un me = { .sun_family = AF_UNIX }, from;
	unsigned char buf[70000];
	int s = socket(AF_UNIX, SOCK_DGRAM, 0), magic = 0;

	snprintf(me.sun_path, sizeof(me.sun_path), "%s", a[0]);
	unlink(a[0]);
	if (bind(s, (struct sockaddr *)&me, sizeof(me)) < 0) {
		perror("netprobe: bind");
		return 1;
	}
	printf("LISTENING %s\n", a[0]);
	for (;;) {
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(s, buf, sizeof(buf) - 1, 0, (struct sockaddr *)&from, &fl);
		size_t mlen = strlen(a[1]);

		if (n < 0)
			return 1;
		if (!magic) {
			magic = 1;
			printf("MAGIC %s\n", n == 4 && !memcmp(buf, "VFKT", 4) ? "ok" : "bad");
			continue;
		}
		if (n < 14 || buf[12] != (ETH_P_TEST >> 8) || buf[13] != (ETH_P_TEST & 0xff))
			continue;
		buf[n] = 0;
		printf("PEER GOT %s from %02x:%02x:%02x:%02x:%02x:%02x\n", (char *)buf + 14,
		       buf[6], buf[7], buf[8], buf[9], buf[10], buf[11]);
		/* Reply: dst = the guest's MAC, src = ours, test ethertype, MSG. */
		memcpy(buf, buf + 6, 6);
		memcpy(buf + 6, "\x02\x00\x00\x00\x00\x01", 6);
		memcpy(buf + 14, a[1], mlen);
		sendto(s, buf, 14 + mlen < 60 ? 60 : 14 + mlen, 0, (struct sockaddr *)&from, fl);
		return 0;
	}
}

static int read_full(int s, void *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = read(s, (char *)buf + got, len - got);

		if (n <= 0)
			return -1;
		got += n;
	}
	return 0;
}

/*
 * streampeer PATH MSG: a passt-like stream peer (32-bit big-endian length +
 * frame) on a UNIX socket: answers the first test frame with MSG.
 */
static int cmd_streampeer(char **a)
{
	struct sockaddr_un me = { .sun_family = AF_UNIX };
	static unsigned char buf[70000];
	int l = socket(AF_UNIX, SOCK_STREAM, 0), s;
	size_t mlen = strlen(a[1]);
	uint32_t be;

	snprintf(me.sun_path, sizeof(me.sun_path), "%s", a[0]);
	unlink(a[0]);
	if (bind(l, (struct sockaddr *)&me, sizeof(me)) < 0 || listen(l, 1) < 0)
		return 1;
	printf("LISTENING %s\n", a[0]);
	s = accept(l, NULL, NULL);
	while (read_full(s, &be, 4) == 0) {
		uint32_t n = ntohl(be);

		if (n > sizeof(buf) - 1 || read_full(s, buf, n))
			return 1;
		if (n < 14 || buf[12] != (ETH_P_TEST >> 8) || buf[13] != (ETH_P_TEST & 0xff))
			continue;
		buf[n] = 0;
		printf("PEER GOT %s from %02x:%02x:%02x:%02x:%02x:%02x\n", (char *)buf + 14,
		       buf[6], buf[7], buf[8], buf[9], buf[10], buf[11]);
		memcpy(buf, buf + 6, 6);
		memcpy(buf + 6, "\x02\x00\x00\x00\x00\x01", 6);
		memcpy(buf + 14, a[1], mlen);
		n = 14 + mlen < 60 ? 60 : 14 + mlen;
		be = htonl(n);
		if (write(s, &be, 4) != 4 || write(s, buf, n) != (ssize_t)n)
			return 1;
		return 0;
	}
	return 1;
}

int main(int argc, char **argv)
{
	static const struct { const char *name; int args; } cmds[] = {
		{ "serve", 3 }, { "connect", 3 }, { "resolve", 1 }, { "sink", 2 },
		{ "source", 3 }, { "ttfb", 3 }, { "echo1", 2 }, { "udpflood", 3 },
		{ "rawpingpong", 2 }, { "grampeer", 2 }, { "streampeer", 2 },
	};
	const char *c = argc > 1 ? argv[1] : "";

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (strcmp(c, cmds[i].name) || argc - 2 < cmds[i].args)
			continue;
		switch (i) {
		case 0: return cmd_serve(argv + 2);
		case 1: return cmd_connect(argv + 2, argc - 2);
		case 2: return cmd_resolve(argv + 2);
		case 3: return cmd_sink(argv + 2);
		case 4: return cmd_source(argv + 2);
		case 5: return cmd_ttfb(argv + 2);
		case 6: return cmd_echo1(argv + 2);
		case 7: return cmd_udpflood(argv + 2);
		case 8: return cmd_rawpingpong(argv + 2);
		case 9: return cmd_grampeer(argv + 2);
		case 10: return cmd_streampeer(argv + 2);
		}
	}
	fprintf(stderr, "usage: netprobe serve|connect|resolve|sink|source|ttfb|echo1|udpflood|rawpingpong|grampeer|streampeer ...\n");
	return 2;
}
