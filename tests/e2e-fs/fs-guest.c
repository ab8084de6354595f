/* tests/e2e-fs/fs-guest.c: static guest program for the virtio-fs e2e cases; prints "GUEST-PASS name" or "GUEST-FAIL name: why" per case. */
/*
 * Usage (inside the guest):
 *   fs-guest rw DIR          fallocate, readdir-rewind, rename-fchmod in DIR
 *   fs-guest mknod DIR       char and block nodes in DIR
 *   fs-guest readonly FILE   every mutation of FILE and its directory fails with EROFS
 *   fs-guest overlay         the overlay-only root: listing, reads, no writes
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <sys/xattr.h>
#include <unistd.h>

#ifndef FALLOC_FL_KEEP_SIZE
#define FALLOC_FL_KEEP_SIZE 1
#endif
#ifndef FALLOC_FL_PUNCH_HOLE
#define FALLOC_FL_PUNCH_HOLE 2
#endif

static char why[512];
static int fails;

/* Inside a case: record why and return -1. */
#define REQUIRE(cond, ...)                                                     \
	do {                                                                   \
		if (!(cond)) {                                                 \
			int e_ = errno;                                        \
			int n_ = snprintf(why, sizeof(why), __VA_ARGS__);      \
			snprintf(why + n_, sizeof(why) - (size_t)n_,           \
				 " [line %d, errno %s]", __LINE__, strerror(e_)); \
			return -1;                                             \
		}                                                              \
	} while (0)

static void run(const char *name, int (*fn)(const char *), const char *arg)
{
	why[0] = 0;
	if (fn(arg) == 0) {
		printf("GUEST-PASS %s\n", name);
	} else {
		printf("GUEST-FAIL %s: %s\n", name, why);
		fails++;
	}
	fflush(stdout);
}

static char *path(const char *dir, const char *name)
{
	static char buf[8][512];
	static int i;

	i = (i + 1) % 8;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", dir, name);
	return buf[i];
}

static int touch(const char *p)
{
	int fd = open(p, O_CREAT | O_WRONLY, 0644);

	return fd < 0 ? -1 : close(fd);
}

/* fallocate: plain, keep-size, punch-hole; punch-hole without keep-size fails. */
static int t_fallocate(const char *dir)
{
	char buf[4096], z[4096] = { 0 };
	struct stat st;
	int fd = open(path(dir, "falloc"), O_CREAT | O_RDWR, 0644);

	REQUIRE(fd >= 0, "open");
	REQUIRE(fallocate(fd, 0, 0, 1 << 20) == 0, "fallocate plain");
	REQUIRE(fstat(fd, &st) == 0 && st.st_size == 1 << 20, "size %lld", (long long)st.st_size);
	REQUIRE(st.st_blocks >= (1 << 20) / 512, "blocks %lld", (long long)st.st_blocks);
	REQUIRE(fallocate(fd, FALLOC_FL_KEEP_SIZE, 1 << 20, 1 << 20) == 0, "keep-size");
	REQUIRE(fstat(fd, &st) == 0 && st.st_size == 1 << 20, "keep-size changed size");
	REQUIRE(st.st_blocks >= (2 << 20) / 512, "keep-size blocks %lld", (long long)st.st_blocks);
	memset(buf, 'x', sizeof(buf));
	REQUIRE(pwrite(fd, buf, sizeof(buf), 0) == sizeof(buf), "pwrite");
	REQUIRE(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, 4096) == 0, "punch");
	REQUIRE(pread(fd, buf, sizeof(buf), 0) == sizeof(buf) && !memcmp(buf, z, sizeof(z)),
		"punched range not zero");
	REQUIRE(fstat(fd, &st) == 0 && st.st_size == 1 << 20, "punch changed size");
	errno = 0;
	REQUIRE(fallocate(fd, FALLOC_FL_PUNCH_HOLE, 0, 4096) < 0, "punch without keep-size worked");
	close(fd);
	return 0;
}

/* Names in DIR (no dots) as one sorted-insensitive count; fails on a duplicate. */
static int list(DIR *d, char names[][256], int max, int *n)
{
	struct dirent *e;

	*n = 0;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		for (int i = 0; i < *n; i++)
			REQUIRE(strcmp(names[i], e->d_name), "duplicate entry %s", e->d_name);
		REQUIRE(*n < max, "too many entries");
		snprintf(names[(*n)++], 256, "%s", e->d_name);
	}
	return 0;
}

static int has(char names[][256], int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(names[i], name))
			return 1;
	return 0;
}

