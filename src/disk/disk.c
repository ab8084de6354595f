/* src/disk/disk.c: opens an image with its format's ops and checks every guest request before the format sees it. */
#include "disk/disk.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "libkrun.h"
#include "sandbox/lists.h"
#include "util/log.h"

int disk_open_fd(const char *path, bool read_only, bool direct_io, int *fd)
{
	int flags = (read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC | (direct_io ? O_DIRECT : 0);

	*fd = open(path, flags);
	return *fd < 0 ? -errno : 0;
}

int disk_fd_size(int fd, uint64_t *size)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (S_ISBLK(st.st_mode))
		return ioctl(fd, BLKGETSIZE64, size) < 0 ? -errno : 0;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	*size = st.st_size;
	return 0;
}

int disk_open(const struct disk_cfg *cfg, struct disk **out)
{
	int ret;

	switch (cfg->format) {
	case KRUN_DISK_FORMAT_RAW:
		ret = disk_raw_open(cfg, out);
		break;
	case KRUN_DISK_FORMAT_QCOW2:
		ret = disk_qcow2_open(cfg, out);
		break;
	case KRUN_DISK_FORMAT_VMDK:
		log_err("disk: %s: VMDK images are not supported (convert with "
			"qemu-img convert -O raw or -O qcow2)", cfg->path);
		return -ENOTSUP;
	default:
		return -EINVAL;
	}
	if (ret)
		return ret;
	(*out)->read_only = cfg->read_only;
	(*out)->sync_mode = cfg->sync_mode;
	(*out)->size &= ~(DISK_SECTOR - 1);
	return 0;
}

void disk_close(struct disk *d)
{
	if (!d)
		return;
	/* Whatever the sync mode asked of FLUSH, a clean shutdown leaves everything on stable storage. */
	if (!d->read_only && d->ops->flush(d))
		log_warn("disk %s: flushing at close failed", d->ops->name);
	d->ops->close(d);
}

/* 0 when [off, off + len) is a sector-aligned range inside the disk (empty allowed). */
static int disk_check(const struct disk *d, uint64_t off, uint64_t len)
{
	if ((off | len) & (DISK_SECTOR - 1))
		return -EINVAL;
	if (off > d->size || len > d->size - off)
		return -ERANGE;
	return 0;
}

int disk_readv(struct disk *d, uint64_t off, const struct iovec *iov, int cnt, size_t len)
{
	int ret = disk_check(d, off, len);

	if (ret || !len)
		return ret;
	return d->ops->readv(d, off, iov, cnt, len);
}

int disk_writev(struct disk *d, uint64_t off, const struct iovec *iov, int cnt, size_t len)
{
	int ret = disk_check(d, off, len);

	if (ret)
		return ret;
	if (d->read_only)
		return -EROFS;
	if (!len)
		return 0;
	return d->ops->writev(d, off, iov, cnt, len);
}

int disk_flush(struct disk *d)
{
	if (d->read_only || d->sync_mode == KRUN_SYNC_NONE)
		return 0;
	return d->ops->flush(d);
}

int disk_discard(struct disk *d, uint64_t off, uint64_t len)
{
	int ret = disk_check(d, off, len);

	if (ret)
		return ret;
	if (d->read_only)
		return -EROFS;
	if (!len)
		return 0;
	return d->ops->discard(d, off, len);
}

int disk_write_zeroes(struct disk *d, uint64_t off, uint64_t len, bool unmap)
{
	int ret = disk_check(d, off, len);

	if (ret)
		return ret;
	if (d->read_only)
		return -EROFS;
	if (!len)
		return 0;
	return d->ops->write_zeroes(d, off, len, unmap);
}

/* Sandbox (x86_64): Raw and qcow2 images and block devices: I/O, discard, flush. */
#ifdef __x86_64__
static const int disk_sbx_syscalls[] = {
	__NR_pread64, __NR_pwrite64, __NR_preadv, __NR_pwritev, __NR_preadv2, __NR_pwritev2,
	__NR_fallocate, __NR_fsync, __NR_fdatasync, __NR_ftruncate, __NR_fstat, __NR_lseek,
	/* disks are closed (and flushed) at exit */
	__NR_close,
};
static const unsigned long disk_sbx_ioctls[] = { BLKDISCARD, BLKZEROOUT };
const struct sbx_list disk_sbx = SBX_LIST("disk", disk_sbx_syscalls, disk_sbx_ioctls);
#else
const struct sbx_list disk_sbx = { .name = "disk" };
#endif
