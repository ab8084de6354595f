/* tests/fuse/fuse-escape.c: attempts to reach host files outside the shared directory through a FUSE mount of our server; each must fail or stay inside. */
/*
 * Usage: fuse-escape MNT SRC OUT
 * SRC is served at MNT; OUT is a host directory next to SRC (SRC/../<out>)
 * holding "secret". MNT must not have a sibling of that name, so a relative
 * symlink resolved by the guest-side kernel misses while one resolved by a
 * buggy server on the host would hit the secret. Absolute symlinks are
 * resolved by the host kernel itself in this setting, so they are only
 * exercised with operations that must not follow them.
 */
#include "check.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

static const char *mnt, *src, *out;
static char outname[256], pa[4096], pb[4096], secret[4096];
static struct stat secret_st;

#define M(buf, name) (snprintf(buf, sizeof(buf), "%s/%s", mnt, name), buf)
#define S(buf, name) (snprintf(buf, sizeof(buf), "%s/%s", src, name), buf)
#define O(buf, name) (snprintf(buf, sizeof(buf), "%s/%s", out, name), buf)

/* The secret must be byte-for-byte, mode, owner and time untouched. */
static int secret_intact(void)
{
	struct stat st;
	char buf[64] = { 0 };
	int fd = open(secret, O_RDONLY);

	if (fd < 0 || read(fd, buf, sizeof(buf) - 1) < 0)
		return 0;
	close(fd);
	if (lstat(secret, &st) || strcmp(buf, "top secret\n"))
		return 0;
	return st.st_mode == secret_st.st_mode && st.st_uid == secret_st.st_uid &&
	       st.st_gid == secret_st.st_gid && st.st_size == secret_st.st_size &&
	       st.st_mtim.tv_sec == secret_st.st_mtim.tv_sec &&
	       st.st_mtim.tv_nsec == secret_st.st_mtim.tv_nsec && st.st_nlink == 1;
}

static int host_symlink(const char *target, const char *name)
{
	unlink(S(pb, name));
	return symlink(target, pb);
}

/* Opening must fail, or at least not yield the secret's bytes. */
static int no_secret_via(const char *path, int flags)
{
	char buf[64] = { 0 };
	int fd = open(path, flags);

	if (fd < 0)
		return 1;
	if (read(fd, buf, sizeof(buf) - 1) > 0 && strstr(buf, "top secret")) {
		close(fd);
		return 0;
	}
	close(fd);
	return 1;
}

static int t_dotdot_root(void)
{
	snprintf(pa, sizeof(pa), "%s/../%s/secret", mnt, outname);
	REQUIRE(no_secret_via(pa, O_RDONLY), "read the secret via ..");
	return 0;
}

static int t_dotdot_deep(void)
{
	mkdir(M(pa, "deep"), 0755);
	mkdir(M(pa, "deep/er"), 0755);
	snprintf(pa, sizeof(pa), "%s/deep/er/../../../%s/secret", mnt, outname);
	REQUIRE(no_secret_via(pa, O_RDONLY), "read the secret via deep ..");
	return 0;
}

static int t_dotdot_openat(void)
{
	int dfd = open(mnt, O_RDONLY | O_DIRECTORY);
	char rel[300];

	REQUIRE(dfd >= 0, "open mnt");
	snprintf(rel, sizeof(rel), "../%s/secret", outname);
	int fd = openat(dfd, rel, O_RDONLY);
	close(dfd);
	REQUIRE(fd < 0, "openat(root, ../out/secret) succeeded");
	return 0;
}

static int t_rel_symlink_open(void)
{
	snprintf(pa, sizeof(pa), "../%s/secret", outname);
	REQUIRE(!host_symlink(pa, "lrel"), "host symlink");
	REQUIRE(no_secret_via(M(pa, "lrel"), O_RDONLY), "relative symlink reached the secret");
	return 0;
}

static int t_rel_symlink_write(void)
{
	REQUIRE(no_secret_via(M(pa, "lrel"), O_RDWR | O_TRUNC), "open rw");
	REQUIRE(secret_intact(), "secret modified");
	return 0;
}

static int t_rel_symlink_chmod(void)
{
	chmod(M(pa, "lrel"), 0777);
	REQUIRE(secret_intact(), "secret mode changed");
	return 0;
}

static int t_rel_symlink_truncate(void)
{
	truncate(M(pa, "lrel"), 0);
	REQUIRE(secret_intact(), "secret truncated");
	return 0;
}

static int t_rel_dir_symlink_mkdir(void)
{
	snprintf(pa, sizeof(pa), "../%s", outname);
	REQUIRE(!host_symlink(pa, "lreldir"), "host symlink");
	mkdir(M(pa, "lreldir/newdir"), 0755);
	REQUIRE(access(O(pb, "newdir"), F_OK), "directory created outside");
	return 0;
}

