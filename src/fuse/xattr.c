/* src/fuse/xattr.c: extended attributes on host nodes, reached through our own fd's magic link (never through a symlink). */
#include "fuse/fuse-internal.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/xattr.h>

#define XATTR_MAX_VALUE (64u * 1024)

/*
 * Pin the node and produce the path naming its inode. Symlinks cannot be
 * reached that way without following them, and Linux allows no user.*
 * attributes on them anyway, so they get EOPNOTSUPP (overlay nodes too).
 */
static int xattr_node(struct fuse_req *r, struct node **n, char *path, size_t len)
{
	int ret = node_get(r->srv, r->h->nodeid, n);

	if (ret)
		return ret;
	if ((*n)->fd < 0 || (*n)->type == S_IFLNK) {
		node_put(r->srv, *n);
		return -EOPNOTSUPP;
	}
	return pt_proc_path((*n)->fd, path, len);
}

/*
 * The override_stat record (stat-override.c) is the server's, not the
 * guest's: a guest user who could write it could make its own file show up
 * as root's and setuid, so it is invisible and untouchable from the guest.
 */
static bool xattr_reserved(const char *name)
{
	return !strcmp(name, FS_OVR_XATTR);
}

int op_setxattr(struct fuse_req *r)
{
	const struct fuse_setxattr_in *in = (const void *)r->arg;
	const size_t off = FUSE_COMPAT_SETXATTR_IN_SIZE;
	const char *name;
	struct node *n;
	char path[64];
	size_t next;
	int ret;

	ret = req_name(r, off, &name, &next);
	if (ret)
		return ret;
	if (xattr_reserved(name))
		return -EPERM;
	if (in->size > XATTR_MAX_VALUE || in->size > r->arg_len - next)
		return -EINVAL;
	ret = xattr_node(r, &n, path, sizeof(path));
	if (ret)
		return ret;
	if (setxattr(path, name, r->arg + next, in->size, (int)in->flags) < 0)
		ret = -errno;
	node_put(r->srv, n);
	return ret;
}

/* Drop the reserved name from a listxattr() buffer of (len) bytes; returns the new length. */
static size_t xattr_list_filter(char *buf, size_t len)
{
	size_t in = 0, out = 0;

	while (in < len) {
		size_t l = strnlen(buf + in, len - in) + 1;

		if (!xattr_reserved(buf + in)) {
			memmove(buf + out, buf + in, l);
			out += l;
		}
		in += l;
	}
	return out;
}

/* LISTXATTR, listed in full (at most 64 KiB) so the reserved name can be taken out. */
static int xattr_list(struct fuse_req *r)
{
	const struct fuse_getxattr_in *in = (const void *)r->arg;
	struct fuse_getxattr_out *so;
	char path[64], *list;
	struct node *n;
	ssize_t len;
	int ret;

	ret = xattr_node(r, &n, path, sizeof(path));
	if (ret)
		return ret;
	list = malloc(XATTR_MAX_VALUE);
	len = list ? listxattr(path, list, XATTR_MAX_VALUE) : -1;
	if (len < 0) {
		ret = list ? (errno == ERANGE ? -E2BIG : -errno) : -ENOMEM;
		goto out;
	}
	len = (ssize_t)xattr_list_filter(list, (size_t)len);
	if (!in->size) {
		so = reply_alloc(r, sizeof(*so));
		if (!so)
			ret = -EINVAL;
		else
			so->size = (uint32_t)len;
	} else if ((size_t)len > in->size) {
		ret = -ERANGE;
	} else if (!reply_alloc(r, (size_t)len)) {
		ret = -ERANGE;
	} else {
		memcpy(r->rbuf, list, (size_t)len);
	}
out:
	free(list);
	node_put(r->srv, n);
	return ret;
}

/* GETXATTR's size-probe protocol: size 0 asks for the length only. */
static int xattr_query(struct fuse_req *r, const char *name)
{
	const struct fuse_getxattr_in *in = (const void *)r->arg;
	struct fuse_getxattr_out *so;
	size_t want = in->size;
	struct node *n;
	char path[64];
	ssize_t len;
	void *buf;
	int ret;

	if (want > XATTR_MAX_VALUE)
		want = XATTR_MAX_VALUE;
	ret = xattr_node(r, &n, path, sizeof(path));
	if (ret)
		return ret;
	buf = want ? reply_alloc(r, want) : NULL;
	if (want && !buf) {
		ret = -ERANGE;
		goto out;
	}
	len = getxattr(path, name, buf, want);
	if (len < 0) {
		ret = -errno;
		goto out;
	}
	if (want) {
		r->rlen = (size_t)len;
		goto out;
	}
	so = reply_alloc(r, sizeof(*so));
	if (!so)
		ret = -EINVAL;
	else
		so->size = (uint32_t)len;
out:
	node_put(r->srv, n);
	return ret;
}

int op_getxattr(struct fuse_req *r)
{
	const char *name;
	int ret;

	ret = req_name(r, sizeof(struct fuse_getxattr_in), &name, NULL);
	if (ret)
		return ret;
	if (xattr_reserved(name))
		return -ENODATA;
	return xattr_query(r, name);
}

int op_listxattr(struct fuse_req *r)
{
	return xattr_list(r);
}

int op_removexattr(struct fuse_req *r)
{
	const char *name;
	struct node *n;
	char path[64];
	int ret;

	ret = req_name(r, 0, &name, NULL);
	if (ret)
		return ret;
	if (xattr_reserved(name))
		return -EPERM;
	ret = xattr_node(r, &n, path, sizeof(path));
	if (ret)
		return ret;
	if (removexattr(path, name) < 0)
		ret = -errno;
	node_put(r->srv, n);
	return ret;
}
