/* src/util/iov.c: slicing and full-length positioned I/O over iovec arrays. */
#include "util/iov.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

size_t iovec_size(const struct iovec *iov, int cnt)
{
	size_t n = 0;

	for (int i = 0; i < cnt; i++)
		n += iov[i].iov_len;
	return n;
}

int iovec_slice(const struct iovec *src, int cnt, size_t off, size_t len,
	      struct iovec *dst, int dst_max)
{
	int i = 0, n = 0;

	while (i < cnt && off >= src[i].iov_len)
		off -= src[i++].iov_len;
	for (; len && i < cnt; i++, off = 0) {
		size_t take = src[i].iov_len - off;

		if (take > len)
			take = len;
		if (!take)
			continue;
		if (n == dst_max)
			return -E2BIG;
		dst[n].iov_base = (char *)src[i].iov_base + off;
		dst[n++].iov_len = take;
		len -= take;
	}
	return len ? -ERANGE : n;
}

/* Drop the first (done) bytes of (*iov, *cnt). */
static void iovec_consume(struct iovec **iov, int *cnt, size_t done)
{
	while (*cnt && done >= (*iov)->iov_len) {
		done -= (*iov)->iov_len;
		(*iov)++;
		(*cnt)--;
	}
	if (*cnt && done) {
		(*iov)->iov_base = (char *)(*iov)->iov_base + done;
		(*iov)->iov_len -= done;
	}
}

static int iovec_rw_full(int fd, struct iovec *iov, int cnt, off_t off, bool write)
{
	while (cnt) {
		int batch = cnt > IOV_MAX ? IOV_MAX : cnt;
		ssize_t r = write ? pwritev(fd, iov, batch, off) : preadv(fd, iov, batch, off);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (r == 0)
			return write ? -EIO : -ENODATA;
		off += r;
		iovec_consume(&iov, &cnt, r);
	}
	return 0;
}

int iovec_preadv_full(int fd, struct iovec *iov, int cnt, off_t off)
{
	return iovec_rw_full(fd, iov, cnt, off, false);
}

int iovec_pwritev_full(int fd, struct iovec *iov, int cnt, off_t off)
{
	return iovec_rw_full(fd, iov, cnt, off, true);
}

void iovec_zero(const struct iovec *iov, int cnt)
{
	for (int i = 0; i < cnt; i++)
		memset(iov[i].iov_base, 0, iov[i].iov_len);
}

void iovec_from_buf(const struct iovec *iov, int cnt, const void *buf, size_t len)
{
	for (int i = 0; i < cnt && len; i++) {
		size_t n = iov[i].iov_len < len ? iov[i].iov_len : len;

		memcpy(iov[i].iov_base, buf, n);
		buf = (const char *)buf + n;
		len -= n;
	}
}

void iovec_to_buf(const struct iovec *iov, int cnt, void *buf, size_t len)
{
	for (int i = 0; i < cnt && len; i++) {
		size_t n = iov[i].iov_len < len ? iov[i].iov_len : len;

		memcpy(buf, iov[i].iov_base, n);
		buf = (char *)buf + n;
		len -= n;
	}
}
