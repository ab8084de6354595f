/* src/fuse/nodes.c: node and file-handle tables; ids are (generation, slot) pairs validated on every use, never pointers. */
#include "fuse/fuse-internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "util/log.h"

#define ID_SLOT(id)	((uint32_t)(id))
#define ID_GEN(id)	((uint32_t)((id) >> 32))
#define MK_ID(gen, s)	(((uint64_t)(gen) << 32) | (s))

/*
 * Host fds are a process-wide resource shared with the rest of the VMM
 * (eventfds, KVM fds, sockets). Every FUSE server's nodes and handles
 * together may hold at most fd_budget of them; the rest of RLIMIT_NOFILE is
 * the VMM's reserve. Past the budget the guest gets ENFILE.
 */
static pthread_once_t fd_budget_once = PTHREAD_ONCE_INIT;
static uint32_t fd_budget;
static uint32_t fd_used;	/* atomic */

/* Raise the soft RLIMIT_NOFILE to the hard one (as virtiofsd does) and size the budget. */
static void fd_budget_setup(void)
{
	struct rlimit rl;
	rlim_t reserve;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		rl.rlim_cur = rl.rlim_max = 1024;
	if (rl.rlim_cur < rl.rlim_max) {
		rlim_t cur = rl.rlim_cur;

		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			rl.rlim_cur = cur;
	}
	if (rl.rlim_cur > UINT32_MAX)
		rl.rlim_cur = UINT32_MAX;
	reserve = rl.rlim_cur / 8;
	reserve = reserve < 128 ? 128 : reserve > 4096 ? 4096 : reserve;
	fd_budget = rl.rlim_cur > reserve ? (uint32_t)(rl.rlim_cur - reserve) : 0;
	log_debug("fuse: %u host fds for shares, %u kept for the VMM", fd_budget,
		  (unsigned)reserve);
}

int fs_fd_budget_init(void)
{
	pthread_once(&fd_budget_once, fd_budget_setup);
	return (int)(fd_budget < INT32_MAX ? fd_budget : INT32_MAX);
}

static int fd_take(void)
{
	if (__atomic_add_fetch(&fd_used, 1, __ATOMIC_RELAXED) > fd_budget) {
		__atomic_sub_fetch(&fd_used, 1, __ATOMIC_RELAXED);
		log_warn_once("fuse: all %u host fds for shares in use, guest gets ENFILE",
			      fd_budget);
		return -ENFILE;
	}
	return 0;
}

static void fd_give(int fd)
{
	if (fd >= 0) {
		close(fd);
		__atomic_sub_fetch(&fd_used, 1, __ATOMIC_RELAXED);
	}
}

/* Account one node or handle (holding (fd) or not). Called with srv->lock held. */
static int obj_take(struct fuse_srv *srv, int fd)
{
	int ret;

	if (srv->nr_objs >= srv->max_objs) {
		log_warn_once("fuse: share holds its maximum of %u nodes and handles, guest gets EMFILE",
			      srv->max_objs);
		return -EMFILE;
	}
	if (fd >= 0) {
		ret = fd_take();
		if (ret)
			return ret;
	}
	srv->nr_objs++;
	return 0;
}

/* Undo obj_take() and close (fd). Called with srv->lock held. */
static void obj_give(struct fuse_srv *srv, int fd)
{
	srv->nr_objs--;
	fd_give(fd);
}

/*
 * Undo obj_take() but leave (fd) for fd_give() after srv->lock is dropped:
 * closing the last fd of an unlinked inode frees it on the host (ext4 truncates
 * and releases its blocks), and that must not stall every other request.
 */
static int obj_give_later(struct fuse_srv *srv, int fd)
{
	srv->nr_objs--;
	return fd;
}

/* Undo obj_take() for an object that never came to be; the caller keeps (fd). */
static void obj_untake(struct fuse_srv *srv, int fd)
{
	srv->nr_objs--;
	if (fd >= 0)
		__atomic_sub_fetch(&fd_used, 1, __ATOMIC_RELAXED);
}

static void *table_slot(struct fs_table *t, uint32_t idx, size_t esz)
{
	return (char *)t->chunks[idx / FS_TABLE_CHUNK] + (size_t)(idx % FS_TABLE_CHUNK) * esz;
}

