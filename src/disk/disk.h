/* src/disk/disk.h: host disk images (raw, qcow2) behind one ops table per format; knows nothing of virtio. */
#ifndef KRUN_DISK_DISK_H
#define KRUN_DISK_DISK_H

/*
 * A disk is a byte-addressed image of (size) bytes. Every request that reaches
 * a format's ops was checked by disk.c: offset and length are multiples of
 * DISK_SECTOR, inside the disk, non-zero, and the disk is writable for
 * writes. Formats may be called from one thread at a time per disk (the
 * virtio-blk worker); they do not lock.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#define DISK_SECTOR 512ULL
/* Longest iovec array a request may carry (a virtqueue chain's limit). */
#define DISK_MAX_IOV 1024

struct disk;

struct disk_ops {
	const char *name;	/* "raw", "qcow2": prefix of log lines */
	/* Transfer (len) bytes at (off) into / out of (iov, cnt). 0 or -errno. */
	int (*readv)(struct disk *d, uint64_t off, const struct iovec *iov, int cnt, size_t len);
	int (*writev)(struct disk *d, uint64_t off, const struct iovec *iov, int cnt, size_t len);
	/* Everything written so far reaches stable storage. */
	int (*flush)(struct disk *d);
	/* The range may be deallocated; it reads as zeroes afterwards. */
	int (*discard)(struct disk *d, uint64_t off, uint64_t len);
	/* The range reads as zeroes; (unmap): deallocating it is allowed. */
	int (*write_zeroes)(struct disk *d, uint64_t off, uint64_t len, bool unmap);
	/* Release everything (no flush: disk_close() does that first). */
	void (*close)(struct disk *d);
};

struct disk {
	const struct disk_ops *ops;
	uint64_t size;		/* bytes the guest sees, a multiple of DISK_SECTOR */
	bool read_only;
	unsigned sync_mode;	/* KRUN_SYNC_*: NONE makes disk_flush() a no-op */
	uint32_t discard_align;	/* bytes; discards smaller than this may do nothing */
};

struct disk_cfg {
	const char *path;
	unsigned format;	/* KRUN_DISK_FORMAT_* */
	bool read_only;
	bool direct_io;		/* O_DIRECT on the image (raw only; others ignore it) */
	unsigned sync_mode;	/* KRUN_SYNC_* */
};

/*
 * Open the image described by (cfg). 0, or -ENOENT/-EACCES/... from open,
 * -EINVAL (corrupt or unsupported image, logged), -ENOTSUP (format not
 * implemented, e.g. VMDK).
 */
int disk_open(const struct disk_cfg *cfg, struct disk **out);

/* Flush (also with KRUN_SYNC_NONE) and free. */
void disk_close(struct disk *d);

/*
 * The guest-facing calls: check (off, len) and the read-only flag, then call
 * the format. -EINVAL unaligned, -ERANGE outside the disk, -EROFS read-only.
 */
int disk_readv(struct disk *d, uint64_t off, const struct iovec *iov, int cnt, size_t len);
int disk_writev(struct disk *d, uint64_t off, const struct iovec *iov, int cnt, size_t len);
int disk_flush(struct disk *d);
int disk_discard(struct disk *d, uint64_t off, uint64_t len);
int disk_write_zeroes(struct disk *d, uint64_t off, uint64_t len, bool unmap);

/* Format constructors (disk.c dispatches on cfg->format). */
int disk_raw_open(const struct disk_cfg *cfg, struct disk **out);
int disk_qcow2_open(const struct disk_cfg *cfg, struct disk **out);

/* Helpers shared by the formats. */
int disk_open_fd(const char *path, bool read_only, bool direct_io, int *fd);
/* Size of a regular file or block device. */
int disk_fd_size(int fd, uint64_t *size);

#endif
