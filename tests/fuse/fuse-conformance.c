/* tests/fuse/fuse-conformance.c: POSIX behaviour of a FUSE mount of our server, checked through the mount and on the host directory behind it. */
/* Usage: fuse-conformance MNT SRC [overlay]  (MNT serves SRC; "overlay" when mounted with -O).
 * Run as root (names fuse/...) and as an unprivileged uid (fuse-uid/..., root-only cases skip). */
#include "check.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

static const char *mnt, *src, *pfx = "fuse";
static char pa[4096], pb[4096], pc[4096];

#define M(buf, name) (snprintf(buf, sizeof(buf), "%s/%s", mnt, name), buf)
#define S(buf, name) (snprintf(buf, sizeof(buf), "%s/%s", src, name), buf)

static int put(const char *path, const char *data)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, data, strlen(data));
	close(fd);
	return n == (ssize_t)strlen(data) ? 0 : -1;
}

static int get(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = 0;
	return 0;
}

static int t_create_rw(void)
{
	char buf[64];

	REQUIRE(!put(M(pa, "rw"), "hello world"), "write");
	REQUIRE(!get(M(pa, "rw"), buf, sizeof(buf)) && !strcmp(buf, "hello world"), "read back");
	REQUIRE(!get(S(pb, "rw"), buf, sizeof(buf)) && !strcmp(buf, "hello world"), "host copy");
	return 0;
}

static int t_append_trunc(void)
{
	char buf[64];
	int fd;

	REQUIRE(!put(M(pa, "app"), "abc"), "write");
	fd = open(pa, O_WRONLY | O_APPEND);
	REQUIRE(fd >= 0 && write(fd, "def", 3) == 3, "append");
	close(fd);
	REQUIRE(!get(pa, buf, sizeof(buf)) && !strcmp(buf, "abcdef"), "appended: %s", buf);
	fd = open(pa, O_WRONLY | O_TRUNC);
	REQUIRE(fd >= 0, "O_TRUNC open");
	close(fd);
	struct stat st;
	REQUIRE(!stat(pa, &st) && st.st_size == 0, "size after O_TRUNC");
	return 0;
}

static int t_rename(void)
{
	char buf[64];

	REQUIRE(!put(M(pa, "r1"), "x"), "write");
	REQUIRE(!rename(pa, M(pb, "r2")), "rename");
	REQUIRE(access(S(pc, "r1"), F_OK) && !get(S(pc, "r2"), buf, sizeof(buf)), "host view");
	return 0;
}

static int t_rename_noreplace(void)
{
	REQUIRE(!put(M(pa, "nr1"), "1") && !put(M(pb, "nr2"), "2"), "write");
	REQUIRE_ERR(renameat2(AT_FDCWD, pa, AT_FDCWD, pb, RENAME_NOREPLACE), EEXIST, EEXIST);
	REQUIRE(!renameat2(AT_FDCWD, pa, AT_FDCWD, M(pc, "nr3"), RENAME_NOREPLACE), "free target");
	return 0;
}

static int t_rename_exchange(void)
{
	char buf[64];

	REQUIRE(!put(M(pa, "ex1"), "one") && !put(M(pb, "ex2"), "two"), "write");
	REQUIRE(!renameat2(AT_FDCWD, pa, AT_FDCWD, pb, RENAME_EXCHANGE), "exchange");
	REQUIRE(!get(pa, buf, sizeof(buf)) && !strcmp(buf, "two"), "ex1 now %s", buf);
	REQUIRE(!get(S(pc, "ex2"), buf, sizeof(buf)) && !strcmp(buf, "one"), "host ex2 %s", buf);
	return 0;
}

static int t_link(void)
{
	struct stat a, b;

	REQUIRE(!put(M(pa, "l1"), "x"), "write");
	REQUIRE(!link(pa, M(pb, "l2")), "link");
	REQUIRE(!stat(pa, &a) && !stat(pb, &b), "stat");
	REQUIRE(a.st_ino == b.st_ino && b.st_nlink == 2, "ino %lu/%lu nlink %lu",
		(unsigned long)a.st_ino, (unsigned long)b.st_ino, (unsigned long)b.st_nlink);
	return 0;
}