/*
 * Add one slot, at (cap), to the empty free list; a new chunk when the last is
 * full. Slots are cleared and initialized as they are first handed out, not a
 * chunk at a time: a chunk (72-96 KiB) then stays untouched, not resident,
 * beyond the slots the guest has used. Slots [1, cap) are the initialized ones;
 * slot 0 and those from cap on are never read.
 * Called with srv->lock held.
 */
static int table_grow(struct fs_table *t, size_t esz, void (*init)(void *, uint32_t next))
{
	if (t->cap % FS_TABLE_CHUNK == 0) {
		uint32_t c = t->cap / FS_TABLE_CHUNK;
		void *mem;

		if (c >= FS_TABLE_CHUNKS)
			return -ENFILE;
		/* malloc, not calloc: calloc clears reused heap memory, touching it all. */
		mem = malloc(FS_TABLE_CHUNK * esz);
		if (!mem)
			return -ENOMEM;
		t->chunks[c] = mem;
		if (t->cap == 0)
			t->cap = 1;	/* slot 0 never holds anything: id 0 is invalid */
	}
	memset(table_slot(t, t->cap, esz), 0, esz);
	init(table_slot(t, t->cap, esz), t->free_head);
	t->free_head = t->cap++;
	return 0;
}

static void node_init_free(void *p, uint32_t next)
{
	struct node *n = p;

	n->fd = -1;
	n->rd_fd = -1;
	n->next_free = next;
}

static void handle_init_free(void *p, uint32_t next)
{
	struct handle *h = p;

	h->fd = -1;
	h->next_free = next;
	pthread_mutex_init(&h->dir_lock, NULL);
}

static uint32_t hash_key(struct fuse_srv *srv, dev_t dev, ino_t ino)
{
	uint64_t k = (uint64_t)ino * 0x9e3779b97f4a7c15ull ^ (uint64_t)dev * 0xc2b2ae3d27d4eb4full;

	return (uint32_t)(k >> 32) & (srv->hash_size - 1);
}

static struct node *node_at(struct fuse_srv *srv, uint32_t idx)
{
	return table_slot(&srv->nodes, idx, sizeof(struct node));
}

static struct handle *handle_at(struct fuse_srv *srv, uint32_t idx)
{
	return table_slot(&srv->handles, idx, sizeof(struct handle));
}

int fs_tables_init(struct fuse_srv *srv)
{
	srv->nodes.chunks = calloc(FS_TABLE_CHUNKS, sizeof(void *));
	srv->handles.chunks = calloc(FS_TABLE_CHUNKS, sizeof(void *));
	srv->hash_size = 1u << 16;
	srv->hash = calloc(srv->hash_size, sizeof(uint32_t));
	if (!srv->nodes.chunks || !srv->handles.chunks || !srv->hash)
		return -ENOMEM;
	return 0;
}

static void hash_remove(struct fuse_srv *srv, struct node *n, uint32_t idx)
{
	uint32_t *p = &srv->hash[hash_key(srv, n->dev, n->ino)];

	while (*p) {
		if (*p == idx) {
			*p = n->hnext;
			return;
		}
		p = &node_at(srv, *p)->hnext;
	}
}

/* Drop a node whose lookup count and pins reached zero. Called with srv->lock held.
 * Returns its fd, which the caller closes with fd_give() after unlocking. */
static int node_free(struct fuse_srv *srv, struct node *n, uint32_t idx)
{
	int fd;

	if (n->ov) {
		if (n->ov->node_id == MK_ID(n->gen, idx))
			n->ov->node_id = 0;
	} else {
		hash_remove(srv, n, idx);
	}
	if (n->rd_fd >= 0) {	/* not the inode's last reference (n->fd is): a cheap close */
		fd_give(n->rd_fd);
		n->rd_fd = -1;
		srv->nr_rd--;
	}
	fd = obj_give_later(srv, n->fd);
	n->fd = -1;
	n->ov = NULL;
	n->used = false;
	n->gen++;
	n->next_free = srv->nodes.free_head;
	srv->nodes.free_head = idx;
	return fd;
}

