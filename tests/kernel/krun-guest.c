/* tests/kernel/krun-guest.c: runs a command in a guest booted from the bundled libkrunfw kernel, root = a host dir, optionally nested. */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libkrun.h"

static void usage(void)
{
	fprintf(stderr, "usage: krun-guest [--nested] [--cpus N] [--mem MIB] [--log LEVEL] ROOT CMD [ARGS...]\n");
	exit(2);
}

static void check(int ret, const char *what)
{
	if (ret < 0) {
		fprintf(stderr, "krun-guest: %s: %s\n", what, strerror(-ret));
		exit(125);
	}
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "nested", 0, 0, 'n' }, { "cpus", 1, 0, 'p' }, { "mem", 1, 0, 'm' },
		{ "log", 1, 0, 'l' }, { 0 },
	};
	static const char *const env[] = { "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
					   NULL };
	int cpus = 1, mem = 512, level = 1, c, ctx;
	bool nested = false;

	while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		switch (c) {
		case 'n': nested = true; break;
		case 'p': cpus = atoi(optarg); break;
		case 'm': mem = atoi(optarg); break;
		case 'l': level = atoi(optarg); break;
		default: usage();
		}
	}
	if (argc - optind < 2)
		usage();
	check(krun_set_log_level(level), "krun_set_log_level");
	ctx = krun_create_ctx();
	check(ctx, "krun_create_ctx");
	check(krun_set_vm_config(ctx, cpus, mem), "krun_set_vm_config");
	check(krun_set_root(ctx, argv[optind]), "krun_set_root");
	if (nested)
		check(krun_set_nested_virt(ctx, true), "krun_set_nested_virt");
	check(krun_set_workdir(ctx, "/"), "krun_set_workdir");
	check(krun_set_exec(ctx, argv[optind + 1], (const char *const *)&argv[optind + 2], env),
	      "krun_set_exec");
	check(krun_start_enter(ctx), "krun_start_enter");
	return 125;
}
