/* src/fuse/xattr.c: extended attributes on host nodes, reached through our own fd's magic link (never through a symlink). */
#include "fuse/fuse-internal.h"

#include <errno.h>
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

/* GETXATTR / LISTXATTR share the size-probe protocol: size 0 asks for the length only. */
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
	len = name ? getxattr(path, name, buf, want) : listxattr(path, buf, want);
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
	return xattr_query(r, name);
}

int op_listxattr(struct fuse_req *r)
{
	return xattr_query(r, NULL);
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
	ret = xattr_node(r, &n, path, sizeof(path));
	if (ret)
		return ret;
	if (removexattr(path, name) < 0)
		ret = -errno;
	node_put(r->srv, n);
	return ret;
}
