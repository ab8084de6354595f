/* src/fuse/passthrough.c: namespace operations on the shared host directory, always relative to O_PATH fds, never following symlinks. */
#include "fuse/fuse-internal.h"
#include "util/log.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/mount.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

int pt_stat(int fd, struct statx *st)
{
	if (statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW | AT_STATX_SYNC_AS_STAT,
		  STATX_BASIC_STATS, st) < 0)
		return -errno;
	return 0;
}

/* The magic link of one of our own fds: only used to reach the inode the fd already names. */
int pt_proc_path(int fd, char *buf, size_t len)
{
	snprintf(buf, len, "/proc/self/fd/%d", fd);
	return 0;
}

/*
 * An O_PATH fd for the inode (fd) already names. open_tree() without
 * OPEN_TREE_CLONE on the fd itself is that, and costs about a third of
 * reopening /proc/self/fd/N, which walks /proc (kernels before 5.2 fall back).
 */
int pt_path_fd(int fd)
{
	char path[64];
	int pfd;

	pfd = (int)syscall(SYS_open_tree, fd, "", AT_EMPTY_PATH | OPEN_TREE_CLOEXEC);
	if (pfd >= 0)
		return pfd;
	if (errno != ENOSYS)
		return -errno;
	pt_proc_path(fd, path, sizeof(path));
	pfd = open(path, O_PATH | O_CLOEXEC);
	return pfd < 0 ? -errno : pfd;
}

/*
 * HANDLE_KILLPRIV_V2: the guest kernel leaves clearing setuid/setgid on
 * write, truncate and open(O_TRUNC) by an unprivileged caller to us. The host
 * would not clear them itself, because the server writes with CAP_FSETID, and
 * the caller may not own the file. The guest kernel already decided the bits
 * must go, so clear them as the server. Setgid goes only with group exec
 * (without it, it marks mandatory locking), as natively. (fd) is any fd of the
 * inode, O_PATH or not.
 */
int pt_kill_suidgid(struct fuse_req *r, int fd)
{
	mode_t kill = S_ISUID;
	char path[64];
	struct stat st;
	int ret = 0;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return 0;
	if ((st.st_mode & (S_ISGID | S_IXGRP)) == (S_ISGID | S_IXGRP))
		kill |= S_ISGID;
	if (!(st.st_mode & kill))
		return 0;
	pt_proc_path(fd, path, sizeof(path));
	req_creds_server(r);
	if (chmod(path, st.st_mode & 07777 & ~kill) < 0)
		ret = -errno;
	req_creds_caller(r);
	return ret;
}

void fill_attr(struct fuse_attr *a, const struct statx *st)
{
	a->ino = st->stx_ino;
	a->size = st->stx_size;
	a->blocks = st->stx_blocks;
	a->atime = st->stx_atime.tv_sec;
	a->atimensec = st->stx_atime.tv_nsec;
	a->mtime = st->stx_mtime.tv_sec;
	a->mtimensec = st->stx_mtime.tv_nsec;
	a->ctime = st->stx_ctime.tv_sec;
	a->ctimensec = st->stx_ctime.tv_nsec;
	a->mode = st->stx_mode;
	a->nlink = st->stx_nlink;
	a->uid = st->stx_uid;
	a->gid = st->stx_gid;
	a->rdev = makedev(st->stx_rdev_major, st->stx_rdev_minor);
	a->blksize = st->stx_blksize;
}

/* Open one component below (dirfd) without following any symlink and without leaving it. */
static int pt_openat(int dirfd, const char *name, int flags, mode_t mode)
{
	struct open_how how = {
		.flags = (uint64_t)(flags | O_NOFOLLOW | O_CLOEXEC),
		.mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_SYMLINKS,
	};
	int fd;

	fd = (int)syscall(SYS_openat2, dirfd, name, &how, sizeof(how));
	if (fd < 0 && errno == ENOSYS)
		fd = openat(dirfd, name, flags | O_NOFOLLOW | O_CLOEXEC, mode);
	return fd < 0 ? -errno : fd;
}

static void fill_entry(struct fuse_entry_out *e, uint64_t id, const struct statx *st,
		       uint32_t ttl)
{
	memset(e, 0, sizeof(*e));
	e->nodeid = id;
	e->entry_valid = ttl;
	e->attr_valid = ttl;
	fill_attr(&e->attr, st);
}

