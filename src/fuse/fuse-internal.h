/* src/fuse/fuse-internal.h: state shared by the FUSE server's files (node/handle tables, request context, overlay tree). */
#ifndef KRUN_FUSE_INTERNAL_H
#define KRUN_FUSE_INTERNAL_H

#include "fuse/fuse-server.h"

#include <linux/fuse.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <time.h>

/* Node ids and file handles are (generation << 32 | slot index): never pointers. */
#define FS_TABLE_CHUNK	1024u
#define FS_TABLE_CHUNKS	4096u	/* up to 4 Mi live nodes / handles */
#define FS_TTL_SEC	5	/* cache=auto, as upstream */
#define FS_TTL_ALWAYS	86400	/* cache=always: the guest owns the tree */
#define FS_MAX_OBJECTS	(1u << 20)	/* default cap on nodes + handles per share (~80 MiB) */
#define FS_KEEP_RD	64	/* nodes per share that keep a read fd (no-open READs) */

/* A virtual (memory-backed) entry; the tree is built before serving and never freed early. */
struct ov_entry {
	char *name;
	uint32_t mode;			/* full st_mode (S_IFREG / S_IFDIR | perms) */
	const uint8_t *data;
	size_t len;
	bool one_shot;
	bool consumed;			/* one-shot already looked up; protected by srv->lock */
	uint64_t ino;
	uint64_t node_id;		/* live node for this entry or 0; protected by srv->lock */
	struct ov_entry *parent, *children, *next;
};

struct node {
	uint32_t gen;
	bool used;
	int fd;				/* O_PATH fd, -1 for overlay nodes; immutable while used */
	dev_t dev;
	ino_t ino;
	uint32_t type;			/* S_IFMT bits; immutable while used */
	bool no_record;			/* no override_stat record when first looked up (immutable) */
	int rd_fd;			/* read-only open kept for no-open READs, or -1; set once
					 * under srv->lock, closed when the node is freed */
	struct ov_entry *ov;		/* overlay entry (also set on a passthrough root) */
	uint64_t nlookup;		/* protected by srv->lock */
	uint32_t refs;			/* in-flight requests; protected by srv->lock */
	uint32_t hnext;			/* (dev, ino) hash chain; protected by srv->lock */
	uint32_t next_free;
};

struct handle {
	uint32_t gen;
	bool used;
	int fd;				/* opened fd (not O_PATH), -1 for overlay handles */
	struct ov_entry *ov;		/* overlay file / dir, or NULL */
	bool is_dir;
	bool released;			/* RELEASE seen while pinned; protected by srv->lock */
	uint32_t refs;			/* protected by srv->lock */
	uint32_t next_free;
	pthread_mutex_t dir_lock;	/* serializes READDIR on this handle (fd offset) */
	uint64_t dir_pos;		/* cookie the directory fd stands at (dir_lock) */
	bool dir_pos_valid;
	bool temp;			/* no-open: made for one request, not in the table */
	struct node *pin;		/* temp handle on a node's rd_fd: unpinned, not closed */
};

struct fs_table {
	void **chunks;			/* FS_TABLE_CHUNKS pointers to arrays of FS_TABLE_CHUNK */
	uint32_t cap;			/* slots allocated */
	uint32_t free_head;		/* 0 = none (slot 0 is never used) */
};

struct fuse_srv {
	int root_fd;			/* -1 for the virtual-only fs */
	bool read_only;
	uint64_t dax_size;
	struct fuse_srv_callbacks cb;
	bool as_root;			/* euid 0: switch fsuid/fsgid per request */
	struct timespec birth;		/* timestamps of overlay entries */
	pthread_mutex_t lock;		/* protects both tables, the hash and overlay bookkeeping */
	struct fs_table nodes, handles;
	uint32_t nr_objs;		/* live nodes + handles, with or without fd (lock) */
	uint32_t nr_rd;			/* nodes holding an rd_fd (lock) */
	uint32_t max_objs;		/* beyond it the guest gets EMFILE */
	uint32_t *hash;			/* buckets of node slot indexes (0 = empty) */
	uint32_t hash_size;
	struct ov_entry ov_root;
	uint64_t next_vino;
	uint32_t minor;			/* negotiated protocol minor */
	enum fuse_srv_cache cache;
	uint32_t ttl;			/* entry/attr timeout in seconds, from the policy */
	bool writeback;			/* WRITEBACK_CACHE negotiated at INIT */
	bool no_xattr;			/* xattr opcodes answer ENOSYS */
	bool no_open;			/* OPEN/CREATE answer ENOSYS: files come as fh 0 */
};

/* One request being handled. */
struct fuse_req {
	struct fuse_srv *srv;
	const struct fuse_in_header *h;
	const uint8_t *arg;		/* linearized arguments after the header */
	size_t arg_len;
	const struct iovec *in;		/* original buffers (WRITE payload) */
	int in_cnt;
	const struct iovec *out;
	int out_cnt;
	size_t out_max;			/* reply bytes available after fuse_out_header */
	bool out_room;			/* out holds a fuse_out_header (not so for FORGETs) */
	uint8_t *rbuf;			/* linear reply payload (malloc'd) */
	size_t rlen;
	const struct fuse_srv_sink *sink;	/* zero-copy READ replies, or NULL */
	bool direct;			/* payload already written to out (READ) */
	bool as_caller;			/* running under the caller's fsuid/fsgid */
	bool no_reply;
};

