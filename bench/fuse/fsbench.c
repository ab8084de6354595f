/* bench/fuse/fsbench.c: the filesystem bench's workloads run inside a guest (static): seq write/read, create/unlink, tar x, ls -lR cold/warm, rm -rf in one directory; prints "FSB <dir-label> <workload> <seconds>". */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MIB (1u << 20)

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Guest page cache, dentries and inodes out: the next access goes to the device. */
static void drop_caches(void)
{
	int fd = open("/proc/sys/vm/drop_caches", O_WRONLY);

	sync();
	if (fd >= 0) {
		if (write(fd, "3", 1) < 0)
			perror("fsbench: drop_caches");
		close(fd);
	}
}

/* Run argv with stdout to /dev/null; 0 if it exited 0. */
static int run(char *const argv[])
{
	int st;
	pid_t p = fork();

	if (p == 0) {
		int fd = open("/dev/null", O_WRONLY);

		dup2(fd, 1);
		execvp(argv[0], argv);
		_exit(127);
	}
	if (p < 0 || waitpid(p, &st, 0) < 0)
		return -1;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

static int seq_write(const char *path, unsigned mib)
{
	char *buf = calloc(1, MIB);
	int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0644), ret = 0;
	unsigned i;

	if (fd < 0 || !buf)
		return -1;
	for (i = 0; i < mib && !ret; i++)
		ret = write(fd, buf, MIB) == (ssize_t)MIB ? 0 : -1;
	if (fsync(fd) < 0)
		ret = -1;
	close(fd);
	free(buf);
	return ret;
}

static int seq_read(const char *path)
{
	char *buf = malloc(MIB);
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0 || !buf)
		return -1;
	while ((n = read(fd, buf, MIB)) > 0)
		;
	close(fd);
	free(buf);
	return n < 0 ? -1 : 0;
}

static int create_files(const char *dir, unsigned n)
{
	char p[4200];
	unsigned i;
	int fd;

	for (i = 0; i < n; i++) {
		snprintf(p, sizeof(p), "%s/f%u", dir, i);
		fd = open(p, O_CREAT | O_WRONLY, 0644);
		if (fd < 0)
			return -1;
		close(fd);
	}
	return 0;
}

static int unlink_files(const char *dir, unsigned n)
{
	char p[4200];
	unsigned i;

	for (i = 0; i < n; i++) {
		snprintf(p, sizeof(p), "%s/f%u", dir, i);
		if (unlink(p) < 0)
			return -1;
	}
	return 0;
}

/*
 * A fresh guest's first touch of a RAM page is a nested page fault, which
 * costs more than the write itself in the nested TCG VM: touch the next
 * write's worth of pages once and give them back, so the page cache the
 * timed write fills is made of pages the host has already mapped.
 */
static void warm_ram(unsigned mib)
{
	size_t len = (size_t)(mib + 16) * MIB;
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE,
		       -1, 0);

	if (p != MAP_FAILED)
		munmap(p, len);
}

static void report(const char *label, const char *what, double t0, int ok)
{
	if (ok == 0)
		printf("FSB %s %s %.6f\n", label, what, now() - t0);
	else
		printf("FSB %s %s failed: %s\n", label, what, strerror(errno));
	fflush(stdout);
}

int main(int argc, char **argv)
{
	char big[4096], meta[4096], tree[4096];
	const char *label, *dir, *tarball;
	unsigned mib, nfiles;
	double t0;

	if (argc != 6) {
		fprintf(stderr, "usage: fsbench LABEL DIR TARBALL SIZE_MIB NFILES\n");
		return 2;
	}
	label = argv[1], dir = argv[2], tarball = argv[3];
	mib = (unsigned)atoi(argv[4]), nfiles = (unsigned)atoi(argv[5]);
	snprintf(big, sizeof(big), "%s/big", dir);
	snprintf(meta, sizeof(meta), "%s/meta", dir);
	snprintf(tree, sizeof(tree), "%s/tree", dir);

	warm_ram(mib);
	/* and once more on DIR: in the nested VM, the host side's first touch of the
	 * memory behind the shared directory costs as much (untimed) */
	if (seq_write(big, mib) == 0)
		unlink(big);
	drop_caches();
	t0 = now();
	report(label, "write", t0, seq_write(big, mib));
	drop_caches();
	t0 = now();
	report(label, "read", t0, seq_read(big));
	unlink(big);
	mkdir(meta, 0755);
	t0 = now();
	report(label, "create", t0, create_files(meta, nfiles));
	t0 = now();
	report(label, "unlink", t0, unlink_files(meta, nfiles));
	rmdir(meta);
	drop_caches();
	mkdir(tree, 0755);
	t0 = now();
	report(label, "tarx", t0, run((char *[]){ "tar", "xf", (char *)tarball, "-C", tree, NULL }));
	drop_caches();
	t0 = now();
	report(label, "lscold", t0, run((char *[]){ "ls", "-lR", tree, NULL }));
	t0 = now();
	report(label, "lswarm", t0, run((char *[]){ "ls", "-lR", tree, NULL }));
	t0 = now();
	report(label, "rmrf", t0, run((char *[]){ "rm", "-rf", tree, NULL }));
	return 0;
}
