/* tests/unit/test-boot.c: guest memory accessor, bus dispatch, zero page/e820, MP table and ELF loader builders. */
#include <asm/bootparam.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "test.h"
#include "vmm/bus.h"
#include "vmm/mem.h"
#include "vmm/x86_64/boot.h"
#include "vmm/x86_64/layout.h"

#define RAM_SIZE (64ULL << 20)

static struct guest_mem mem;
static uint8_t *ram;

static void setup_ram(void)
{
	mem = (struct guest_mem){ 0 };
	ram = calloc(1, RAM_SIZE);
	CHECK(gmem_add(&mem, 0, RAM_SIZE, ram) == 0);
}

static void test_gmem_bounds(void)
{
	setup_ram();
	CHECK(gmem_ptr(&mem, 0, RAM_SIZE) == ram);
	CHECK(gmem_ptr(&mem, RAM_SIZE - 1, 1) == ram + RAM_SIZE - 1);
	CHECK(gmem_ptr(&mem, RAM_SIZE - 1, 2) == NULL);
	CHECK(gmem_ptr(&mem, RAM_SIZE, 1) == NULL);
	CHECK(gmem_ptr(&mem, UINT64_MAX, 2) == NULL);
	CHECK(gmem_ptr(&mem, 16, UINT64_MAX) == NULL);
	CHECK(gmem_add(&mem, RAM_SIZE - 4096, 8192, ram) == -EINVAL);
	CHECK(gmem_add(&mem, UINT64_MAX - 10, 100, ram) == -EINVAL);
	CHECK(gmem_add(&mem, 1ULL << 32, 4096, ram) == 0);
	CHECK(gmem_ptr(&mem, (1ULL << 32) + 100, 8) == ram + 100);
	/* A range spanning two regions is refused even if both parts exist. */
	CHECK(gmem_add(&mem, RAM_SIZE, 4096, ram) == 0);
	CHECK(gmem_ptr(&mem, RAM_SIZE - 8, 16) == NULL);
}

static int bus_hits;
static void bus_w(void *o, uint64_t off, const void *d, unsigned len)
{
	bus_hits += (int)off + 100;
}

/*
 * A kernel image mapped with its size rounded up (RAW kernels: 64 KiB) must not
 * raise SIGBUS past the file's last page: the tail reads as zeroes and takes writes.
 */
static void test_map_file_tail(void)
{
	char path[] = "/tmp/krun-test-mapfile-XXXXXX";
	uint8_t buf[5000], *p;
	size_t size = 0;
	int fd = mkstemp(path);

	CHECK(fd >= 0);
	memset(buf, 0xab, sizeof(buf));
	CHECK(write(fd, buf, sizeof(buf)) == (ssize_t)sizeof(buf));
	close(fd);
	CHECK(gmem_map_file(path, (void **)&p, &size, 64 << 10) == 0);
	unlink(path);
	CHECK_EQ(size, sizeof(buf));
	CHECK(p[0] == 0xab && p[4999] == 0xab && p[5000] == 0);
	CHECK(p[(64 << 10) - 1] == 0);	/* the last byte of the rounded span */
	p[(64 << 10) - 1] = 1;
	munmap(p, 64 << 10);
	CHECK(gmem_map_file("/nonexistent/kernel", (void **)&p, &size, 4096) == -ENOENT);
}

static void test_bus_dispatch(void)
{
	struct bus b = { .name = "t" };
	struct bus_handler h = { .base = 0x60, .len = 5, .write = bus_w };
	uint32_t v = 0;

	CHECK(bus_register(&b, &h) == 0);
	CHECK(bus_register(&b, &h) == -EINVAL);
	h.base = UINT64_MAX;
	CHECK(bus_register(&b, &h) == -EINVAL);
	bus_write(&b, 0x64, &v, 1);
	CHECK_EQ(bus_hits, 104);
	bus_write(&b, 0x64, &v, 4); /* crosses the end: unclaimed */
	CHECK_EQ(bus_hits, 104);
	bus_read(&b, 0x70, &v, 4);
	CHECK_EQ(v, 0xffffffff);
}