/* nodes.c */
int fs_fd_budget_init(void);
int fs_tables_init(struct fuse_srv *srv);
void fs_tables_destroy(struct fuse_srv *srv);
int node_get(struct fuse_srv *srv, uint64_t id, struct node **out);
void node_put(struct fuse_srv *srv, struct node *n);
int node_insert(struct fuse_srv *srv, int fd, const struct statx *st, bool no_record,
		uint64_t *id);
int node_insert_ov(struct fuse_srv *srv, struct ov_entry *e, uint64_t *id);
void node_forget(struct fuse_srv *srv, uint64_t id, uint64_t nlookup);
void node_forget_all(struct fuse_srv *srv);
bool node_keep_rd(struct fuse_srv *srv, struct node *n, int fd);
uint32_t node_known_type(struct fuse_srv *srv, dev_t dev, ino_t ino);
int handle_new(struct fuse_srv *srv, int fd, struct ov_entry *ov, bool is_dir, uint64_t *fh);
int handle_get(struct fuse_srv *srv, uint64_t fh, struct handle **out);
void handle_put(struct fuse_srv *srv, struct handle *h);
int handle_release(struct fuse_srv *srv, uint64_t fh);

/* server.c helpers */
void req_creds_server(struct fuse_req *r);
void req_creds_caller(struct fuse_req *r);
void *reply_alloc(struct fuse_req *r, size_t len);
int req_name(struct fuse_req *r, size_t off, const char **name, size_t *next);
int name_ok(const char *name);
size_t iov_slice(const struct iovec *iov, int cnt, size_t skip, size_t len,
		 struct iovec *dst, int dst_max, int *dst_cnt);
size_t iov_total(const struct iovec *iov, int cnt);

/* passthrough-io.c: what the caching policy changes in opens */
int pt_host_open_flags(struct fuse_srv *srv, int flags);
uint32_t pt_fopen_flags(struct fuse_srv *srv, bool dir, int flags);

/* passthrough.c / passthrough-io.c: one handler per opcode, return 0 or -errno. */
void fill_attr(struct fuse_attr *a, const struct statx *st);
int pt_stat(int fd, struct statx *st);
int pt_lookup_child(struct fuse_req *r, struct node *parent, const char *name,
		    struct fuse_entry_out *e);
int pt_proc_path(int fd, char *buf, size_t len);
int pt_path_fd(int fd);
int pt_kill_suidgid(struct fuse_req *r, int fd);
int op_lookup(struct fuse_req *r);
int op_getattr(struct fuse_req *r);
int op_setattr(struct fuse_req *r);
int op_readlink(struct fuse_req *r);
int op_symlink(struct fuse_req *r);
int op_mknod(struct fuse_req *r);
int op_mkdir(struct fuse_req *r);
int op_unlink(struct fuse_req *r);
int op_rmdir(struct fuse_req *r);
int op_rename(struct fuse_req *r);
int op_rename2(struct fuse_req *r);
int op_link(struct fuse_req *r);
int op_statfs(struct fuse_req *r);
int op_syncfs(struct fuse_req *r);
int op_access(struct fuse_req *r);
int op_create(struct fuse_req *r);
int op_setxattr(struct fuse_req *r);
int op_getxattr(struct fuse_req *r);
int op_listxattr(struct fuse_req *r);
int op_removexattr(struct fuse_req *r);
int op_open(struct fuse_req *r);
int op_opendir(struct fuse_req *r);
int op_read(struct fuse_req *r);
int op_write(struct fuse_req *r);
int op_release(struct fuse_req *r);
int op_flush(struct fuse_req *r);
int op_fsync(struct fuse_req *r);
int op_readdir(struct fuse_req *r);
int op_readdirplus(struct fuse_req *r);
int op_fallocate(struct fuse_req *r);
int op_lseek(struct fuse_req *r);
int op_copy_file_range(struct fuse_req *r);
int op_getlk(struct fuse_req *r);
int op_setlk(struct fuse_req *r);
int op_setupmapping(struct fuse_req *r);
int op_removemapping(struct fuse_req *r);

/* stat-override.c: device nodes as regular host files (user.containers.override_stat) */
#define FS_OVR_XATTR	"user.containers.override_stat"	/* never visible to the guest */
int pt_stat_node(struct fuse_srv *srv, int fd, struct statx *st);
int pt_stat_node_rec(struct fuse_srv *srv, int fd, struct statx *st, bool *rec);
int pt_stat_held(struct fuse_srv *srv, struct node *n, struct statx *st);
bool pt_is_stand_in(struct node *n);
int pt_mknod_stand_in(int dirfd, const char *name, uint32_t mode, uint32_t rdev, uint32_t uid,
		      uint32_t gid);
int pt_setattr_stand_in(struct fuse_req *r, struct node *n, const struct fuse_setattr_in *in);
int pt_record_attr(struct fuse_req *r, struct node *n, const struct fuse_setattr_in *in,
		   bool create);

/* overlay.c */
struct ov_entry *ov_find(struct fuse_srv *srv, struct node *parent, const char *name,
			 bool consume);
bool ov_has_files(const struct ov_entry *e);
void ov_fill_attr(struct fuse_srv *srv, struct fuse_attr *a, const struct ov_entry *e);
int ov_lookup(struct fuse_req *r, struct ov_entry *e, struct fuse_entry_out *out);
int ov_readdir(struct fuse_req *r, struct handle *h, uint64_t off, uint32_t size, bool plus);
void ov_free_tree(struct ov_entry *e);

#endif