static int t_rel_dir_symlink_create(void)
{
	int fd = open(M(pa, "lreldir/newfile"), O_CREAT | O_WRONLY, 0644);

	if (fd >= 0)
		close(fd);
	REQUIRE(access(O(pb, "newfile"), F_OK), "file created outside");
	return 0;
}

static int t_rel_dir_symlink_rename(void)
{
	int fd = open(M(pa, "mover"), O_CREAT | O_WRONLY, 0644);

	close(fd);
	rename(pa, M(pb, "lreldir/moved"));
	REQUIRE(access(O(pa, "moved"), F_OK), "renamed outside");
	return 0;
}

static int t_abs_symlink_lstat(void)
{
	struct stat st;

	REQUIRE(!host_symlink(secret, "labs"), "host symlink");
	REQUIRE(!lstat(M(pa, "labs"), &st) && S_ISLNK(st.st_mode) &&
			st.st_size == (off_t)strlen(secret), "lstat is not the link");
	return 0;
}

static int t_abs_symlink_lchown(void)
{
	struct stat st;

	REQUIRE(!lchown(M(pa, "labs"), 4242, 4242), "lchown");
	REQUIRE(!lstat(S(pb, "labs"), &st) && st.st_uid == 4242, "link not changed");
	REQUIRE(secret_intact(), "secret owner changed");
	return 0;
}

static int t_abs_symlink_utimens(void)
{
	struct timespec ts[2] = { { 1, 0 }, { 1, 0 } };

	utimensat(AT_FDCWD, M(pa, "labs"), ts, AT_SYMLINK_NOFOLLOW);
	REQUIRE(secret_intact(), "secret times changed");
	return 0;
}

static int t_abs_symlink_lsetxattr(void)
{
	lsetxattr(M(pa, "labs"), "user.evil", "1", 1, 0);
	lsetxattr(pa, "trusted.evil", "1", 1, 0);
	REQUIRE(getxattr(secret, "user.evil", NULL, 0) < 0 &&
			getxattr(secret, "trusted.evil", NULL, 0) < 0, "xattr landed on the secret");
	return 0;
}

static int t_abs_symlink_lgetxattr(void)
{
	char buf[256] = { 0 };
	ssize_t n;

	if (setxattr(secret, "user.hidden", "classified", 10, 0) && errno == ENOTSUP)
		SKIP_CASE("no user xattrs on host fs");
	n = lgetxattr(M(pa, "labs"), "user.hidden", buf, sizeof(buf));
	REQUIRE(n < 0, "lgetxattr read the secret's xattr");
	n = llistxattr(pa, buf, sizeof(buf));
	REQUIRE(n <= 0 || !memmem(buf, (size_t)n, "user.hidden", 11), "llistxattr leaked");
	removexattr(secret, "user.hidden");
	return 0;
}

static int t_abs_symlink_onofollow(void)
{
	REQUIRE_ERR(open(M(pa, "labs"), O_RDONLY | O_NOFOLLOW), ELOOP, ELOOP);
	return 0;
}

static int t_abs_symlink_opath_fchown(void)
{
	int fd = open(M(pa, "labs"), O_PATH | O_NOFOLLOW);

	REQUIRE(fd >= 0, "O_PATH open");
	fchownat(fd, "", 777, 777, AT_EMPTY_PATH);
	close(fd);
	REQUIRE(secret_intact(), "secret owner changed via O_PATH");
	return 0;
}

static int t_readlink_verbatim(void)
{
	char buf[4096];
	ssize_t n = readlink(M(pa, "labs"), buf, sizeof(buf));

	REQUIRE(n == (ssize_t)strlen(secret) && !memcmp(buf, secret, (size_t)n), "target rewritten");
	return 0;
}

static int t_rename_onto_symlink(void)
{
	char buf[64] = { 0 };
	int fd = open(M(pa, "victim"), O_CREAT | O_WRONLY | O_TRUNC, 0644);

	REQUIRE(fd >= 0 && write(fd, "replacement", 11) == 11, "write");
	close(fd);
	REQUIRE(!host_symlink(secret, "labs2"), "host symlink");
	REQUIRE(!rename(pa, M(pb, "labs2")), "rename");
	fd = open(S(pa, "labs2"), O_RDONLY | O_NOFOLLOW);
	REQUIRE(fd >= 0 && read(fd, buf, sizeof(buf)) == 11, "link not replaced");
	close(fd);
	REQUIRE(secret_intact(), "secret replaced");
	return 0;
}