static void test_zero_page(void)
{
	struct boot_info bi = {
		.ram_below_gap_end = RAM_SIZE, .initrd_gpa = 0x3000000,
		.initrd_size = 12345, .cmdline = "console=hvc0 quiet",
	};
	struct boot_params *bp;

	setup_ram();
	CHECK(boot_setup_params(&mem, &bi) == 0);
	bp = (struct boot_params *)(ram + ZERO_PAGE_START);
	CHECK_EQ(bp->hdr.boot_flag, 0xaa55);
	CHECK_EQ(bp->hdr.header, 0x53726448);
	CHECK_EQ(bp->hdr.type_of_loader, 0xff);
	CHECK_EQ(bp->hdr.cmd_line_ptr, CMDLINE_START);
	CHECK(!strcmp((char *)ram + CMDLINE_START, "console=hvc0 quiet"));
	CHECK_EQ(bp->hdr.cmdline_size, strlen(bi.cmdline) + 1);
	CHECK_EQ(bp->hdr.ramdisk_image, 0x3000000);
	CHECK_EQ(bp->hdr.ramdisk_size, 12345);
	CHECK_EQ(bp->e820_entries, 2);
	CHECK_EQ(bp->e820_table[0].addr, 0);
	CHECK_EQ(bp->e820_table[0].size, EBDA_START);
	CHECK_EQ(bp->e820_table[1].addr, HIMEM_START);
	CHECK_EQ(bp->e820_table[1].addr + bp->e820_table[1].size, RAM_SIZE);
	bi.ram_above_4g_size = 1ULL << 30;
	CHECK(boot_setup_params(&mem, &bi) == 0);
	CHECK_EQ(bp->e820_entries, 3);
	CHECK_EQ(bp->e820_table[2].addr, FIRST_ADDR_PAST_32BITS);
}

static void test_cmdline_limit(void)
{
	char big[4096];
	struct boot_info bi = { .ram_below_gap_end = RAM_SIZE, .cmdline = big };

	setup_ram();
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	CHECK(boot_setup_params(&mem, &bi) == -E2BIG);
	big[CMDLINE_MAX_SIZE - 1] = 0; /* 2047 chars + NUL fits exactly */
	CHECK(boot_setup_params(&mem, &bi) == 0);
}

static void test_page_tables(void)
{
	uint64_t *pd;

	setup_ram();
	CHECK(boot_setup_tables(&mem) == 0);
	CHECK_EQ(*(uint64_t *)(ram + PML4_START), PDPTE_START | 3);
	CHECK_EQ(*(uint64_t *)(ram + PDPTE_START), PDE_START | 3);
	pd = (uint64_t *)(ram + PDE_START);
	CHECK_EQ(pd[0], 0x83);
	CHECK_EQ(pd[511], (511ULL << 21) | 0x83);
	/* 4 GiB identity map: a RAW kernel is entered at 2 GiB. */
	CHECK_EQ(*(uint64_t *)(ram + PDPTE_START + 3 * 8), (PDE_START + 3 * 4096) | 3);
	CHECK_EQ(pd[1024], (1024ULL << 21) | 0x83);
	CHECK_EQ(pd[2047], (2047ULL << 21) | 0x83);
	CHECK_EQ(*(uint64_t *)(ram + BOOT_GDT_START + 8), boot_gdt[1]);
	CHECK_EQ(boot_gdt[1], 0x00af9b000000ffffULL); /* 64-bit code segment */
	CHECK_EQ(boot_gdt[2], 0x00cf93000000ffffULL);
}

static uint8_t mp_sum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;

	while (n--)
		s += *p++;
	return s;
}

static void test_mptable(void)
{
	uint8_t *mpf, *mpc;
	uint16_t len;
	unsigned cpus = 0;

	setup_ram();
	CHECK(mptable_setup(&mem, 0) == -EINVAL);
	CHECK(mptable_setup(&mem, 255) == -EINVAL);
	CHECK(mptable_setup(&mem, 64) == 0);
	mpf = ram + MPTABLE_START;
	CHECK(!memcmp(mpf, "_MP_", 4));
	CHECK_EQ(mp_sum(mpf, 16), 0);
	mpc = ram + *(uint32_t *)(mpf + 4);
	CHECK(!memcmp(mpc, "PCMP", 4));
	len = *(uint16_t *)(mpc + 4);
	CHECK_EQ(mp_sum(mpc, len), 0);
	for (uint8_t *e = mpc + 44; e < mpc + len;) {
		if (*e == 0) {
			CHECK_EQ(e[1], cpus); /* APIC ids in order */
			cpus++;
			e += 20;
		} else {
			e += 8;
		}
	}
	CHECK_EQ(cpus, 64);
}

/* An x86-64 ELF header whose program headers follow it, entry in the first segment's kernel mapping. */
static void elf_header_init(Elf64_Ehdr *eh, uint16_t phnum)
{
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_machine = EM_X86_64;
	eh->e_phoff = sizeof(*eh);
	eh->e_phentsize = sizeof(Elf64_Phdr);
	eh->e_phnum = phnum;
	eh->e_entry = 0xffffffff81000004ULL;
}