/* readdir after rewinddir sees every change made in between; no duplicates while files appear. */
static int t_readdir_rewind(const char *top)
{
	static char names[512][256];
	char dir[256];
	struct dirent *e;
	int n, seen = 0;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/rd", top);
	REQUIRE(mkdir(dir, 0755) == 0, "mkdir");
	REQUIRE(!touch(path(dir, "a")) && !touch(path(dir, "b")) && !mkdir(path(dir, "d"), 0755),
		"populate");
	d = opendir(dir);
	REQUIRE(d, "opendir");
	REQUIRE(!list(d, names, 512, &n) && n == 3, "first listing: %d entries", n);
	REQUIRE(!touch(path(dir, "c")) && !unlink(path(dir, "a")) && !mkdir(path(dir, "e"), 0755) &&
		!rmdir(path(dir, "d")) && !symlink("b", path(dir, "s")) &&
		!link(path(dir, "b"), path(dir, "h")) && !rename(path(dir, "c"), path(dir, "r")),
		"changes");
	rewinddir(d);
	if (list(d, names, 512, &n))
		return -1;
	REQUIRE(n == 5 && has(names, n, "b") && has(names, n, "e") && has(names, n, "s") &&
		has(names, n, "h") && has(names, n, "r") && !has(names, n, "a") &&
		!has(names, n, "c") && !has(names, n, "d"), "after rewind: %d entries", n);
	/* files appearing mid-iteration: each name at most once */
	rewinddir(d);
	n = 0;
	while ((e = readdir(d))) {
		if (seen++ == 2)
			for (int i = 0; i < 200; i++) {
				char nm[16];

				snprintf(nm, sizeof(nm), "new%d", i);
				REQUIRE(!touch(path(dir, nm)), "create mid-iteration");
			}
		for (int i = 0; i < n; i++)
			REQUIRE(strcmp(names[i], e->d_name), "duplicate %s mid-iteration", e->d_name);
		REQUIRE(n < 512, "too many");
		snprintf(names[n++], 256, "%s", e->d_name);
	}
	closedir(d);
	return 0;
}

/* rename over a file that is open, then fchmod on the old file's fd. */
static int t_rename_fchmod(const char *dir)
{
	struct stat st, st2;
	int fd;

	fd = open(path(dir, "victim"), O_CREAT | O_RDWR, 0644);
	REQUIRE(fd >= 0 && !touch(path(dir, "newer")) && !chmod(path(dir, "newer"), 0640), "setup");
	REQUIRE(!rename(path(dir, "newer"), path(dir, "victim")), "rename over open file");
	REQUIRE(!fchmod(fd, 0600), "fchmod on the replaced file's fd");
	REQUIRE(!fstat(fd, &st) && (st.st_mode & 07777) == 0600, "fstat mode %o", st.st_mode & 07777);
	REQUIRE(!stat(path(dir, "victim"), &st2) && (st2.st_mode & 07777) == 0640 &&
		st2.st_ino != st.st_ino, "the new file changed (%o)", st2.st_mode & 07777);
	REQUIRE(write(fd, "x", 1) == 1, "write to the replaced file");
	close(fd);
	return 0;
}

static int dtype_is(const char *dir, const char *name, unsigned char want);

/* A char and a block node: real nodes in the guest, /dev/null behaviour through the char one. */
static int t_mknod_device(const char *dir)
{
	char buf[8];
	struct stat st;
	int fd;

	REQUIRE(!mknod(path(dir, "null"), S_IFCHR | 0666, makedev(1, 3)), "mknod char 1:3");
	REQUIRE(!mknod(path(dir, "blk"), S_IFBLK | 0640, makedev(7, 0)), "mknod block 7:0");
	REQUIRE(!stat(path(dir, "null"), &st) && S_ISCHR(st.st_mode) &&
		st.st_rdev == makedev(1, 3) && (st.st_mode & 07777) == 0666,
		"char node mode %o rdev %u:%u", st.st_mode, major(st.st_rdev), minor(st.st_rdev));
	REQUIRE(!stat(path(dir, "blk"), &st) && S_ISBLK(st.st_mode) &&
		st.st_rdev == makedev(7, 0) && (st.st_mode & 07777) == 0640, "block node mode %o",
		st.st_mode);
	fd = open(path(dir, "null"), O_RDWR);
	REQUIRE(fd >= 0 && write(fd, "discard", 7) == 7 && read(fd, buf, sizeof(buf)) == 0,
		"null-like behaviour");
	close(fd);
	REQUIRE(!chown(path(dir, "null"), 1000, 1001) && !chmod(path(dir, "null"), 0620), "chown/chmod");
	REQUIRE(!stat(path(dir, "null"), &st) && S_ISCHR(st.st_mode) && st.st_uid == 1000 &&
		st.st_gid == 1001 && (st.st_mode & 07777) == 0620, "after chown/chmod");
	REQUIRE(!rename(path(dir, "blk"), path(dir, "blk2")) && !stat(path(dir, "blk2"), &st) &&
		S_ISBLK(st.st_mode), "renamed node");
	return dtype_is(dir, "null", DT_CHR) || dtype_is(dir, "blk2", DT_BLK);
}

