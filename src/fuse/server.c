/* src/fuse/server.c: FUSE request framing (scattered buffers in/out), opcode dispatch, INIT/FORGET/IOCTL, server lifecycle. */
#include "fuse/fuse-internal.h"
#include "sandbox/lists.h"
#include "util/log.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <linux/capability.h>
#include <sys/fsuid.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Flags we offer at INIT (intersected with the kernel's). No POSIX/flock lock
 * flags: like upstream, locks stay local to the guest kernel (a blocking
 * SETLKW would otherwise stall the single worker). No WRITEBACK_CACHE. */
#define SRV_INIT_FLAGS                                                          \
	(FUSE_ASYNC_READ | FUSE_PARALLEL_DIROPS | FUSE_BIG_WRITES |             \
	 FUSE_AUTO_INVAL_DATA | FUSE_ASYNC_DIO | FUSE_HAS_IOCTL_DIR |          \
	 FUSE_ATOMIC_O_TRUNC | FUSE_MAX_PAGES | FUSE_DO_READDIRPLUS |          \
	 FUSE_READDIRPLUS_AUTO | FUSE_INIT_EXT | FUSE_HANDLE_KILLPRIV_V2)

size_t iov_total(const struct iovec *iov, int cnt)
{
	size_t t = 0;
	int i;

	for (i = 0; i < cnt; i++)
		t += iov[i].iov_len;
	return t;
}

/* Describe bytes [skip, skip+len) of (iov) as at most dst_max iovecs; returns bytes covered. */
size_t iov_slice(const struct iovec *iov, int cnt, size_t skip, size_t len,
		 struct iovec *dst, int dst_max, int *dst_cnt)
{
	size_t got = 0;
	int i, n = 0;

	for (i = 0; i < cnt && got < len && n < dst_max; i++) {
		size_t l = iov[i].iov_len;

		if (skip >= l) {
			skip -= l;
			continue;
		}
		l -= skip;
		if (l > len - got)
			l = len - got;
		dst[n].iov_base = (uint8_t *)iov[i].iov_base + skip;
		dst[n].iov_len = l;
		n++;
		got += l;
		skip = 0;
	}
	*dst_cnt = n;
	return got;
}

static size_t iov_copy_from(const struct iovec *iov, int cnt, void *buf, size_t len)
{
	size_t done = 0;
	int i;

	for (i = 0; i < cnt && done < len; i++) {
		size_t l = iov[i].iov_len < len - done ? iov[i].iov_len : len - done;

		memcpy((uint8_t *)buf + done, iov[i].iov_base, l);
		done += l;
	}
	return done;
}

static size_t iov_copy_to(const struct iovec *iov, int cnt, size_t skip, const void *buf,
			  size_t len)
{
	struct iovec v[64];
	size_t done = 0, got;
	int i, n;

	while (done < len) {
		got = iov_slice(iov, cnt, skip + done, len - done, v, 64, &n);
		if (!got)
			break;
		for (i = 0; i < n; i++) {
			memcpy(v[i].iov_base, (const uint8_t *)buf + done, v[i].iov_len);
			done += v[i].iov_len;
		}
	}
	return done;
}

/* Reserve the reply payload; NULL if it does not fit the guest's buffers. */
void *reply_alloc(struct fuse_req *r, size_t len)
{
	if (len > r->out_max)
		return NULL;
	free(r->rbuf);
	r->rbuf = calloc(1, len ? len : 1);
	r->rlen = r->rbuf ? len : 0;
	return r->rbuf;
}

/* A NUL-terminated string at (off) in the arguments; *next is the offset after the NUL. */
int req_name(struct fuse_req *r, size_t off, const char **name, size_t *next)
{
	const uint8_t *nul;

	if (off >= r->arg_len)
		goto bad;
	nul = memchr(r->arg + off, 0, r->arg_len - off);
	if (!nul)
		goto bad;
	*name = (const char *)r->arg + off;
	if (next)
		*next = (size_t)(nul - r->arg) + 1;
	return 0;
bad:
	log_warn_once("fuse: name argument not NUL-terminated (opcode %u)", r->h->opcode);
	return -EINVAL;
}

/* A single path component the guest may name: never "", ".", ".." or containing '/'. */
int name_ok(const char *name)
{
	size_t l = strlen(name);

	if (l > NAME_MAX)
		return -ENAMETOOLONG;	/* what a native filesystem says (NAME_MAX 255) */
	if (l == 0 || strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, ".."))
		return -EINVAL;
	return 0;
}

