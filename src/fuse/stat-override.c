/* src/fuse/stat-override.c: device nodes kept as empty regular host files whose guest-visible type, rdev, mode and owner live in the user.containers.override_stat xattr. */
#include "fuse/fuse-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/xattr.h>
#include <unistd.h>

/*
 * The record is the containers/storage and fuse-overlayfs convention:
 * "uid:gid:mode:type", mode in octal (permission bits), type one of file,
 * dir, symlink, pipe, socket, char-MAJOR-MINOR, block-MAJOR-MINOR. The older
 * three-field form "uid:gid:mode" (mode may carry S_IFMT bits) is read too.
 * Only records on empty regular files are honoured, and only char/block
 * types change what the guest sees as the file type: the host never holds a
 * device node for the guest, and a regular file never turns into a directory.
 */

struct ovr {
	uint32_t uid, gid;
	uint32_t mode;		/* S_IFMT | permission bits */
	uint32_t major, minor;
};

static int ovr_parse(const char *s, struct ovr *o)
{
	char type[48] = "";
	unsigned mode;
	int n;

	n = sscanf(s, "%u:%u:%o:%47s", &o->uid, &o->gid, &mode, type);
	if (n < 3)
		return -EINVAL;
	o->major = o->minor = 0;
	o->mode = S_IFREG | (mode & 07777);
	if (n == 3) {
		if ((mode & S_IFMT) == S_IFCHR || (mode & S_IFMT) == S_IFBLK)
			o->mode = (mode & S_IFMT) | (mode & 07777);
		return 0;
	}
	if (sscanf(type, "char-%u-%u", &o->major, &o->minor) == 2)
		o->mode = S_IFCHR | (mode & 07777);
	else if (sscanf(type, "block-%u-%u", &o->major, &o->minor) == 2)
		o->mode = S_IFBLK | (mode & 07777);
	return 0;
}

static int ovr_format(const struct ovr *o, char *buf, size_t len)
{
	const char *kind = S_ISCHR(o->mode) ? "char" : "block";

	if (S_ISREG(o->mode) || S_ISDIR(o->mode))
		return snprintf(buf, len, "%u:%u:0%o:%s", o->uid, o->gid, o->mode & 07777,
				S_ISDIR(o->mode) ? "dir" : "file");
	return snprintf(buf, len, "%u:%u:0%o:%s-%u-%u", o->uid, o->gid, o->mode & 07777, kind,
			o->major, o->minor);
}

/* The record of the inode (fd) names (any fd, O_PATH included): 0, or -ENODATA / -errno. */
static int ovr_read(int fd, struct ovr *o)
{
	char path[64], buf[128];
	ssize_t n;

	pt_proc_path(fd, path, sizeof(path));
	n = getxattr(path, FS_OVR_XATTR, buf, sizeof(buf) - 1);
	if (n < 0)
		return errno == ENOTSUP ? -ENODATA : -errno;
	buf[n] = 0;
	return ovr_parse(buf, o);
}

static int ovr_write(int fd, const struct ovr *o, int flags)
{
	char path[64], buf[128];
	int len = ovr_format(o, buf, sizeof(buf));

	pt_proc_path(fd, path, sizeof(path));
	return setxattr(path, FS_OVR_XATTR, buf, (size_t)len, flags) < 0 ? -errno : 0;
}

/*
 * pt_stat() as the guest sees the inode. Records are read on empty regular
 * files (device stand-ins) and, on a server that is not root, on every
 * regular file and directory (ownership the host refused, see
 * pt_record_attr()). A record sets owner and permission bits; it changes the
 * type only of an empty regular file, and only to char or block.
 */
int pt_stat_node(struct fuse_srv *srv, int fd, struct statx *st)
{
	bool rec;

	return pt_stat_node_rec(srv, fd, st, &rec);
}

/* pt_stat_node(); *rec tells whether a record was found and applied. */
int pt_stat_node_rec(struct fuse_srv *srv, int fd, struct statx *st, bool *rec)
{
	bool empty_file;
	struct ovr o;
	int ret = pt_stat(fd, st);

	*rec = false;
	if (ret)
		return ret;
	empty_file = S_ISREG(st->stx_mode) && st->stx_size == 0;
	if (!empty_file && (srv->as_root || !(S_ISREG(st->stx_mode) || S_ISDIR(st->stx_mode))))
		return 0;
	if (ovr_read(fd, &o))
		return 0;
	if (empty_file && (S_ISCHR(o.mode) || S_ISBLK(o.mode))) {
		st->stx_mode = (uint16_t)(o.mode & S_IFMT);
		st->stx_rdev_major = o.major;
		st->stx_rdev_minor = o.minor;
	}
	st->stx_mode = (uint16_t)((st->stx_mode & S_IFMT) | (o.mode & 07777));
	st->stx_uid = o.uid;
	st->stx_gid = o.gid;
	*rec = true;
	return 0;
}