static void test_elf_loader(void)
{
	struct {
		Elf64_Ehdr eh;
		Elf64_Phdr ph;
		uint8_t code[16];
	} img = { 0 };
	uint64_t entry = 0, end = 0;

	setup_ram();
	elf_header_init(&img.eh, 1);
	img.ph = (Elf64_Phdr){ .p_type = PT_LOAD, .p_offset = offsetof(typeof(img), code),
			       .p_vaddr = 0xffffffff81000000ULL, .p_paddr = 0x1000000,
			       .p_filesz = 16, .p_memsz = 4096 };
	memset(img.code, 0xcc, 16);
	CHECK(boot_load_elf(&mem, (uint8_t *)&img, sizeof(img), &entry, &end) == 0);
	CHECK_EQ(entry, 0x1000004);
	CHECK_EQ(end, 0x1001000);
	CHECK_EQ(ram[0x1000000], 0xcc);
	/* Hostile headers: filesz past the file, memsz past RAM, overflowing paddr. */
	img.ph.p_filesz = 1 << 20;
	CHECK(boot_load_elf(&mem, (uint8_t *)&img, sizeof(img), &entry, &end) == -ENOEXEC);
	img.ph.p_filesz = 16;
	img.ph.p_memsz = 1ULL << 40;
	CHECK(boot_load_elf(&mem, (uint8_t *)&img, sizeof(img), &entry, &end) == -EFAULT);
	img.ph.p_paddr = UINT64_MAX - 8;
	CHECK(boot_load_elf(&mem, (uint8_t *)&img, sizeof(img), &entry, &end) == -ENOEXEC);
	img.eh.e_phnum = 1000;
	CHECK(boot_load_elf(&mem, (uint8_t *)&img, sizeof(img), &entry, &end) == -ENOEXEC);
	CHECK(boot_load_elf(&mem, (uint8_t *)&img, 10, &entry, &end) == -ENOEXEC);
}

/* The file loader reads only PT_LOAD bytes into place and refuses the same hostile headers. */
static void test_elf_loader_fd(void)
{
	struct {
		Elf64_Ehdr eh;
		Elf64_Phdr ph[2];
		uint8_t code[16];
		uint8_t symbols[64];	/* not loadable: must not land anywhere */
	} img = { 0 };
	uint64_t entry = 0, end = 0;
	int fd = memfd_create("vmlinux", 0);

	CHECK(fd >= 0);
	setup_ram();
	elf_header_init(&img.eh, 2);
	img.ph[0] = (Elf64_Phdr){ .p_type = PT_NOTE, .p_offset = offsetof(typeof(img), symbols),
				  .p_paddr = 0x2000000, .p_filesz = 64, .p_memsz = 64 };
	img.ph[1] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_offset = offsetof(typeof(img), code),
				  .p_vaddr = 0xffffffff81000000ULL, .p_paddr = 0x1000000,
				  .p_filesz = 16, .p_memsz = 4096 };
	memset(img.code, 0xcc, sizeof(img.code));
	memset(img.symbols, 0xee, sizeof(img.symbols));
	memset(ram + 0x1000000, 0x55, 8192);
	CHECK_EQ(pwrite(fd, &img, sizeof(img), 0), (ssize_t)sizeof(img));
	CHECK(boot_load_elf_fd(&mem, fd, &entry, &end) == 0);
	CHECK_EQ(entry, 0x1000004);
	CHECK_EQ(end, 0x1001000);
	CHECK_EQ(ram[0x1000000], 0xcc);
	CHECK_EQ(ram[0x1000010], 0);	/* BSS zeroed */
	CHECK_EQ(ram[0x1001000], 0x55);	/* nothing past memsz */
	CHECK_EQ(ram[0x2000000], 0);	/* the note was not loaded */
	/* A segment past the file's end, past RAM, a header table past the file, a short file. */
	img.ph[1].p_filesz = 1 << 20;
	CHECK_EQ(pwrite(fd, &img, sizeof(img), 0), (ssize_t)sizeof(img));
	CHECK(boot_load_elf_fd(&mem, fd, &entry, &end) == -ENOEXEC);
	img.ph[1].p_filesz = 16;
	img.ph[1].p_memsz = 1ULL << 40;
	CHECK_EQ(pwrite(fd, &img, sizeof(img), 0), (ssize_t)sizeof(img));
	CHECK(boot_load_elf_fd(&mem, fd, &entry, &end) == -EFAULT);
	img.ph[1].p_memsz = 4096;
	img.eh.e_phnum = 1000;
	CHECK_EQ(pwrite(fd, &img, sizeof(img), 0), (ssize_t)sizeof(img));
	CHECK(boot_load_elf_fd(&mem, fd, &entry, &end) == -ENOEXEC);
	CHECK(ftruncate(fd, 10) == 0);
	CHECK(boot_load_elf_fd(&mem, fd, &entry, &end) == -ENOEXEC);
	close(fd);
	CHECK(boot_load_elf_fd(&mem, fd, &entry, &end) == -EBADF);
}

TEST_MAIN_BEGIN("boot")
	RUN(test_gmem_bounds);
	RUN(test_map_file_tail);
	RUN(test_bus_dispatch);
	RUN(test_zero_page);
	RUN(test_cmdline_limit);
	RUN(test_page_tables);
	RUN(test_mptable);
	RUN(test_elf_loader);
	RUN(test_elf_loader_fd);
TEST_MAIN_END()