static int op_init(struct fuse_req *r)
{
	const struct fuse_init_in *in = (const void *)r->arg;
	struct fuse_init_out *o;
	uint64_t want;

	if (in->major != FUSE_KERNEL_VERSION || in->minor < 27) {
		log_warn("fuse: guest speaks protocol %u.%u, need 7.27+", in->major, in->minor);
		return -EPROTO;
	}
	want = in->flags;
	if ((want & FUSE_INIT_EXT) && r->arg_len >= offsetof(struct fuse_init_in, unused))
		want |= (uint64_t)in->flags2 << 32;
	o = reply_alloc(r, sizeof(*o));
	if (!o)
		return -EINVAL;
	r->srv->minor = in->minor < FUSE_KERNEL_MINOR_VERSION ? in->minor : FUSE_KERNEL_MINOR_VERSION;
	o->major = FUSE_KERNEL_VERSION;
	o->minor = r->srv->minor;
	o->max_readahead = in->max_readahead;
	o->flags = (uint32_t)(want & SRV_INIT_FLAGS);
	/* cache=always: the guest's page cache holds writes and it owns mtime and size. */
	r->srv->writeback = r->srv->cache == FUSE_SRV_CACHE_ALWAYS && !r->srv->read_only &&
			    (want & FUSE_WRITEBACK_CACHE);
	if (r->srv->writeback)
		o->flags |= FUSE_WRITEBACK_CACHE;
	/*
	 * cache=always: file OPEN/RELEASE cost two round trips per open() and carry
	 * nothing the guest kernel does not already handle (passthrough-io.c). Without
	 * OPEN, an O_TRUNC must come as SETATTR, so ATOMIC_O_TRUNC goes. Only OPEN can
	 * refuse a write open, so shares that must (read-only ones, overlay files
	 * other than one-shot ones) keep it.
	 */
	r->srv->no_open = r->srv->cache == FUSE_SRV_CACHE_ALWAYS && (want & FUSE_NO_OPEN_SUPPORT) &&
			  !r->srv->read_only && !ov_has_files(&r->srv->ov_root);
	if (r->srv->no_open)
		o->flags &= ~(uint32_t)FUSE_ATOMIC_O_TRUNC;
	if (r->srv->dax_size && (want & FUSE_MAP_ALIGNMENT)) {
		/* Mappings must be page aligned (log2 of 4 KiB); fs/fuse/dax.c checks <= 21. */
		o->flags |= FUSE_MAP_ALIGNMENT;
		o->map_alignment = 12;
	}
	o->flags2 = 0;
	o->max_background = 64;
	o->congestion_threshold = 48;
	o->max_write = FUSE_SRV_MAX_WRITE;
	o->time_gran = 1;
	o->max_pages = FUSE_SRV_MAX_WRITE / 4096;
	umask(0);	/* process-wide: the guest kernel already applied the guest's umask */
	return 0;
}

static int op_forget(struct fuse_req *r)
{
	const struct fuse_forget_in *in = (const void *)r->arg;

	node_forget(r->srv, r->h->nodeid, in->nlookup);
	r->no_reply = true;
	return 0;
}

static int op_batch_forget(struct fuse_req *r)
{
	const struct fuse_batch_forget_in *in = (const void *)r->arg;
	const struct fuse_forget_one *one = (const void *)(r->arg + sizeof(*in));
	size_t room = (r->arg_len - sizeof(*in)) / sizeof(*one), i;

	r->no_reply = true;
	if (in->count > room)
		log_warn_once("fuse: BATCH_FORGET count %u exceeds its buffer", in->count);
	for (i = 0; i < in->count && i < room; i++) {
		struct fuse_forget_one f;

		memcpy(&f, one + i, sizeof(f));
		node_forget(r->srv, f.nodeid, f.nlookup);
	}
	return 0;
}

static int op_interrupt(struct fuse_req *r)
{
	r->no_reply = true;	/* requests complete synchronously; nothing to interrupt */
	return 0;
}

static int op_destroy(struct fuse_req *r)
{
	node_forget_all(r->srv);
	return 0;
}

