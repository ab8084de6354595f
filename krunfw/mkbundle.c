/* krunfw/mkbundle.c: host tool that lays out a vmlinux's PT_LOAD segments by physical address into a flat bundle plus a .S that embeds it. */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* libkrun maps the bundle straight into guest memory, so its size and address are 64 KiB units. */
#define BUNDLE_ALIGN	0x10000ULL
/* A guest kernel image larger than this is a sign of a broken input, not a real kernel. */
#define BUNDLE_MAX	(512ULL << 20)
#define MAX_SEGS	64

struct seg {
	uint64_t paddr;
	uint64_t vaddr;
	uint64_t offset;
	uint64_t filesz;
	uint64_t memsz;
};

struct image {
	const uint8_t *data;
	size_t len;
	struct seg segs[MAX_SEGS];
	unsigned int nsegs;
	uint64_t load;		/* physical address of the first byte */
	uint64_t entry;		/* physical 64-bit entry point */
	uint64_t size;		/* padded bundle size */
};

static int map_file(const char *path, struct image *img)
{
	struct stat st;
	void *p;
	int fd, ret = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		ret = -errno;
		goto out;
	}
	if (st.st_size < (off_t)sizeof(Elf64_Ehdr)) {
		ret = -EINVAL;
		goto out;
	}
	p = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (p == MAP_FAILED) {
		ret = -errno;
		goto out;
	}
	img->data = p;
	img->len = st.st_size;
out:
	close(fd);
	return ret;
}

static int cmp_seg(const void *a, const void *b)
{
	const struct seg *x = a, *y = b;

	return x->paddr < y->paddr ? -1 : x->paddr > y->paddr;
}

/* Collects PT_LOAD segments, checking each lies inside the file and none overlap physically. */
static int read_segments(struct image *img, const Elf64_Ehdr *eh)
{
	unsigned int i;

	if (eh->e_phentsize != sizeof(Elf64_Phdr) || eh->e_phnum == 0 ||
	    eh->e_phoff > img->len ||
	    (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr) > img->len - eh->e_phoff)
		return -EINVAL;
	for (i = 0; i < eh->e_phnum; i++) {
		Elf64_Phdr ph;
		struct seg *s;

		memcpy(&ph, img->data + eh->e_phoff + i * sizeof(ph), sizeof(ph));
		if (ph.p_type != PT_LOAD)
			continue;
		if (img->nsegs == MAX_SEGS)
			return -E2BIG;
		if (ph.p_filesz > ph.p_memsz || ph.p_offset > img->len ||
		    ph.p_filesz > img->len - ph.p_offset ||
		    ph.p_paddr > UINT64_MAX - ph.p_memsz)
			return -EINVAL;
		s = &img->segs[img->nsegs++];
		s->paddr = ph.p_paddr;
		s->vaddr = ph.p_vaddr;
		s->offset = ph.p_offset;
		s->filesz = ph.p_filesz;
		s->memsz = ph.p_memsz;
	}
	if (!img->nsegs)
		return -ENOEXEC;
	qsort(img->segs, img->nsegs, sizeof(img->segs[0]), cmp_seg);
	for (i = 1; i < img->nsegs; i++)
		if (img->segs[i].paddr < img->segs[i - 1].paddr + img->segs[i - 1].memsz)
			return -EINVAL;
	return 0;
}

/*
 * The entry is e_entry translated from virtual to physical through the segment
 * that contains it; an x86_64 vmlinux may already give a physical e_entry
 * (ENTRY(phys_startup_64)), which is accepted as-is when it falls in a segment.
 */
static int find_entry(struct image *img, uint64_t e_entry)
{
	unsigned int i;

	for (i = 0; i < img->nsegs; i++) {
		const struct seg *s = &img->segs[i];

		if (e_entry >= s->vaddr && e_entry - s->vaddr < s->filesz) {
			img->entry = e_entry - s->vaddr + s->paddr;
			return 0;
		}
	}
	for (i = 0; i < img->nsegs; i++) {
		const struct seg *s = &img->segs[i];

		if (e_entry >= s->paddr && e_entry - s->paddr < s->filesz) {
			img->entry = e_entry;
			return 0;
		}
	}
	return -ENOEXEC;
}

