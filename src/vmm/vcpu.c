/* src/vmm/vcpu.c: vCPU creation and the per-vCPU KVM_RUN thread that dispatches PIO/MMIO exits. */
#include <errno.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "sandbox/lists.h"
#include "util/log.h"
#include "vmm/vm.h"
#include "vmm/x86_64/cpu.h"

/*
 * vCPU threads get their sandbox filter as they start, then wait here until
 * the main thread has its own (it must create them first: its filter forbids
 * clone), so no guest instruction runs before every thread is confined.
 * A process runs one VM (krun_start_enter never returns once it runs).
 */
static pthread_mutex_t vcpu_gate_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t vcpu_gate_cond = PTHREAD_COND_INITIALIZER;
static int vcpu_gate;		/* 0 wait, 1 run, -1 do not run */

static const struct sbx_list *const vcpu_lists[] = {
	&vcpu_sbx, &ioapic_sbx, &serial_sbx, &net_tap_sbx,
};
static const struct sbx_role vcpu_role = { "vcpu", vcpu_lists, SBX_N(vcpu_lists) };

struct vcpu_thread {
	struct vm *vm;
	unsigned index;
	struct kvm_run *run;
};

int vcpu_create_all(struct vm *vm, unsigned n, uint64_t entry, bool nested)
{
	struct kvm_cpuid2 *supported, *c;
	size_t csize;
	int ret;

	ret = cpu_get_supported_cpuid(vm->kvm_fd, &supported);
	if (ret)
		return ret;
	/* Like upstream, asking for nesting where the host cannot give it is a start error. */
	if (nested && !cpu_has_virt_ext(supported)) {
		log_err("nested virtualization requested (krun_set_nested_virt) but the host KVM "
			"offers no VMX/SVM to guests (needs kvm_intel/kvm_amd loaded with nested=1)");
		free(supported);
		return -ENOTSUP;
	}
	csize = sizeof(*supported) + supported->nent * sizeof(supported->entries[0]);
	c = malloc(csize);
	vm->vcpu_fds = calloc(n, sizeof(int));
	vm->vcpu_threads = calloc(n, sizeof(pthread_t));
	if (!c || !vm->vcpu_fds || !vm->vcpu_threads) {
		ret = -ENOMEM;
		goto out;
	}
	for (unsigned i = 0; i < n; i++) {
		int fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, i);

		if (fd < 0) {
			ret = -errno;
			log_err("vcpu%u: KVM_CREATE_VCPU: %s", i, strerror(-ret));
			goto out;
		}
		vm->vcpu_fds[i] = fd;
		vm->nr_vcpus = i + 1;
		memcpy(c, supported, csize);
		cpu_filter_cpuid(c, i, n, nested);
		ret = cpu_setup(fd, c, entry, true);
		if (ret) {
			log_err("vcpu%u: setting up boot state: %s", i, strerror(-ret));
			goto out;
		}
	}
	ret = 0;
out:
	free(c);
	free(supported);
	return ret;
}

static void vcpu_handle_io(struct vm *vm, struct kvm_run *run)
{
	uint8_t *data = (uint8_t *)run + run->io.data_offset;

	for (uint32_t i = 0; i < run->io.count; i++, data += run->io.size) {
		if (run->io.direction == KVM_EXIT_IO_OUT)
			bus_write(&vm->pio, run->io.port, data, run->io.size);
		else
			bus_read(&vm->pio, run->io.port, data, run->io.size);
	}
}

static void vcpu_handle_mmio(struct vm *vm, struct kvm_run *run)
{
	unsigned len = run->mmio.len > 8 ? 8 : run->mmio.len;

	if (run->mmio.is_write)
		bus_write(&vm->mmio, run->mmio.phys_addr, run->mmio.data, len);
	else
		bus_read(&vm->mmio, run->mmio.phys_addr, run->mmio.data, len);
}

/* One exit; returns 0 to keep running, 1 when the VM stops normally, -1 on failure. */
static int vcpu_handle_exit(struct vcpu_thread *t)
{
	struct kvm_run *run = t->run;

	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		vcpu_handle_io(t->vm, run);
		return 0;
	case KVM_EXIT_MMIO:
		vcpu_handle_mmio(t->vm, run);
		return 0;
	case KVM_EXIT_HLT:
	case KVM_EXIT_SYSTEM_EVENT:
		return 1;
	case KVM_EXIT_SHUTDOWN:
		log_err("vcpu%u: guest triple fault (shutdown)", t->index);
		return -1;
	case KVM_EXIT_FAIL_ENTRY:
		log_err("vcpu%u: KVM entry failed, reason 0x%llx", t->index,
			(unsigned long long)run->fail_entry.hardware_entry_failure_reason);
		return -1;
	case KVM_EXIT_INTERNAL_ERROR:
		log_err("vcpu%u: KVM internal error, suberror %u", t->index,
			run->internal.suberror);
		return -1;
	default:
		log_err("vcpu%u: unhandled exit reason %u", t->index, run->exit_reason);
		return -1;
	}
}

static void *vcpu_thread_main(void *arg)
{
	struct vcpu_thread *t = arg;
	int fd = t->vm->vcpu_fds[t->index];
	int ret = 0;

	pthread_mutex_lock(&vcpu_gate_lock);
	while (!vcpu_gate)
		pthread_cond_wait(&vcpu_gate_cond, &vcpu_gate_lock);
	ret = vcpu_gate < 0;
	pthread_mutex_unlock(&vcpu_gate_lock);
	if (ret)
		return NULL;
	while (ret == 0) {
		if (ioctl(fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			log_err("vcpu%u: KVM_RUN: %s", t->index, strerror(errno));
			ret = -1;
			break;
		}
		ret = vcpu_handle_exit(t);
	}
	vm_request_exit(t->vm, ret < 0 ? 1 : 0);
	return NULL;
}

int vcpu_start_all(struct vm *vm)
{
	char name[16];

	for (unsigned i = 0; i < vm->nr_vcpus; i++) {
		struct vcpu_thread *t = calloc(1, sizeof(*t));
		int ret;

		if (!t)
			return -ENOMEM;
		t->vm = vm;
		t->index = i;
		t->run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
			      vm->vcpu_fds[i], 0);
		if (t->run == MAP_FAILED) {
			ret = -errno;
			free(t);
			return ret;
		}
		snprintf(name, sizeof(name), "fc_vcpu %u", i % 1000);
		ret = sbx_thread_create(&vm->vcpu_threads[i], name, &vcpu_role, vcpu_thread_main, t);
		if (ret) {
			munmap(t->run, vm->run_size);
			free(t);
			return ret;
		}
	}
	return 0;
}


void vcpu_release_all(bool run)
{
	pthread_mutex_lock(&vcpu_gate_lock);
	vcpu_gate = run ? 1 : -1;
	pthread_cond_broadcast(&vcpu_gate_cond);
	pthread_mutex_unlock(&vcpu_gate_lock);
}

/* Sandbox (x86_64): The vCPU thread: KVM_RUN and the PIO/MMIO handlers it runs (irqfd, exit eventfd and worker
 * wakeups are writes, in the base list). */
#ifdef __x86_64__
static const int vcpu_sbx_syscalls[] = {
	/* serial input is read on the vCPU thread that reads the port; eventfd kicks are writes */
	__NR_read,
};
static const unsigned long vcpu_sbx_ioctls[] = { KVM_RUN };
const struct sbx_list vcpu_sbx = SBX_LIST("vcpu", vcpu_sbx_syscalls, vcpu_sbx_ioctls);
#else
const struct sbx_list vcpu_sbx = { .name = "vcpu" };
#endif