void fs_tables_destroy(struct fuse_srv *srv)
{
	uint32_t i;

	for (i = 1; i < srv->nodes.cap; i++) {
		struct node *n = node_at(srv, i);

		if (n->used)
			obj_give(srv, n->fd);
		if (n->rd_fd >= 0)
			fd_give(n->rd_fd);
	}
	for (i = 1; i < srv->handles.cap; i++) {
		struct handle *h = handle_at(srv, i);

		if (h->used)
			obj_give(srv, h->fd);
		pthread_mutex_destroy(&h->dir_lock);
	}
	for (i = 0; i < FS_TABLE_CHUNKS; i++) {
		if (srv->nodes.chunks)
			free(srv->nodes.chunks[i]);
		if (srv->handles.chunks)
			free(srv->handles.chunks[i]);
	}
	free(srv->nodes.chunks);
	free(srv->handles.chunks);
	free(srv->hash);
}

/*
 * Keep (fd), a read-only open of pinned node (n), for the node's later no-open
 * READs: a file read in pieces was reopened through /proc for every READ. At
 * most FS_KEEP_RD nodes per share keep one, inside the host fd budget; it goes
 * with the node. True when the node took (fd).
 */
bool node_keep_rd(struct fuse_srv *srv, struct node *n, int fd)
{
	bool kept = false;

	pthread_mutex_lock(&srv->lock);
	if (n->rd_fd < 0 && srv->nr_rd < FS_KEEP_RD && !fd_take()) {
		__atomic_store_n(&n->rd_fd, fd, __ATOMIC_RELEASE);
		srv->nr_rd++;
		kept = true;
	}
	pthread_mutex_unlock(&srv->lock);
	return kept;
}

/* Resolve a guest node id and pin the node for the duration of the request. */
int node_get(struct fuse_srv *srv, uint64_t id, struct node **out)
{
	uint32_t idx = ID_SLOT(id);
	struct node *n;
	int ret = -ESTALE;

	pthread_mutex_lock(&srv->lock);
	if (idx == 0 || idx >= srv->nodes.cap)
		goto out;
	n = node_at(srv, idx);
	if (!n->used || n->gen != ID_GEN(id))
		goto out;
	n->refs++;
	*out = n;
	ret = 0;
out:
	pthread_mutex_unlock(&srv->lock);
	return ret;
}

void node_put(struct fuse_srv *srv, struct node *n)
{
	uint32_t idx;
	int fd = -1;

	if (!n)
		return;
	pthread_mutex_lock(&srv->lock);
	n->refs--;
	if (n->refs == 0 && n->nlookup == 0) {
		/* recover the slot index from the chunk layout */
		for (idx = 0; idx < srv->nodes.cap; idx += FS_TABLE_CHUNK) {
			struct node *base = srv->nodes.chunks[idx / FS_TABLE_CHUNK];

			if (n >= base && n < base + FS_TABLE_CHUNK) {
				fd = node_free(srv, n, idx + (uint32_t)(n - base));
				break;
			}
		}
	}
	pthread_mutex_unlock(&srv->lock);
	fd_give(fd);
}

static int node_alloc(struct fuse_srv *srv, uint32_t *idx)
{
	int ret;

	if (!srv->nodes.free_head) {
		ret = table_grow(&srv->nodes, sizeof(struct node), node_init_free);
		if (ret)
			return ret;
	}
	*idx = srv->nodes.free_head;
	srv->nodes.free_head = node_at(srv, *idx)->next_free;
	return 0;
}

/*
 * Register a looked-up host inode (takes ownership of the O_PATH fd) and
 * count one lookup. An inode already known keeps its id and the new fd is
 * closed, so hard links map to one node.
 */
