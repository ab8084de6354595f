/* bench/boot/bare-loader.c: the floor for the boot benchmark: loads a vmlinux + initramfs into a KVM VM and only runs the vCPU. */
/*
 * No devices at all: no virtio, no console, no MP table, no CPUID filtering. Whatever a VMM
 * adds on top of this (device setup, exits it has to serve, its own start-up) is its cost.
 * The guest ends with an i8042 reset (reboot=k: 0xfe to port 0x64) or a triple fault
 * (reboot=t); both end the run. Prints one line with the exits it saw by reason and the
 * time from process start to the first KVM_RUN.
 *
 * Usage: bare-loader VMLINUX INITRD CMDLINE [MEM_MIB]
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Guest-physical layout, the Linux x86 boot protocol's usual low-memory spots. */
#define GDT_ADDR	0x500
#define ZERO_PAGE	0x7000
#define PML4_ADDR	0x9000
#define PDPT_ADDR	0xa000
#define PD_ADDR		0xb000
#define CMDLINE_ADDR	0x20000
#define CMDLINE_MAX	0x10000
#define EBDA_START	0x9fc00
#define HIGH_MEM	0x100000

/* boot_params offsets (arch/x86/include/uapi/asm/bootparam.h). */
#define BP_E820_ENTRIES	0x1e8
#define BP_HDR		0x1f1
#define BP_E820_TABLE	0x2d0

struct bare {
	int kvm, vm, vcpu;
	uint8_t *ram;
	size_t ram_size;
	struct kvm_run *run;
	size_t run_size;
};

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Bytes of the whole file, or NULL with errno set. */
static void *slurp(const char *path, size_t *len)
{
	struct stat st;
	void *p;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) < 0) {
		close(fd);
		return NULL;
	}
	p = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return NULL;
	*len = st.st_size;
	return p;
}

/* Copies every PT_LOAD segment of a 64-bit vmlinux to its physical address; *entry = e_entry. */
static int load_elf(struct bare *b, const uint8_t *img, size_t len, uint64_t *entry)
{
	const Elf64_Ehdr *eh = (const void *)img;

	if (len < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) || eh->e_ident[EI_CLASS] != ELFCLASS64)
		return -ENOEXEC;
	if (eh->e_phoff > len || eh->e_phnum > (len - eh->e_phoff) / sizeof(Elf64_Phdr))
		return -ENOEXEC;
	for (int i = 0; i < eh->e_phnum; i++) {
		const Elf64_Phdr *ph = (const void *)(img + eh->e_phoff) + i;

		if (ph->p_type != PT_LOAD)
			continue;
		if (ph->p_offset > len || ph->p_filesz > len - ph->p_offset || ph->p_filesz > ph->p_memsz ||
		    ph->p_paddr > b->ram_size || ph->p_memsz > b->ram_size - ph->p_paddr)
			return -E2BIG;
		memcpy(b->ram + ph->p_paddr, img + ph->p_offset, ph->p_filesz);
	}
	*entry = eh->e_entry;
	return 0;
}

static void put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }

static void add_e820(uint8_t *zp, uint64_t addr, uint64_t size)
{
	uint8_t n = zp[BP_E820_ENTRIES];
	uint8_t *e = zp + BP_E820_TABLE + 20 * n;

	put64(e, addr);
	put64(e + 8, size);
	put32(e + 16, 1);	/* E820_TYPE_RAM */
	zp[BP_E820_ENTRIES] = n + 1;
}

/* Zero page: setup header fields the 64-bit entry reads, command line, initrd, e820. */
static int write_boot_params(struct bare *b, const char *cmdline, uint64_t initrd, size_t initrd_len)
{
	uint8_t *zp = b->ram + ZERO_PAGE, *hdr = zp + BP_HDR;
	size_t cl = strlen(cmdline) + 1;

	if (cl > CMDLINE_MAX)
		return -E2BIG;
	memcpy(b->ram + CMDLINE_ADDR, cmdline, cl);
	put16(hdr + 0x1fe - BP_HDR, 0xaa55);		/* boot_flag */
	put32(hdr + 0x202 - BP_HDR, 0x53726448);	/* "HdrS" */
	put16(hdr + 0x206 - BP_HDR, 0x020f);		/* version */
	hdr[0x210 - BP_HDR] = 0xff;			/* type_of_loader: undefined */
	hdr[0x211 - BP_HDR] = 0x01;			/* loadflags: LOADED_HIGH */
	put32(hdr + 0x218 - BP_HDR, initrd);		/* ramdisk_image */
	put32(hdr + 0x21c - BP_HDR, initrd_len);	/* ramdisk_size */
	put32(hdr + 0x228 - BP_HDR, CMDLINE_ADDR);	/* cmd_line_ptr */
	put32(hdr + 0x230 - BP_HDR, 0x1000000);		/* kernel_alignment */
	put32(hdr + 0x238 - BP_HDR, cl - 1);		/* cmdline_size */
	add_e820(zp, 0, EBDA_START);
	add_e820(zp, HIGH_MEM, b->ram_size - HIGH_MEM);
	return 0;
}