static int t_exchange_with_symlink(void)
{
	int fd = open(M(pa, "xfile"), O_CREAT | O_WRONLY, 0644);
	struct stat st;

	close(fd);
	REQUIRE(!host_symlink(secret, "labs3"), "host symlink");
	REQUIRE(!renameat2(AT_FDCWD, pa, AT_FDCWD, M(pb, "labs3"), RENAME_EXCHANGE), "exchange");
	REQUIRE(!lstat(S(pa, "xfile"), &st) && S_ISLNK(st.st_mode), "names not swapped");
	REQUIRE(secret_intact(), "secret touched");
	return 0;
}

static int t_link_symlink(void)
{
	struct stat st;

	REQUIRE(!link(M(pa, "labs"), M(pb, "hl")), "link");
	REQUIRE(!lstat(S(pa, "hl"), &st) && S_ISLNK(st.st_mode), "hard link is not the symlink");
	REQUIRE(secret_intact(), "secret gained a link");
	return 0;
}

static int t_link_outside_file(void)
{
	REQUIRE_ERR(link(secret, M(pa, "stolen")), EXDEV, EPERM);
	REQUIRE(secret_intact(), "secret gained a link");
	return 0;
}

static int t_symlink_loop(void)
{
	REQUIRE(!host_symlink("loop2", "loop1") && !host_symlink("loop1", "loop2"), "symlinks");
	REQUIRE_ERR(open(M(pa, "loop1"), O_RDONLY), ELOOP, ELOOP);
	return 0;
}

static int t_symlink_self_loop(void)
{
	struct stat st;

	REQUIRE(!host_symlink("self", "self"), "symlink");
	REQUIRE_ERR(stat(M(pa, "self"), &st), ELOOP, ELOOP);
	REQUIRE(!lstat(pa, &st) && S_ISLNK(st.st_mode), "lstat");
	return 0;
}

static int t_magic_symlink(void)
{
	struct stat st;

	REQUIRE(!host_symlink("/proc/self/root/etc/shadow", "magic"), "symlink");
	REQUIRE(!lstat(M(pa, "magic"), &st) && S_ISLNK(st.st_mode), "lstat");
	REQUIRE(!lchown(pa, 1111, 1111), "lchown");
	REQUIRE(!lstat("/etc/shadow", &st) && st.st_uid != 1111, "followed magic link");
	return 0;
}

static int t_proc_fd_of_mount(void)
{
	char path[512];
	int fd = open(M(pa, "deep"), O_RDONLY | O_DIRECTORY);
	int fd2;

	REQUIRE(fd >= 0, "open");
	snprintf(path, sizeof(path), "/proc/self/fd/%d/../../%s/secret", fd, outname);
	fd2 = open(path, O_RDONLY);
	close(fd);
	REQUIRE(fd2 < 0, "reached the secret via /proc/self/fd");
	return 0;
}

static int t_moved_out_dir(void)
{
	char rel[300];
	int dfd, fd;

	mkdir(S(pa, "wander"), 0755);
	dfd = open(M(pa, "wander"), O_RDONLY | O_DIRECTORY);
	REQUIRE(dfd >= 0, "open");
	REQUIRE(!rename(S(pa, "wander"), O(pb, "wander")), "host move");
	snprintf(rel, sizeof(rel), "../secret");
	fd = openat(dfd, rel, O_RDONLY);
	if (fd >= 0)
		close(fd);
	snprintf(rel, sizeof(rel), "../%s/secret", outname);
	int fd2 = openat(dfd, rel, O_RDONLY);
	close(dfd);
	rename(O(pa, "wander"), S(pb, "wander"));
	REQUIRE(fd < 0 && fd2 < 0, "reached outside via a moved directory");
	return 0;
}

/* Device nodes: the guest sees one, the host holds an empty regular file (stand-in). */
static int mknod_stand_in(const char *name, mode_t type, dev_t dev)
{
	struct stat st;

	REQUIRE(!mknod(M(pa, name), type | 0666, dev), "mknod");
	REQUIRE(!lstat(pa, &st) && (st.st_mode & S_IFMT) == type && st.st_rdev == dev,
		"mount shows mode %o rdev %u:%u", st.st_mode, major(st.st_rdev), minor(st.st_rdev));
	REQUIRE(!lstat(S(pb, name), &st) && S_ISREG(st.st_mode) && st.st_size == 0,
		"host holds mode %o", st.st_mode);
	return 0;
}

static int t_mknod_chr(void)
{
	return mknod_stand_in("null", S_IFCHR, makedev(1, 3));
}

