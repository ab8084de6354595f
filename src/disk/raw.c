/* src/disk/raw.c: raw images: the guest's sectors are the file's bytes (pread/pwrite, fdatasync, hole punching). */
#include "disk/disk.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/iov.h"
#include "util/log.h"

#define RAW_ZERO_CHUNK	(1u << 20)

struct disk_raw {
	struct disk disk;	/* first: container_of */
	int fd;			/* O_DIRECT when asked for */
	int fd_buffered;	/* fallback for buffers O_DIRECT refuses; == fd without direct_io */
	bool is_blkdev;
	struct iovec iov[DISK_MAX_IOV];	/* scratch copy: the full-I/O loop consumes it */
};

static struct disk_raw *to_raw(struct disk *d)
{
	return (struct disk_raw *)d;
}

/* O_DIRECT needs aligned guest buffers; an unaligned one (EINVAL) goes through the page cache. */
static int raw_rw(struct disk_raw *r, uint64_t off, const struct iovec *iov, int cnt, bool write)
{
	int ret;

	if (cnt > DISK_MAX_IOV)
		return -E2BIG;
	memcpy(r->iov, iov, cnt * sizeof(*iov));
	ret = write ? iovec_pwritev_full(r->fd, r->iov, cnt, off) : iovec_preadv_full(r->fd, r->iov, cnt, off);
	if (ret == -EINVAL && r->fd != r->fd_buffered) {
		memcpy(r->iov, iov, cnt * sizeof(*iov));
		ret = write ? iovec_pwritev_full(r->fd_buffered, r->iov, cnt, off)
			    : iovec_preadv_full(r->fd_buffered, r->iov, cnt, off);
	}
	return ret;
}

static int raw_readv(struct disk *d, uint64_t off, const struct iovec *iov, int cnt, size_t len)
{
	int ret = raw_rw(to_raw(d), off, iov, cnt, false);

	/* The file shrank under us: what is gone reads as zeroes, like a hole. */
	if (ret == -ENODATA) {
		log_warn_once("disk raw: image shorter than its size at open");
		ret = 0;
	}
	return ret;
}

static int raw_writev(struct disk *d, uint64_t off, const struct iovec *iov, int cnt, size_t len)
{
	return raw_rw(to_raw(d), off, iov, cnt, true);
}

static int raw_flush(struct disk *d)
{
	struct disk_raw *r = to_raw(d);

	if (fdatasync(r->fd) < 0)
		return -errno;
	if (r->fd_buffered != r->fd && fdatasync(r->fd_buffered) < 0)
		return -errno;
	return 0;
}

static int raw_write_zero_buf(struct disk_raw *r, uint64_t off, uint64_t len)
{
	/*
	 * Never written, so its pages stay the kernel's shared zero page: no
	 * allocation and no zeroing per request (a calloc of 1 MiB each time
	 * cost more than writing a few sectors).
	 */
	static uint8_t zero[RAW_ZERO_CHUNK];
	int ret = 0;

	while (len && !ret) {
		size_t n = len < RAW_ZERO_CHUNK ? len : RAW_ZERO_CHUNK;
		struct iovec v = { zero, n };

		ret = iovec_pwritev_full(r->fd_buffered, &v, 1, off);
		off += n;
		len -= n;
	}
	return ret;
}

static int raw_blkdev_range(struct disk_raw *r, unsigned long req, uint64_t off, uint64_t len)
{
	uint64_t range[2] = { off, len };

	return ioctl(r->fd_buffered, req, range) < 0 ? -errno : 0;
}

/* A discard is a hint: where the file system cannot punch holes, nothing happens. */
static int raw_discard(struct disk *d, uint64_t off, uint64_t len)
{
	struct disk_raw *r = to_raw(d);
	int ret;

	if (r->is_blkdev)
		ret = raw_blkdev_range(r, BLKDISCARD, off, len);
	else if (fallocate(r->fd_buffered, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off, len) < 0)
		ret = -errno;
	else
		ret = 0;
	return ret == -EOPNOTSUPP ? 0 : ret;
}

static int raw_write_zeroes(struct disk *d, uint64_t off, uint64_t len, bool unmap)
{
	struct disk_raw *r = to_raw(d);
	int mode = unmap ? FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE : FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE;

	if (r->is_blkdev) {
		if (!raw_blkdev_range(r, BLKZEROOUT, off, len))
			return 0;
	} else if (fallocate(r->fd_buffered, mode, off, len) == 0) {
		return 0;
	}
	return raw_write_zero_buf(r, off, len);
}

static void raw_close(struct disk *d)
{
	struct disk_raw *r = to_raw(d);

	if (r->fd_buffered != r->fd)
		close(r->fd_buffered);
	close(r->fd);
	free(r);
}

static const struct disk_ops raw_ops = {
	.name = "raw",
	.readv = raw_readv,
	.writev = raw_writev,
	.flush = raw_flush,
	.discard = raw_discard,
	.write_zeroes = raw_write_zeroes,
	.close = raw_close,
};

int disk_raw_open(const struct disk_cfg *cfg, struct disk **out)
{
	struct disk_raw *r = calloc(1, sizeof(*r));
	struct stat st;
	int ret;

	if (!r)
		return -ENOMEM;
	r->fd = r->fd_buffered = -1;
	ret = disk_open_fd(cfg->path, cfg->read_only, cfg->direct_io, &r->fd);
	if (!ret && cfg->direct_io)
		ret = disk_open_fd(cfg->path, cfg->read_only, false, &r->fd_buffered);
	else
		r->fd_buffered = r->fd;
	if (!ret)
		ret = disk_fd_size(r->fd, &r->disk.size);
	if (ret) {
		if (r->fd_buffered >= 0 && r->fd_buffered != r->fd)
			close(r->fd_buffered);
		if (r->fd >= 0)
			close(r->fd);
		free(r);
		return ret;
	}
	r->is_blkdev = fstat(r->fd, &st) == 0 && S_ISBLK(st.st_mode);
	r->disk.ops = &raw_ops;
	r->disk.discard_align = 4096;
	*out = &r->disk;
	return 0;
}