/* readdir's d_type of (name) in (dir) is (want): `find -type c` sees devices. */
static int dtype_is(const char *dir, const char *name, unsigned char want)
{
	struct dirent *e;
	int found = -1;
	DIR *d = opendir(dir);

	REQUIRE(d, "opendir");
	while ((e = readdir(d)))
		if (!strcmp(e->d_name, name))
			found = e->d_type;
	closedir(d);
	REQUIRE(found == want, "%s: d_type %d, want %d", name, found, want);
	return 0;
}

static int expect_erofs(const char *what, int ret)
{
	REQUIRE(ret < 0 && errno == EROFS, "%s: %s", what, ret < 0 ? "wrong error" : "succeeded");
	return 0;
}

#define EROFS_CASE(what, expr) do { errno = 0; if (expect_erofs(what, (int)(expr))) return -1; } while (0)

/* 17 kinds of mutation on a read-only root: all EROFS. */
static int t_readonly(const char *file)
{
	char dir[256], *slash;
	struct timeval tv[2] = { { 1, 0 }, { 1, 0 } };

	snprintf(dir, sizeof(dir), "%s", file);
	slash = strrchr(dir, '/');
	*slash = 0;
	EROFS_CASE("create", open(path(dir, "new"), O_CREAT | O_WRONLY, 0644));
	EROFS_CASE("open-wronly", open(file, O_WRONLY));
	EROFS_CASE("open-rdwr", open(file, O_RDWR));
	EROFS_CASE("open-trunc", open(file, O_RDONLY | O_TRUNC));
	EROFS_CASE("truncate", truncate(file, 0));
	EROFS_CASE("unlink", unlink(file));
	EROFS_CASE("rename", rename(file, path(dir, "moved")));
	EROFS_CASE("mkdir", mkdir(path(dir, "newdir"), 0755));
	EROFS_CASE("rmdir", rmdir(path(dir, "subdir")));
	EROFS_CASE("symlink", symlink("x", path(dir, "sl")));
	EROFS_CASE("link", link(file, path(dir, "hl")));
	EROFS_CASE("chmod", chmod(file, 0777));
	EROFS_CASE("chown", chown(file, 1, 1));
	EROFS_CASE("utimes", utimes(file, tv));
	EROFS_CASE("setxattr", setxattr(file, "user.x", "1", 1, 0));
	EROFS_CASE("removexattr", removexattr(file, "user.keep"));
	EROFS_CASE("mkfifo", mkfifo(path(dir, "fifo"), 0644));
	return 0;
}

/* The overlay-only root: lists its directories, serves its files, refuses writes. */
static int t_overlay(const char *unused)
{
	static char names[256][256];
	char buf[256] = { 0 };
	int fd, n;
	DIR *d = opendir("/");

	REQUIRE(d && !list(d, names, 64, &n), "list /");
	closedir(d);
	REQUIRE(has(names, n, "bin") && has(names, n, "etc") && has(names, n, "proc") &&
		!has(names, n, "init.krun"), "/ lists %d entries", n);
	fd = open("/etc/hostname", O_RDONLY);
	REQUIRE(fd >= 0 && read(fd, buf, sizeof(buf) - 1) > 0 && !strcmp(buf, "overlay-vm\n"),
		"/etc/hostname '%s'", buf);
	close(fd);
	errno = 0;
	REQUIRE(open("/etc/hostname", O_WRONLY) < 0 && (errno == EACCES || errno == EROFS),
		"write open of an overlay file");
	errno = 0;
	REQUIRE(mkdir("/etc/new", 0755) < 0 && (errno == EROFS || errno == EPERM),
		"mkdir in an overlay dir");
	return 0;
}

int main(int argc, char **argv)
{
	umask(0);	/* modes below are the ones asked for */
	if (argc >= 3 && !strcmp(argv[1], "rw")) {
		run("fs-fallocate", t_fallocate, argv[2]);
		run("fs-readdir-rewind", t_readdir_rewind, argv[2]);
		run("fs-rename-fchmod", t_rename_fchmod, argv[2]);
	} else if (argc >= 3 && !strcmp(argv[1], "mknod")) {
		run("fs-mknod-device", t_mknod_device, argv[2]);
	} else if (argc >= 3 && !strcmp(argv[1], "readonly")) {
		run("fs-readonly-mutations", t_readonly, argv[2]);
	} else if (argc >= 2 && !strcmp(argv[1], "overlay")) {
		run("fs-overlay-root", t_overlay, NULL);
	} else {
		fprintf(stderr, "usage: fs-guest rw DIR | mknod DIR | readonly FILE | overlay\n");
		return 2;
	}
	return fails ? 1 : 0;
}