/*
 * Register the inode behind an O_PATH fd (consumed) as a node and describe it.
 * (fresh): the server has just created it, so it carries no override_stat
 * record yet and reading one would only cost a syscall.
 */
static int make_entry(struct fuse_srv *srv, int fd, struct fuse_entry_out *e, bool fresh)
{
	bool rec = false;
	struct statx st;
	uint64_t id;
	int ret;

	ret = fresh ? pt_stat(fd, &st) : pt_stat_node_rec(srv, fd, &st, &rec);
	if (ret) {
		close(fd);
		return ret;
	}
	ret = node_insert(srv, fd, &st, !rec, &id);
	if (ret)
		return ret;
	fill_entry(e, id, &st, srv->ttl);
	return 0;
}

static int pt_make_entry(struct fuse_srv *srv, int fd, struct fuse_entry_out *e)
{
	return make_entry(srv, fd, e, false);
}

/* LOOKUP core (also READDIRPLUS and creation): overlay entries first, then the host. */
int pt_lookup_child(struct fuse_req *r, struct node *parent, const char *name,
		    struct fuse_entry_out *e)
{
	struct ov_entry *ov;
	int fd;

	if (parent->type != S_IFDIR)
		return -ENOTDIR;
	ov = ov_find(r->srv, parent, name, true);
	if (ov)
		return ov_lookup(r, ov, e);
	if (parent->fd < 0)
		return -ENOENT;
	fd = pt_openat(parent->fd, name, O_PATH, 0);
	if (fd < 0)
		return fd;
	return pt_make_entry(r->srv, fd, e);
}

/* Pin a directory the guest wants to modify; overlay-only directories are read-only. */
static int get_host_dir(struct fuse_req *r, uint64_t id, struct node **out)
{
	int ret = node_get(r->srv, id, out);

	if (ret)
		return ret;
	if ((*out)->type != S_IFDIR)
		ret = -ENOTDIR;
	else if ((*out)->fd < 0)
		ret = -EROFS;
	if (ret) {
		node_put(r->srv, *out);
		*out = NULL;
	}
	return ret;
}

/* A name argument that is a valid new/existing component in a host directory. */
static int get_name(struct fuse_req *r, size_t off, const char **name, size_t *next)
{
	int ret = req_name(r, off, name, next);

	if (!ret)
		ret = name_ok(*name);
	return ret;
}

static int reply_entry(struct fuse_req *r, const struct fuse_entry_out *e)
{
	struct fuse_entry_out *o = reply_alloc(r, sizeof(*o));

	if (!o)
		return -EINVAL;
	*o = *e;
	return 0;
}

/*
 * Under cache=always the guest owns the tree, so an absent name stays absent
 * until the guest creates it: node id 0 with a timeout makes the guest cache a
 * negative dentry. Compilers and shells probe many absent paths (include
 * directories, $PATH), and every CREATE used to cost a LOOKUP first.
 */
static int reply_negative(struct fuse_req *r)
{
	struct fuse_entry_out e;

	memset(&e, 0, sizeof(e));
	e.entry_valid = r->srv->ttl;
	return reply_entry(r, &e);
}

int op_lookup(struct fuse_req *r)
{
	struct fuse_entry_out e;
	struct node *p;
	const char *name;
	int ret;

	ret = get_name(r, 0, &name, NULL);
	if (ret)
		return ret;
	ret = node_get(r->srv, r->h->nodeid, &p);
	if (ret)
		return ret;
	ret = pt_lookup_child(r, p, name, &e);
	node_put(r->srv, p);
	if (ret == -ENOENT && r->srv->cache == FUSE_SRV_CACHE_ALWAYS)
		return reply_negative(r);
	if (ret)
		return ret;
	ret = reply_entry(r, &e);
	if (ret)
		node_forget(r->srv, e.nodeid, 1);
	return ret;
}

