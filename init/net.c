/* init/net.c: brings the guest's NICs up: static addresses the VMM passes (built-in network), or DHCP (NET_FLAG_DHCP_CLIENT). */
#include "net.h"
#include "env.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <net/route.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Our kernel command line tokens (dotted, so the kernel passes them to nobody). */
#define TOK_IP		"krun.ip="
#define TOK_GW		"krun.gw="
#define TOK_DNS		"krun.dns="
#define TOK_DHCP	"krun.dhcp="

/* The value of "key=value" on (cmdline) before "--" into (out); false if absent. */
bool net_cmdline_value(const char *cmdline, const char *key, char *out, size_t size)
{
	size_t klen = strlen(key);
	const char *p = cmdline;

	while (*p) {
		size_t n;

		while (*p == ' ' || *p == '\n')
			p++;
		n = strcspn(p, " \n");
		if (n == 2 && !memcmp(p, "--", 2))
			return false;
		if (n > klen && n - klen < size && !memcmp(p, key, klen)) {
			memcpy(out, p + klen, n - klen);
			out[n - klen] = '\0';
			return true;
		}
		p += n;
	}
	return false;
}

static int if_flags_set(int s, const char *ifname, bool up)
{
	struct ifreq ifr = { 0 };

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
		return -errno;
	if (up)
		ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	else
		ifr.ifr_flags &= ~IFF_UP;
	return ioctl(s, SIOCSIFFLAGS, &ifr) < 0 ? -errno : 0;
}

static int if_set_addr(int s, const char *ifname, unsigned long req, struct in_addr a)
{
	struct ifreq ifr = { 0 };
	struct sockaddr_in *sin = (struct sockaddr_in *)&ifr.ifr_addr;

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	sin->sin_family = AF_INET;
	sin->sin_addr = a;
	return ioctl(s, req, &ifr) < 0 ? -errno : 0;
}

static int if_set_mtu(int s, const char *ifname, int mtu)
{
	struct ifreq ifr = { .ifr_mtu = mtu };

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	return ioctl(s, SIOCSIFMTU, &ifr) < 0 ? -errno : 0;
}

static int route_add_default(int s, const char *ifname, struct in_addr gw)
{
	struct rtentry rt = { .rt_flags = RTF_UP | RTF_GATEWAY, .rt_dev = (char *)ifname };

	((struct sockaddr_in *)&rt.rt_dst)->sin_family = AF_INET;
	((struct sockaddr_in *)&rt.rt_genmask)->sin_family = AF_INET;
	((struct sockaddr_in *)&rt.rt_gateway)->sin_family = AF_INET;
	((struct sockaddr_in *)&rt.rt_gateway)->sin_addr = gw;
	return ioctl(s, SIOCADDRT, &rt) < 0 && errno != EEXIST ? -errno : 0;
}

/* Address, netmask and (if any) default route on (ifname). */
int net_configure_if(const struct net_lease *l, const char *ifname)
{
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int ret;

	if (s < 0)
		return -errno;
	ret = if_set_addr(s, ifname, SIOCSIFADDR, l->addr);
	if (!ret)
		ret = if_set_addr(s, ifname, SIOCSIFNETMASK, l->mask);
	if (!ret && l->mtu)
		ret = if_set_mtu(s, ifname, l->mtu);
	if (!ret)
		ret = if_flags_set(s, ifname, true);
	if (!ret && l->router.s_addr)
		ret = route_add_default(s, ifname, l->router);
	close(s);
	return ret;
}

/*
 * /etc/resolv.conf rule: write the nameserver only when the file is missing
 * or empty. crun/podman bind-mount the container's own resolv.conf and an
 * image may ship one: those are the user's choice and stay untouched.
 */
void net_write_resolv_conf(struct in_addr dns)
{
	char line[64];
	struct stat st;
	int fd;

	if (!dns.s_addr || (stat("/etc/resolv.conf", &st) == 0 && st.st_size > 0))
		return;
	snprintf(line, sizeof(line), "nameserver %s\n", inet_ntoa(dns));
	fd = open("/etc/resolv.conf", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	if (write(fd, line, strlen(line)) < 0)
		fprintf(stderr, "init: writing /etc/resolv.conf: %s\n", strerror(errno));
	close(fd);
}

/* "a.b.c.d/n" into an address and netmask. */
static bool parse_cidr(const char *s, struct in_addr *addr, struct in_addr *mask)
{
	char buf[64];
	char *slash;
	int prefix = 24;

	snprintf(buf, sizeof(buf), "%.63s", s);
	slash = strchr(buf, '/');
	if (slash) {
		*slash = '\0';
		prefix = atoi(slash + 1);
	}
	if (prefix < 0 || prefix > 32 || inet_pton(AF_INET, buf, addr) != 1)
		return false;
	mask->s_addr = prefix ? htonl(~0u << (32 - prefix)) : 0;
	return true;
}

/* The built-in network: the VMM knows the addresses, no DHCP round trip. */
static void net_static(const char *cmdline)
{
	struct net_lease l = { 0 };
	char v[64];
	int ret;

	if (!net_cmdline_value(cmdline, TOK_IP, v, sizeof(v)) || !parse_cidr(v, &l.addr, &l.mask))
		return;
	if (net_cmdline_value(cmdline, TOK_GW, v, sizeof(v)))
		inet_pton(AF_INET, v, &l.router);
	if (net_cmdline_value(cmdline, TOK_DNS, v, sizeof(v)))
		inet_pton(AF_INET, v, &l.dns);
	ret = net_configure_if(&l, "eth0");
	if (ret)
		fprintf(stderr, "init: configuring eth0: %s\n", strerror(-ret));
	net_write_resolv_conf(l.dns);
}

static void net_dhcp_all(const char *cmdline)
{
	char list[256];
	char *save = NULL;

	if (!net_cmdline_value(cmdline, TOK_DHCP, list, sizeof(list)))
		return;
	for (char *ifn = strtok_r(list, ",", &save); ifn; ifn = strtok_r(NULL, ",", &save)) {
		struct net_lease l;
		int ret = dhcp_run(ifn, &l);

		if (!ret)
			ret = net_configure_if(&l, ifn);
		if (ret) {
			fprintf(stderr, "init: DHCP on %s: %s\n", ifn, strerror(-ret));
			continue;
		}
		net_write_resolv_conf(l.dns);
	}
}

/* Every ethN up (so IPv6 autoconfiguration runs even where IPv4 is not configured) or down. */
static void net_links_set(bool up)
{
	DIR *d = opendir("/sys/class/net");
	struct dirent *e;
	int s;

	if (!d)
		return;
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	while (s >= 0 && (e = readdir(d)))
		if (!strncmp(e->d_name, "eth", 3))
			if_flags_set(s, e->d_name, up);
	if (s >= 0)
		close(s);
	closedir(d);
}

/*
 * Before the reboot that ends the VM: the kernel's shutdown marks every
 * virtqueue broken, and 6.1's virtio-net transmit cleanup then spins forever
 * on a broken queue that holds completed, unreclaimed buffers (fixed in Linux
 * 0d0eff39ceb3, not in 6.1.192). A NIC that is down has its NAPI off and takes
 * no more packets, so a workload child still sending cannot hang the VM.
 */
void net_links_down(void)
{
	net_links_set(false);
}

void setup_nics(const char *cmdline)
{
	net_links_set(true);
	net_static(cmdline);
	net_dhcp_all(cmdline);
	start_listener_reports(cmdline);
}
