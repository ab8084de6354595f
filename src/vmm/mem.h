/* src/vmm/mem.h: guest physical memory map and the one checked guest-physical-to-host accessor. */
#ifndef KRUN_VMM_MEM_H
#define KRUN_VMM_MEM_H

#include <stddef.h>
#include <stdint.h>

/* A guest-physical address: never dereference, pass through gmem_ptr() first. */
typedef uint64_t gpa_t;

#define GMEM_MAX_REGIONS 8

/*
 * A region the guest sees but the VMM must never dereference: the DAX window,
 * whose host pages are PROT_NONE or file pages (a truncated file raises SIGBUS).
 * gmem_ptr() never resolves into it, so rings and buffers placed there fail
 * validation instead of crashing the VMM.
 */
#define GMEM_F_NO_VMM	1u

struct gmem_region {
	gpa_t gpa;	/* first guest-physical byte */
	uint64_t size;	/* bytes */
	uint8_t *hva;	/* host mapping of gpa */
	unsigned flags;	/* GMEM_F_* */
};

struct guest_mem {
	struct gmem_region regions[GMEM_MAX_REGIONS];
	int nr_regions;
};

/*
 * Add a region (gpa, size) backed by (hva). Regions must not overlap.
 * Returns 0, -ENOSPC when the table is full, -EINVAL on overlap/overflow.
 */
int gmem_add(struct guest_mem *m, gpa_t gpa, uint64_t size, void *hva);
/* gmem_add() with GMEM_F_* (flags). */
int gmem_add_flags(struct guest_mem *m, gpa_t gpa, uint64_t size, void *hva, unsigned flags);

/*
 * Host pointer for the guest range [gpa, gpa + len), or NULL when any byte of it
 * is outside a single region, the region is GMEM_F_NO_VMM, or gpa + len
 * overflows. len 0 is checked as len 1.
 */
void *gmem_ptr(const struct guest_mem *m, gpa_t gpa, uint64_t len);

/* Copy helpers over gmem_ptr(): 0 or -EFAULT. */
int gmem_read(const struct guest_mem *m, void *dst, gpa_t gpa, uint64_t len);
int gmem_write(const struct guest_mem *m, gpa_t gpa, const void *src, uint64_t len);

/*
 * Read the file at (path) into a private writable anonymous mapping, its length
 * rounded up to (align_to) with zeroes past the file's end. 0 with *out and *size
 * (the file's size), or -errno (-EIO if the file shrank while being read).
 */
int gmem_map_file(const char *path, void **out, size_t *size, size_t align_to);

/*
 * (len) bytes of (fd) from (off) into (dst), which may be guest RAM: reading a
 * kernel or initramfs straight into place saves a bounce buffer and its copy.
 * 0, -errno, or -EIO if the file is shorter.
 */
int gmem_pread(int fd, void *dst, size_t len, uint64_t off);

#endif
