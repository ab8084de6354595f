/* init/expose.c: reports the guest's TCP listeners to the VMM (krun.expose=ADDR:PORT) so the built-in network forwards host ports to them, as TSI exposes a guest listen(). */
#include "net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define TOK_EXPOSE	"krun.expose="
#define POLL_MS		200
#define TCP_LISTEN	0x0A	/* the "st" column of /proc/net/tcp */

struct expose {
	struct sockaddr_in vmm;
	struct in_addr guest;		/* eth0's address: a listener bound to it is reachable */
	int s;				/* connection to the VMM, -1 when down */
	uint8_t now[65536 / 8], sent[65536 / 8];
};

static void bit_set(uint8_t *m, unsigned i)
{
	m[i / 8] |= 1u << (i % 8);
}

static bool bit_get(const uint8_t *m, unsigned i)
{
	return m[i / 8] & (1u << (i % 8));
}

/*
 * Listening sockets of one /proc/net/tcp{,6} file whose local address the
 * host forward can reach: the wildcard address or eth0's (IPv4 only; a
 * listener on loopback stays private, like a TSI listen on loopback would be
 * the host's loopback, which we do not claim).
 */
static void scan(struct expose *e, const char *path, bool v6)
{
	char line[256], addr[64];
	unsigned port, st;
	FILE *f = fopen(path, "re");

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, " %*u: %63[0-9A-Fa-f]:%x %*s %x", addr, &port, &st) != 3 ||
		    st != TCP_LISTEN || port == 0 || port > 65535)
			continue;
		if (v6 ? strspn(addr, "0") == strlen(addr)
		       : (strtoul(addr, NULL, 16) == 0 || strtoul(addr, NULL, 16) == e->guest.s_addr))
			bit_set(e->now, port);
	}
	fclose(f);
}

static int vmm_connect(struct expose *e)
{
	e->s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (e->s >= 0 && connect(e->s, (struct sockaddr *)&e->vmm, sizeof(e->vmm)) == 0)
		return 0;
	if (e->s >= 0)
		close(e->s);
	e->s = -1;
	return -1;
}

/* Send the difference between what the VMM knows (sent) and (now); on a failure, reconnect and resend. */
static void report(struct expose *e)
{
	char buf[4096];
	size_t len = 0;

	if (e->s < 0) {
		if (vmm_connect(e))
			return;
		memset(e->sent, 0, sizeof(e->sent));
	}
	for (unsigned p = 1; p < 65536; p++) {
		if (bit_get(e->now, p) == bit_get(e->sent, p))
			continue;
		if (len > sizeof(buf) - 8) {
			if (write(e->s, buf, len) != (ssize_t)len)
				goto broken;
			len = 0;
		}
		len += snprintf(buf + len, sizeof(buf) - len, "%c%u\n",
				bit_get(e->now, p) ? '+' : '-', p);
	}
	if (len && write(e->s, buf, len) != (ssize_t)len)
		goto broken;
	memcpy(e->sent, e->now, sizeof(e->sent));
	return;
broken:
	close(e->s);
	e->s = -1;
}

static void watch(struct expose *e)
{
	prctl(PR_SET_NAME, "krun-expose");
	for (;;) {
		memset(e->now, 0, sizeof(e->now));
		scan(e, "/proc/net/tcp", false);
		scan(e, "/proc/net/tcp6", true);
		if (memcmp(e->now, e->sent, sizeof(e->now)) || e->s < 0)
			report(e);
		poll(NULL, 0, POLL_MS);
	}
}

void start_listener_reports(const char *cmdline)
{
	/* Zero-initialized, so its 16 KiB of bitmaps sit in .bss, not in the init's file. */
	static struct expose e;
	char v[64], *colon;
	int null;

	if (!net_cmdline_value(cmdline, TOK_EXPOSE, v, sizeof(v)) || !(colon = strrchr(v, ':')))
		return;
	*colon = '\0';
	e.s = -1;
	e.vmm.sin_family = AF_INET;
	e.vmm.sin_port = htons(atoi(colon + 1));
	if (inet_pton(AF_INET, v, &e.vmm.sin_addr) != 1 ||
	    !net_cmdline_value(cmdline, "krun.ip=", v, sizeof(v)) || !strtok(v, "/") ||
	    inet_pton(AF_INET, v, &e.guest) != 1)
		return;
	if (fork() != 0)
		return;
	/* Not the workload's console: nothing of ours may appear on its stdin/stdout. */
	null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null >= 0) {
		dup2(null, 0);
		dup2(null, 1);
	}
	watch(&e);
	_exit(0);
}