/* GDT (code 0x10, data 0x18 as the boot protocol names them) and 2 MiB identity pages for 1 GiB. */
static void write_page_tables(struct bare *b)
{
	/* null, null, code (L=1), data, TSS (only so that TR holds a valid descriptor) */
	uint64_t gdt[5] = { 0, 0, 0x00af9b000000ffffULL, 0x00cf93000000ffffULL, 0x008f89000000ffffULL };

	memcpy(b->ram + GDT_ADDR, gdt, sizeof(gdt));
	put64(b->ram + PML4_ADDR, PDPT_ADDR | 3);
	put64(b->ram + PDPT_ADDR, PD_ADDR | 3);
	for (uint64_t i = 0; i < 512; i++)
		put64(b->ram + PD_ADDR + 8 * i, (i << 21) | 0x83);
}

/* kind: 'c' 64-bit code, 'd' data, 't' TSS (a system descriptor). */
static void seg(struct kvm_segment *s, uint16_t sel, uint8_t type, char kind)
{
	*s = (struct kvm_segment){ .base = 0, .limit = 0xffffffff, .selector = sel, .type = type,
				   .present = 1, .dpl = 0, .db = kind == 'd', .s = kind != 't',
				   .l = kind == 'c', .g = 1 };
}

/* What firmware would have done and the kernel relies on: LINT0 = ExtINT (the PIC's timer reaches the
 * CPU), LINT1 = NMI, and MTRRs enabled with write-back as the default type (else all RAM is uncached). */
static int setup_lapic_msrs(struct bare *b)
{
	struct kvm_lapic_state l;
	uint32_t lvt0, lvt1;
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e[1];
	} m = { .hdr.nmsrs = 1, .e[0] = { .index = 0x2ff, .data = 0x806 } };

	if (ioctl(b->vcpu, KVM_GET_LAPIC, &l) < 0)
		return -errno;
	memcpy(&lvt0, &l.regs[0x350], 4);
	memcpy(&lvt1, &l.regs[0x360], 4);
	lvt0 = (lvt0 & ~0x700U) | (7 << 8);
	lvt1 = (lvt1 & ~0x700U) | (4 << 8);
	memcpy(&l.regs[0x350], &lvt0, 4);
	memcpy(&l.regs[0x360], &lvt1, 4);
	if (ioctl(b->vcpu, KVM_SET_LAPIC, &l) < 0 || ioctl(b->vcpu, KVM_SET_MSRS, &m) != 1)
		return -EIO;
	return 0;
}

static int setup_vcpu(struct bare *b, uint64_t entry)
{
	struct kvm_sregs sr;
	struct kvm_regs regs = { .rip = entry, .rsi = ZERO_PAGE, .rflags = 2, .rsp = 0x8ff0, .rbp = 0x8ff0 };
	struct kvm_cpuid2 *cpuid;
	int n = 256, ret = 0;

	cpuid = calloc(1, sizeof(*cpuid) + n * sizeof(struct kvm_cpuid_entry2));
	if (!cpuid)
		return -ENOMEM;
	cpuid->nent = n;
	if (ioctl(b->kvm, KVM_GET_SUPPORTED_CPUID, cpuid) < 0 || ioctl(b->vcpu, KVM_SET_CPUID2, cpuid) < 0)
		ret = -errno;
	free(cpuid);
	if (ret)
		return ret;
	if (ioctl(b->vcpu, KVM_GET_SREGS, &sr) < 0)
		return -errno;
	seg(&sr.cs, 0x10, 0xb, 'c');
	seg(&sr.ds, 0x18, 0x3, 'd');
	sr.es = sr.fs = sr.gs = sr.ss = sr.ds;
	seg(&sr.tr, 0x20, 0xb, 't');
	sr.gdt.base = GDT_ADDR;
	sr.gdt.limit = 5 * 8 - 1;
	sr.idt.base = GDT_ADDR + 5 * 8;		/* an empty IDT until the kernel loads its own */
	sr.idt.limit = 7;
	sr.cr3 = PML4_ADDR;
	sr.cr4 |= 1 << 5;			/* PAE */
	sr.cr0 |= 1 | (1u << 31);		/* PE | PG */
	sr.efer |= (1 << 8) | (1 << 10);	/* LME | LMA */
	if (ioctl(b->vcpu, KVM_SET_SREGS, &sr) < 0 || ioctl(b->vcpu, KVM_SET_REGS, &regs) < 0)
		return -errno;
	return setup_lapic_msrs(b);
}

