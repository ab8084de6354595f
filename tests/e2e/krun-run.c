/* tests/e2e/krun-run.c: drives the public libkrun API from the command line for end-to-end tests. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libkrun.h"

static void usage(void)
{
	fprintf(stderr,
		"usage: krun-run [--kernel PATH --initrd PATH --cmdline STR] [--root DIR]\n"
		"                [--cpus N] [--mem MIB] [--log LEVEL] [--workdir DIR]\n"
		"                [--env K=V]... [--rlimit SPEC]... [--console-output FILE]\n"
		"                [--serial] [--virtiofs TAG:PATH:SHM] [--virtiofs-ro TAG:PATH]\n"
		"                [--port NAME:INFILE:OUTFILE] [--raw]\n"
		"                [--split-irqchip] [--vsock-port PORT:PATH[:listen]]... [--explicit-vsock]\n"
		"                [--no-implicit-net]\n"
		"                [--disk ID:PATH:raw|qcow2:RO:SYNC]... [--root-disk-remount DEV:FSTYPE:OPTS]\n"
		"                [-- EXEC ARGS...]\n");
	exit(2);
}

static void check(int ret, const char *what)
{
	if (ret < 0) {
		fprintf(stderr, "krun-run: %s: %s\n", what, strerror(-ret));
		exit(125);
	}
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "kernel", 1, 0, 'k' }, { "initrd", 1, 0, 'i' }, { "cmdline", 1, 0, 'c' },
		{ "root", 1, 0, 'r' }, { "cpus", 1, 0, 'p' }, { "mem", 1, 0, 'm' },
		{ "log", 1, 0, 'l' }, { "workdir", 1, 0, 'w' }, { "env", 1, 0, 'e' },
		{ "rlimit", 1, 0, 'L' }, { "console-output", 1, 0, 'o' },
		{ "serial", 0, 0, 's' }, { "virtiofs", 1, 0, 'v' },
		{ "virtiofs-ro", 1, 0, 'V' }, { "port", 1, 0, 'P' }, { "raw", 0, 0, 'R' },
		{ "split-irqchip", 0, 0, 'S' }, { "vsock-port", 1, 0, 'K' },
		{ "explicit-vsock", 0, 0, 'X' }, { "disk", 1, 0, 'D' },
		{ "root-disk-remount", 1, 0, 'M' }, { "no-implicit-net", 0, 0, 'N' }, { 0 },
	};
	const char *kernel = NULL, *initrd = NULL, *cmdline = NULL, *root = NULL;
	const char *workdir = NULL, *console_out = NULL;
	const char *env[64] = { 0 }, *rlimits[16] = { 0 };
	char *fs_spec = NULL, *ro_spec = NULL, *port_spec = NULL, *vsock_specs[8];
	int nvsock = 0, explicit_vsock = 0, no_net = 0;
	int raw = 0;
	char *disks[8] = { 0 }, *remount = NULL;
	int ndisks = 0;
	int cpus = 1, mem = 128, level = 1, nenv = 0, nrl = 0, serial = 0, split = 0, c, ctx;

	while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		switch (c) {
		case 'k': kernel = optarg; break;
		case 'i': initrd = optarg; break;
		case 'c': cmdline = optarg; break;
		case 'r': root = optarg; break;
		case 'p': cpus = atoi(optarg); break;
		case 'm': mem = atoi(optarg); break;
		case 'l': level = atoi(optarg); break;
		case 'w': workdir = optarg; break;
		case 'e': if (nenv < 63) env[nenv++] = optarg; break;
		case 'L': if (nrl < 15) rlimits[nrl++] = optarg; break;
		case 'o': console_out = optarg; break;
		case 's': serial = 1; break;
		case 'v': fs_spec = optarg; break;
		case 'V': ro_spec = optarg; break;
		case 'P': port_spec = optarg; break;
		case 'R': raw = 1; break;
		case 'S': split = 1; break;
		case 'K': if (nvsock < 8) vsock_specs[nvsock++] = optarg; break;
		case 'X': explicit_vsock = 1; break;
		case 'N': no_net = 1; break;
		case 'D': if (ndisks < 8) disks[ndisks++] = optarg; break;
		case 'M': remount = optarg; break;
		default: usage();
		}
	}
	check(krun_set_log_level(level), "krun_set_log_level");
	ctx = krun_create_ctx();
	check(ctx, "krun_create_ctx");
	check(krun_set_vm_config(ctx, cpus, mem), "krun_set_vm_config");
	if (split)
		check(krun_split_irqchip(ctx, true), "krun_split_irqchip");
	if (kernel)
		check(krun_set_kernel(ctx, kernel, raw ? KRUN_KERNEL_FORMAT_RAW : KRUN_KERNEL_FORMAT_ELF,
				      initrd, cmdline),
		      "krun_set_kernel");
	if (root)
		check(krun_set_root(ctx, root), "krun_set_root");
	if (fs_spec) { /* TAG:PATH:SHM_BYTES */
		char *tag = strtok(fs_spec, ":"), *path = strtok(NULL, ":"), *shm = strtok(NULL, ":");

		if (!tag || !path || !shm)
			usage();
		check(krun_add_virtiofs2(ctx, tag, path, strtoull(shm, NULL, 0)), "krun_add_virtiofs2");
	}
	if (port_spec) { /* NAME:INFILE:OUTFILE on an explicit multiport console */
		char *name = strtok(port_spec, ":"), *in = strtok(NULL, ":"), *out = strtok(NULL, ":");
		int con, ifd, ofd;

		if (!name || !in || !out)
			usage();
		ifd = open(in, O_RDONLY);
		ofd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		con = krun_add_virtio_console_multiport(ctx);
		check(con, "krun_add_virtio_console_multiport");
		check(krun_add_console_port_inout(ctx, con, name, ifd, ofd), "krun_add_console_port_inout");
	}
	if (ro_spec) { /* TAG:PATH, read-only, no DAX */
		char *tag = strtok(ro_spec, ":"), *path = strtok(NULL, ":");

		if (!tag || !path)
			usage();
		check(krun_add_virtiofs3(ctx, tag, path, 0, true), "krun_add_virtiofs3");
	}
	if (no_net) /* no implicit vsock, hence no implicit built-in network either */
		check(krun_disable_implicit_vsock(ctx), "krun_disable_implicit_vsock");
	if (explicit_vsock) {
		check(krun_disable_implicit_vsock(ctx), "krun_disable_implicit_vsock");
		check(krun_add_vsock(ctx, 0), "krun_add_vsock");
	}
	for (int i = 0; i < nvsock; i++) { /* PORT:PATH[:listen] */
		char *port = strtok(vsock_specs[i], ":"), *path = strtok(NULL, ":"), *listen = strtok(NULL, ":");

		if (!port || !path)
			usage();
		check(krun_add_vsock_port2(ctx, atoi(port), path, listen != NULL), "krun_add_vsock_port2");
	}
	for (int i = 0; i < ndisks; i++) { /* ID:PATH:FORMAT:RO:SYNC, e.g. vda:/x.img:raw:0:2 */
		char *id = strtok(disks[i], ":"), *path = strtok(NULL, ":"), *fmt = strtok(NULL, ":");
		char *ro = strtok(NULL, ":"), *sync = strtok(NULL, ":");

		if (!id || !path || !fmt || !ro || !sync)
			usage();
		check(krun_add_disk3(ctx, id, path, strcmp(fmt, "qcow2") ? KRUN_DISK_FORMAT_RAW
					: KRUN_DISK_FORMAT_QCOW2, atoi(ro), false, atoi(sync)), "krun_add_disk3");
	}
	if (remount) { /* DEV:FSTYPE[:OPTIONS] */
		char *d = strtok(remount, ":"), *f = strtok(NULL, ":"), *o = strtok(NULL, "");

		check(krun_set_root_disk_remount(ctx, d, f, o), "krun_set_root_disk_remount");
	}
	if (workdir)
		check(krun_set_workdir(ctx, workdir), "krun_set_workdir");
	if (nrl)
		check(krun_set_rlimits(ctx, rlimits), "krun_set_rlimits");
	if (console_out)
		check(krun_set_console_output(ctx, console_out), "krun_set_console_output");
	if (serial)
		check(krun_add_serial_console_default(ctx, -1, 2), "krun_add_serial_console_default");
	if (optind < argc)
		check(krun_set_exec(ctx, argv[optind], (const char *const *)&argv[optind + 1], env),
		      "krun_set_exec");
	else if (nenv)
		check(krun_set_env(ctx, env), "krun_set_env");
	check(krun_start_enter(ctx), "krun_start_enter");
	return 125;
}
