/* bench/boot/bare-loader.c: the floor for the boot benchmark: loads a vmlinux + initramfs into a KVM VM and only runs the vCPU. */
/*
 * No devices, no threads, no event loop: the boot state our VMM writes (the same code from src/vmm/x86_64:
 * page tables, zero page, MP table, filtered CPUID, MSRs, registers), an in-kernel irqchip and PIT, and a
 * KVM_RUN loop. Whatever our VMM adds on top of this (device setup, exits it serves, its own start-up) is
 * its cost. The guest ends with an i8042 reset (reboot=k: 0xfe to port 0x64) or a triple fault
 * (reboot=t); both end the run. It has no console, so the guest's own time to init is not seen. Prints
 * one line with the exits it saw and the time from process start to the first KVM_RUN.
 *
 * Usage: bare-loader VMLINUX INITRD CMDLINE [MEM_MIB (64..3072, default 128)]
 */
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

#include "vmm/mem.h"
#include "vmm/x86_64/boot.h"
#include "vmm/x86_64/cpu.h"

struct bare {
	int kvm, vm, vcpu;
	uint8_t *ram;
	size_t ram_size;
	struct guest_mem mem;
	struct kvm_run *run;
	size_t run_size;
};

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* The boot state our VMM writes (same code: page tables, zero page, MP table, CPUID, MSRs, registers). */
static int setup_boot(struct bare *b, int kfd, int ifd, const char *cmdline, uint64_t *entry)
{
	struct boot_info bi = { .ram_below_gap_end = b->ram_size, .cmdline = cmdline };
	struct kvm_cpuid2 *cpuid;
	struct stat st;
	uint64_t end;
	size_t ilen;
	int ret;

	/* As our VMM: only the kernel's loadable segments and the initramfs, read straight into RAM. */
	ret = boot_load_elf_fd(&b->mem, kfd, entry, &end);
	if (ret)
		return ret;
	if (fstat(ifd, &st) < 0)
		return -errno;
	ilen = st.st_size;
	/* At the top of RAM, clear of the kernel and its BSS. */
	bi.initrd_gpa = (b->ram_size - ilen) & ~0xfffULL;
	bi.initrd_size = ilen;
	if (ilen > b->ram_size || bi.initrd_gpa < end)
		return -E2BIG;
	ret = gmem_pread(ifd, b->ram + bi.initrd_gpa, ilen, 0);
	if (!ret)
		ret = boot_setup_tables(&b->mem);
	if (!ret)
		ret = boot_setup_params(&b->mem, &bi);
	if (!ret)
		ret = mptable_setup(&b->mem, 1);
	if (!ret)
		ret = cpu_get_supported_cpuid(b->kvm, &cpuid);
	if (ret)
		return ret;
	cpu_filter_cpuid(cpuid, 0, 1, false);
	ret = cpu_setup(b->vcpu, cpuid, *entry, true);
	free(cpuid);
	return ret;
}

/* VM, in-kernel irqchip and PIT (as our VMM has), RAM, one vCPU. */
static int create_vm(struct bare *b)
{
	struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };	/* port 0x61 in KVM: the PIT calibration polls it */
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
	/* 2 MiB-aligned as our VMM's RAM, so both get the same nested-page faults where THP is on. */
	b->ram = mmap(NULL, b->ram_size + (2 << 20), PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (b->ram == MAP_FAILED)
		return -errno;
	b->ram = (uint8_t *)(((uintptr_t)b->ram + (2 << 20) - 1) & ~(uintptr_t)((2 << 20) - 1));
	r = (struct kvm_userspace_memory_region){ .slot = 0, .guest_phys_addr = 0,
						  .memory_size = b->ram_size, .userspace_addr = (uintptr_t)b->ram };
	if (ioctl(b->vm, KVM_SET_USER_MEMORY_REGION, &r) < 0)
		return -errno;
	if (gmem_add(&b->mem, 0, b->ram_size, b->ram))
		return -EINVAL;
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
	uint64_t entry;
	int kfd, ifd, ret;

	if (argc < 4) {
		fprintf(stderr, "usage: bare-loader VMLINUX INITRD CMDLINE [MEM_MIB]\n");
		return 2;
	}
	b.ram_size = (size_t)(argc > 4 ? atoi(argv[4]) : 128) << 20;
	if (b.ram_size < (64 << 20) || b.ram_size > (3ULL << 30)) {
		fprintf(stderr, "bare-loader: MEM_MIB must be 64..3072\n");
		return 2;
	}
	kfd = open(argv[1], O_RDONLY | O_CLOEXEC);
	ifd = open(argv[2], O_RDONLY | O_CLOEXEC);
	if (kfd < 0 || ifd < 0) {
		perror("bare-loader: kernel or initrd");
		return 1;
	}
	ret = create_vm(&b);
	if (!ret)
		ret = setup_boot(&b, kfd, ifd, argv[3], &entry);
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
