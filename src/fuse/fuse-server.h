/* src/fuse/fuse-server.h: the FUSE server (passthrough + in-memory overlay); transport-agnostic, used by virtio-fs and tests. */
#ifndef KRUN_FUSE_SERVER_H
#define KRUN_FUSE_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

/* Largest request accepted: max_write (1 MiB) plus room for headers and args. */
#define FUSE_SRV_MAX_WRITE	(1u << 20)
#define FUSE_SRV_MAX_REQ	(FUSE_SRV_MAX_WRITE + 4096)

/* Exit-code ioctl the guest init issues on "/" (_IO('v', 2)). */
#define FUSE_SRV_IOCTL_EXIT_CODE 0x7602

struct fuse_srv_callbacks {
	void *opaque;
	/*
	 * DAX (only called when dax_window_size != 0, range already checked to
	 * lie inside the window): map (len) bytes of (fd) at file offset
	 * (foffset) at window offset (moffset). The fd is only valid during the
	 * call (mmap keeps its own reference). Return 0 or -errno.
	 */
	int (*setup_mapping)(void *opaque, int fd, uint64_t foffset, uint64_t moffset,
			     uint64_t len, bool writable);
	int (*remove_mapping)(void *opaque, uint64_t moffset, uint64_t len);
	/* The guest reported its workload's exit code (ioctl 0x7602 on a directory). */
	void (*exit_code)(void *opaque, int32_t code);
};

/*
 * How much the guest kernel may cache (docs/fuse.md, "Caching"), like
 * virtiofsd's cache=never|auto|always:
 *   AUTO   5 s entry/attr timeouts, page cache dropped at each open unless the
 *          file's mtime/size are unchanged (AUTO_INVAL_DATA): upstream libkrun's policy.
 *   NEVER  no timeouts, direct I/O: every access reaches the host (strict coherence).
 *   ALWAYS the guest owns the tree: day-long timeouts, FOPEN_KEEP_CACHE, cached
 *          directory listings, writeback cache. Changes the host makes behind the
 *          guest's back may stay unseen until the guest drops the inode.
 */
enum fuse_srv_cache {
	FUSE_SRV_CACHE_AUTO = 0,
	FUSE_SRV_CACHE_NEVER,
	FUSE_SRV_CACHE_ALWAYS,
};

/* Parse "never", "auto" or "always" (NULL or "": dflt); -EINVAL for anything else. */
int fuse_srv_cache_parse(const char *s, enum fuse_srv_cache dflt, enum fuse_srv_cache *out);

struct fuse_srv_config {
	const char *root_dir;	  /* shared host directory; NULL: virtual-only fs (overlay entries) */
	bool read_only;		  /* every modifying request fails with EROFS */
	uint64_t dax_window_size; /* 0: SETUPMAPPING/REMOVEMAPPING reply ENOSYS */
	uint32_t max_objects;	  /* nodes + open handles the guest may hold; 0: 1 Mi. Past
				   * it, and past the process-wide host fd budget, the guest
				   * gets EMFILE / ENFILE */
	enum fuse_srv_cache cache;	  /* caching policy; 0: AUTO */
	bool no_xattr;		  /* xattr requests get ENOSYS, so the guest kernel stops
				   * sending them (virtiofsd's default); stand-in records
				   * (override_stat) still work, the server reads them itself */
	struct fuse_srv_callbacks cb;
};

struct fuse_srv;

/*
 * Create a server for (cfg); opens root_dir (O_PATH). Returns 0 and *out, or
 * -errno. The first call raises the soft RLIMIT_NOFILE to the hard limit and
 * gives all servers together that limit minus a reserve (1/8, 128..4096) that
 * stays for the rest of the VMM.
 */
int fuse_srv_create(const struct fuse_srv_config *cfg, struct fuse_srv **out);

/* Close every host fd and free the server. No request may be in flight. */
void fuse_srv_destroy(struct fuse_srv *srv);

/*
 * Add a memory-backed, read-only virtual file at (path), relative to the
 * root ("/a/b" or "a/b"). Intermediate components must be overlay
 * directories added earlier. (data) is not copied and must outlive the
 * server. (mode) holds permission bits (S_IFREG is implied). A (one_shot)
 * entry vanishes from LOOKUP after its first successful lookup and is never
 * listed by READDIR (used for /init.krun). Overlay entries shadow host
 * entries of the same name. Call before serving requests.
 * Returns 0, -EINVAL (bad path), -ENOENT / -ENOTDIR (bad parent), -EEXIST, -ENOMEM.
 */
int fuse_srv_add_overlay_file(struct fuse_srv *srv, const char *path, const uint8_t *data,
			      size_t len, uint32_t mode, bool one_shot);

/* Add an empty virtual directory (same path rules and errors as above). */
int fuse_srv_add_overlay_dir(struct fuse_srv *srv, const char *path, uint32_t mode);

/*
 * Handle one request. (in, in_cnt): the readable buffers holding
 * fuse_in_header, arguments and write payload, split arbitrarily.
 * (out, out_cnt): writable buffers for fuse_out_header and reply data.
 * On return 0, *reply_len is the number of bytes written to (out): 0 for
 * requests without reply (FORGET, BATCH_FORGET, INTERRUPT). Protocol errors
 * (bad node id, short arguments, unknown opcode, ...) are replied as errors
 * with return 0. Returns -errno only when no reply can be framed at all (no
 * readable header, or (out) smaller than fuse_out_header for a request that
 * needs a reply); the caller then fails the request in its own transport.
 * FORGET, BATCH_FORGET and INTERRUPT need no (out) at all (the guest's
 * driver gives hiprio requests none).
 *
 * Locking: the node and handle tables are protected by one internal mutex,
 * and every request pins the nodes/handles it uses with a reference, so
 * any number of threads may call this concurrently (the virtio-fs device
 * uses one request worker plus the hiprio queue for FORGET). Directory
 * handles serialize their own READDIR calls.
 */
int fuse_srv_handle(struct fuse_srv *srv, const struct iovec *in, int in_cnt,
		    const struct iovec *out, int out_cnt, size_t *reply_len);

/*
 * For a transport that can move file pages without copying them (the host
 * /dev/fuse adapter splices them, as libfuse does); virtio-fs has none and
 * keeps preadv straight into guest memory. send_file sends the whole reply to
 * request (unique) itself: a fuse_out_header with error 0, then (len) bytes of
 * (fd) from (off), fewer at end of file (the header's len then says how many).
 * It returns the data bytes sent, or -errno when it sent nothing: the server
 * then reads into (out) as if there were no sink. (fd) is only valid during
 * the call.
 */
struct fuse_srv_sink {
	void *opaque;
	ssize_t (*send_file)(void *opaque, uint64_t unique, int fd, off_t off, size_t len);
};

/*
 * fuse_srv_handle with a sink: READs of host files go to sink->send_file;
 * when it succeeds the request is answered and *reply_len is 0.
 */
int fuse_srv_handle_sink(struct fuse_srv *srv, const struct iovec *in, int in_cnt,
			 const struct iovec *out, int out_cnt, const struct fuse_srv_sink *sink,
			 size_t *reply_len);

#endif