static int parse_vmlinux(struct image *img)
{
	const struct seg *last;
	Elf64_Ehdr eh;
	uint64_t end;
	int ret;

	memcpy(&eh, img->data, sizeof(eh));
	if (memcmp(eh.e_ident, ELFMAG, SELFMAG) || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh.e_ident[EI_DATA] != ELFDATA2LSB || eh.e_machine != EM_X86_64 ||
	    eh.e_type != ET_EXEC)
		return -ENOEXEC;
	ret = read_segments(img, &eh);
	if (ret)
		return ret;
	ret = find_entry(img, eh.e_entry);
	if (ret)
		return ret;
	img->load = img->segs[0].paddr;
	if (img->load % BUNDLE_ALIGN)
		return -EINVAL;
	/* The last segment's BSS is left out: it lands in guest RAM after the bundle and the kernel clears it. */
	last = &img->segs[img->nsegs - 1];
	end = last->paddr + last->filesz;
	if (end - img->load > BUNDLE_MAX)
		return -EFBIG;
	img->size = (end - img->load + BUNDLE_ALIGN - 1) & ~(BUNDLE_ALIGN - 1);
	return 0;
}

/* Writes segments at their physical offsets; gaps stay zero because the buffer starts zeroed. */
static int write_bundle(const struct image *img, const char *path)
{
	uint8_t *buf;
	unsigned int i;
	FILE *f;
	int ret = 0;

	buf = calloc(1, img->size);
	if (!buf)
		return -ENOMEM;
	for (i = 0; i < img->nsegs; i++) {
		const struct seg *s = &img->segs[i];

		memcpy(buf + (s->paddr - img->load), img->data + s->offset, s->filesz);
	}
	f = fopen(path, "wb");
	if (!f) {
		ret = -errno;
		goto out;
	}
	if (fwrite(buf, 1, img->size, f) != img->size)
		ret = -EIO;
	if (fclose(f) && !ret)
		ret = -errno;
out:
	free(buf);
	return ret;
}

/* The .S puts the bundle in writable .data, 64 KiB aligned, so libkrun can map it copy-on-write. */
static int write_asm(const struct image *img, const char *path, const char *bin_path)
{
	FILE *f;
	int ret = 0;

	if (strpbrk(bin_path, "\"\\\n"))
		return -EINVAL;
	f = fopen(path, "w");
	if (!f)
		return -errno;
	fprintf(f,
		"/* generated by krunfw/mkbundle: the guest kernel bundle and its boot addresses. */\n"
		"\t.section .data.krunfw_bundle,\"aw\",@progbits\n"
		"\t.balign %llu\n"
		"\t.globl kfw_bundle\n\t.hidden kfw_bundle\n\t.type kfw_bundle, @object\n"
		"kfw_bundle:\n"
		"\t.incbin \"%s\"\n"
		"\t.size kfw_bundle, . - kfw_bundle\n"
		"\t.section .rodata.krunfw_info,\"a\",@progbits\n"
		"\t.balign 8\n"
		"\t.globl kfw_bundle_size\n\t.hidden kfw_bundle_size\n"
		"kfw_bundle_size:\n\t.quad 0x%" PRIx64 "\n"
		"\t.globl kfw_load_addr\n\t.hidden kfw_load_addr\n"
		"kfw_load_addr:\n\t.quad 0x%" PRIx64 "\n"
		"\t.globl kfw_entry_addr\n\t.hidden kfw_entry_addr\n"
		"kfw_entry_addr:\n\t.quad 0x%" PRIx64 "\n"
		"\t.section .note.GNU-stack,\"\",@progbits\n",
		BUNDLE_ALIGN, bin_path, img->size, img->load, img->entry);
	if (ferror(f))
		ret = -EIO;
	if (fclose(f) && !ret)
		ret = -errno;
	return ret;
}

int main(int argc, char **argv)
{
	struct image img = { 0 };
	int ret;

	if (argc != 4) {
		fprintf(stderr, "usage: %s VMLINUX OUT.bin OUT.S\n", argv[0]);
		return 2;
	}
	ret = map_file(argv[1], &img);
	if (!ret)
		ret = parse_vmlinux(&img);
	if (!ret)
		ret = write_bundle(&img, argv[2]);
	if (!ret)
		ret = write_asm(&img, argv[3], argv[2]);
	if (ret) {
		fprintf(stderr, "mkbundle: %s: %s\n", argv[1], strerror(-ret));
		return 1;
	}
	printf("mkbundle: %u segments, load 0x%" PRIx64 ", entry 0x%" PRIx64 ", size %" PRIu64 " bytes\n",
	       img.nsegs, img.load, img.entry, img.size);
	return 0;
}
