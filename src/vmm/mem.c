/* src/vmm/mem.c: guest memory region table; every guest address used by the VMM passes through here. */
#include "vmm/mem.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

int gmem_add(struct guest_mem *m, gpa_t gpa, uint64_t size, void *hva)
{
	return gmem_add_flags(m, gpa, size, hva, 0);
}

int gmem_add_flags(struct guest_mem *m, gpa_t gpa, uint64_t size, void *hva, unsigned flags)
{
	gpa_t end;

	if (!size || __builtin_add_overflow(gpa, size, &end))
		return -EINVAL;
	if (m->nr_regions >= GMEM_MAX_REGIONS)
		return -ENOSPC;
	for (int i = 0; i < m->nr_regions; i++) {
		const struct gmem_region *r = &m->regions[i];

		if (gpa < r->gpa + r->size && r->gpa < end)
			return -EINVAL;
	}
	m->regions[m->nr_regions++] = (struct gmem_region){
		.gpa = gpa, .size = size, .hva = hva, .flags = flags,
	};
	return 0;
}

void *gmem_ptr(const struct guest_mem *m, gpa_t gpa, uint64_t len)
{
	gpa_t end;

	if (!len)
		len = 1;
	if (__builtin_add_overflow(gpa, len, &end))
		return NULL;
	for (int i = 0; i < m->nr_regions; i++) {
		const struct gmem_region *r = &m->regions[i];

		/* Written so that no sum can overflow: r->gpa + r->size was checked at add. */
		if (gpa >= r->gpa && end <= r->gpa + r->size)
			return (r->flags & GMEM_F_NO_VMM) ? NULL : r->hva + (gpa - r->gpa);
	}
	return NULL;
}

int gmem_read(const struct guest_mem *m, void *dst, gpa_t gpa, uint64_t len)
{
	void *p = gmem_ptr(m, gpa, len);

	if (!p)
		return -EFAULT;
	memcpy(dst, p, len);
	return 0;
}

int gmem_write(const struct guest_mem *m, gpa_t gpa, const void *src, uint64_t len)
{
	void *p = gmem_ptr(m, gpa, len);

	if (!p)
		return -EFAULT;
	memcpy(p, src, len);
	return 0;
}

int gmem_pread(int fd, void *dst, size_t len, uint64_t off)
{
	size_t done = 0;

	while (done < len) {
		ssize_t r = pread(fd, (uint8_t *)dst + done, len - done, off + done);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r < 0 ? -errno : -EIO;
		done += r;
	}
	return 0;
}

int gmem_map_file(const char *path, void **out, size_t *size, size_t align_to)
{
	struct stat st;
	size_t len;
	void *p;
	int fd, ret = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		ret = -errno;
		goto out_close;
	}
	if (st.st_size <= 0) {
		ret = -EINVAL;
		goto out_close;
	}
	len = ((size_t)st.st_size + align_to - 1) & ~(align_to - 1);
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		ret = -errno;
		goto out_close;
	}
	/*
	 * Read, not mapped: the caller copies it all anyway, and one sequential read costs less than a
	 * page fault per 4-64 KiB (on a 9p root, as in the nested test VM, a round trip each: a 10 MiB
	 * vmlinux took a second).
	 */
	ret = gmem_pread(fd, p, st.st_size, 0);
	if (ret) {
		munmap(p, len);
		goto out_close;
	}
	*out = p;
	*size = st.st_size;
out_close:
	close(fd);
	return ret;
}
