/* src/fuse/passthrough-io.c: file and directory handles: open, read/write straight between host fds and the guest's buffers, readdir, locks, DAX. */
#include "fuse/fuse-internal.h"
#include "util/log.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MAX_IOV 1024

/* Reopen a regular file or directory node through our own fd; never symlinks or special files. */
static int reopen_node(struct node *n, int flags)
{
	char path[64];
	int fd;

	if (n->type != S_IFREG && n->type != S_IFDIR)
		return n->type == S_IFLNK ? -ELOOP : -EACCES;
	pt_proc_path(n->fd, path, sizeof(path));
	fd = open(path, (flags & ~(O_CREAT | O_EXCL | O_NOCTTY | O_NOFOLLOW | O_PATH)) | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/*
 * Host open flags for a guest open. With the writeback cache the guest kernel
 * fills partial pages by reading, so a write-only open is made read-write, and
 * it keeps the file position itself, so O_APPEND goes (a host O_APPEND fd would
 * put every pwrite at the end, whatever offset the kernel chose).
 */
int pt_host_open_flags(struct fuse_srv *srv, int flags)
{
	if (!srv->writeback)
		return flags;
	if ((flags & O_ACCMODE) == O_WRONLY)
		flags = (flags & ~O_ACCMODE) | O_RDWR;
	return flags & ~O_APPEND;
}

/*
 * fuse_open_out flags for the policy. FOPEN_NOFLUSH on read-only opens:
 * FLUSH only mirrors close() on the host, which matters for errors of written
 * data (NFS-style) and classic POSIX locks. A read-only fd has no written
 * data, and no locks are offered at INIT (the guest kernel keeps them local),
 * so the guest's close() need not wait for a round trip.
 */
uint32_t pt_fopen_flags(struct fuse_srv *srv, bool dir, int flags)
{
	uint32_t f = 0;

	if (!dir && (flags & O_ACCMODE) == O_RDONLY)
		f |= FOPEN_NOFLUSH;
	if (srv->cache == FUSE_SRV_CACHE_ALWAYS)
		f |= dir ? FOPEN_KEEP_CACHE | FOPEN_CACHE_DIR : FOPEN_KEEP_CACHE;
	else if (srv->cache == FUSE_SRV_CACHE_NEVER && !dir)
		f |= FOPEN_DIRECT_IO;
	return f;
}

static int reply_open(struct fuse_req *r, int fd, struct ov_entry *ov, bool dir, int flags)
{
	struct fuse_open_out *o = reply_alloc(r, sizeof(*o));
	uint64_t fh;
	int ret;

	if (!o) {
		if (fd >= 0)
			close(fd);
		return -EINVAL;
	}
	ret = handle_new(r->srv, fd, ov, dir, &fh);
	if (ret) {
		if (fd >= 0)
			close(fd);
		return ret;
	}
	o->fh = fh;
	o->open_flags = ov ? (dir ? 0 : FOPEN_NOFLUSH) : pt_fopen_flags(r->srv, dir, flags);
	return 0;
}

static int open_common(struct fuse_req *r, bool dir)
{
	const struct fuse_open_in *in = (const void *)r->arg;
	int flags = (int)in->flags, fd, ret;
	struct node *n;

	if (!dir && r->srv->no_open)
		return -ENOSYS;	/* the kernel stops sending OPEN and RELEASE for files */
	ret = node_get(r->srv, r->h->nodeid, &n);
	if (ret)
		return ret;
	if (dir && n->type != S_IFDIR) {
		ret = -ENOTDIR;
	} else if (!dir && n->type == S_IFDIR) {
		ret = -EISDIR;
	} else if (n->fd < 0) {
		/* overlay entries are read-only */
		ret = (flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC) ? -EACCES :
			reply_open(r, -1, n->ov, dir, flags);
	} else if (!dir && r->srv->read_only &&
		   ((flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC))) {
		ret = -EROFS;
	} else {
		fd = reopen_node(n, dir ? O_RDONLY | O_DIRECTORY :
					 pt_host_open_flags(r->srv, flags));
		if (fd == -EACCES && !dir && pt_host_open_flags(r->srv, flags) != flags)
			fd = reopen_node(n, flags & ~O_APPEND);	/* write-only file, unprivileged */
		if (fd >= 0 && !dir && (in->open_flags & FUSE_OPEN_KILL_SUIDGID))
			pt_kill_suidgid(r, fd);
		ret = fd < 0 ? fd : reply_open(r, fd, NULL, dir, flags);
	}
	node_put(r->srv, n);
	return ret;
}

int op_open(struct fuse_req *r)
{
	return open_common(r, false);
}

int op_opendir(struct fuse_req *r)
{
	return open_common(r, true);
}

int op_release(struct fuse_req *r)
{
	const struct fuse_release_in *in = (const void *)r->arg;

	return handle_release(r->srv, in->fh);
}

/*
 * The fd of a no-open request's temporary handle (h): the node's kept read fd
 * for a READ (keep) when it has one, else a reopen as (acc), which a READ
 * past the file's first piece (a file read in pieces) hands to the node to
 * keep. With a kept fd, (h) pins the node instead of owning an fd.
 */
static int temp_fd(struct fuse_req *r, struct node *n, int acc, bool keep, struct handle *h)
{
	const struct fuse_read_in *in = (const void *)r->arg;
	int fd = keep ? __atomic_load_n(&n->rd_fd, __ATOMIC_ACQUIRE) : -1;

	if (fd < 0) {
		fd = reopen_node(n, acc);
		if (fd < 0)
			return fd;
		if (!keep || !in->offset || !node_keep_rd(r->srv, n, fd)) {
			h->fd = fd;
			return 0;
		}
	}
	h->fd = fd;
	h->pin = n;
	return 0;
}

/*
 * The handle a request names. Under no-open the guest kernel sends fh 0 for
 * regular files: the file is then reopened as (acc) through node (nodeid)'s
 * O_PATH fd for this request only and closed when it is done. Nothing stays
 * open between requests, so reading a file costs no lasting host fd, and a
 * host binary the guest wrote to is not kept open for writing (ETXTBSY).
 * (acc) < 0: only a real handle will do (locks).
 */
static int io_handle(struct fuse_req *r, uint64_t fh, uint64_t nodeid, int acc, bool keep,
		     struct handle **out)
{
	struct handle *h;
	struct node *n;
	int ret;

	if (fh || !r->srv->no_open || acc < 0)
		return handle_get(r->srv, fh, out);
	ret = node_get(r->srv, nodeid, &n);
	if (ret)
		return ret;
	h = calloc(1, sizeof(*h));
	if (!h) {
		ret = -ENOMEM;
		goto out;
	}
	h->temp = true;
	h->fd = -1;
	h->is_dir = n->type == S_IFDIR;
	if (n->fd < 0)
		h->ov = n->ov;		/* overlay file: served from memory, read-only */
	else if (!h->is_dir)
		ret = temp_fd(r, n, acc, keep, h);
	if (ret < 0) {
		free(h);
		goto out;
	}
	*out = h;
	ret = 0;
	if (h->pin)
		return 0;		/* stays pinned until handle_put() */
out:
	node_put(r->srv, n);
	return ret;
}

/* Pin a handle that must be a host file (not a directory, not overlay). */
static int get_file(struct fuse_req *r, uint64_t fh, uint64_t nodeid, int acc,
		    struct handle **h)
{
	int ret = io_handle(r, fh, nodeid, acc, false, h);

	if (ret)
		return ret;
	if ((*h)->fd < 0 || (*h)->is_dir) {
		ret = (*h)->is_dir ? -EISDIR : -EBADF;
		handle_put(r->srv, *h);
		return ret;
	}
	return 0;
}

/* Hand a READ of a host file to the transport's sink; true when it answered the request. */
static bool read_to_sink(struct fuse_req *r, int fd, off_t off, size_t size)
{
	if (!r->sink || !r->sink->send_file || off < 0 ||
	    r->sink->send_file(r->sink->opaque, r->h->unique, fd, off, size) < 0)
		return false;
	r->no_reply = true;
	return true;
}

int op_read(struct fuse_req *r)
{
	const struct fuse_read_in *in = (const void *)r->arg;
	size_t size = in->size;
	struct iovec v[MAX_IOV];
	struct handle *h;
	ssize_t n;
	int ret;

	ret = io_handle(r, in->fh, r->h->nodeid, O_RDONLY, true, &h);
	if (ret)
		return ret;
	if (size > r->out_max)
		size = r->out_max;
	if (size > FUSE_SRV_MAX_WRITE)
		size = FUSE_SRV_MAX_WRITE;
	if (h->is_dir) {
		ret = -EISDIR;
	} else if (h->fd < 0) {
		const struct ov_entry *e = h->ov;
		size_t avail = in->offset < e->len ? e->len - in->offset : 0;
		void *o = reply_alloc(r, size < avail ? size : avail);

		if (!o)
			ret = -EINVAL;
		else if (r->rlen)
			memcpy(o, e->data + in->offset, r->rlen);
	} else if (!read_to_sink(r, h->fd, (off_t)in->offset, size)) {
		int cnt;

		iov_slice(r->out, r->out_cnt, sizeof(struct fuse_out_header), size, v, MAX_IOV,
			  &cnt);
		n = preadv(h->fd, v, cnt, (off_t)in->offset);
		if (n < 0) {
			ret = -errno;
		} else {
			r->direct = true;
			r->rlen = (size_t)n;
		}
	}
	handle_put(r->srv, h);
	return ret;
}

int op_write(struct fuse_req *r)
{
	const struct fuse_write_in *in = (const void *)r->arg;
	size_t off = sizeof(struct fuse_in_header) + sizeof(*in), got;
	struct iovec v[MAX_IOV];
	struct fuse_write_out *o;
	struct handle *h;
	int cnt, ret;
	ssize_t n;

	if (in->size > FUSE_SRV_MAX_WRITE || in->size > r->h->len - off) {
		log_warn_once("fuse: WRITE of %u bytes larger than its request", in->size);
		return -EINVAL;
	}
	ret = get_file(r, in->fh, r->h->nodeid, O_WRONLY, &h);
	if (ret)
		return ret;
	got = iov_slice(r->in, r->in_cnt, off, in->size, v, MAX_IOV, &cnt);
	if (got < in->size)
		log_warn_once("fuse: WRITE payload in more than %d pieces, short write", MAX_IOV);
	n = pwritev(h->fd, v, cnt, (off_t)in->offset);
	if (n > 0 && (in->write_flags & FUSE_WRITE_KILL_SUIDGID))
		pt_kill_suidgid(r, h->fd);
	if (n < 0) {
		ret = -errno;
	} else {
		o = reply_alloc(r, sizeof(*o));
		if (!o)
			ret = -EINVAL;
		else
			o->size = (uint32_t)n;
	}
	handle_put(r->srv, h);
	return ret;
}

/* close() semantics without closing: drops host POSIX locks the way a real close would. */
int op_flush(struct fuse_req *r)
{
	const struct fuse_flush_in *in = (const void *)r->arg;
	struct handle *h;
	int ret, fd;

	/* cache=always: written data reaches the host by writeback, not at close, and
	 * no locks are offered; ENOSYS makes the kernel stop sending FLUSH at all. */
	if (r->srv->cache == FUSE_SRV_CACHE_ALWAYS)
		return -ENOSYS;
	ret = handle_get(r->srv, in->fh, &h);
	if (ret)
		return ret;
	if (h->fd >= 0) {
		fd = dup(h->fd);
		if (fd < 0 || close(fd) < 0)
			ret = -errno;
	}
	handle_put(r->srv, h);
	return ret;
}

int op_fsync(struct fuse_req *r)
{
	const struct fuse_fsync_in *in = (const void *)r->arg;
	struct handle *h;
	int ret;

	ret = io_handle(r, in->fh, r->h->nodeid, O_RDONLY, false, &h);
	if (ret)
		return ret;
	if (h->fd >= 0 && ((in->fsync_flags & 1) ? fdatasync(h->fd) : fsync(h->fd)) < 0)
		ret = -errno;
	handle_put(r->srv, h);
	return ret;
}

/*
 * d_type for plain READDIR: a device stand-in is DT_REG on the host. Asking
 * the host for every regular entry costs 5-10x on large listings, so only
 * stand-ins the guest holds a node for (it created or looked them up) are
 * reported as devices; READDIRPLUS, which the kernel uses for the first
 * batch of every listing, always reports the looked-up type.
 */
static unsigned dirent_type(struct fuse_srv *srv, struct node *dir, const struct dirent64 *d)
{
	uint32_t t;

	if (d->d_type != DT_REG)
		return d->d_type;
	t = node_known_type(srv, dir->dev, d->d_ino);
	return t == S_IFCHR || t == S_IFBLK ? t >> 12 : DT_REG;
}

/*
 * Leave the directory fd at cookie (pos) and remember it. The next READDIR
 * usually continues from there and then needs no seek: on filesystems whose
 * cookies are positions (tmpfs before 6.6, so /dev/shm and L1's /tmp), a seek
 * after the guest deleted the entries it had read (rm -rf) would skip as many
 * entries that still exist, and rmdir would then fail with ENOTEMPTY. Seeking
 * here, before the guest has seen the reply, puts the fd's cursor at the right
 * entry while all of them still exist.
 */
static void dir_park(struct handle *h, uint64_t pos, bool seek)
{
	h->dir_pos_valid = !seek || lseek(h->fd, (off_t)pos, SEEK_SET) >= 0;
	h->dir_pos = pos;
}

/* Emit host directory entries from cookie (off) until the reply is full. */
static int pt_readdir(struct fuse_req *r, struct handle *h, struct node *dir, uint64_t off,
		      size_t size, bool plus)
{
	uint64_t last = off;	/* cookie after the last entry emitted */
	char dbuf[32768];
	size_t used = 0;
	uint8_t *o;
	long nread;

	o = reply_alloc(r, size);
	if (!o)
		return -EINVAL;
	if (!h->dir_pos_valid || h->dir_pos != off) {
		h->dir_pos_valid = false;
		if (lseek(h->fd, (off_t)off, SEEK_SET) < 0)
			return -errno;
	}
	while ((nread = syscall(SYS_getdents64, h->fd, dbuf, sizeof(dbuf))) > 0) {
		long pos = 0;

		while (pos < nread) {
			struct dirent64 *d = (struct dirent64 *)(dbuf + pos);
			size_t nlen = strlen(d->d_name);
			size_t dsz = FUSE_DIRENT_ALIGN(FUSE_NAME_OFFSET + nlen);
			size_t esz = plus ? dsz + offsetof(struct fuse_direntplus, dirent) : dsz;
			struct fuse_dirent *fd;

			pos += d->d_reclen;
			if (used + esz > size)
				goto full;
			if (plus) {
				struct fuse_direntplus *dp = (void *)(o + used);
				bool dot = !strcmp(d->d_name, ".") || !strcmp(d->d_name, "..");

				/* nodeid 0 (dots, shadowed or vanished names): no dcache entry */
				if (!dot && !ov_find(r->srv, dir, d->d_name, false) &&
				    pt_lookup_child(r, dir, d->d_name, &dp->entry_out))
					memset(&dp->entry_out, 0, sizeof(dp->entry_out));
				fd = &dp->dirent;
				/* the looked-up type: a device stand-in is DT_REG on the host */
				fd->type = dp->entry_out.nodeid ?
					(dp->entry_out.attr.mode & S_IFMT) >> 12 : d->d_type;
			} else {
				fd = (void *)(o + used);
				fd->type = dirent_type(r->srv, dir, d);
			}
			fd->ino = d->d_ino;
			fd->off = (uint64_t)d->d_off;
			fd->namelen = (uint32_t)nlen;
			memcpy(fd->name, d->d_name, nlen);
			used += esz;
			last = (uint64_t)d->d_off;
		}
	}
	if (nread < 0) {
		h->dir_pos_valid = false;
		if (used == 0)
			return -errno;
	} else {
		dir_park(h, last, false);	/* read to the end: the fd stands there */
	}
	r->rlen = used;
	return 0;
full:
	dir_park(h, last, true);	/* entries read but not sent: step back to them */
	r->rlen = used;
	return 0;
}

static int readdir_common(struct fuse_req *r, bool plus)
{
	const struct fuse_read_in *in = (const void *)r->arg;
	size_t size = in->size < r->out_max ? in->size : r->out_max;
	struct node *dir = NULL;
	struct handle *h;
	int ret;

	if (size > FUSE_SRV_MAX_WRITE)
		size = FUSE_SRV_MAX_WRITE;
	ret = handle_get(r->srv, in->fh, &h);
	if (ret)
		return ret;
	if (!h->is_dir) {
		ret = -ENOTDIR;
		goto out;
	}
	if (h->fd < 0) {
		ret = ov_readdir(r, h, in->offset, (uint32_t)size, plus);
		goto out;
	}
	ret = node_get(r->srv, r->h->nodeid, &dir);
	if (ret)
		goto out;
	if (dir->type != S_IFDIR) {
		ret = -ENOTDIR;
		goto out;
	}
	pthread_mutex_lock(&h->dir_lock);
	ret = pt_readdir(r, h, dir, in->offset, size, plus);
	pthread_mutex_unlock(&h->dir_lock);
out:
	node_put(r->srv, dir);
	handle_put(r->srv, h);
	return ret;
}

int op_readdir(struct fuse_req *r)
{
	return readdir_common(r, false);
}

int op_readdirplus(struct fuse_req *r)
{
	return readdir_common(r, true);
}

int op_fallocate(struct fuse_req *r)
{
	const struct fuse_fallocate_in *in = (const void *)r->arg;
	struct handle *h;
	int ret;

	ret = get_file(r, in->fh, r->h->nodeid, O_WRONLY, &h);
	if (ret)
		return ret;
	if (fallocate(h->fd, (int)in->mode, (off_t)in->offset, (off_t)in->length) < 0)
		ret = -errno;
	handle_put(r->srv, h);
	return ret;
}

int op_lseek(struct fuse_req *r)
{
	const struct fuse_lseek_in *in = (const void *)r->arg;
	struct fuse_lseek_out *o;
	struct handle *h;
	off_t pos;
	int ret;

	ret = get_file(r, in->fh, r->h->nodeid, O_RDONLY, &h);
	if (ret)
		return ret;
	pos = lseek(h->fd, (off_t)in->offset, (int)in->whence);
	if (pos < 0) {
		ret = -errno;
	} else {
		o = reply_alloc(r, sizeof(*o));
		if (!o)
			ret = -EINVAL;
		else
			o->offset = (uint64_t)pos;
	}
	handle_put(r->srv, h);
	return ret;
}

int op_copy_file_range(struct fuse_req *r)
{
	const struct fuse_copy_file_range_in *in = (const void *)r->arg;
	loff_t off_in = (loff_t)in->off_in, off_out = (loff_t)in->off_out;
	size_t len = in->len > (1u << 30) ? (1u << 30) : in->len;
	struct handle *hi, *ho;
	struct fuse_write_out *o;
	ssize_t n;
	int ret;

	ret = get_file(r, in->fh_in, r->h->nodeid, O_RDONLY, &hi);
	if (ret)
		return ret;
	ret = get_file(r, in->fh_out, in->nodeid_out, O_WRONLY, &ho);
	if (ret)
		goto out_in;
	n = copy_file_range(hi->fd, &off_in, ho->fd, &off_out, len, 0);
	if (n < 0) {
		ret = -errno;
	} else {
		o = reply_alloc(r, sizeof(*o));
		if (!o)
			ret = -EINVAL;
		else
			o->size = (uint32_t)n;
	}
	handle_put(r->srv, ho);
out_in:
	handle_put(r->srv, hi);
	return ret;
}

/* Locks are not offered at INIT; if sent anyway they map onto host OFD locks, never blocking. */
static void lk_to_flock(const struct fuse_file_lock *lk, struct flock *fl)
{
	memset(fl, 0, sizeof(*fl));
	fl->l_type = (short)lk->type;
	fl->l_whence = SEEK_SET;
	fl->l_start = (off_t)lk->start;
	fl->l_len = lk->end >= (uint64_t)LLONG_MAX ? 0 : (off_t)(lk->end - lk->start + 1);
}

int op_getlk(struct fuse_req *r)
{
	const struct fuse_lk_in *in = (const void *)r->arg;
	struct fuse_lk_out *o;
	struct handle *h;
	struct flock fl;
	int ret;

	ret = get_file(r, in->fh, 0, -1, &h);
	if (ret)
		return ret;
	lk_to_flock(&in->lk, &fl);
	if (fcntl(h->fd, F_OFD_GETLK, &fl) < 0) {
		ret = -errno;
	} else if (!(o = reply_alloc(r, sizeof(*o)))) {
		ret = -EINVAL;
	} else {
		o->lk.type = (uint32_t)fl.l_type;
		o->lk.start = (uint64_t)fl.l_start;
		o->lk.end = fl.l_len ? (uint64_t)(fl.l_start + fl.l_len - 1) : (uint64_t)LLONG_MAX;
	}
	handle_put(r->srv, h);
	return ret;
}

/*
 * A host lock is a host-visible effect: on a read-only share the guest may
 * not block host processes that lock the same files, so SETLK/SETLKW/flock get
 * ENOLCK there (GETLK only reads). See docs/security.md.
 */
int op_setlk(struct fuse_req *r)
{
	const struct fuse_lk_in *in = (const void *)r->arg;
	struct handle *h;
	struct flock fl;
	int ret, op;

	if (r->srv->read_only) {
		log_warn_once("fuse: lock request on a read-only share refused");
		return -ENOLCK;
	}
	ret = get_file(r, in->fh, 0, -1, &h);
	if (ret)
		return ret;
	if (in->lk_flags & FUSE_LK_FLOCK) {
		op = in->lk.type == F_UNLCK ? LOCK_UN : in->lk.type == F_RDLCK ? LOCK_SH : LOCK_EX;
		if (flock(h->fd, op | LOCK_NB) < 0)
			ret = -errno;
	} else {
		lk_to_flock(&in->lk, &fl);
		if (fcntl(h->fd, F_OFD_SETLK, &fl) < 0)
			ret = -errno;
	}
	handle_put(r->srv, h);
	return ret;
}

/* DAX: (moffset, len) must lie inside the window; page granularity as negotiated. */
static int dax_range_ok(struct fuse_srv *srv, uint64_t moff, uint64_t len)
{
	if (!len || (moff | len) & 4095 || moff > srv->dax_size || len > srv->dax_size - moff) {
		log_warn_once("fuse: DAX range %#llx+%#llx outside the %#llx window",
			      (unsigned long long)moff, (unsigned long long)len,
			      (unsigned long long)srv->dax_size);
		return -EINVAL;
	}
	return 0;
}

int op_setupmapping(struct fuse_req *r)
{
	const struct fuse_setupmapping_in *in = (const void *)r->arg;
	bool wr = in->flags & FUSE_SETUPMAPPING_FLAG_WRITE;
	struct node *n;
	int fd, ret;

	if (!r->srv->dax_size || !r->srv->cb.setup_mapping)
		return -ENOSYS;
	ret = dax_range_ok(r->srv, in->moffset, in->len);
	if (ret)
		return ret;
	if (in->foffset & 4095)
		return -EINVAL;
	if (wr && r->srv->read_only)
		return -EROFS;
	/* the kernel sends fh = -1 and names the inode by nodeid (fs/fuse/dax.c) */
	ret = node_get(r->srv, r->h->nodeid, &n);
	if (ret)
		return ret;
	if (n->fd < 0)
		fd = -EACCES;
	else
		fd = n->type != S_IFREG ? -EINVAL : reopen_node(n, wr ? O_RDWR : O_RDONLY);
	if (fd >= 0) {
		ret = r->srv->cb.setup_mapping(r->srv->cb.opaque, fd, in->foffset, in->moffset,
					       in->len, wr);
		close(fd);
	} else {
		ret = fd;
	}
	node_put(r->srv, n);
	return ret;
}

int op_removemapping(struct fuse_req *r)
{
	const struct fuse_removemapping_in *in = (const void *)r->arg;
	const uint8_t *p = r->arg + sizeof(*in);
	size_t room = (r->arg_len - sizeof(*in)) / sizeof(struct fuse_removemapping_one), i;
	int ret;

	if (!r->srv->dax_size || !r->srv->cb.remove_mapping)
		return -ENOSYS;
	if (in->count > room)
		return -EINVAL;
	for (i = 0; i < in->count; i++) {
		struct fuse_removemapping_one one;

		memcpy(&one, p + i * sizeof(one), sizeof(one));
		ret = dax_range_ok(r->srv, one.moffset, one.len);
		if (!ret)
			ret = r->srv->cb.remove_mapping(r->srv->cb.opaque, one.moffset, one.len);
		if (ret)
			return ret;
	}
	return 0;
}
