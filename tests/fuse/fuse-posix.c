/* tests/fuse/fuse-posix.c: POSIX behaviour issue #11 asked for (long names, supplementary groups, kill-priv, the guest's permission model), checked through a FUSE mount of our server. */
/* Usage: fuse-posix MNT SRC  (run as root; MNT serves SRC, mounted as the guest mounts virtio-fs) */
#include "check.h"

#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define USER_ID		4321
#define SUPP_GID	5555

static const char *mnt, *src;
static char pa[4096], pb[4096], pc[4096];

#define M(buf, name) (snprintf(buf, sizeof(buf), "%s/%s", mnt, name), buf)
#define S(buf, name) (snprintf(buf, sizeof(buf), "%s/%s", src, name), buf)

/* Become USER_ID (primary group USER_ID, supplementary SUPP_GID) in a child; returns its pid. */
static pid_t as_user(void)
{
	gid_t groups[] = { USER_ID, SUPP_GID };
	pid_t pid = fork();

	if (pid == 0 && (setgroups(2, groups) || setgid(USER_ID) || setuid(USER_ID)))
		_exit(99);
	return pid;
}

/* The child's exit status (0 = all good), or -1. */
static int child_status(pid_t pid)
{
	int st;

	if (pid < 0 || waitpid(pid, &st, 0) < 0 || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

/* Every operation that takes a name refuses one of 256 bytes with ENAMETOOLONG. */
static int t_enametoolong(void)
{
	char name[257], path[4096 + 300];

	memset(name, 'n', 256);
	name[256] = 0;
	REQUIRE(!mkdir(M(pa, "long"), 0755), "mkdir");
	REQUIRE(close(open(M(pb, "long/short"), O_CREAT | O_WRONLY, 0644)) == 0, "create short");
	snprintf(path, sizeof(path), "%s/%s", pa, name);
	REQUIRE_ERR(open(path, O_CREAT | O_WRONLY, 0644), ENAMETOOLONG, ENAMETOOLONG);
	REQUIRE_ERR(open(path, O_RDONLY), ENAMETOOLONG, ENAMETOOLONG);
	REQUIRE_ERR(mkdir(path, 0755), ENAMETOOLONG, ENAMETOOLONG);
	REQUIRE_ERR(mkfifo(path, 0644), ENAMETOOLONG, ENAMETOOLONG);
	REQUIRE_ERR(symlink("short", path), ENAMETOOLONG, ENAMETOOLONG);
	REQUIRE_ERR(link(pb, path), ENAMETOOLONG, ENAMETOOLONG);
	REQUIRE_ERR(rename(pb, path), ENAMETOOLONG, ENAMETOOLONG);
	REQUIRE_ERR(unlink(path), ENAMETOOLONG, ENAMETOOLONG);
	REQUIRE_ERR(rmdir(path), ENAMETOOLONG, ENAMETOOLONG);
	REQUIRE_ERR(access(path, F_OK), ENAMETOOLONG, ENAMETOOLONG);
	memset(name, 'n', 255);	/* 255 is fine */
	name[255] = 0;
	snprintf(path, sizeof(path), "%s/%s", pa, name);
	REQUIRE(close(open(path, O_CREAT | O_WRONLY, 0644)) == 0, "255-byte name");
	return 0;
}

/* An owner may give its file to one of its supplementary groups. */
static int t_supp_groups(void)
{
	struct stat st;
	pid_t pid;

	REQUIRE(!mkdir(M(pa, "supp"), 0777) && !chmod(pa, 0777), "mkdir");
	REQUIRE(close(open(M(pb, "supp/f"), O_CREAT | O_WRONLY, 0644)) == 0 &&
		!chown(pb, USER_ID, USER_ID), "create");
	pid = as_user();
	if (pid == 0) {
		if (chown(pb, (uid_t)-1, SUPP_GID))
			_exit(1);
		_exit(chown(pb, (uid_t)-1, 7777) == 0 ? 2 : 0);	/* not one of its groups */
	}
	st.st_mode = (mode_t)child_status(pid);
	REQUIRE(st.st_mode == 0, "owner's chgrp (child status %d)", (int)st.st_mode);
	REQUIRE(!stat(S(pc, "supp/f"), &st) && st.st_gid == SUPP_GID, "host gid %u", st.st_gid);
	/* access granted only through the supplementary group */
	REQUIRE(!mkdir(M(pa, "grp"), 0770) && !chown(pa, 0, SUPP_GID) && !chmod(pa, 0770), "grp dir");
	REQUIRE(!mkdir(M(pc, "supp-private"), 0700), "private dir");
	pid = as_user();
	if (pid == 0) {
		int fd = open(M(pb, "grp/mine"), O_CREAT | O_WRONLY, 0644);

		if (fd < 0 || write(fd, "x", 1) != 1 || close(fd))
			_exit(1);
		_exit(open(M(pb, "supp-private/none"), O_CREAT | O_WRONLY, 0644) >= 0 ? 2 : 0);
	}
	st.st_mode = (mode_t)child_status(pid);
	REQUIRE(st.st_mode == 0, "create through the supplementary group (child status %d)",
		(int)st.st_mode);
	REQUIRE(!stat(S(pc, "grp/mine"), &st) && st.st_uid == USER_ID, "owner %u", st.st_uid);
	return 0;
}

/* A non-owner's write (and truncate) succeeds and clears setuid/setgid, as natively. */
static int t_killpriv(void)
{
	struct stat st;
	pid_t pid;

	REQUIRE(close(open(M(pa, "suid"), O_CREAT | O_WRONLY, 0644)) == 0 &&
		!chmod(pa, 04777), "create suid");
	REQUIRE(close(open(M(pb, "sgid"), O_CREAT | O_WRONLY, 0644)) == 0 &&
		!chmod(pb, 02777), "create sgid");
	pid = as_user();
	if (pid == 0) {
		int fd = open(pa, O_WRONLY);

		if (fd < 0 || write(fd, "x", 1) != 1)
			_exit(1);
		close(fd);
		_exit(truncate(pb, 0) ? 2 : 0);
	}
	st.st_mode = (mode_t)child_status(pid);
	REQUIRE(st.st_mode == 0, "non-owner write/truncate failed (child status %d)",
		(int)st.st_mode);
	REQUIRE(!stat(S(pc, "suid"), &st) && (st.st_mode & 07777) == 0777 && st.st_size == 1,
		"suid file mode %o size %lld", st.st_mode & 07777, (long long)st.st_size);
	REQUIRE(!stat(S(pc, "sgid"), &st) && (st.st_mode & 07777) == 0777,
		"sgid file mode %o", st.st_mode & 07777);
	/* root (CAP_FSETID) keeps the bits, as natively */
	REQUIRE(!chmod(pa, 04777), "chmod");
	{
		int fd = open(pa, O_WRONLY | O_APPEND);

		REQUIRE(fd >= 0 && write(fd, "y", 1) == 1 && !close(fd), "root write");
	}
	REQUIRE(!stat(S(pc, "suid"), &st) && (st.st_mode & 07777) == 04777,
		"root write cleared the bits (%o)", st.st_mode & 07777);
	return 0;
}

/* Mounted like the guest mounts virtio-fs: the kernel checks permissions itself. */
static int t_default_permissions(void)
{
	char line[4096];
	int found = 0;
	FILE *f = fopen("/proc/self/mounts", "r");
	pid_t pid;

	REQUIRE(f, "/proc/self/mounts");
	while (fgets(line, sizeof(line), f))
		if (strstr(line, mnt) && strstr(line, "default_permissions"))
			found = 1;
	fclose(f);
	REQUIRE(found, "%s not mounted with default_permissions", mnt);
	REQUIRE(close(open(M(pa, "private"), O_CREAT | O_WRONLY, 0600)) == 0, "create");
	pid = as_user();
	if (pid == 0)
		_exit(open(pa, O_RDONLY) < 0 && errno == EACCES ? 0 : 1);
	REQUIRE(child_status(pid) == 0, "a non-owner read a 0600 file");
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: %s MNT SRC\n", argv[0]);
		return 2;
	}
	mnt = argv[1];
	src = argv[2];
	check_run("", "fs-enametoolong", t_enametoolong);
	check_run("", "fs-supp-groups", t_supp_groups);
	check_run("", "fs-killpriv", t_killpriv);
	check_run("fuse", "default-permissions", t_default_permissions);
	return check_fails ? 1 : 0;
}