static int t_symlink(void)
{
	char buf[64], tgt[64];
	ssize_t n;

	REQUIRE(!put(M(pa, "st"), "target-data"), "write");
	REQUIRE(!symlink("st", M(pb, "sl")), "symlink");
	n = readlink(pb, tgt, sizeof(tgt));
	REQUIRE(n == 2 && !memcmp(tgt, "st", 2), "readlink");
	REQUIRE(!get(pb, buf, sizeof(buf)) && !strcmp(buf, "target-data"), "follow");
	n = readlink(S(pc, "sl"), tgt, sizeof(tgt));
	REQUIRE(n == 2, "host readlink");
	return 0;
}

static int t_chmod(void)
{
	struct stat st;

	REQUIRE(!put(M(pa, "cm"), "x") && !chmod(pa, 0751), "chmod");
	REQUIRE(!stat(S(pb, "cm"), &st) && (st.st_mode & 07777) == 0751, "host mode %o",
		st.st_mode);
	return 0;
}

static int t_chown(void)
{
	if (geteuid())
		SKIP_CASE("chown to other ids needs root");
	struct stat st;

	REQUIRE(!put(M(pa, "co"), "x") && !chown(pa, 1234, 5678), "chown");
	REQUIRE(!stat(S(pb, "co"), &st) && st.st_uid == 1234 && st.st_gid == 5678, "host owner");
	REQUIRE(!stat(pa, &st) && st.st_uid == 1234, "mount owner");
	return 0;
}

static int t_truncate(void)
{
	struct stat st;
	int fd;

	REQUIRE(!put(M(pa, "tr"), "0123456789"), "write");
	REQUIRE(!truncate(pa, 4) && !stat(S(pb, "tr"), &st) && st.st_size == 4, "shrink");
	REQUIRE(!truncate(pa, 100000) && !stat(pb, &st) && st.st_size == 100000, "grow");
	fd = open(pa, O_RDWR);
	REQUIRE(fd >= 0 && !ftruncate(fd, 7) && !fstat(fd, &st) && st.st_size == 7, "ftruncate");
	close(fd);
	return 0;
}

static int t_utimens(void)
{
	struct timespec ts[2] = { { 1000000, 123 }, { 2000000, 456000 } };
	struct stat st;

	REQUIRE(!put(M(pa, "ut"), "x") && !utimensat(AT_FDCWD, pa, ts, 0), "utimensat");
	REQUIRE(!stat(S(pb, "ut"), &st) && st.st_atim.tv_sec == 1000000 &&
			st.st_mtim.tv_sec == 2000000 && st.st_mtim.tv_nsec == 456000,
		"host times");
	return 0;
}

static int t_xattr(void)
{
	char buf[256];
	ssize_t n;

	REQUIRE(!put(M(pa, "xa"), "x"), "write");
	if (setxattr(S(pb, "xa"), "user.probe", "1", 1, 0) && (errno == ENOTSUP))
		SKIP_CASE("host fs has no user xattrs");
	REQUIRE(!setxattr(pa, "user.k", "value", 5, 0), "setxattr");
	n = getxattr(pa, "user.k", buf, sizeof(buf));
	REQUIRE(n == 5 && !memcmp(buf, "value", 5), "getxattr %zd", n);
	REQUIRE(getxattr(pa, "user.k", NULL, 0) == 5, "size probe");
	n = listxattr(pa, buf, sizeof(buf));
	REQUIRE(n > 0 && memmem(buf, (size_t)n, "user.k", 7), "listxattr");
	REQUIRE_ERR(getxattr(pa, "user.k", buf, 2), ERANGE, ERANGE);
	REQUIRE(!removexattr(pa, "user.k"), "removexattr");
	REQUIRE_ERR(getxattr(pa, "user.k", buf, sizeof(buf)), ENODATA, ENODATA);
	REQUIRE_ERR(setxattr(pa, "user.k", "v", 1, XATTR_REPLACE), ENODATA, ENODATA);
	return 0;
}

/* Lock checks need a second process: locks of one process never conflict with themselves. */
static int child_status(pid_t pid)
{
	int status;

	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 99;
}

