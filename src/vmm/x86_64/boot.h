/* src/vmm/x86_64/boot.h: builders for the 64-bit Linux boot state in guest memory (no KVM involved). */
#ifndef KRUN_VMM_X86_64_BOOT_H
#define KRUN_VMM_X86_64_BOOT_H

#include <stddef.h>
#include <stdint.h>

#include "vmm/mem.h"

struct boot_info {
	uint64_t ram_below_gap_end;	/* end of RAM below MMIO_MEM_START */
	uint64_t ram_above_4g_size;	/* RAM mapped from 4 GiB, 0 if none */
	uint64_t initrd_gpa, initrd_size; /* 0 size: no initramfs */
	const char *cmdline;
};

/* Write the GDT/IDT and the identity page tables for the first GiB. 0 or -EFAULT. */
int boot_setup_tables(struct guest_mem *m);

/* Write boot_params (zero page), e820 and the command line. -E2BIG if the
 * command line does not fit the guest's 2048 bytes, -EFAULT on memory errors. */
int boot_setup_params(struct guest_mem *m, const struct boot_info *bi);

/* Write an Intel MP table for (ncpus) CPUs at MPTABLE_START. 0, -EINVAL or -EFAULT. */
int mptable_setup(struct guest_mem *m, unsigned ncpus);

/* The GDT entries used at entry (code 0x8, data 0x10, tss 0x18). */
extern const uint64_t boot_gdt[4];

/*
 * Load an ELF vmlinux from (data, len) into guest memory at its physical
 * addresses. Sets (*entry) to the physical 64-bit entry point and (*end) to the
 * first byte past the highest segment. 0, -ENOEXEC (not x86_64 ELF) or -EFAULT.
 */
int boot_load_elf(struct guest_mem *m, const uint8_t *data, size_t len,
		  uint64_t *entry, uint64_t *end);

/*
 * The same from an open file: only the PT_LOAD bytes are read, straight into
 * guest memory. Also -errno from reading (-EIO if the file is shorter).
 */
int boot_load_elf_fd(struct guest_mem *m, int fd, uint64_t *entry, uint64_t *end);

#endif
