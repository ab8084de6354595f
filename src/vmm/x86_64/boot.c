/* src/vmm/x86_64/boot.c: zero page, e820, command line, GDT and identity page tables for a 64-bit direct boot. */
#include "vmm/x86_64/boot.h"

#include <asm/bootparam.h>
#include <elf.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "vmm/x86_64/layout.h"

#define E820_RAM 1

/* base 0, limit 0xfffff, flags: access byte in bits 0-7, granularity/size in 12-15. */
#define GDT_ENTRY(flags, base, limit)                                          \
	((((base) & 0xff000000ULL) << 32) | (((flags) & 0xf0ffULL) << 40) |   \
	 (((limit) & 0xf0000ULL) << 32) | (((base) & 0xffffffULL) << 16) |    \
	 ((limit) & 0xffffULL))

const uint64_t boot_gdt[4] = {
	GDT_ENTRY(0, 0, 0),		/* NULL */
	GDT_ENTRY(0xa09b, 0, 0xfffff),	/* CODE: 64-bit, present, exec/read */
	GDT_ENTRY(0xc093, 0, 0xfffff),	/* DATA: present, read/write */
	GDT_ENTRY(0x808b, 0, 0xfffff),	/* TSS: present, busy 64-bit TSS */
};

int boot_setup_tables(struct guest_mem *m)
{
	uint64_t *pml4 = gmem_ptr(m, PML4_START, 4096);
	uint64_t *pdpt = gmem_ptr(m, PDPTE_START, 4096);
	uint64_t *pd = gmem_ptr(m, PDE_START, 4096 * BOOT_IDMAP_GIB);
	uint64_t idt = 0;

	if (!pml4 || !pdpt || !pd)
		return -EFAULT;
	if (gmem_write(m, BOOT_GDT_START, boot_gdt, sizeof(boot_gdt)) ||
	    gmem_write(m, BOOT_IDT_START, &idt, sizeof(idt)))
		return -EFAULT;
	memset(pml4, 0, 4096);
	memset(pdpt, 0, 4096);
	pml4[0] = PDPTE_START | 0x03;
	/*
	 * Identity map of the first 4 GiB with 2 MiB pages: the kernel sets up its
	 * own tables at once, but its entry may sit at 2 GiB (RAW images).
	 */
	for (uint64_t g = 0; g < BOOT_IDMAP_GIB; g++)
		pdpt[g] = (PDE_START + g * 4096) | 0x03;
	for (uint64_t i = 0; i < 512 * BOOT_IDMAP_GIB; i++)
		pd[i] = (i << 21) | 0x83;
	return 0;
}

static void e820_add(struct boot_params *bp, uint64_t addr, uint64_t size)
{
	if (bp->e820_entries >= E820_MAX_ENTRIES_ZEROPAGE)
		return;
	bp->e820_table[bp->e820_entries++] = (struct boot_e820_entry){
		.addr = addr, .size = size, .type = E820_RAM,
	};
}

int boot_setup_params(struct guest_mem *m, const struct boot_info *bi)
{
	struct boot_params *bp = gmem_ptr(m, ZERO_PAGE_START, sizeof(*bp));
	size_t len = strlen(bi->cmdline);

	if (!bp)
		return -EFAULT;
	if (len >= CMDLINE_MAX_SIZE)
		return -E2BIG;
	if (gmem_write(m, CMDLINE_START, bi->cmdline, len + 1))
		return -EFAULT;
	memset(bp, 0, sizeof(*bp));
	bp->hdr.type_of_loader = 0xff;
	bp->hdr.boot_flag = 0xaa55;
	bp->hdr.header = 0x53726448; /* "HdrS" */
	bp->hdr.cmd_line_ptr = CMDLINE_START;
	bp->hdr.cmdline_size = len + 1;
	bp->hdr.kernel_alignment = 0x1000000;
	if (bi->initrd_size) {
		bp->hdr.ramdisk_image = (uint32_t)bi->initrd_gpa;
		bp->ext_ramdisk_image = (uint32_t)(bi->initrd_gpa >> 32);
		bp->hdr.ramdisk_size = (uint32_t)bi->initrd_size;
		bp->ext_ramdisk_size = (uint32_t)(bi->initrd_size >> 32);
	}
	e820_add(bp, 0, EBDA_START);
	e820_add(bp, HIMEM_START, bi->ram_below_gap_end - HIMEM_START);
	if (bi->ram_above_4g_size)
		e820_add(bp, FIRST_ADDR_PAST_32BITS, bi->ram_above_4g_size);
	return 0;
}