/* Only the exit-code ioctl on a directory; everything else is not a tty-style ioctl we know. */
static int op_ioctl(struct fuse_req *r)
{
	const struct fuse_ioctl_in *in = (const void *)r->arg;
	struct fuse_ioctl_out *o;

	if (in->cmd != FUSE_SRV_IOCTL_EXIT_CODE || !(in->flags & FUSE_IOCTL_DIR))
		return -ENOTTY;
	o = reply_alloc(r, sizeof(*o));
	if (!o)
		return -EINVAL;
	if (r->srv->cb.exit_code)
		r->srv->cb.exit_code(r->srv->cb.opaque, (int32_t)in->arg);
	return 0;
}

static int op_enosys(struct fuse_req *r)
{
	return -ENOSYS;
}

struct op_desc {
	int (*fn)(struct fuse_req *r);
	uint16_t min_arg;	/* fixed-size argument struct the opcode needs */
	bool modifies;		/* EROFS on a read-only share */
	bool creds;		/* runs with the caller's fsuid/fsgid */
};

#define OP(code, f, size, mod, cred) [code] = { f, size, mod, cred }
static const struct op_desc ops[] = {
	OP(FUSE_LOOKUP, op_lookup, 0, false, true),
	OP(FUSE_FORGET, op_forget, sizeof(struct fuse_forget_in), false, false),
	OP(FUSE_GETATTR, op_getattr, sizeof(struct fuse_getattr_in), false, false),
	OP(FUSE_SETATTR, op_setattr, sizeof(struct fuse_setattr_in), true, true),
	OP(FUSE_READLINK, op_readlink, 0, false, false),
	OP(FUSE_SYMLINK, op_symlink, 0, true, true),
	OP(FUSE_MKNOD, op_mknod, sizeof(struct fuse_mknod_in), true, true),
	OP(FUSE_MKDIR, op_mkdir, sizeof(struct fuse_mkdir_in), true, true),
	OP(FUSE_UNLINK, op_unlink, 0, true, true),
	OP(FUSE_RMDIR, op_rmdir, 0, true, true),
	OP(FUSE_RENAME, op_rename, sizeof(struct fuse_rename_in), true, true),
	OP(FUSE_LINK, op_link, sizeof(struct fuse_link_in), true, true),
	OP(FUSE_OPEN, op_open, sizeof(struct fuse_open_in), false, true),
	OP(FUSE_READ, op_read, sizeof(struct fuse_read_in), false, false),
	OP(FUSE_WRITE, op_write, sizeof(struct fuse_write_in), true, false),
	OP(FUSE_STATFS, op_statfs, 0, false, false),
	OP(FUSE_RELEASE, op_release, sizeof(struct fuse_release_in), false, false),
	OP(FUSE_FSYNC, op_fsync, sizeof(struct fuse_fsync_in), false, false),
	OP(FUSE_SETXATTR, op_setxattr, FUSE_COMPAT_SETXATTR_IN_SIZE, true, true),
	OP(FUSE_GETXATTR, op_getxattr, sizeof(struct fuse_getxattr_in), false, true),
	OP(FUSE_LISTXATTR, op_listxattr, sizeof(struct fuse_getxattr_in), false, true),
	OP(FUSE_REMOVEXATTR, op_removexattr, 0, true, true),
	OP(FUSE_FLUSH, op_flush, sizeof(struct fuse_flush_in), false, false),
	OP(FUSE_INIT, op_init, 16, false, false),
	OP(FUSE_OPENDIR, op_opendir, sizeof(struct fuse_open_in), false, true),
	OP(FUSE_READDIR, op_readdir, sizeof(struct fuse_read_in), false, false),
	OP(FUSE_RELEASEDIR, op_release, sizeof(struct fuse_release_in), false, false),
	OP(FUSE_FSYNCDIR, op_fsync, sizeof(struct fuse_fsync_in), false, false),
	OP(FUSE_GETLK, op_getlk, sizeof(struct fuse_lk_in), false, false),
	OP(FUSE_SETLK, op_setlk, sizeof(struct fuse_lk_in), false, false),
	OP(FUSE_SETLKW, op_setlk, sizeof(struct fuse_lk_in), false, false),
	OP(FUSE_ACCESS, op_access, sizeof(struct fuse_access_in), false, true),
	OP(FUSE_CREATE, op_create, sizeof(struct fuse_create_in), true, true),
	OP(FUSE_INTERRUPT, op_interrupt, 0, false, false),
	OP(FUSE_BMAP, op_enosys, 0, false, false),
	OP(FUSE_DESTROY, op_destroy, 0, false, false),
	OP(FUSE_IOCTL, op_ioctl, sizeof(struct fuse_ioctl_in), false, false),
	OP(FUSE_BATCH_FORGET, op_batch_forget, sizeof(struct fuse_batch_forget_in), false, false),
	OP(FUSE_FALLOCATE, op_fallocate, sizeof(struct fuse_fallocate_in), true, false),
	OP(FUSE_READDIRPLUS, op_readdirplus, sizeof(struct fuse_read_in), false, false),
	OP(FUSE_RENAME2, op_rename2, sizeof(struct fuse_rename2_in), true, true),
	OP(FUSE_LSEEK, op_lseek, sizeof(struct fuse_lseek_in), false, false),
	OP(FUSE_COPY_FILE_RANGE, op_copy_file_range, sizeof(struct fuse_copy_file_range_in),
	   true, false),
	OP(FUSE_SETUPMAPPING, op_setupmapping, sizeof(struct fuse_setupmapping_in), false,
	   false),
	OP(FUSE_SYNCFS, op_syncfs, sizeof(struct fuse_syncfs_in), false, false),
	OP(FUSE_REMOVEMAPPING, op_removemapping, sizeof(struct fuse_removemapping_in), false,
	   false),
};