static int reply_attr(struct fuse_req *r, struct node *n)
{
	struct fuse_attr_out *o;
	struct statx st;
	int ret = 0;

	o = reply_alloc(r, sizeof(*o));
	if (!o)
		return -EINVAL;
	if (n->ov && n->fd < 0) {
		ov_fill_attr(r->srv, &o->attr, n->ov);
		o->attr_valid = n->ov->one_shot ? 0 : r->srv->ttl;
		return 0;
	}
	ret = pt_stat_held(r->srv, n, &st);
	if (ret)
		return ret;
	fill_attr(&o->attr, &st);
	o->attr_valid = r->srv->ttl;
	return 0;
}

int op_getattr(struct fuse_req *r)
{
	struct node *n;
	int ret;

	ret = node_get(r->srv, r->h->nodeid, &n);
	if (ret)
		return ret;
	ret = reply_attr(r, n);
	node_put(r->srv, n);
	return ret;
}

static int setattr_size(struct fuse_req *r, struct node *n, const struct fuse_setattr_in *in)
{
	struct handle *h;
	char path[64];
	int ret;

	if ((in->valid & FATTR_FH) && !handle_get(r->srv, in->fh, &h)) {
		ret = h->fd >= 0 && ftruncate(h->fd, (off_t)in->size) < 0 ? -errno : 0;
		if (h->fd < 0)
			ret = -EBADF;
		handle_put(r->srv, h);
		return ret;
	}
	if (n->type == S_IFDIR)
		return -EISDIR;
	if (n->type != S_IFREG)
		return -EINVAL;
	pt_proc_path(n->fd, path, sizeof(path));
	return truncate(path, (off_t)in->size) < 0 ? -errno : 0;
}

