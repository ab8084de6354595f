/* src/util/iov.h: slicing and full-length positioned I/O over iovec arrays. */
#ifndef KRUN_UTIL_IOV_H
#define KRUN_UTIL_IOV_H

#include <stddef.h>
#include <sys/types.h>
#include <sys/uio.h>

/* Total bytes described by (iov, cnt). */
size_t iovec_size(const struct iovec *iov, int cnt);

/*
 * Describe bytes [off, off + len) of (src, cnt) in (dst), at most (dst_max)
 * entries. Returns the number of entries written, or -ERANGE when the source
 * is shorter than off + len, -E2BIG when dst_max is too small.
 */
int iovec_slice(const struct iovec *src, int cnt, size_t off, size_t len,
	      struct iovec *dst, int dst_max);

/*
 * preadv/pwritev until all of (iov, cnt) is done, retrying on EINTR and short
 * transfers. (iov) is consumed (modified). A read reaching end of file
 * returns -ENODATA; a write that makes no progress -EIO. 0 or -errno.
 */
int iovec_preadv_full(int fd, struct iovec *iov, int cnt, off_t off);
int iovec_pwritev_full(int fd, struct iovec *iov, int cnt, off_t off);

/* Copy (len) bytes from (buf) into / out of (iov, cnt), which holds at least that much. */
void iovec_from_buf(const struct iovec *iov, int cnt, const void *buf, size_t len);
void iovec_to_buf(const struct iovec *iov, int cnt, void *buf, size_t len);

/* Zero every byte of (iov, cnt). */
void iovec_zero(const struct iovec *iov, int cnt);

#endif