/*
 * Run (d) with the request's credentials for host permission checks and
 * ownership of new files: setfsuid/setfsgid act on the calling thread only
 * and drop the fs capabilities for a non-zero id. Supplementary groups are
 * not forwarded (the request does not carry them).
 */
static void creds_caller(struct fuse_req *r)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct cap[2];

	setfsgid(r->h->gid);
	setfsuid(r->h->uid);
	/*
	 * The guest mounts with default_permissions: its kernel already granted
	 * this request against the caller's full credentials, supplementary
	 * groups included, which the request does not carry. Keep the host from
	 * refusing what the guest granted through such a group: DAC overrides
	 * stay on for this thread (capset acts on the calling thread only); the
	 * fsuid/fsgid still own what gets created.
	 */
	if (syscall(SYS_capget, &hdr, cap) < 0)
		return;
	cap[0].effective |= cap[0].permitted &
			    ((1u << CAP_DAC_OVERRIDE) | (1u << CAP_DAC_READ_SEARCH));
	syscall(SYS_capset, &hdr, cap);
}

static int run_op(struct fuse_req *r, const struct op_desc *d)
{
	int ret;

	if (!d->creds || !r->srv->as_root || (r->h->uid == 0 && r->h->gid == 0))
		return d->fn(r);
	r->as_caller = true;
	creds_caller(r);
	ret = d->fn(r);
	setfsuid(0);
	setfsgid(0);
	r->as_caller = false;
	return ret;
}

/*
 * Step out of the caller's fsuid/fsgid for an action the guest kernel has
 * already permitted and the host check would wrongly refuse (the server
 * lacks the caller's supplementary groups; killing setuid bits on a write by
 * a non-owner). No-op when the request does not run with the caller's ids.
 */
void req_creds_server(struct fuse_req *r)
{
	if (r->as_caller) {
		setfsuid(0);
		setfsgid(0);
	}
}

void req_creds_caller(struct fuse_req *r)
{
	if (r->as_caller)
		creds_caller(r);
}

static int dispatch(struct fuse_req *r)
{
	uint32_t opc = r->h->opcode;
	const struct op_desc *d;

	if (opc >= sizeof(ops) / sizeof(ops[0]) || !ops[opc].fn) {
		log_warn_once("fuse: unknown opcode %u", opc);
		return -ENOSYS;
	}
	d = &ops[opc];
	if (r->arg_len < d->min_arg) {
		log_warn_once("fuse: opcode %u with short arguments (%zu < %u)", opc,
			      r->arg_len, d->min_arg);
		return -EINVAL;
	}
	if (r->srv->no_xattr && (opc == FUSE_GETXATTR || opc == FUSE_LISTXATTR ||
				 opc == FUSE_SETXATTR || opc == FUSE_REMOVEXATTR))
		return -ENOSYS;	/* the kernel remembers it per opcode and stops asking */
	if (d->modifies && r->srv->read_only)
		return -EROFS;
	return run_op(r, d);
}

static int send_reply(struct fuse_req *r, int err, size_t *reply_len)
{
	struct fuse_out_header oh = { .unique = r->h->unique };
	size_t payload = err ? 0 : r->rlen;

	if (r->no_reply || !r->out_room) {	/* no room: a FORGET-like request failed */
		*reply_len = 0;
		return 0;
	}
	oh.error = err;
	oh.len = (uint32_t)(sizeof(oh) + payload);
	iov_copy_to(r->out, r->out_cnt, 0, &oh, sizeof(oh));
	if (payload && !r->direct)
		iov_copy_to(r->out, r->out_cnt, sizeof(oh), r->rbuf, payload);
	*reply_len = oh.len;
	return 0;
}