/*
 * pt_stat_node() of a node the guest already holds (GETATTR, SETATTR). A root
 * server writes records only into the new inodes of MKNOD, so a regular file
 * that showed no record when it was looked up (none, or not empty then) gets
 * none now: skip the getxattr every empty file would cost (one per unlink
 * under the writeback cache, whose ctime SETATTR hits the file being
 * removed). A record set on the host behind our back shows in LOOKUP
 * replies, and here once the guest has forgotten the node; the guest could
 * not take a changed file type from a held node anyway.
 */
int pt_stat_held(struct fuse_srv *srv, struct node *n, struct statx *st)
{
	if (srv->as_root && n->type == S_IFREG && n->no_record)
		return pt_stat(n->fd, st);
	return pt_stat_node(srv, n->fd, st);
}

/* Apply SETATTR's mode/uid/gid to record (o) and store it, as the server. */
static int ovr_update(struct fuse_req *r, struct node *n, struct ovr *o,
		      const struct fuse_setattr_in *in, int flags)
{
	int ret;

	if (in->valid & FATTR_MODE)
		o->mode = (o->mode & S_IFMT) | (in->mode & 07777);
	if (in->valid & FATTR_UID)
		o->uid = in->uid;
	if (in->valid & FATTR_GID)
		o->gid = in->gid;
	req_creds_server(r);
	ret = ovr_write(n->fd, o, flags);
	req_creds_caller(r);
	return ret;
}

/* Is node (n) a stand-in (guest type char/block, host type regular)? */
bool pt_is_stand_in(struct node *n)
{
	struct statx st;

	if (n->fd < 0 || (n->type != S_IFCHR && n->type != S_IFBLK))
		return false;
	return !pt_stat(n->fd, &st) && S_ISREG(st.stx_mode);
}

/*
 * MKNOD of a char or block device: an empty regular file carrying the
 * record, created under the caller's fsuid/fsgid like any new file. It is
 * 0644 on the host so that every guest user's lookup can read the record
 * (user.* xattrs need read permission); its content is always empty. Returns
 * 0, or -errno (-EPERM when the host filesystem has no user xattrs: the
 * device cannot be represented, as before).
 */
int pt_mknod_stand_in(int dirfd, const char *name, uint32_t mode, uint32_t rdev, uint32_t uid,
		      uint32_t gid)
{
	struct ovr o = { uid, gid, mode, major(rdev), minor(rdev) };
	int fd, ret;

	fd = openat(dirfd, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	ret = ovr_write(fd, &o, XATTR_CREATE);
	close(fd);
	if (ret) {
		unlinkat(dirfd, name, 0);
		return ret == -ENOTSUP || ret == -EOPNOTSUPP ? -EPERM : ret;
	}
	return 0;
}

/*
 * chmod / chown of a stand-in: update the record, not the host file. The
 * guest kernel checked the caller against the recorded owner
 * (default_permissions); the host file may belong to someone else, so the
 * record is written as the server.
 */
int pt_setattr_stand_in(struct fuse_req *r, struct node *n, const struct fuse_setattr_in *in)
{
	struct ovr o;
	int ret = ovr_read(n->fd, &o);

	if (ret)
		return ret == -ENODATA ? -EIO : ret;
	return ovr_update(r, n, &o, in, XATTR_REPLACE);
}

/*
 * A server that is not root cannot chown. The owner the guest asked for
 * (and the mode, once a record exists) then lives in the record of the
 * regular file or directory, which the guest sees from then on; the host
 * keeps the VMM user's ownership. Called for FATTR_UID/GID after chown got
 * EPERM (create), and for FATTR_MODE (only updates an existing record).
 */
int pt_record_attr(struct fuse_req *r, struct node *n, const struct fuse_setattr_in *in,
		   bool create)
{
	struct statx st;
	struct ovr o;
	int ret;

	if (n->type != S_IFREG && n->type != S_IFDIR)
		return -EPERM;
	ret = ovr_read(n->fd, &o);
	if (ret == -ENODATA && create) {
		ret = pt_stat(n->fd, &st);
		o = (struct ovr){ st.stx_uid, st.stx_gid, st.stx_mode, 0, 0 };
	}
	if (ret)
		return ret == -ENODATA ? 0 : ret;
	return ovr_update(r, n, &o, in, 0);
}



