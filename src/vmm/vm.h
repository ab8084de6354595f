/* src/vmm/vm.h: the KVM virtual machine: fds, guest memory slots, buses, irq/ioevent wiring, exit signalling. */
#ifndef KRUN_VMM_VM_H
#define KRUN_VMM_VM_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "vmm/bus.h"
#include "vmm/event.h"
#include "vmm/mem.h"

#define VM_EXIT_CODE_UNSET INT32_MAX

struct vm {
	int kvm_fd;
	int vm_fd;
	int run_size;			/* mmap size of struct kvm_run */
	int nslots;			/* memslots used */
	uint64_t owned_ram;		/* bit i: memslot i is anonymous memory we mapped */
	struct guest_mem mem;
	struct bus pio;			/* port I/O, vCPU threads read it without locks */
	struct bus mmio;
	struct ev_loop loop;		/* main thread only */
	int exit_evt;			/* eventfd: written when the guest is done */
	int exit_code;			/* atomic: code reported by init, or VM_EXIT_CODE_UNSET */
	int vcpu_code;			/* atomic: first failure reported by a vCPU, 0 if none */
	int guest_panicked;		/* atomic: the guest reset after a kernel panic */
	bool split_irqchip;
	unsigned nr_vcpus;
	int *vcpu_fds;
	pthread_t *vcpu_threads;
};

/* Open /dev/kvm, create the VM with its interrupt controllers and PIT. 0 or -errno. */
int vm_create(struct vm *vm, bool split_irqchip);

/* Undo vm_create/vm_add_ram/vcpu_create_all for a VM that never ran. */
void vm_destroy(struct vm *vm);

/* Add guest RAM [gpa, gpa+size): anonymous when (hva) is NULL, else the given host mapping. */
int vm_add_ram(struct vm *vm, gpa_t gpa, uint64_t size, void *hva, void **hva_out);

/*
 * Map (hva) into the guest at [gpa, gpa+size) as memory the VMM itself never
 * touches (a DAX window): gmem_ptr() and virtqueue validation refuse it.
 */
int vm_add_device_mem(struct vm *vm, gpa_t gpa, uint64_t size, void *hva);

/* Route eventfd (fd) to interrupt line (gsi). */
int vm_irqfd(struct vm *vm, int fd, unsigned gsi);

/* One GSI -> MSI route: the message a userspace IOAPIC pin sends (split irqchip). */
struct vm_msi_route {
	uint32_t gsi;
	uint32_t addr_lo, addr_hi, data;
};

/* Replace the whole GSI routing table with (n) MSI routes; GSIs without a route
 * keep their irqfds but inject nothing. 0 or -errno. */
int vm_set_msi_routes(struct vm *vm, const struct vm_msi_route *r, unsigned n);

/* Make a (len)-byte write of (datamatch) to MMIO (addr) signal eventfd (fd) in-kernel. */
int vm_ioeventfd(struct vm *vm, uint64_t addr, unsigned len, uint64_t datamatch, int fd);

/* The guest is done: (code) is a vCPU failure code (0 for a normal stop). Any thread. */
void vm_request_exit(struct vm *vm, int code);

/* The exit status the process should end with, once the guest is done. */
int vm_exit_status(struct vm *vm);

/* Create (n) vCPUs in the 64-bit boot state at (entry). 0 or -errno. */
int vcpu_create_all(struct vm *vm, unsigned n, uint64_t entry, bool nested);

/* Start one thread per vCPU, each sandboxed; they wait for vcpu_release_all(). 0 or -errno. */
int vcpu_start_all(struct vm *vm);

/* Let the vCPU threads run the guest (run) or return without running it. */
void vcpu_release_all(bool run);

#endif