static int setattr_times(struct node *n, const struct fuse_setattr_in *in)
{
	struct timespec ts[2] = { { .tv_nsec = UTIME_OMIT }, { .tv_nsec = UTIME_OMIT } };

	if (in->valid & FATTR_ATIME_NOW)
		ts[0].tv_nsec = UTIME_NOW;
	else if (in->valid & FATTR_ATIME)
		ts[0] = (struct timespec){ (time_t)in->atime, in->atimensec };
	if (in->valid & FATTR_MTIME_NOW)
		ts[1].tv_nsec = UTIME_NOW;
	else if (in->valid & FATTR_MTIME)
		ts[1] = (struct timespec){ (time_t)in->mtime, in->mtimensec };
	if (utimensat(n->fd, "", ts, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	return 0;
}

/*
 * chown/chgrp. The guest mounts virtio-fs with default_permissions, so its
 * kernel has already checked the change against the caller's full
 * credentials, supplementary groups included. The request only carries uid
 * and gid, so under the caller's fsuid/fsgid the host would refuse an owner
 * giving a file to one of its supplementary groups: apply it as the server.
 * (A guest could claim uid 0 anyway; see docs/security.md.) The host clears
 * setuid/setgid on chown as a native chown does.
 */
static int setattr_owner(struct fuse_req *r, struct node *n, const struct fuse_setattr_in *in)
{
	uid_t uid = (in->valid & FATTR_UID) ? in->uid : (uid_t)-1;
	gid_t gid = (in->valid & FATTR_GID) ? in->gid : (gid_t)-1;
	int ret = 0;

	req_creds_server(r);
	if (fchownat(n->fd, "", uid, gid, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0)
		ret = -errno;
	req_creds_caller(r);
	if (ret == -EPERM && !r->srv->as_root)
		ret = pt_record_attr(r, n, in, true);
	return ret;
}

static int do_setattr(struct fuse_req *r, struct node *n, const struct fuse_setattr_in *in)
{
	char path[64];
	int ret;

	if (in->valid & FATTR_MODE) {
		/* chmod on a symlink is not a thing on Linux; never chmod through one */
		if (n->type == S_IFLNK)
			return -EOPNOTSUPP;
		pt_proc_path(n->fd, path, sizeof(path));
		if (fchmodat(AT_FDCWD, path, in->mode & 07777, 0) < 0)
			return -errno;
		if (!r->srv->as_root) {
			ret = pt_record_attr(r, n, in, false);
			if (ret)
				return ret;
		}
	}
	if (in->valid & (FATTR_UID | FATTR_GID)) {
		ret = setattr_owner(r, n, in);
		if (ret)
			return ret;
	}
	if (in->valid & FATTR_SIZE) {
		ret = setattr_size(r, n, in);
		if (ret)
			return ret;
	}
	if ((in->valid & FATTR_KILL_SUIDGID) && n->type == S_IFREG) {
		ret = pt_kill_suidgid(r, n->fd);
		if (ret)
			return ret;
	}
	if (in->valid & (FATTR_ATIME | FATTR_MTIME | FATTR_ATIME_NOW | FATTR_MTIME_NOW))
		return setattr_times(n, in);
	return 0;
}

/* A device stand-in: owner and mode live in its record; times on the host file; no size. */
static int setattr_stand_in(struct fuse_req *r, struct node *n, const struct fuse_setattr_in *in)
{
	int ret = 0;

	if (in->valid & FATTR_SIZE)
		return -EINVAL;
	if (in->valid & (FATTR_MODE | FATTR_UID | FATTR_GID))
		ret = pt_setattr_stand_in(r, n, in);
	if (!ret && (in->valid & (FATTR_ATIME | FATTR_MTIME | FATTR_ATIME_NOW | FATTR_MTIME_NOW)))
		ret = setattr_times(n, in);
	return ret;
}

/*
 * The writeback cache's time flush (valid: MTIME|CTIME only): the guest kernel
 * owns a regular file's mtime and ctime and writes them back, synchronously for
 * every file it unlinks (fuse_entry_unlinked -> fuse_update_ctime), a third
 * round trip per file of rm -rf. When the host inode has no name left, no one
 * on the host can see its times, so the utimensat is skipped: the reply is the
 * inode's attributes with the guest's times. True when it answered.
 */
static bool unlinked_time_flush(struct fuse_req *r, struct node *n,
				const struct fuse_setattr_in *in, int *ret)
{
	struct fuse_attr_out *o;
	struct statx st;

	if ((in->valid & ~FATTR_FH) != (FATTR_MTIME | FATTR_CTIME) || n->type != S_IFREG ||
	    pt_stat_held(r->srv, n, &st) || st.stx_nlink)
		return false;
	st.stx_mtime.tv_sec = (int64_t)in->mtime;
	st.stx_mtime.tv_nsec = in->mtimensec;
	st.stx_ctime.tv_sec = (int64_t)in->ctime;
	st.stx_ctime.tv_nsec = in->ctimensec;
	o = reply_alloc(r, sizeof(*o));
	if (!o) {
		*ret = -EINVAL;
		return true;
	}
	fill_attr(&o->attr, &st);
	o->attr_valid = r->srv->ttl;
	*ret = 0;
	return true;
}

int op_setattr(struct fuse_req *r)
{
	const struct fuse_setattr_in *in = (const void *)r->arg;
	struct node *n;
	int ret;

	ret = node_get(r->srv, r->h->nodeid, &n);
	if (ret)
		return ret;
	if (n->fd < 0)
		ret = -EPERM;
	else if (unlinked_time_flush(r, n, in, &ret))
		goto out;
	else if (pt_is_stand_in(n))
		ret = setattr_stand_in(r, n, in);
	else
		ret = do_setattr(r, n, in);
	if (!ret)
		ret = reply_attr(r, n);
out:
	node_put(r->srv, n);
	return ret;
}

int op_readlink(struct fuse_req *r)
{
	char buf[PATH_MAX];
	struct node *n;
	ssize_t len;
	void *o;
	int ret;

	ret = node_get(r->srv, r->h->nodeid, &n);
	if (ret)
		return ret;
	if (n->type != S_IFLNK || n->fd < 0) {
		ret = -EINVAL;
		goto out;
	}
	len = readlinkat(n->fd, "", buf, sizeof(buf));
	if (len < 0) {
		ret = -errno;
		goto out;
	}
	o = reply_alloc(r, (size_t)len);
	if (!o)
		ret = -ERANGE;
	else
		memcpy(o, buf, (size_t)len);
out:
	node_put(r->srv, n);
	return ret;
}

/*
 * Creation tail: look the new name up (a fresh node) and reply with its entry.
 * (fresh): we made a plain inode, which carries no override_stat record yet.
 */
static int created_entry(struct fuse_req *r, struct node *p, const char *name, bool fresh)
{
	struct fuse_entry_out e;
	int fd, ret;

	fd = pt_openat(p->fd, name, O_PATH, 0);
	if (fd < 0)
		return fd;
	ret = make_entry(r->srv, fd, &e, fresh);
	if (ret)
		return ret;
	ret = reply_entry(r, &e);
	if (ret)
		node_forget(r->srv, e.nodeid, 1);
	return ret;
}

/* Names taken by overlay entries cannot be created, removed or renamed on the host side. */
static int shadowed(struct fuse_req *r, struct node *p, const char *name)
{
	return ov_find(r->srv, p, name, false) ? -EEXIST : 0;
}

enum mk_kind { MK_NODE, MK_DIR, MK_LINK };

/* Device nodes are made as stand-ins, files that carry an override_stat record. */
static bool is_stand_in(enum mk_kind kind, mode_t mode, dev_t rdev)
{
	return kind == MK_NODE && (S_ISBLK(mode) || (S_ISCHR(mode) && rdev != 0));
}

static int make_one(struct fuse_req *r, struct node *p, enum mk_kind kind, const char *name,
		    const char *target, mode_t mode, dev_t rdev)
{
	int ret;

	if (is_stand_in(kind, mode, rdev))
		return pt_mknod_stand_in(p->fd, name, mode, (uint32_t)rdev, r->h->uid, r->h->gid);
	if (kind == MK_DIR)
		ret = mkdirat(p->fd, name, mode & 07777);
	else if (kind == MK_LINK)
		ret = symlinkat(target, p->fd, name);
	else
		ret = mknodat(p->fd, name, mode, rdev);
	return ret < 0 ? -errno : 0;
}

static int make_common(struct fuse_req *r, enum mk_kind kind, size_t name_off, mode_t mode,
		       dev_t rdev)
{
	const char *name, *target = NULL;
	struct node *p;
	size_t next;
	int ret;

	ret = get_name(r, name_off, &name, &next);
	if (!ret && kind == MK_LINK)
		ret = req_name(r, next, &target, NULL);
	if (ret)
		return ret;
	ret = get_host_dir(r, r->h->nodeid, &p);
	if (ret)
		return ret;
	ret = shadowed(r, p, name);
	if (ret)
		goto out;
	ret = make_one(r, p, kind, name, target, mode, rdev);
	if (!ret)
		ret = created_entry(r, p, name, !is_stand_in(kind, mode, rdev));
out:
	node_put(r->srv, p);
	return ret;
}

int op_symlink(struct fuse_req *r)
{
	return make_common(r, MK_LINK, 0, 0, 0);
}

int op_mkdir(struct fuse_req *r)
{
	const struct fuse_mkdir_in *in = (const void *)r->arg;

	return make_common(r, MK_DIR, sizeof(*in), in->mode, 0);
}

/*
 * Regular files, FIFOs, sockets and overlayfs whiteouts (char 0:0) are made
 * as such. Block and char devices are never made on the host: they become
 * stand-ins, empty regular files with an override_stat record
 * (stat-override.c), which the guest sees as real device nodes.
 */
int op_mknod(struct fuse_req *r)
{
	const struct fuse_mknod_in *in = (const void *)r->arg;
	mode_t type = in->mode & S_IFMT;

	if (type != S_IFREG && type != S_IFBLK && type != S_IFIFO && type != S_IFSOCK && type != S_IFCHR)
		return -EINVAL;
	return make_common(r, MK_NODE, sizeof(*in), in->mode, in->rdev);
}

static int remove_common(struct fuse_req *r, int flags)
{
	const char *name;
	struct node *p;
	int ret;

	ret = get_name(r, 0, &name, NULL);
	if (ret)
		return ret;
	ret = get_host_dir(r, r->h->nodeid, &p);
	if (ret)
		return ret;
	ret = ov_find(r->srv, p, name, false) ? -EPERM : 0;
	if (!ret && unlinkat(p->fd, name, flags) < 0)
		ret = -errno;
	node_put(r->srv, p);
	return ret;
}

int op_unlink(struct fuse_req *r)
{
	return remove_common(r, 0);
}

int op_rmdir(struct fuse_req *r)
{
	return remove_common(r, AT_REMOVEDIR);
}

static int rename_common(struct fuse_req *r, uint64_t newdir, uint32_t flags, size_t off)
{
	const char *oldname, *newname;
	struct node *op, *np = NULL;
	size_t next;
	int ret;

	if (flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE | RENAME_WHITEOUT))
		return -EINVAL;
	ret = get_name(r, off, &oldname, &next);
	if (!ret)
		ret = get_name(r, next, &newname, NULL);
	if (ret)
		return ret;
	ret = get_host_dir(r, r->h->nodeid, &op);
	if (ret)
		return ret;
	ret = get_host_dir(r, newdir, &np);
	if (ret)
		goto out;
	ret = shadowed(r, op, oldname) ?: shadowed(r, np, newname);
	if (!ret && renameat2(op->fd, oldname, np->fd, newname, flags) < 0)
		ret = -errno;
out:
	node_put(r->srv, np);
	node_put(r->srv, op);
	return ret;
}

int op_rename(struct fuse_req *r)
{
	const struct fuse_rename_in *in = (const void *)r->arg;

	return rename_common(r, in->newdir, 0, sizeof(*in));
}

int op_rename2(struct fuse_req *r)
{
	const struct fuse_rename2_in *in = (const void *)r->arg;

	return rename_common(r, in->newdir, in->flags, sizeof(*in));
}

/* Hard link the inode an O_PATH fd names, via its magic link (no path the guest chose). */
int op_link(struct fuse_req *r)
{
	const struct fuse_link_in *in = (const void *)r->arg;
	struct node *old, *p;
	const char *name;
	char path[64];
	int ret;

	ret = get_name(r, sizeof(*in), &name, NULL);
	if (ret)
		return ret;
	ret = node_get(r->srv, in->oldnodeid, &old);
	if (ret)
		return ret;
	ret = get_host_dir(r, r->h->nodeid, &p);
	if (ret)
		goto out_old;
	if (old->fd < 0)
		ret = -EPERM;
	else if (old->type == S_IFDIR)
		ret = -EPERM;
	else
		ret = shadowed(r, p, name);
	if (ret)
		goto out;
	pt_proc_path(old->fd, path, sizeof(path));
	if (linkat(AT_FDCWD, path, p->fd, name, AT_SYMLINK_FOLLOW) < 0)
		ret = -errno;
	else
		ret = created_entry(r, p, name, false);	/* an existing inode */
out:
	node_put(r->srv, p);
out_old:
	node_put(r->srv, old);
	return ret;
}

int op_statfs(struct fuse_req *r)
{
	struct fuse_statfs_out *o;
	struct statfs sf;
	struct node *n;
	int ret;

	ret = node_get(r->srv, r->h->nodeid, &n);
	if (ret)
		return ret;
	o = reply_alloc(r, sizeof(*o));
	if (!o) {
		ret = -EINVAL;
	} else if (n->fd < 0 && r->srv->root_fd < 0) {
		o->st.bsize = o->st.frsize = 4096;
		o->st.namelen = 255;
	} else if (fstatfs(n->fd >= 0 ? n->fd : r->srv->root_fd, &sf) < 0) {
		ret = -errno;
	} else {
		o->st.blocks = sf.f_blocks;
		o->st.bfree = sf.f_bfree;
		o->st.bavail = sf.f_bavail;
		o->st.files = sf.f_files;
		o->st.ffree = sf.f_ffree;
		o->st.bsize = (uint32_t)sf.f_bsize;
		o->st.namelen = (uint32_t)sf.f_namelen;
		o->st.frsize = (uint32_t)sf.f_frsize;
	}
	node_put(r->srv, n);
	return ret;
}

/* Checked by the host kernel with the caller's fsuid/fsgid (AT_EACCESS). */
int op_access(struct fuse_req *r)
{
	const struct fuse_access_in *in = (const void *)r->arg;
	struct node *n;
	int ret;

	ret = node_get(r->srv, r->h->nodeid, &n);
	if (ret)
		return ret;
	if (n->fd < 0)
		ret = (in->mask & W_OK) ? -EROFS : 0;
	else if (faccessat(n->fd, "", (int)(in->mask & 7), AT_EMPTY_PATH | AT_EACCESS) < 0)
		ret = -errno;
	if (!ret && r->srv->read_only && (in->mask & W_OK))
		ret = -EROFS;
	node_put(r->srv, n);
	return ret;
}

/*
 * Open an existing name for CREATE: only a regular file is opened (through
 * the O_PATH fd, so the inode checked is the inode opened). A directory gets
 * EISDIR. Anything else (FIFO, socket, device, symlink) gets ESTALE: the
 * guest only sends CREATE for a name it believed absent, and ESTALE makes its
 * VFS look the name up again and handle the special file itself, as a
 * native open would; the host never opens it (a FIFO would block the worker,
 * a device would hand the guest a host device).
 */
static int create_open_existing(struct fuse_srv *srv, struct node *p, const char *name,
				int flags)
{
	struct statx st;
	char path[64];
	int pfd, fd, ret;

	pfd = pt_openat(p->fd, name, O_PATH, 0);
	if (pfd < 0)
		return pfd;
	ret = pt_stat_node(srv, pfd, &st);
	if (!ret && S_ISDIR(st.stx_mode))
		ret = -EISDIR;
	else if (!ret && !S_ISREG(st.stx_mode))
		ret = -ESTALE;
	if (!ret) {
		pt_proc_path(pfd, path, sizeof(path));
		fd = open(path, (flags & ~(O_CREAT | O_EXCL | O_NOFOLLOW)) | O_NOCTTY | O_CLOEXEC);
		ret = fd < 0 ? -errno : fd;
	}
	close(pfd);
	return ret;
}

/* CREATE's open: O_EXCL first, so an existing name is never opened with the guest's flags
 * blindly. *fresh tells whether this call created the file. */
static int create_open(struct fuse_srv *srv, struct node *p, const char *name, int flags,
		       mode_t mode, bool *fresh)
{
	int fd;

	flags = (flags & ~(O_PATH | O_TMPFILE | O_DIRECTORY)) | O_NOCTTY;
	fd = pt_openat(p->fd, name, flags | O_CREAT | O_EXCL, mode);
	*fresh = fd >= 0;
	if (fd != -EEXIST || (flags & O_EXCL))
		return fd;
	return create_open_existing(srv, p, name, flags);
}

int op_create(struct fuse_req *r)
{
	const struct fuse_create_in *in = (const void *)r->arg;
	struct {
		struct fuse_entry_out e;
		struct fuse_open_out o;
	} *out;
	struct fuse_entry_out e;
	const char *name;
	struct node *p;
	int fd, pfd, ret;
	bool fresh;
	uint64_t fh;

	/* no-open: the kernel would never RELEASE the handle; ENOSYS makes it send
	 * MKNOD and open without a round trip (one request per new file, not two) */
	if (r->srv->no_open)
		return -ENOSYS;
	ret = get_name(r, sizeof(*in), &name, NULL);
	if (ret)
		return ret;
	ret = get_host_dir(r, r->h->nodeid, &p);
	if (ret)
		return ret;
	ret = shadowed(r, p, name);
	if (ret)
		goto out;
	fd = create_open(r->srv, p, name, pt_host_open_flags(r->srv, (int)in->flags),
			 in->mode & 07777, &fresh);
	if (fd < 0) {
		ret = fd;
		goto out;
	}
	/* the node is the inode we just opened, not whatever the name points to by now */
	pfd = pt_path_fd(fd);
	ret = pfd < 0 ? pfd : make_entry(r->srv, pfd, &e, fresh);
	if (ret) {
		close(fd);
		goto out;
	}
	if (in->open_flags & FUSE_OPEN_KILL_SUIDGID)
		pt_kill_suidgid(r, fd);
	ret = handle_new(r->srv, fd, NULL, false, &fh);
	if (ret) {
		close(fd);
		node_forget(r->srv, e.nodeid, 1);
		goto out;
	}
	out = reply_alloc(r, sizeof(*out));
	if (!out) {
		handle_release(r->srv, fh);
		node_forget(r->srv, e.nodeid, 1);
		ret = -EINVAL;
		goto out;
	}
	out->e = e;
	out->o.fh = fh;
	out->o.open_flags = pt_fopen_flags(r->srv, false, (int)in->flags);
out:
	node_put(r->srv, p);
	return ret;
}

/* syncfs(2) in the guest: flush the host filesystem that holds the share. */
int op_syncfs(struct fuse_req *r)
{
	if (r->srv->root_fd >= 0 && syncfs(r->srv->root_fd) < 0)
		return -errno;
	return 0;
}
