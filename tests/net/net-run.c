/* tests/net/net-run.c: runs a command in a microVM with the network options of the libkrun API, for the net tests. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "libkrun.h"

#define MAX_MAPS 8

static uint8_t mac[6] = { 0x5a, 0x94, 0xef, 0xe4, 0x0c, 0xee };

static void usage(void)
{
	fprintf(stderr,
		"usage: net-run [--log N] [--cpus N] [--mem MIB] [--map H:G]... [--no-implicit]\n"
		"               [--passt-fd FD|--passt ARGS] [--unixstream PATH|--unixstream-fd FD]\n"
		"               [--unixgram PATH [--vfkit]] [--gvproxy PATH] [--tap NAME]\n"
		"               [--dhcp] [--features N] ROOT CMD [ARGS...]\n");
	exit(2);
}

/* Start "passt -f -q --fd N ARGS" on one end of a socket pair (like chroot_vm); our end. */
static int spawn_passt(char *args)
{
	char *argv[32] = { "passt", "-f", "-q", "--fd" }, fdstr[16];
	int sp[2], n = 5;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sp) < 0)
		return -errno;
	snprintf(fdstr, sizeof(fdstr), "%d", sp[1]);
	argv[4] = fdstr;
	for (char *t = strtok(args, " "); t && n < 31; t = strtok(NULL, " "))
		argv[n++] = t;
	if (fork() == 0) {
		close(sp[0]);
		execvp("passt", argv);
		_exit(127);
	}
	close(sp[1]);
	return sp[0];
}

/* A connected UNIX stream socket to (path), for krun_set_passt_fd against a peer of the test's. */
static int connect_unix(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int s = socket(AF_UNIX, SOCK_STREAM, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	return connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0 ? -errno : s;
}

static int check(int ret, const char *what)
{
	if (ret < 0) {
		fprintf(stderr, "net-run: %s: %s\n", what, strerror(-ret));
		exit(1);
	}
	return ret;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "log", 1, 0, 'l' }, { "mem", 1, 0, 'm' }, { "map", 1, 0, 'M' },
		{ "no-implicit", 0, 0, 'n' }, { "passt-fd", 1, 0, 'p' },
		{ "unixstream", 1, 0, 's' }, { "unixstream-fd", 1, 0, 'S' },
		{ "unixgram", 1, 0, 'g' }, { "vfkit", 0, 0, 'v' }, { "gvproxy", 1, 0, 'G' },
		{ "tap", 1, 0, 't' }, { "dhcp", 0, 0, 'd' }, { "features", 1, 0, 'f' },
		{ "passt", 1, 0, 'P' }, { "passt-connect", 1, 0, 'C' }, { "cpus", 1, 0, 'c' },
		{ 0 },
	};
	const char *maps[MAX_MAPS + 1] = { 0 };
	const char *ustream = NULL, *ugram = NULL, *gvproxy = NULL, *tap = NULL;
	int c, log = 1, mem = 256, cpus = 1, nmaps = 0, passt_fd = -1, ustream_fd = -1;
	uint32_t flags = 0, features = 0;
	bool no_implicit = false, vfkit = false;
	const char *envp[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root", NULL };
	uint32_t ctx;

	while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		switch (c) {
		case 'l': log = atoi(optarg); break;
		case 'm': mem = atoi(optarg); break;
		case 'c': cpus = atoi(optarg); break;
		case 'M': if (nmaps < MAX_MAPS) maps[nmaps++] = optarg; break;
		case 'n': no_implicit = true; break;
		case 'p': passt_fd = atoi(optarg); break;
		case 'C': passt_fd = check(connect_unix(optarg), "connecting"); break;
		case 'P': passt_fd = check(spawn_passt(optarg), "starting passt"); break;
		case 's': ustream = optarg; break;
		case 'S': ustream_fd = atoi(optarg); break;
		case 'g': ugram = optarg; break;
		case 'v': vfkit = true; break;
		case 'G': gvproxy = optarg; break;
		case 't': tap = optarg; break;
		case 'd': flags |= NET_FLAG_DHCP_CLIENT; break;
		case 'f': features = strtoul(optarg, NULL, 0); break;
		default: usage();
		}
	}
	if (argc - optind < 2)
		usage();
	check(krun_set_log_level(log), "krun_set_log_level");
	ctx = check(krun_create_ctx(), "krun_create_ctx");
	check(krun_set_vm_config(ctx, cpus, mem), "krun_set_vm_config");
	check(krun_set_root(ctx, argv[optind]), "krun_set_root");
	if (no_implicit)
		check(krun_disable_implicit_vsock(ctx), "krun_disable_implicit_vsock");
	if (nmaps)
		check(krun_set_port_map(ctx, maps), "krun_set_port_map");
	if (passt_fd >= 0)
		check(krun_set_passt_fd(ctx, passt_fd), "krun_set_passt_fd");
	if (gvproxy)
		check(krun_set_gvproxy_path(ctx, (char *)gvproxy), "krun_set_gvproxy_path");
	if (ustream || ustream_fd >= 0)
		check(krun_add_net_unixstream(ctx, ustream, ustream ? -1 : ustream_fd, mac,
					      features, flags), "krun_add_net_unixstream");
	if (ugram)
		check(krun_add_net_unixgram(ctx, ugram, -1, mac, features,
					    flags | (vfkit ? NET_FLAG_VFKIT : 0)),
		      "krun_add_net_unixgram");
	if (tap)
		check(krun_add_net_tap(ctx, (char *)tap, mac, features, flags), "krun_add_net_tap");
	check(krun_set_workdir(ctx, "/"), "krun_set_workdir");
	check(krun_set_exec(ctx, argv[optind + 1], (const char *const *)argv + optind + 2, envp),
	      "krun_set_exec");
	return check(krun_start_enter(ctx), "krun_start_enter");
}
