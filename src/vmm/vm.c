/* src/vmm/vm.c: KVM VM creation, memory slots, irqfd/ioeventfd registration and the exit signal. */
#include "vmm/vm.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "util/log.h"
#include "vmm/x86_64/layout.h"

#define IOAPIC_NUM_PINS 24

static int vm_create_irqchip(struct vm *vm)
{
	struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };

	if (vm->split_irqchip) {
		struct kvm_enable_cap cap = {
			.cap = KVM_CAP_SPLIT_IRQCHIP, .args[0] = IOAPIC_NUM_PINS,
		};

		if (ioctl(vm->vm_fd, KVM_ENABLE_CAP, &cap) < 0)
			return -errno;
		return 0;
	}
	if (ioctl(vm->vm_fd, KVM_CREATE_IRQCHIP) < 0)
		return -errno;
	if (ioctl(vm->vm_fd, KVM_CREATE_PIT2, &pit) < 0)
		return -errno;
	return 0;
}

int vm_create(struct vm *vm, bool split_irqchip)
{
	int ret;

	*vm = (struct vm){ .kvm_fd = -1, .vm_fd = -1, .exit_evt = -1,
			   .exit_code = VM_EXIT_CODE_UNSET, .split_irqchip = split_irqchip };
	vm->pio.name = "pio";
	vm->mmio.name = "mmio";
	vm->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vm->kvm_fd < 0) {
		ret = -errno;
		log_err("vm: cannot open /dev/kvm: %s", strerror(-ret));
		return ret;
	}
	if (ioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0) != KVM_API_VERSION) {
		ret = -ENOTSUP;
		goto err;
	}
	vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	if (vm->vm_fd < 0) {
		ret = -errno;
		log_err("vm: KVM_CREATE_VM: %s", strerror(-ret));
		goto err;
	}
	vm->run_size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (vm->run_size <= 0 || ioctl(vm->vm_fd, KVM_SET_TSS_ADDR, KVM_TSS_ADDR) < 0) {
		ret = -errno;
		goto err;
	}
	ret = vm_create_irqchip(vm);
	if (ret) {
		log_err("vm: creating the interrupt controller: %s", strerror(-ret));
		goto err;
	}
	vm->exit_evt = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (vm->exit_evt < 0) {
		ret = -errno;
		goto err;
	}
	ret = ev_init(&vm->loop);
	if (ret)
		goto err;
	return 0;
err:
	if (vm->exit_evt >= 0)
		close(vm->exit_evt);
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	close(vm->kvm_fd);
	return ret;
}

/*
 * Guest RAM: anonymous, NORESERVE (touched lazily; the balloon hands pages back), 2 MiB-aligned,
 * so that where the host runs THP always one nested-page fault maps 2 MiB instead of 4 KiB (a
 * 128 MiB boot took ~6400 such exits). Not MADV_HUGEPAGE: with THP defrag=madvise that makes every
 * fault compact memory directly, and in the nested CI VM a run of crun cases stalled for minutes.
 * NULL + errno.
 */
static void *ram_map(uint64_t size)
{
	const uint64_t huge = 2ULL << 20;
	uint8_t *p, *a;

	p = mmap(NULL, size + huge, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	a = (uint8_t *)(((uintptr_t)p + huge - 1) & ~(uintptr_t)(huge - 1));
	if (a > p)
		munmap(p, a - p);
	munmap(a + size, p + huge - a);
	return a;
}

static int vm_add_region(struct vm *vm, gpa_t gpa, uint64_t size, void *hva, void **hva_out,
			 unsigned flags)
{
	struct kvm_userspace_memory_region r;
	bool owned = !hva;
	int ret;

	if (!hva) {
		hva = ram_map(size);
		if (!hva)
			return -errno;
		/* Named so memory accounting can tell guest RAM from VMM overhead (best effort). */
		prctl(PR_SET_VMA, PR_SET_VMA_ANON_NAME, (unsigned long)hva, size,
		      (unsigned long)"krun-guest-ram");
	}
	r = (struct kvm_userspace_memory_region){
		.slot = vm->nslots, .guest_phys_addr = gpa, .memory_size = size,
		.userspace_addr = (uintptr_t)hva,
	};
	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0) {
		ret = -errno;
		goto err_unmap;
	}
	ret = gmem_add_flags(&vm->mem, gpa, size, hva, flags);
	if (ret)
		goto err_unmap;
	if (owned && vm->nslots < 64)
		vm->owned_ram |= 1ULL << vm->nslots;
	vm->nslots++;
	log_debug("vm: guest memory 0x%llx+0x%llx at host %p",
		  (unsigned long long)gpa, (unsigned long long)size, hva);
	if (hva_out)
		*hva_out = hva;
	return 0;
err_unmap:
	if (owned)
		munmap(hva, size);
	return ret;
}