static int t_posix_locks(void)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 10 };
	int fd;
	pid_t pid;

	REQUIRE(!put(M(pa, "lk"), "0123456789"), "write");
	fd = open(pa, O_RDWR);
	REQUIRE(fd >= 0 && !fcntl(fd, F_SETLK, &fl), "F_SETLK");
	pid = fork();
	if (pid == 0) {
		int cfd = open(pa, O_RDWR);
		struct flock q = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_len = 5 };

		if (cfd < 0 || fcntl(cfd, F_GETLK, &q) || q.l_type != F_WRLCK || q.l_pid != getppid())
			_exit(1);
		q.l_type = F_RDLCK;
		_exit(fcntl(cfd, F_SETLK, &q) == 0 ? 2 : 0);
	}
	REQUIRE(child_status(pid) == 0, "conflict not seen by another process");
	fl.l_type = F_UNLCK;
	REQUIRE(!fcntl(fd, F_SETLK, &fl), "unlock");
	close(fd);
	return 0;
}

static int t_flock(void)
{
	int fd;
	pid_t pid;

	REQUIRE(!put(M(pa, "fl"), "x"), "write");
	fd = open(pa, O_RDWR);
	REQUIRE(fd >= 0 && !flock(fd, LOCK_EX), "flock");
	pid = fork();
	if (pid == 0) {
		int cfd = open(pa, O_RDWR);

		_exit(cfd >= 0 && flock(cfd, LOCK_EX | LOCK_NB) < 0 && errno == EWOULDBLOCK ? 0 : 1);
	}
	REQUIRE(child_status(pid) == 0, "second flock did not conflict");
	close(fd);
	return 0;
}

static int t_readdir_5000(void)
{
	int i, fd, count = 0, dots = 0;
	struct dirent *d;
	char name[64];
	DIR *dir;

	REQUIRE(!mkdir(M(pa, "many"), 0755), "mkdir");
	for (i = 0; i < 5000; i++) {
		snprintf(name, sizeof(name), "many/file-with-a-longish-name-%05d", i);
		fd = open(M(pb, name), O_CREAT | O_WRONLY, 0644);
		REQUIRE(fd >= 0, "create %d", i);
		close(fd);
	}
	dir = opendir(pa);
	REQUIRE(dir, "opendir");
	while ((d = readdir(dir))) {
		if (!strcmp(d->d_name, ".") || !strcmp(d->d_name, ".."))
			dots++;
		else if (!strncmp(d->d_name, "file-with-a-longish-name-", 25))
			count++;
	}
	closedir(dir);
	REQUIRE(count == 5000 && dots == 2, "saw %d entries, %d dots", count, dots);
	return 0;
}

static uint64_t fnv(uint64_t h, const uint8_t *p, size_t n)
{
	while (n--)
		h = (h ^ *p++) * 0x100000001b3ull;
	return h;
}

/* Checksum a whole file, read in (chunk)-sized pieces. */
static int sum_file(const char *path, uint64_t *sum, size_t chunk)
{
	uint8_t *buf = malloc(chunk);
	uint64_t h = 0xcbf29ce484222325ull;
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0 || !buf)
		return -1;
	while ((n = read(fd, buf, chunk)) > 0)
		h = fnv(h, buf, (size_t)n);
	close(fd);
	free(buf);
	*sum = h;
	return n < 0 ? -1 : 0;
}

static int t_large_file(void)
{
	const size_t chunk = 1 << 20, total = 256u << 20;
	uint64_t h = 0xcbf29ce484222325ull, hm, hs;
	uint8_t *buf = malloc(chunk);
	size_t off;
	int fd;

	REQUIRE(buf, "malloc");
	fd = open(M(pa, "large"), O_CREAT | O_WRONLY | O_TRUNC, 0644);
	REQUIRE(fd >= 0, "create");
	for (off = 0; off < total; off += chunk) {
		size_t i;

		for (i = 0; i < chunk; i += 8)
			*(uint64_t *)(buf + i) = (off + i) * 0x9e3779b97f4a7c15ull;
		h = fnv(h, buf, chunk);
		REQUIRE(write(fd, buf, chunk) == (ssize_t)chunk, "write at %zu", off);
	}
	REQUIRE(!close(fd), "close");
	free(buf);
	REQUIRE(!sum_file(pa, &hm, 128 << 10) && hm == h, "checksum through mount");
	REQUIRE(!sum_file(S(pb, "large"), &hs, 1 << 20) && hs == h, "checksum on host");
	unlink(pa);
	return 0;
}

