/* tests/e2e-fs/krun-fs.c: boots a guest whose root is a read-only share or an overlay-only filesystem, through the public API (virtio-fs e2e cases). */
/*
 * Usage:
 *   krun-fs ro-root DIR -- CMD [ARGS...]        DIR shared read-only as the root
 *   krun-fs overlay-root BINARY -- CMD [ARGS...] no host directory: overlay dirs
 *       bin, dev, proc, sys, etc, file etc/hostname, and BINARY as bin/fs-guest
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "libkrun.h"

static void check(int ret, const char *what)
{
	if (ret < 0) {
		fprintf(stderr, "krun-fs: %s: %s\n", what, strerror(-ret));
		exit(125);
	}
}

/* The whole file in memory (the overlay does not copy it; it lives until exit). */
static uint8_t *slurp(const char *p, size_t *len)
{
	struct stat st;
	uint8_t *buf;
	int fd = open(p, O_RDONLY);

	if (fd < 0 || fstat(fd, &st) < 0 || !(buf = malloc((size_t)st.st_size + 1)) ||
	    read(fd, buf, (size_t)st.st_size) != st.st_size) {
		perror(p);
		exit(125);
	}
	close(fd);
	*len = (size_t)st.st_size;
	return buf;
}

static void overlay_root(uint32_t ctx, const char *binary)
{
	static const uint8_t hostname[] = "overlay-vm\n";
	static const char *dirs[] = { "bin", "dev", "proc", "sys", "etc", "tmp" };
	uint8_t *bin;
	size_t len;

	check(krun_add_virtiofs3(ctx, "/dev/root", NULL, 0, false), "krun_add_virtiofs3(NULL)");
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		check(krun_fs_add_overlay_dir(ctx, "/dev/root", dirs[i], 0755), dirs[i]);
	check(krun_fs_add_overlay_file(ctx, "/dev/root", "etc/hostname", hostname,
				       sizeof(hostname) - 1, 0100644, false), "etc/hostname");
	bin = slurp(binary, &len);
	check(krun_fs_add_overlay_file(ctx, "/dev/root", "bin/fs-guest", bin, len, 0100755, false),
	      "bin/fs-guest");
}

int main(int argc, char **argv)
{
	static const char *const envp[] = { "PATH=/bin:/usr/bin", NULL };
	uint32_t ctx;
	int ret;

	if (argc < 5 || strcmp(argv[3], "--")) {
		fprintf(stderr, "usage: krun-fs ro-root DIR | overlay-root BINARY -- CMD [ARGS...]\n");
		return 2;
	}
	if (getenv("KRUN_FS_LOG"))
		krun_set_log_level((uint32_t)atoi(getenv("KRUN_FS_LOG")));
	ret = krun_create_ctx();
	check(ret, "krun_create_ctx");
	ctx = (uint32_t)ret;
	check(krun_set_vm_config(ctx, 1, 256), "krun_set_vm_config");
	if (!strcmp(argv[1], "ro-root"))
		check(krun_add_virtiofs3(ctx, "/dev/root", argv[2], 0, true), "krun_add_virtiofs3");
	else if (!strcmp(argv[1], "overlay-root"))
		overlay_root(ctx, argv[2]);
	else
		return 2;
	check(krun_set_workdir(ctx, "/"), "krun_set_workdir");
	check(krun_set_exec(ctx, argv[4], (const char *const *)&argv[5], envp), "krun_set_exec");
	check(krun_start_enter(ctx), "krun_start_enter");
	return 125;
}