int vm_add_ram(struct vm *vm, gpa_t gpa, uint64_t size, void *hva, void **hva_out)
{
	return vm_add_region(vm, gpa, size, hva, hva_out, 0);
}

int vm_add_device_mem(struct vm *vm, gpa_t gpa, uint64_t size, void *hva)
{
	return vm_add_region(vm, gpa, size, hva, NULL, GMEM_F_NO_VMM);
}

void vm_destroy(struct vm *vm)
{
	for (unsigned i = 0; i < vm->nr_vcpus; i++)
		close(vm->vcpu_fds[i]);
	free(vm->vcpu_fds);
	free(vm->vcpu_threads);
	for (int i = 0; i < vm->mem.nr_regions && i < 64; i++)
		if (vm->owned_ram & (1ULL << i))
			munmap(vm->mem.regions[i].hva, vm->mem.regions[i].size);
	ev_fini(&vm->loop);
	close(vm->exit_evt);
	close(vm->vm_fd);
	close(vm->kvm_fd);
	vm->vm_fd = vm->kvm_fd = vm->exit_evt = -1;
}

int vm_irqfd(struct vm *vm, int fd, unsigned gsi)
{
	struct kvm_irqfd irqfd = { .fd = fd, .gsi = gsi };

	return ioctl(vm->vm_fd, KVM_IRQFD, &irqfd) < 0 ? -errno : 0;
}

#define VM_MAX_MSI_ROUTES 64

int vm_set_msi_routes(struct vm *vm, const struct vm_msi_route *r, unsigned n)
{
	struct {
		struct kvm_irq_routing hdr;
		struct kvm_irq_routing_entry e[VM_MAX_MSI_ROUTES];
	} t;

	if (n > VM_MAX_MSI_ROUTES)
		return -EINVAL;
	memset(&t, 0, sizeof(t));
	t.hdr.nr = n;
	for (unsigned i = 0; i < n; i++) {
		t.e[i].gsi = r[i].gsi;
		t.e[i].type = KVM_IRQ_ROUTING_MSI;
		t.e[i].u.msi.address_lo = r[i].addr_lo;
		t.e[i].u.msi.address_hi = r[i].addr_hi;
		t.e[i].u.msi.data = r[i].data;
	}
	return ioctl(vm->vm_fd, KVM_SET_GSI_ROUTING, &t) < 0 ? -errno : 0;
}

int vm_ioeventfd(struct vm *vm, uint64_t addr, unsigned len, uint64_t datamatch, int fd)
{
	struct kvm_ioeventfd io = {
		.datamatch = datamatch, .addr = addr, .len = len, .fd = fd,
		.flags = KVM_IOEVENTFD_FLAG_DATAMATCH,
	};

	return ioctl(vm->vm_fd, KVM_IOEVENTFD, &io) < 0 ? -errno : 0;
}

void vm_request_exit(struct vm *vm, int code)
{
	uint64_t one = 1;
	int zero = 0;

	if (code)
		__atomic_compare_exchange_n(&vm->vcpu_code, &zero, code, false,
					    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
	if (write(vm->exit_evt, &one, sizeof(one)) < 0)
		log_err("vm: cannot signal exit: %s", strerror(errno));
}

int vm_exit_status(struct vm *vm)
{
	int code = __atomic_load_n(&vm->exit_code, __ATOMIC_SEQ_CST);

	if (code != VM_EXIT_CODE_UNSET)
		return code;
	code = __atomic_load_n(&vm->vcpu_code, __ATOMIC_SEQ_CST);
	if (code)
		return code;
	return __atomic_load_n(&vm->guest_panicked, __ATOMIC_SEQ_CST) ? 1 : 0;
}
