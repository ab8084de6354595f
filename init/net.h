/* init/net.h: the guest's NIC setup (static addresses from the VMM, or DHCP). */
#ifndef KRUN_INIT_NET_H
#define KRUN_INIT_NET_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>

/* What DHCP (or the VMM) gives an interface; zero fields are absent. */
struct net_lease {
	struct in_addr addr, mask, router, dns;
	int mtu;
};

/* Brings every ethN up and configures them from krun.ip/gw/dns and krun.dhcp on (cmdline). */
void setup_nics(const char *cmdline);

/* Takes every ethN down: before the reboot, so nothing transmits during the kernel's shutdown. */
void net_links_down(void);

/* Address, netmask, MTU and default route of (l) on (ifname): 0 or -errno. */
int net_configure_if(const struct net_lease *l, const char *ifname);

/* Writes "nameserver (dns)" to /etc/resolv.conf if that file is missing or empty. */
void net_write_resolv_conf(struct in_addr dns);

/* The value of "key=value" on (cmdline) before "--" into (out); false if absent. */
bool net_cmdline_value(const char *cmdline, const char *key, char *out, size_t size);

/* With krun.expose=ADDR:PORT on (cmdline): a child reports the guest's TCP listeners there. */
void start_listener_reports(const char *cmdline);

/* DHCPv4 DISCOVER/OFFER/REQUEST/ACK on (ifname) (already up): 0 and (l), or -errno. */
int dhcp_run(const char *ifname, struct net_lease *l);

#endif