/* VM, in-kernel irqchip and PIT (as our VMM has), RAM, one vCPU. */
static int create_vm(struct bare *b)
{
	struct kvm_pit_config pit = { 0 };
	struct kvm_userspace_memory_region r;

	b->kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (b->kvm < 0)
		return -errno;
	b->vm = ioctl(b->kvm, KVM_CREATE_VM, 0);
	if (b->vm < 0)
		return -errno;
	if (ioctl(b->vm, KVM_SET_TSS_ADDR, 0xfffbd000) < 0 || ioctl(b->vm, KVM_CREATE_IRQCHIP, 0) < 0 ||
	    ioctl(b->vm, KVM_CREATE_PIT2, &pit) < 0)
		return -errno;
	b->ram = mmap(NULL, b->ram_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (b->ram == MAP_FAILED)
		return -errno;
	r = (struct kvm_userspace_memory_region){ .slot = 0, .guest_phys_addr = 0,
						  .memory_size = b->ram_size, .userspace_addr = (uintptr_t)b->ram };
	if (ioctl(b->vm, KVM_SET_USER_MEMORY_REGION, &r) < 0)
		return -errno;
	b->vcpu = ioctl(b->vm, KVM_CREATE_VCPU, 0);
	if (b->vcpu < 0)
		return -errno;
	b->run_size = ioctl(b->kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	b->run = mmap(NULL, b->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, b->vcpu, 0);
	return b->run == MAP_FAILED ? -errno : 0;
}

/* Runs until the guest resets; returns 0, or -errno for a failed KVM_RUN or an unexpected exit. */
static int run_vcpu(struct bare *b, double t0, unsigned long counts[], double *first_run)
{
	*first_run = 0;
	for (;;) {
		if (!*first_run)
			*first_run = now_ms() - t0;
		if (ioctl(b->vcpu, KVM_RUN, 0) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (b->run->exit_reason < 64)
			counts[b->run->exit_reason]++;
		switch (b->run->exit_reason) {
		case KVM_EXIT_IO: {
			uint8_t *data = (uint8_t *)b->run + b->run->io.data_offset;

			if (b->run->io.direction == KVM_EXIT_IO_OUT && b->run->io.port == 0x64 && data[0] == 0xfe)
				return 0;
			if (b->run->io.direction == KVM_EXIT_IO_IN)
				memset(data, 0, b->run->io.size * b->run->io.count);
			break;
		}
		case KVM_EXIT_MMIO:
			if (!b->run->mmio.is_write)
				memset(b->run->mmio.data, 0, sizeof(b->run->mmio.data));
			break;
		case KVM_EXIT_SHUTDOWN: {
			struct kvm_regs r;

			/* Where the guest was: a triple fault before init means the floor did not boot. */
			if (ioctl(b->vcpu, KVM_GET_REGS, &r) == 0)
				fprintf(stderr, "bare-loader: shutdown (triple fault) at rip 0x%llx\n", r.rip);
			return 0;
		}
		case KVM_EXIT_HLT:
		case KVM_EXIT_SYSTEM_EVENT:
			return 0;
		default:
			fprintf(stderr, "bare-loader: unexpected exit reason %u\n", b->run->exit_reason);
			return -EIO;
		}
	}
}

int main(int argc, char **argv)
{
	double t0 = now_ms(), first_run;
	struct bare b = { .kvm = -1, .vm = -1, .vcpu = -1 };
	unsigned long counts[64] = { 0 };
	size_t klen, ilen;
	uint64_t entry, initrd;
	uint8_t *kimg, *iimg;
	int ret;

	if (argc < 4) {
		fprintf(stderr, "usage: bare-loader VMLINUX INITRD CMDLINE [MEM_MIB]\n");
		return 2;
	}
	b.ram_size = (size_t)(argc > 4 ? atoi(argv[4]) : 128) << 20;
	kimg = slurp(argv[1], &klen);
	iimg = slurp(argv[2], &ilen);
	if (!kimg || !iimg) {
		perror("bare-loader: kernel or initrd");
		return 1;
	}
	ret = create_vm(&b);
	if (!ret)
		ret = load_elf(&b, kimg, klen, &entry);
	/* At the top of RAM, clear of the kernel (loaded at 16 MiB, under 32 MiB with its BSS). */
	initrd = (b.ram_size - ilen) & ~0xfffULL;
	if (!ret && (ilen > b.ram_size || initrd < (32 << 20)))
		ret = -E2BIG;
	if (!ret) {
		memcpy(b.ram + initrd, iimg, ilen);
		write_page_tables(&b);
		ret = write_boot_params(&b, argv[3], initrd, ilen);
	}
	if (!ret)
		ret = setup_vcpu(&b, entry);
	if (!ret)
		ret = run_vcpu(&b, t0, counts, &first_run);
	if (ret) {
		fprintf(stderr, "bare-loader: %s\n", strerror(-ret));
		return 1;
	}
	printf("bare-loader: start->first KVM_RUN %.2f ms; exits to userspace: io %lu mmio %lu other %lu\n",
	       first_run, counts[KVM_EXIT_IO], counts[KVM_EXIT_MMIO],
	       counts[KVM_EXIT_HLT] + counts[KVM_EXIT_SHUTDOWN] + counts[KVM_EXIT_SYSTEM_EVENT]);
	return 0;
}