static int t_sparse_seek(void)
{
	const off_t far = 16 << 20;
	off_t hole, data;
	int fd;

	fd = open(M(pa, "sparse"), O_CREAT | O_RDWR | O_TRUNC, 0644);
	REQUIRE(fd >= 0, "create");
	REQUIRE(pwrite(fd, "a", 1, 0) == 1 && pwrite(fd, "b", 1, far) == 1, "pwrite");
	REQUIRE(!fsync(fd), "fsync");
	hole = lseek(fd, 0, SEEK_HOLE);
	data = lseek(fd, hole, SEEK_DATA);
	REQUIRE(hole > 0 && hole < far, "SEEK_HOLE %lld", (long long)hole);
	REQUIRE(data <= far && data > hole, "SEEK_DATA %lld", (long long)data);
	REQUIRE_ERR(lseek(fd, far + 1, SEEK_DATA), ENXIO, ENXIO);
	close(fd);
	return 0;
}

static int t_fallocate(void)
{
	struct stat st;
	int fd;

	fd = open(M(pa, "falloc"), O_CREAT | O_RDWR | O_TRUNC, 0644);
	REQUIRE(fd >= 0, "create");
	REQUIRE(!fallocate(fd, 0, 0, 1 << 20), "fallocate");
	REQUIRE(!fstat(fd, &st) && st.st_size == 1 << 20 && st.st_blocks >= 2048, "allocated");
	REQUIRE(!fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, 512 << 10),
		"punch");
	REQUIRE(!stat(S(pb, "falloc"), &st) && st.st_blocks < 2048 && st.st_size == 1 << 20,
		"host after punch: %lld blocks", (long long)st.st_blocks);
	close(fd);
	return 0;
}

static int t_mkfifo(void)
{
	struct stat st;

	REQUIRE(!mkfifo(M(pa, "fifo"), 0644), "mkfifo");
	REQUIRE(!stat(pa, &st) && S_ISFIFO(st.st_mode), "mount type");
	REQUIRE(!lstat(S(pb, "fifo"), &st) && S_ISFIFO(st.st_mode), "host type");
	return 0;
}

static int t_statfs(void)
{
	struct statfs a, b;

	REQUIRE(!statfs(mnt, &a) && !statfs(src, &b), "statfs");
	REQUIRE(a.f_bsize == b.f_bsize && a.f_blocks == b.f_blocks && a.f_namelen == 255,
		"bsize %ld/%ld", (long)a.f_bsize, (long)b.f_bsize);
	return 0;
}

static int t_unlink_open(void)
{
	char buf[16] = { 0 };
	struct stat st;
	int fd;

	REQUIRE(!put(M(pa, "uo"), "keep"), "write");
	fd = open(pa, O_RDWR);
	REQUIRE(fd >= 0 && !unlink(pa), "unlink");
	REQUIRE(access(pa, F_OK) && access(S(pb, "uo"), F_OK), "still visible");
	REQUIRE(pread(fd, buf, 4, 0) == 4 && !strcmp(buf, "keep"), "read after unlink");
	REQUIRE(pwrite(fd, "more", 4, 4) == 4 && !fstat(fd, &st) && st.st_size == 8, "write");
	close(fd);
	return 0;
}

static int t_dirs(void)
{
	REQUIRE(!mkdir(M(pa, "dd"), 0700) && !mkdir(M(pb, "dd/sub"), 0700), "mkdir");
	REQUIRE_ERR(rmdir(pa), ENOTEMPTY, EEXIST);
	REQUIRE_ERR(mkdir(pa, 0700), EEXIST, EEXIST);
	REQUIRE(!rmdir(pb) && !rmdir(pa), "rmdir");
	REQUIRE_ERR(unlink(M(pa, "nonexistent")), ENOENT, ENOENT);
	return 0;
}

