/* init/dhcp.c: a small DHCPv4 client (RFC 2131): DISCOVER, OFFER, REQUEST, ACK on one interface; address, mask, router, MTU, DNS. */
#include "net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/ethernet.h>
#include <netpacket/packet.h>
#include <net/if.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define DHCP_SERVER_PORT	67
#define DHCP_CLIENT_PORT	68
#define DHCP_MAGIC		0x63825363
#define DHCP_TRIES		4
#define DHCP_WAIT_MS		1000

enum {
	OPT_PAD = 0, OPT_MASK = 1, OPT_ROUTER = 3, OPT_DNS = 6, OPT_MTU = 26,
	OPT_REQ_IP = 50, OPT_MSG_TYPE = 53, OPT_SERVER_ID = 54, OPT_PARAMS = 55, OPT_END = 255,
};
enum { DHCPDISCOVER = 1, DHCPOFFER = 2, DHCPREQUEST = 3, DHCPACK = 5, DHCPNAK = 6 };

struct dhcp_msg {
	uint8_t op, htype, hlen, hops;
	uint32_t xid;
	uint16_t secs, flags;
	uint32_t ciaddr, yiaddr, siaddr, giaddr;
	uint8_t chaddr[16];
	uint8_t sname[64], file[128];
	uint32_t magic;
	uint8_t options[312];
} __attribute__((packed));

struct dhcp_ctx {
	int s;				/* UDP socket: sends (broadcast from 0.0.0.0:68) */
	int raw;			/* packet socket: receives (passt answers unicast to the offered address) */
	uint32_t xid;
	uint8_t mac[6];
	struct in_addr server;		/* server id of the offer */
};

static size_t opt_put(uint8_t *o, size_t at, uint8_t code, const void *val, uint8_t len)
{
	o[at] = code;
	o[at + 1] = len;
	memcpy(o + at + 2, val, len);
	return at + 2 + len;
}

static void dhcp_build(const struct dhcp_ctx *c, struct dhcp_msg *m, uint8_t type,
		       const struct net_lease *offer)
{
	static const uint8_t params[] = { OPT_MASK, OPT_ROUTER, OPT_DNS, OPT_MTU };
	size_t at = 0;

	memset(m, 0, sizeof(*m));
	m->op = 1;
	m->htype = 1;
	m->hlen = 6;
	m->xid = c->xid;
	m->flags = htons(0x8000);	/* broadcast: we have no address to be answered at yet */
	memcpy(m->chaddr, c->mac, 6);
	m->magic = htonl(DHCP_MAGIC);
	at = opt_put(m->options, at, OPT_MSG_TYPE, &type, 1);
	if (offer) {
		at = opt_put(m->options, at, OPT_REQ_IP, &offer->addr, 4);
		at = opt_put(m->options, at, OPT_SERVER_ID, &c->server, 4);
	}
	at = opt_put(m->options, at, OPT_PARAMS, params, sizeof(params));
	m->options[at] = OPT_END;
}

/* Walk the options of (m) (n bytes received): the message type, lease fields into (l). */
static int dhcp_parse(const struct dhcp_msg *m, size_t n, struct net_lease *l, struct in_addr *server)
{
	const size_t fixed = offsetof(struct dhcp_msg, options);
	const uint8_t *o = m->options;
	size_t len = n - fixed, i = 0;
	int type = -1;

	memset(l, 0, sizeof(*l));
	l->addr.s_addr = m->yiaddr;
	while (i < len && o[i] != OPT_END) {
		uint8_t code = o[i], olen;

		if (code == OPT_PAD) {
			i++;
			continue;
		}
		if (i + 2 > len || i + 2 + (olen = o[i + 1]) > len)
			break;
		const uint8_t *v = o + i + 2;

		if (code == OPT_MSG_TYPE && olen >= 1)
			type = v[0];
		else if (code == OPT_MASK && olen >= 4)
			memcpy(&l->mask, v, 4);
		else if (code == OPT_ROUTER && olen >= 4)
			memcpy(&l->router, v, 4);
		else if (code == OPT_DNS && olen >= 4)
			memcpy(&l->dns, v, 4);
		else if (code == OPT_SERVER_ID && olen >= 4)
			memcpy(server, v, 4);
		else if (code == OPT_MTU && olen >= 2)
			l->mtu = v[0] << 8 | v[1];
		i += 2 + olen;
	}
	return type;
}

/* Reads one IPv4 frame from the packet socket and copies its UDP payload to port 68 into (m):
 * the payload length, or -1 for anything else. The length fields are checked against what arrived. */