/* The record is the server's: a guest user cannot read, forge or remove it. */
static int t_override_hidden(void)
{
	const char *rec = "user.containers.override_stat";
	char list[4096];
	ssize_t n;
	int fd;

	REQUIRE(!mknod(M(pa, "hidden-null"), S_IFCHR | 0666, makedev(1, 3)), "mknod");
	REQUIRE_ERR(lgetxattr(pa, rec, list, sizeof(list)), ENODATA, ENODATA);
	n = llistxattr(pa, list, sizeof(list));
	REQUIRE(n >= 0 && !memmem(list, (size_t)n, rec, strlen(rec)), "listed");
	REQUIRE_ERR(lremovexattr(pa, rec), EPERM, EPERM);
	fd = open(M(pb, "forged"), O_CREAT | O_WRONLY, 0644);
	REQUIRE(fd >= 0 && write(fd, "#!/bin/sh\n", 10) == 10 && !close(fd), "create");
	REQUIRE_ERR(setxattr(pb, rec, "0:0:04755:file", 14, 0), EPERM, EPERM);
	return 0;
}

static int t_mknod_blk(void)
{
	return mknod_stand_in("vda", S_IFBLK, makedev(254, 0));
}

static int t_mknod_whiteout(void)
{
	struct stat st;

	REQUIRE(!mknod(M(pa, "wh"), S_IFCHR | 0000, makedev(0, 0)), "whiteout");
	REQUIRE(!lstat(S(pa, "wh"), &st) && st.st_rdev == 0, "harmless 0:0 only");
	return 0;
}

static int t_listing_clean(void)
{
	REQUIRE(access(M(pa, outname), F_OK), "outside dir visible inside");
	REQUIRE(access(M(pa, "secret"), F_OK), "secret visible inside");
	return 0;
}

int main(int argc, char **argv)
{
	const char *slash;

	if (argc != 4) {
		fprintf(stderr, "usage: %s MNT SRC OUT\n", argv[0]);
		return 2;
	}
	mnt = argv[1];
	src = argv[2];
	out = argv[3];
	slash = strrchr(out, '/');
	snprintf(outname, sizeof(outname), "%s", slash ? slash + 1 : out);
	snprintf(secret, sizeof(secret), "%s/secret", out);
	if (lstat(secret, &secret_st)) {
		perror(secret);
		return 2;
	}
	check_run("escape", "dotdot_root", t_dotdot_root);
	check_run("escape", "dotdot_deep", t_dotdot_deep);
	check_run("escape", "dotdot_openat", t_dotdot_openat);
	check_run("escape", "rel_symlink_open", t_rel_symlink_open);
	check_run("escape", "rel_symlink_write", t_rel_symlink_write);
	check_run("escape", "rel_symlink_chmod", t_rel_symlink_chmod);
	check_run("escape", "rel_symlink_truncate", t_rel_symlink_truncate);
	check_run("escape", "rel_dir_symlink_mkdir", t_rel_dir_symlink_mkdir);
	check_run("escape", "rel_dir_symlink_create", t_rel_dir_symlink_create);
	check_run("escape", "rel_dir_symlink_rename", t_rel_dir_symlink_rename);
	check_run("escape", "abs_symlink_lstat", t_abs_symlink_lstat);
	check_run("escape", "abs_symlink_lchown", t_abs_symlink_lchown);
	check_run("escape", "abs_symlink_utimens", t_abs_symlink_utimens);
	check_run("escape", "abs_symlink_lsetxattr", t_abs_symlink_lsetxattr);
	check_run("escape", "abs_symlink_lgetxattr", t_abs_symlink_lgetxattr);
	check_run("escape", "abs_symlink_o_nofollow", t_abs_symlink_onofollow);
	check_run("escape", "abs_symlink_opath_fchown", t_abs_symlink_opath_fchown);
	check_run("escape", "readlink_verbatim", t_readlink_verbatim);
	check_run("escape", "rename_onto_symlink", t_rename_onto_symlink);
	check_run("escape", "exchange_with_symlink", t_exchange_with_symlink);
	check_run("escape", "link_symlink", t_link_symlink);
	check_run("escape", "link_outside_file", t_link_outside_file);
	check_run("escape", "symlink_loop", t_symlink_loop);
	check_run("escape", "symlink_self_loop", t_symlink_self_loop);
	check_run("escape", "magic_symlink", t_magic_symlink);
	check_run("escape", "proc_self_fd_dotdot", t_proc_fd_of_mount);
	check_run("escape", "moved_out_dir", t_moved_out_dir);
	check_run("escape", "mknod_chardev", t_mknod_chr);
	check_run("escape", "override_stat_hidden", t_override_hidden);
	check_run("escape", "mknod_blockdev", t_mknod_blk);
	check_run("escape", "mknod_whiteout", t_mknod_whiteout);
	check_run("escape", "listing_clean", t_listing_clean);
	return check_fails ? 1 : 0;
}