static bool no_reply_opcode(uint32_t opc)
{
	return opc == FUSE_FORGET || opc == FUSE_BATCH_FORGET || opc == FUSE_INTERRUPT;
}

int fuse_srv_handle(struct fuse_srv *srv, const struct iovec *in, int in_cnt,
		    const struct iovec *out, int out_cnt, size_t *reply_len)
{
	return fuse_srv_handle_sink(srv, in, in_cnt, out, out_cnt, NULL, reply_len);
}

int fuse_srv_handle_sink(struct fuse_srv *srv, const struct iovec *in, int in_cnt,
			 const struct iovec *out, int out_cnt, const struct fuse_srv_sink *sink,
			 size_t *reply_len)
{
	size_t in_total = iov_total(in, in_cnt), out_total = iov_total(out, out_cnt), lin;
	struct fuse_in_header h;
	struct fuse_req r = { .srv = srv, .h = &h, .in = in, .in_cnt = in_cnt, .out = out,
			      .out_cnt = out_cnt, .sink = sink };
	uint8_t *buf = NULL;
	int ret;

	*reply_len = 0;
	if (in_total >= sizeof(h))
		iov_copy_from(in, in_cnt, &h, sizeof(h));
	/* FORGET and its kin are never answered, and the guest's driver gives them no
	 * reply buffer at all (the hiprio queue): they must not need one. */
	r.out_room = out_total >= sizeof(struct fuse_out_header);
	if (in_total < sizeof(h) || (!r.out_room && !no_reply_opcode(h.opcode))) {
		log_warn_once("fuse: request without room for headers (%zu in, %zu out)",
			      in_total, out_total);
		return -EINVAL;
	}
	r.out_max = r.out_room ? out_total - sizeof(struct fuse_out_header) : 0;
	if (h.len < sizeof(h) || h.len > in_total) {
		log_warn_once("fuse: header len %u outside the %zu-byte request", h.len, in_total);
		ret = -EINVAL;
		goto reply;
	}
	if (h.len > FUSE_SRV_MAX_REQ) {
		log_warn_once("fuse: request of %u bytes exceeds the limit", h.len);
		ret = -ENOMEM;
		goto reply;
	}
	/* WRITE payloads stay in the guest's buffers; everything else is linearized. */
	lin = h.len;
	if (h.opcode == FUSE_WRITE && lin > sizeof(h) + sizeof(struct fuse_write_in))
		lin = sizeof(h) + sizeof(struct fuse_write_in);
	buf = malloc(lin + 1);
	if (!buf) {
		ret = -ENOMEM;
		goto reply;
	}
	iov_copy_from(in, in_cnt, buf, lin);
	r.arg = buf + sizeof(h);
	r.arg_len = lin - sizeof(h);
	ret = dispatch(&r);
reply:
	if (ret > 0)
		ret = -EIO;
	send_reply(&r, ret, reply_len);
	free(r.rbuf);
	free(buf);
	return 0;
}

int fuse_srv_cache_parse(const char *s, enum fuse_srv_cache dflt, enum fuse_srv_cache *out)
{
	if (!s || !*s)
		*out = dflt;
	else if (!strcmp(s, "auto"))
		*out = FUSE_SRV_CACHE_AUTO;
	else if (!strcmp(s, "never"))
		*out = FUSE_SRV_CACHE_NEVER;
	else if (!strcmp(s, "always"))
		*out = FUSE_SRV_CACHE_ALWAYS;
	else
		return -EINVAL;
	return 0;
}