static ssize_t dhcp_recv(struct dhcp_ctx *c, struct dhcp_msg *m)
{
	uint8_t buf[2048];
	ssize_t n = recv(c->raw, buf, sizeof(buf), 0);
	const struct iphdr *ip = (const struct iphdr *)buf;
	const struct udphdr *udp;
	size_t ihl, tot, ulen;

	if (n < (ssize_t)sizeof(*ip) || ip->version != 4 || ip->protocol != IPPROTO_UDP)
		return -1;
	ihl = ip->ihl * 4u;
	tot = ntohs(ip->tot_len);
	if (ihl < sizeof(*ip) || tot > (size_t)n || tot < ihl + sizeof(*udp))
		return -1;
	udp = (const struct udphdr *)(buf + ihl);
	ulen = ntohs(udp->len);
	if (udp->dest != htons(DHCP_CLIENT_PORT) || ulen < sizeof(*udp) || ulen > tot - ihl)
		return -1;
	ulen -= sizeof(*udp);
	if (ulen > sizeof(*m))
		ulen = sizeof(*m);
	memcpy(m, buf + ihl + sizeof(*udp), ulen);
	return ulen;
}

/* Wait for a reply of (want) type to our xid: 0, -ETIMEDOUT, -ECONNREFUSED (NAK). */
static int dhcp_wait(struct dhcp_ctx *c, int want, struct net_lease *l)
{
	struct pollfd p = { .fd = c->raw, .events = POLLIN };
	struct dhcp_msg m;
	struct in_addr server = { 0 };

	while (poll(&p, 1, DHCP_WAIT_MS) > 0) {
		ssize_t n = dhcp_recv(c, &m);
		int type;

		if (n < (ssize_t)offsetof(struct dhcp_msg, options) || m.op != 2 || m.xid != c->xid ||
		    m.magic != htonl(DHCP_MAGIC))
			continue;
		type = dhcp_parse(&m, n, l, &server);
		if (type == DHCPNAK)
			return -ECONNREFUSED;
		if (type == want) {
			if (want == DHCPOFFER)
				c->server = server;
			return 0;
		}
	}
	return -ETIMEDOUT;
}

static int dhcp_send(struct dhcp_ctx *c, uint8_t type, const struct net_lease *offer)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(DHCP_SERVER_PORT),
				  .sin_addr.s_addr = htonl(INADDR_BROADCAST) };
	struct dhcp_msg m;

	dhcp_build(c, &m, type, offer);
	return sendto(c->s, &m, sizeof(m), 0, (struct sockaddr *)&to, sizeof(to)) < 0 ? -errno : 0;
}

static int dhcp_socket(struct dhcp_ctx *c, const char *ifname)
{
	struct sockaddr_in me = { .sin_family = AF_INET, .sin_port = htons(DHCP_CLIENT_PORT) };
	struct sockaddr_ll ll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETHERTYPE_IP) };
	struct ifreq ifr = { 0 };
	int one = 1;

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	c->s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (c->s < 0)
		return -errno;
	c->raw = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, htons(ETHERTYPE_IP));
	if (c->raw < 0)
		return -errno;
	if (ioctl(c->s, SIOCGIFHWADDR, &ifr) < 0 ||
	    setsockopt(c->s, SOL_SOCKET, SO_BROADCAST, &one, sizeof(one)) < 0 ||
	    setsockopt(c->s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    setsockopt(c->s, SOL_SOCKET, SO_BINDTODEVICE, ifname, strlen(ifname)) < 0 ||
	    bind(c->s, (struct sockaddr *)&me, sizeof(me)) < 0 ||
	    (ll.sll_ifindex = if_nametoindex(ifname)) == 0 ||
	    bind(c->raw, (struct sockaddr *)&ll, sizeof(ll)) < 0)
		return -errno;
	memcpy(c->mac, ifr.ifr_hwaddr.sa_data, 6);
	if (getrandom(&c->xid, sizeof(c->xid), GRND_NONBLOCK) != sizeof(c->xid))
		c->xid = (uint32_t)time(NULL) ^ (uint32_t)getpid();
	return 0;
}

/* One DISCOVER..ACK exchange. */
static int dhcp_exchange(struct dhcp_ctx *c, struct net_lease *l)
{
	struct net_lease offer;
	int ret;

	ret = dhcp_send(c, DHCPDISCOVER, NULL);
	if (!ret)
		ret = dhcp_wait(c, DHCPOFFER, &offer);
	if (!ret)
		ret = dhcp_send(c, DHCPREQUEST, &offer);
	if (!ret)
		ret = dhcp_wait(c, DHCPACK, l);
	return ret;
}

int dhcp_run(const char *ifname, struct net_lease *l)
{
	struct dhcp_ctx c = { .s = -1, .raw = -1 };
	int ret = dhcp_socket(&c, ifname);

	for (int i = 0; !ret || ret == -ETIMEDOUT; i++) {
		if (i == DHCP_TRIES)
			break;
		ret = dhcp_exchange(&c, l);
		if (!ret)
			break;
	}
	if (c.s >= 0)
		close(c.s);
	if (c.raw >= 0)
		close(c.raw);
	if (ret)
		return ret;
	if (!l->mask.s_addr)
		l->mask.s_addr = htonl(0xffffff00);
	/* Upstream's clamp: below 1280 breaks IPv6, above 65520 the virtio-net frames. */
	if (l->mtu && (l->mtu < 1280 || l->mtu > 65520))
		l->mtu = l->mtu < 1280 ? 1280 : 65520;
	return 0;
}
