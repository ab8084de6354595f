/* examples/external_kernel.c: boots a microVM from a kernel file of your choice instead of libkrunfw's. */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libkrun.h>

#define MAX_DISKS	2
#define MAX_NETS	2

struct cmdline {
	uint32_t log_level;
	uint32_t kernel_format;
	const char *initramfs;
	const char *kernel_cmdline;
	const char *disks[MAX_DISKS];
	int n_disks;
	const char *nets[MAX_NETS];
	int n_nets;
	bool nested;
	uint8_t vcpus;
	uint32_t ram_mib;
	const char *kernel;
};

static void print_help(const char *name)
{
	fprintf(stderr,
		"Usage: %s [OPTIONS] KERNEL\n"
		"OPTIONS:\n"
		"        -h    --help                Show help\n"
		"              --log-level=N         libkrun log level 0 (off) .. 5 (trace), default 2\n"
		"              --format=FORMAT       kernel format: raw or elf (default elf)\n"
		"              --initramfs=PATH      initramfs to load with the kernel\n"
		"              --cmdline=STRING      kernel command line (replaces libkrun's default)\n"
		"              --disk=PATH           raw disk image (up to %d; block ids \"disk0\", \"disk1\")\n"
		"              --net-socket=PATH     passt-style unix stream socket (up to %d; eth0, eth1)\n"
		"              --nested              expose nested virtualization\n"
		"              --cpus=N              vCPUs (default 1)\n"
		"              --mem=MIB             RAM in MiB (default 512)\n",
		name, MAX_DISKS, MAX_NETS);
}

static int parse_format(const char *s, uint32_t *out)
{
	if (!strcasecmp(s, "raw"))
		*out = KRUN_KERNEL_FORMAT_RAW;
	else if (!strcasecmp(s, "elf"))
		*out = KRUN_KERNEL_FORMAT_ELF;
	else
		return -1;
	return 0;
}

static int add_path(const char **arr, int *n, int max, const char *path, const char *what)
{
	if (*n >= max) {
		fprintf(stderr, "Too many %s (at most %d)\n", what, max);
		return -1;
	}
	arr[(*n)++] = path;
	return 0;
}

/* Returns 0 on success, 1 to exit successfully (--help), -1 on a usage error. */
static int parse_cmdline(int argc, char *const argv[], struct cmdline *cmd)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "format", required_argument, NULL, 'f' },
		{ "initramfs", required_argument, NULL, 'i' },
		{ "cmdline", required_argument, NULL, 'c' },
		{ "disk", required_argument, NULL, 'd' },
		{ "net-socket", required_argument, NULL, 'n' },
		{ "nested", no_argument, NULL, 'N' },
		{ "cpus", required_argument, NULL, 'C' },
		{ "mem", required_argument, NULL, 'm' },
		{ NULL, 0, NULL, 0 },
	};
	int c, ret = 0;

	*cmd = (struct cmdline){ .log_level = KRUN_LOG_LEVEL_WARN,
				 .kernel_format = KRUN_KERNEL_FORMAT_ELF,
				 .vcpus = 1, .ram_mib = 512 };
	while (!ret && (c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			print_help(argv[0]);
			return 1;
		case 'l': cmd->log_level = (uint32_t)atoi(optarg); break;
		case 'f': ret = parse_format(optarg, &cmd->kernel_format); break;
		case 'i': cmd->initramfs = optarg; break;
		case 'c': cmd->kernel_cmdline = optarg; break;
		case 'd': ret = add_path(cmd->disks, &cmd->n_disks, MAX_DISKS, optarg, "disks"); break;
		case 'n': ret = add_path(cmd->nets, &cmd->n_nets, MAX_NETS, optarg, "networks"); break;
		case 'N': cmd->nested = true; break;
		case 'C': cmd->vcpus = (uint8_t)atoi(optarg); break;
		case 'm': cmd->ram_mib = (uint32_t)atoi(optarg); break;
		default: ret = -1;
		}
	}
	if (ret || optind != argc - 1) {
		print_help(argv[0]);
		return -1;
	}
	cmd->kernel = argv[optind];
	return 0;
}

static int check(int err, const char *what)
{
	if (err < 0) {
		fprintf(stderr, "%s: %s\n", what, strerror(-err));
		return -1;
	}
	return 0;
}

static int add_devices(uint32_t ctx_id, const struct cmdline *cmd)
{
	char id[16];
	int i;

	for (i = 0; i < cmd->n_disks; i++) {
		snprintf(id, sizeof(id), "disk%d", i);
		if (check(krun_add_disk(ctx_id, id, cmd->disks[i], false), "Error adding disk"))
			return -1;
	}
	for (i = 0; i < cmd->n_nets; i++) {
		uint8_t mac[6] = { 0x5a, 0x94, 0xef, 0xe4, 0x0c, (uint8_t)(0xee + i) };

		if (check(krun_add_net_unixstream(ctx_id, cmd->nets[i], -1, mac,
						  COMPAT_NET_FEATURES, 0),
			  "Error adding network interface"))
			return -1;
	}
	return 0;
}

int main(int argc, char *const argv[])
{
	struct cmdline cmd;
	int ctx_id, ret;

	ret = parse_cmdline(argc, argv, &cmd);
	if (ret)
		return ret > 0 ? 0 : 1;
	if (check(krun_set_log_level(cmd.log_level), "Error setting log level"))
		return 1;
	ctx_id = krun_create_ctx();
	if (check(ctx_id, "Error creating configuration context"))
		return 1;
	if (check(krun_set_vm_config((uint32_t)ctx_id, cmd.vcpus, cmd.ram_mib),
		  "Error configuring vCPUs/RAM") ||
	    check(krun_set_kernel((uint32_t)ctx_id, cmd.kernel, cmd.kernel_format, cmd.initramfs,
				  cmd.kernel_cmdline),
		  "Error configuring the kernel") ||
	    add_devices((uint32_t)ctx_id, &cmd))
		return 1;
	if (cmd.nested &&
	    check(krun_set_nested_virt((uint32_t)ctx_id, true), "Error enabling nested virtualization"))
		return 1;
	/* Only returns on failure; on success the process exits with the guest's code. */
	check(krun_start_enter((uint32_t)ctx_id), "Error creating the microVM");
	return 1;
}