/* Physical entry: e_entry is virtual for vmlinux; translate through the segment holding it. */
static uint64_t elf_entry_paddr(const Elf64_Ehdr *eh, const Elf64_Phdr *ph)
{
	for (int i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type != PT_LOAD)
			continue;
		if (eh->e_entry >= ph[i].p_vaddr &&
		    eh->e_entry - ph[i].p_vaddr < ph[i].p_memsz)
			return eh->e_entry - ph[i].p_vaddr + ph[i].p_paddr;
	}
	return eh->e_entry;
}

/* Where a loader gets the file's bytes from: a buffer (tests) or an open file. */
struct elf_src {
	const uint8_t *data;	/* whole file in memory, or NULL */
	int fd;			/* else read from here */
	uint64_t len;		/* file size */
};

static int elf_src_read(const struct elf_src *s, void *dst, size_t n, uint64_t off)
{
	if (s->data) {
		memcpy(dst, s->data + off, n);
		return 0;
	}
	return gmem_pread(s->fd, dst, n, off);
}

/* The ELF header and program headers are copied out first: only the copies are trusted. */
#define ELF_MAX_PHDRS 64

static int elf_check(const Elf64_Ehdr *eh, uint64_t len)
{
	uint64_t phend;

	if (len < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) ||
	    eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_machine != EM_X86_64 ||
	    eh->e_phentsize != sizeof(Elf64_Phdr) || eh->e_phnum > ELF_MAX_PHDRS)
		return -ENOEXEC;
	if (__builtin_mul_overflow((uint64_t)eh->e_phnum, sizeof(Elf64_Phdr), &phend) ||
	    __builtin_add_overflow(phend, eh->e_phoff, &phend) || phend > len)
		return -ENOEXEC;
	return 0;
}

static int elf_load(struct guest_mem *m, const struct elf_src *src, uint64_t *entry, uint64_t *end)
{
	Elf64_Phdr ph[ELF_MAX_PHDRS];
	uint64_t top = 0;
	Elf64_Ehdr eh;
	int ret;

	if (src->len < sizeof(eh))
		return -ENOEXEC;
	ret = elf_src_read(src, &eh, sizeof(eh), 0);
	if (!ret)
		ret = elf_check(&eh, src->len);
	if (!ret)
		ret = elf_src_read(src, ph, eh.e_phnum * sizeof(*ph), eh.e_phoff);
	if (ret)
		return ret;
	for (int i = 0; i < eh.e_phnum; i++) {
		uint64_t fend, mend;
		uint8_t *dst;

		if (ph[i].p_type != PT_LOAD)
			continue;
		if (ph[i].p_filesz > ph[i].p_memsz ||
		    __builtin_add_overflow(ph[i].p_offset, ph[i].p_filesz, &fend) ||
		    fend > src->len ||
		    __builtin_add_overflow(ph[i].p_paddr, ph[i].p_memsz, &mend))
			return -ENOEXEC;
		dst = gmem_ptr(m, ph[i].p_paddr, ph[i].p_memsz);
		if (!dst)
			return -EFAULT;
		/* Only the loadable bytes: a vmlinux is about half symbols and notes. */
		ret = elf_src_read(src, dst, ph[i].p_filesz, ph[i].p_offset);
		if (ret)
			return ret;
		memset(dst + ph[i].p_filesz, 0, ph[i].p_memsz - ph[i].p_filesz);
		if (mend > top)
			top = mend;
	}
	*entry = elf_entry_paddr(&eh, ph);
	*end = top;
	return 0;
}

int boot_load_elf(struct guest_mem *m, const uint8_t *data, size_t len,
		  uint64_t *entry, uint64_t *end)
{
	struct elf_src src = { .data = data, .fd = -1, .len = len };

	return elf_load(m, &src, entry, end);
}

int boot_load_elf_fd(struct guest_mem *m, int fd, uint64_t *entry, uint64_t *end)
{
	struct elf_src src = { .fd = fd };
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -errno;
	src.len = st.st_size > 0 ? (uint64_t)st.st_size : 0;
	return elf_load(m, &src, entry, end);
}