static int t_copy_range(void)
{
	char buf[64];
	int in, out;

	REQUIRE(!put(M(pa, "cfr1"), "copy me please"), "write");
	in = open(pa, O_RDONLY);
	out = open(M(pb, "cfr2"), O_CREAT | O_WRONLY, 0644);
	REQUIRE(in >= 0 && out >= 0, "open");
	REQUIRE(copy_file_range(in, NULL, out, NULL, 14, 0) == 14, "copy_file_range");
	close(in);
	close(out);
	REQUIRE(!get(S(pc, "cfr2"), buf, sizeof(buf)) && !strcmp(buf, "copy me please"), "copy");
	return 0;
}

/* New files belong to the caller; the host enforces permissions with the caller's ids. */
static int t_credentials(void)
{
	struct stat st;
	pid_t pid;

	if (geteuid())
		SKIP_CASE("switching ids needs root");
	REQUIRE(!mkdir(M(pa, "open"), 0777) && !chmod(pa, 0777) && !mkdir(M(pb, "closed"), 0755),
		"mkdir");
	pid = fork();
	if (pid == 0) {
		if (setgid(4321) || setuid(4321))
			_exit(3);
		char buf[8];

		if (put(M(pa, "open/mine"), "x") || get(pa, buf, sizeof(buf)) || strcmp(buf, "x"))
			_exit(1);
		_exit(put(M(pb, "closed/nope"), "x") == 0 ? 2 : 0);
	}
	REQUIRE(child_status(pid) == 0, "unprivileged child misbehaved");
	REQUIRE(!stat(S(pc, "open/mine"), &st) && st.st_uid == 4321 && st.st_gid == 4321,
		"owner %u:%u", st.st_uid, st.st_gid);
	return 0;
}

static int t_overlay(void)
{
	char buf[64];
	struct stat st;

	REQUIRE(!get(M(pa, "virt-dir/hello.txt"), buf, sizeof(buf)) &&
			!strcmp(buf, "hello from the overlay\n"), "overlay read");
	REQUIRE_ERR(open(pa, O_WRONLY), EACCES, EROFS);
	REQUIRE(!stat(M(pb, "oneshot.txt"), &st) && st.st_mode == (S_IFREG | 0755), "one-shot");
	REQUIRE_ERR(stat(pb, &st), ENOENT, ENOENT);
	REQUIRE_ERR(mkdir(M(pc, "virt-dir/new"), 0755), EROFS, EPERM);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: %s MNT SRC [overlay]\n", argv[0]);
		return 2;
	}
	mnt = argv[1];
	src = argv[2];
	if (geteuid())	/* the unprivileged run reports under its own names */
		pfx = "fuse-uid";
	if (argc > 3)
		check_run(pfx, "overlay", t_overlay);
	check_run(pfx, "create_rw", t_create_rw);
	check_run(pfx, "append_trunc", t_append_trunc);
	check_run(pfx, "rename", t_rename);
	check_run(pfx, "rename2_noreplace", t_rename_noreplace);
	check_run(pfx, "rename2_exchange", t_rename_exchange);
	check_run(pfx, "link", t_link);
	check_run(pfx, "symlink_readlink", t_symlink);
	check_run(pfx, "chmod", t_chmod);
	check_run(pfx, "chown", t_chown);
	check_run(pfx, "truncate", t_truncate);
	check_run(pfx, "utimens", t_utimens);
	check_run(pfx, "xattr", t_xattr);
	check_run(pfx, "posix_locks", t_posix_locks);
	check_run(pfx, "flock", t_flock);
	check_run(pfx, "readdir_5000", t_readdir_5000);
	check_run(pfx, "large_file_256M", t_large_file);
	check_run(pfx, "sparse_seek", t_sparse_seek);
	check_run(pfx, "fallocate", t_fallocate);
	check_run(pfx, "mkfifo", t_mkfifo);
	check_run(pfx, "statfs", t_statfs);
	check_run(pfx, "unlink_while_open", t_unlink_open);
	check_run(pfx, "mkdir_rmdir", t_dirs);
	check_run(pfx, "copy_file_range", t_copy_range);
	check_run(pfx, "credentials", t_credentials);
	return check_fails ? 1 : 0;
}
