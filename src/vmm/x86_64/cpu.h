/* src/vmm/x86_64/cpu.h: per-vCPU x86_64 state at boot: CPUID, MSRs, registers, LAPIC. */
#ifndef KRUN_VMM_X86_64_CPU_H
#define KRUN_VMM_X86_64_CPU_H

#include <stdbool.h>
#include <stdint.h>

struct kvm_cpuid2;

/* KVM_GET_SUPPORTED_CPUID into a heap buffer (*out, free() it). 0 or -errno. */
int cpu_get_supported_cpuid(int kvm_fd, struct kvm_cpuid2 **out);

/*
 * True when (c), KVM's supported CPUID, offers VMX or SVM to guests: KVM reports
 * them only when the host's kvm_intel/kvm_amd runs with nested=1 on capable hardware.
 */
bool cpu_has_virt_ext(const struct kvm_cpuid2 *c);

/*
 * Adjust a copy of the supported CPUID for vCPU (index) of (ncpus):
 * APIC ids, topology, hypervisor bit; VMX/SVM hidden unless (nested).
 */
void cpu_filter_cpuid(struct kvm_cpuid2 *c, unsigned index, unsigned ncpus, bool nested);

/*
 * Put vCPU (fd) into the 64-bit boot state: CPUID from (cpuid), boot MSRs,
 * long mode with the boot GDT and page tables, RIP = (entry), RSI = zero page.
 * The LAPIC is set up when (lapic) is true (in-kernel or split irqchip).
 */
int cpu_setup(int fd, const struct kvm_cpuid2 *cpuid, uint64_t entry, bool lapic);

#endif
