/* src/vmm/x86_64/layout.h: fixed guest-physical addresses of the x86_64 microVM (upstream's layout). */
#ifndef KRUN_VMM_X86_64_LAYOUT_H
#define KRUN_VMM_X86_64_LAYOUT_H

#define BOOT_GDT_START		0x500ULL
#define BOOT_IDT_START		0x520ULL
#define ZERO_PAGE_START		0x7000ULL
#define BOOT_STACK_POINTER	0x8ff0ULL
#define PML4_START		0x9000ULL
#define PDPTE_START		0xa000ULL
#define PDE_START		0xb000ULL	/* BOOT_IDMAP_GIB pages: 0xb000-0xefff */
#define BOOT_IDMAP_GIB		4
#define CMDLINE_START		0x20000ULL
#define CMDLINE_MAX_SIZE	2048	/* guest COMMAND_LINE_SIZE on x86 */
#define EBDA_START		0x9fc00ULL
#define MPTABLE_START		EBDA_START
#define HIMEM_START		0x100000ULL
#define KERNEL_LOAD_ADDR	0x1000000ULL

#define MMIO_MEM_START		0xd0000000ULL	/* 4 GiB - 768 MiB: start of the MMIO gap */
#define FIRST_ADDR_PAST_32BITS	0x100000000ULL
#define IOAPIC_ADDR		0xfec00000ULL
#define LAPIC_ADDR		0xfee00000ULL
#define KVM_TSS_ADDR		0xfffbd000ULL

/* virtio-mmio devices: 4 KiB slots from the gap start, GSIs 5..15. */
#define VIRTIO_MMIO_BASE	MMIO_MEM_START
#define VIRTIO_MMIO_SLOT	0x1000ULL
#define VIRTIO_IRQ_BASE		5
#define VIRTIO_IRQ_MAX		15

/* Warm-reboot flag the kernel writes to the BIOS data area before a reset. */
#define BDA_RESET_FLAG		0x472ULL
#define BDA_RESET_WARM		0x1234

#endif