int node_insert(struct fuse_srv *srv, int fd, const struct statx *st, bool no_record,
		uint64_t *id)
{
	dev_t dev = makedev(st->stx_dev_major, st->stx_dev_minor);
	uint32_t b, idx;
	struct node *n;
	int ret;

	pthread_mutex_lock(&srv->lock);
	b = hash_key(srv, dev, st->stx_ino);
	for (idx = srv->hash[b]; idx; idx = n->hnext) {
		n = node_at(srv, idx);
		if (n->dev == dev && n->ino == st->stx_ino) {
			n->nlookup++;
			*id = MK_ID(n->gen, idx);
			pthread_mutex_unlock(&srv->lock);
			close(fd);
			return 0;
		}
	}
	ret = obj_take(srv, fd);
	if (!ret) {
		ret = node_alloc(srv, &idx);
		if (ret)
			obj_untake(srv, fd);
	}
	if (ret) {
		pthread_mutex_unlock(&srv->lock);
		close(fd);
		return ret;
	}
	n = node_at(srv, idx);
	n->used = true;
	n->fd = fd;
	n->dev = dev;
	n->ino = st->stx_ino;
	n->type = st->stx_mode & S_IFMT;
	n->no_record = no_record;
	n->ov = NULL;
	n->nlookup = 1;
	n->refs = 0;
	n->hnext = srv->hash[b];
	srv->hash[b] = idx;
	*id = MK_ID(n->gen, idx);
	pthread_mutex_unlock(&srv->lock);
	return 0;
}

/* The type the guest was told for host inode (dev, ino), or 0 if it holds no node for it. */
uint32_t node_known_type(struct fuse_srv *srv, dev_t dev, ino_t ino)
{
	uint32_t idx, type = 0;
	struct node *n;

	pthread_mutex_lock(&srv->lock);
	for (idx = srv->hash[hash_key(srv, dev, ino)]; idx; idx = n->hnext) {
		n = node_at(srv, idx);
		if (n->dev == dev && n->ino == ino) {
			type = n->type;
			break;
		}
	}
	pthread_mutex_unlock(&srv->lock);
	return type;
}

/* Same for an overlay entry: one node per entry while the guest knows it. */
int node_insert_ov(struct fuse_srv *srv, struct ov_entry *e, uint64_t *id)
{
	struct node *n;
	uint32_t idx;
	int ret;

	pthread_mutex_lock(&srv->lock);
	if (e->node_id) {
		n = node_at(srv, ID_SLOT(e->node_id));
		n->nlookup++;
		*id = e->node_id;
		pthread_mutex_unlock(&srv->lock);
		return 0;
	}
	ret = obj_take(srv, -1);
	if (!ret) {
		ret = node_alloc(srv, &idx);
		if (ret)
			obj_untake(srv, -1);
	}
	if (ret) {
		pthread_mutex_unlock(&srv->lock);
		return ret;
	}
	n = node_at(srv, idx);
	n->used = true;
	n->fd = -1;
	n->dev = 0;
	n->ino = e->ino;
	n->type = e->mode & S_IFMT;
	n->ov = e;
	n->nlookup = 1;
	n->refs = 0;
	e->node_id = *id = MK_ID(n->gen, idx);
	pthread_mutex_unlock(&srv->lock);
	return 0;
}

/* FORGET: the root (slot 1) is pinned forever; bogus ids are ignored (no reply exists). */
void node_forget(struct fuse_srv *srv, uint64_t id, uint64_t nlookup)
{
	uint32_t idx = ID_SLOT(id);
	struct node *n;
	int fd = -1;

	pthread_mutex_lock(&srv->lock);
	if (idx <= 1 || idx >= srv->nodes.cap)
		goto out;
	n = node_at(srv, idx);
	if (!n->used || n->gen != ID_GEN(id))
		goto out;
	n->nlookup -= nlookup < n->nlookup ? nlookup : n->nlookup;
	if (n->nlookup == 0 && n->refs == 0)
		fd = node_free(srv, n, idx);
out:
	pthread_mutex_unlock(&srv->lock);
	fd_give(fd);
}

/* DESTROY: the guest forgot everything; drop all nodes but the root. */
void node_forget_all(struct fuse_srv *srv)
{
	uint32_t idx;

	pthread_mutex_lock(&srv->lock);
	for (idx = 2; idx < srv->nodes.cap; idx++) {
		struct node *n = node_at(srv, idx);

		if (!n->used)
			continue;
		n->nlookup = 0;
		if (n->refs == 0)
			fd_give(node_free(srv, n, idx));	/* DESTROY: rare, under the lock */
	}
	pthread_mutex_unlock(&srv->lock);
}

