/* src/fuse/overlay.c: memory-backed virtual entries (e.g. the one-shot /init.krun) layered over, or instead of, the host directory. */
#include "fuse/fuse-internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* The overlay child (name) of a node, if the node carries overlay entries. */
struct ov_entry *ov_find(struct fuse_srv *srv, struct node *parent, const char *name,
			 bool consume)
{
	struct ov_entry *e, *found = NULL;

	if (!parent->ov || !S_ISDIR(parent->ov->mode))
		return NULL;
	pthread_mutex_lock(&srv->lock);
	for (e = parent->ov->children; e; e = e->next) {
		if (strcmp(e->name, name))
			continue;
		if (e->one_shot && e->consumed)
			break;
		if (consume && e->one_shot)
			e->consumed = true;
		found = e;
		break;
	}
	pthread_mutex_unlock(&srv->lock);
	return found;
}

/* Whether the tree under (e) holds a file the guest may open more than once. */
bool ov_has_files(const struct ov_entry *e)
{
	for (e = e->children; e; e = e->next) {
		if (S_ISDIR(e->mode) ? ov_has_files(e) : !e->one_shot)
			return true;
	}
	return false;
}

void ov_fill_attr(struct fuse_srv *srv, struct fuse_attr *a, const struct ov_entry *e)
{
	memset(a, 0, sizeof(*a));
	a->ino = e->ino;
	a->size = S_ISDIR(e->mode) ? 4096 : e->len;
	a->blocks = (a->size + 511) / 512;
	a->atime = a->mtime = a->ctime = (uint64_t)srv->birth.tv_sec;
	a->atimensec = a->mtimensec = a->ctimensec = (uint32_t)srv->birth.tv_nsec;
	a->mode = e->mode;
	a->nlink = S_ISDIR(e->mode) ? 2 : 1;
	a->blksize = 4096;
}

/* One-shot entries are never cached by the guest (timeouts 0): the next lookup must miss. */
int ov_lookup(struct fuse_req *r, struct ov_entry *e, struct fuse_entry_out *out)
{
	uint64_t id;
	int ret;

	ret = node_insert_ov(r->srv, e, &id);
	if (ret)
		return ret;
	memset(out, 0, sizeof(*out));
	out->nodeid = id;
	out->entry_valid = out->attr_valid = e->one_shot ? 0 : r->srv->ttl;
	ov_fill_attr(r->srv, &out->attr, e);
	return 0;
}

/* Append one dirent(plus) at (*used); false when it does not fit. */
static bool ov_emit(struct fuse_req *r, uint8_t *o, size_t size, size_t *used, bool plus,
		    const char *name, uint64_t ino, uint32_t mode, uint64_t next_off,
		    struct ov_entry *e)
{
	size_t nlen = strlen(name), dsz = FUSE_DIRENT_ALIGN(FUSE_NAME_OFFSET + nlen);
	size_t esz = plus ? dsz + offsetof(struct fuse_direntplus, dirent) : dsz;
	struct fuse_dirent *d;

	if (*used + esz > size)
		return false;
	if (plus) {
		struct fuse_direntplus *dp = (void *)(o + *used);

		if (e && ov_lookup(r, e, &dp->entry_out))
			memset(&dp->entry_out, 0, sizeof(dp->entry_out));
		d = &dp->dirent;
	} else {
		d = (void *)(o + *used);
	}
	d->ino = ino;
	d->off = next_off;
	d->namelen = (uint32_t)nlen;
	d->type = (mode & S_IFMT) >> 12;
	memcpy(d->name, name, nlen);
	*used += esz;
	return true;
}

/* Offsets are entry indexes: 0 ".", 1 "..", then listed children in insertion order. */
int ov_readdir(struct fuse_req *r, struct handle *h, uint64_t off, uint32_t size, bool plus)
{
	struct ov_entry *dir = h->ov, *e;
	uint64_t idx = 0;
	size_t used = 0;
	uint8_t *o;

	o = reply_alloc(r, size);
	if (!o)
		return -EINVAL;
	if (off == 0 && !ov_emit(r, o, size, &used, plus, ".", dir->ino, S_IFDIR, 1, NULL))
		goto out;
	if (off <= 1 && !ov_emit(r, o, size, &used, plus, "..", 1, S_IFDIR, 2, NULL))
		goto out;
	idx = 2;
	for (e = dir->children; e; e = e->next) {
		if (e->one_shot)
			continue;
		if (idx >= off &&
		    !ov_emit(r, o, size, &used, plus, e->name, e->ino, e->mode, idx + 1, e))
			break;
		idx++;
	}
out:
	r->rlen = used;
	return 0;
}

void ov_free_tree(struct ov_entry *e)
{
	while (e) {
		struct ov_entry *next = e->next;

		ov_free_tree(e->children);
		free(e->name);
		free(e);
		e = next;
	}
}

/* Walk (path) to the parent of its last component; *last points into (copy). */
static int ov_walk(struct fuse_srv *srv, char *copy, struct ov_entry **parent, char **last)
{
	struct ov_entry *dir = &srv->ov_root, *e;
	char *p = copy, *slash;

	while (*p == '/')
		p++;
	for (;;) {
		slash = strchr(p, '/');
		if (slash)
			*slash = 0;
		if (name_ok(p))
			return -EINVAL;
		if (!slash || slash[1] == 0) {
			*parent = dir;
			*last = p;
			return 0;
		}
		for (e = dir->children; e && strcmp(e->name, p); e = e->next)
			;
		if (!e)
			return -ENOENT;
		if (!S_ISDIR(e->mode))
			return -ENOTDIR;
		dir = e;
		p = slash + 1;
	}
}

static int ov_add(struct fuse_srv *srv, const char *path, uint32_t mode, const uint8_t *data,
		  size_t len, bool one_shot)
{
	struct ov_entry *parent, *e, **tail;
	char *copy, *last;
	int ret;

	if (!srv || !path)
		return -EINVAL;
	copy = strdup(path);
	if (!copy)
		return -ENOMEM;
	ret = ov_walk(srv, copy, &parent, &last);
	if (ret)
		goto out;
	for (tail = &parent->children; *tail; tail = &(*tail)->next) {
		if (!strcmp((*tail)->name, last)) {
			ret = -EEXIST;
			goto out;
		}
	}
	e = calloc(1, sizeof(*e));
	if (!e || !(e->name = strdup(last))) {
		free(e);
		ret = -ENOMEM;
		goto out;
	}
	e->mode = mode;
	e->data = data;
	e->len = len;
	e->one_shot = one_shot;
	e->parent = parent;
	pthread_mutex_lock(&srv->lock);
	e->ino = srv->next_vino++;
	*tail = e;
	pthread_mutex_unlock(&srv->lock);
out:
	free(copy);
	return ret;
}

int fuse_srv_add_overlay_file(struct fuse_srv *srv, const char *path, const uint8_t *data,
			      size_t len, uint32_t mode, bool one_shot)
{
	if (!data && len)
		return -EINVAL;
	return ov_add(srv, path, S_IFREG | (mode & 07777), data, len, one_shot);
}

int fuse_srv_add_overlay_dir(struct fuse_srv *srv, const char *path, uint32_t mode)
{
	return ov_add(srv, path, S_IFDIR | (mode & 07777), NULL, 0, false);
}