int fuse_srv_create(const struct fuse_srv_config *cfg, struct fuse_srv **out)
{
	struct fuse_srv *srv;
	uint64_t root_id;
	struct statx st;
	int ret;

	if (cfg->cache > FUSE_SRV_CACHE_ALWAYS)
		return -EINVAL;
	srv = calloc(1, sizeof(*srv));
	if (!srv)
		return -ENOMEM;
	srv->root_fd = -1;
	srv->read_only = cfg->read_only;
	srv->cache = cfg->cache;
	srv->no_xattr = cfg->no_xattr;
	srv->ttl = cfg->cache == FUSE_SRV_CACHE_ALWAYS ? FS_TTL_ALWAYS :
		   cfg->cache == FUSE_SRV_CACHE_NEVER ? 0 : FS_TTL_SEC;
	srv->dax_size = cfg->dax_window_size;
	srv->cb = cfg->cb;
	srv->as_root = geteuid() == 0;
	srv->max_objs = cfg->max_objects ? cfg->max_objects : FS_MAX_OBJECTS;
	fs_fd_budget_init();
	srv->next_vino = 1ull << 62;
	srv->ov_root.mode = S_IFDIR | 0755;
	srv->ov_root.ino = 1;
	clock_gettime(CLOCK_REALTIME, &srv->birth);
	pthread_mutex_init(&srv->lock, NULL);
	ret = fs_tables_init(srv);
	if (ret)
		goto err;
	if (cfg->root_dir) {
		srv->root_fd = open(cfg->root_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (srv->root_fd < 0) {
			ret = -errno;
			goto err;
		}
		ret = pt_stat(srv->root_fd, &st);
		if (ret)
			goto err;
		ret = node_insert(srv, srv->root_fd, &st, false, &root_id);
		srv->root_fd = -1;	/* owned by the node now */
	} else {
		ret = node_insert_ov(srv, &srv->ov_root, &root_id);
	}
	if (ret)
		goto err;
	if (root_id != FUSE_ROOT_ID) {
		ret = -EIO;
		goto err;
	}
	{
		struct node *root;

		node_get(srv, FUSE_ROOT_ID, &root);
		root->ov = &srv->ov_root;	/* overlay entries hang off the root */
		srv->root_fd = root->fd;
		node_put(srv, root);
	}
	*out = srv;
	return 0;
err:
	if (srv->root_fd >= 0)
		close(srv->root_fd);
	fuse_srv_destroy(srv);
	return ret;
}

void fuse_srv_destroy(struct fuse_srv *srv)
{
	if (!srv)
		return;
	fs_tables_destroy(srv);
	ov_free_tree(srv->ov_root.children);
	pthread_mutex_destroy(&srv->lock);
	free(srv);
}

/* Sandbox (x86_64): The FUSE passthrough server, run by each virtio-fs worker (DAX mappings use mmap, in the base list). */
#ifdef __x86_64__
static const int fuse_srv_sbx_syscalls[] = {
	/* lookups and opens: openat2 beneath the share, O_PATH reopened via /proc/self/fd */
	__NR_openat, __NR_openat2, __NR_open_tree, __NR_close, __NR_dup, __NR_dup3, __NR_fcntl,
	__NR_flock, __NR_newfstatat, __NR_fstat, __NR_statx, __NR_statfs, __NR_fstatfs,
	__NR_faccessat, __NR_faccessat2, __NR_readlinkat, __NR_getdents64, __NR_lseek,
	/* data */
	__NR_read, __NR_pread64, __NR_pwrite64, __NR_preadv, __NR_pwritev, __NR_preadv2,
	__NR_pwritev2, __NR_copy_file_range, __NR_fallocate, __NR_fsync, __NR_fdatasync,
	__NR_syncfs, __NR_ftruncate, __NR_truncate,
	/* namespace changes */
	__NR_mkdirat, __NR_mknodat, __NR_unlinkat, __NR_renameat, __NR_renameat2, __NR_linkat,
	__NR_symlinkat,
	/* attributes, through fds or /proc/self/fd paths */
	__NR_fchmod, __NR_fchmodat, __NR_chmod, __NR_fchown, __NR_fchownat, __NR_utimensat,
	__NR_getxattr, __NR_lgetxattr, __NR_fgetxattr, __NR_setxattr, __NR_lsetxattr,
	__NR_fsetxattr, __NR_listxattr, __NR_llistxattr, __NR_flistxattr, __NR_removexattr,
	__NR_lremovexattr, __NR_fremovexattr, __NR_umask,
	/* the caller's credentials for creation, per thread */
	__NR_setfsuid, __NR_setfsgid, __NR_capget, __NR_capset, __NR_getuid, __NR_geteuid,
	__NR_getgid, __NR_getegid, __NR_getgroups,
	/* fd budget */
	__NR_getrlimit, __NR_prlimit64,
};
const struct sbx_list fuse_srv_sbx = SBX_SYSCALLS("fuse", fuse_srv_sbx_syscalls);
#else
const struct sbx_list fuse_srv_sbx = { .name = "fuse" };
#endif