int handle_new(struct fuse_srv *srv, int fd, struct ov_entry *ov, bool is_dir, uint64_t *fh)
{
	struct handle *h;
	uint32_t idx;
	int ret;

	pthread_mutex_lock(&srv->lock);
	ret = obj_take(srv, fd);
	if (!ret && !srv->handles.free_head) {
		ret = table_grow(&srv->handles, sizeof(struct handle), handle_init_free);
		if (ret)
			obj_untake(srv, fd);
	}
	if (ret) {
		pthread_mutex_unlock(&srv->lock);
		return ret;
	}
	idx = srv->handles.free_head;
	h = handle_at(srv, idx);
	srv->handles.free_head = h->next_free;
	h->used = true;
	h->fd = fd;
	h->ov = ov;
	h->is_dir = is_dir;
	h->refs = 0;
	h->dir_pos = 0;			/* a fresh fd stands at the start */
	h->dir_pos_valid = true;
	*fh = MK_ID(h->gen, idx);
	pthread_mutex_unlock(&srv->lock);
	return 0;
}

/* Resolve a guest file handle and pin it; -EBADF if stale or bogus. */
int handle_get(struct fuse_srv *srv, uint64_t fh, struct handle **out)
{
	uint32_t idx = ID_SLOT(fh);
	struct handle *h;
	int ret = -EBADF;

	pthread_mutex_lock(&srv->lock);
	if (idx == 0 || idx >= srv->handles.cap)
		goto out;
	h = handle_at(srv, idx);
	if (!h->used || h->gen != ID_GEN(fh) || h->released)
		goto out;
	h->refs++;
	*out = h;
	ret = 0;
out:
	pthread_mutex_unlock(&srv->lock);
	return ret;
}

/* Called with srv->lock held; returns the fd for fd_give() after unlocking. */
static int handle_free(struct fuse_srv *srv, struct handle *h, uint32_t idx)
{
	int fd = obj_give_later(srv, h->fd);

	h->fd = -1;
	h->ov = NULL;
	h->used = false;
	h->released = false;
	h->gen++;
	h->next_free = srv->handles.free_head;
	srv->handles.free_head = idx;
	return fd;
}

static uint32_t handle_idx(struct fuse_srv *srv, struct handle *h)
{
	uint32_t c;

	for (c = 0; c * FS_TABLE_CHUNK < srv->handles.cap; c++) {
		struct handle *base = srv->handles.chunks[c];

		if (h >= base && h < base + FS_TABLE_CHUNK)
			return c * FS_TABLE_CHUNK + (uint32_t)(h - base);
	}
	return 0;
}

/* Unpin; a handle released while pinned is freed by its last user. */
void handle_put(struct fuse_srv *srv, struct handle *h)
{
	int fd = -1;

	if (!h)
		return;
	if (h->temp) {
		if (h->pin)
			node_put(srv, h->pin);	/* the fd is the node's rd_fd */
		else if (h->fd >= 0)
			close(h->fd);
		free(h);
		return;
	}
	pthread_mutex_lock(&srv->lock);
	h->refs--;
	if (h->refs == 0 && h->released)
		fd = handle_free(srv, h, handle_idx(srv, h));
	pthread_mutex_unlock(&srv->lock);
	fd_give(fd);
}

/* RELEASE / RELEASEDIR. */
int handle_release(struct fuse_srv *srv, uint64_t fh)
{
	uint32_t idx = ID_SLOT(fh);
	struct handle *h;
	int ret = -EBADF, fd = -1;

	pthread_mutex_lock(&srv->lock);
	if (idx == 0 || idx >= srv->handles.cap)
		goto out;
	h = handle_at(srv, idx);
	if (!h->used || h->gen != ID_GEN(fh) || h->released)
		goto out;
	if (h->refs == 0)
		fd = handle_free(srv, h, idx);
	else
		h->released = true;	/* the last handle_put() frees it */
	ret = 0;
out:
	pthread_mutex_unlock(&srv->lock);
	fd_give(fd);
	return ret;
}
