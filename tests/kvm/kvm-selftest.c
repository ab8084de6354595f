/* tests/kvm/kvm-selftest.c: standalone check that /dev/kvm runs a long-mode payload and reports MMIO and PIO exits. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

/*
 * Guest physical layout, all inside one 2 MiB slot at 0. The MMIO address lies in the
 * identity-mapped first GiB but outside every slot, so an access to it must exit.
 */
#define MEM_SIZE	0x200000ULL
#define GDT_ADDR	0x500ULL
#define CODE_ADDR	0x1000ULL
#define PML4_ADDR	0x9000ULL
#define PDPT_ADDR	0xa000ULL
#define PD_ADDR		0xb000ULL
#define MMIO_ADDR	0x10000000ULL
#define PIO_PORT	0x510
#define MMIO_WRITE_VAL	0xdeadbeefU
#define MMIO_READ_VAL	0x1122334455667788ULL
#define IMM64_VAL	0x0123456789abcdefULL

#define CR0_PE		(1ULL << 0)
#define CR0_PG		(1ULL << 31)
#define CR4_PAE		(1ULL << 5)
#define EFER_LME	(1ULL << 8)
#define EFER_LMA	(1ULL << 10)
#define PTE_P		(1ULL << 0)
#define PTE_RW		(1ULL << 1)
#define PTE_PS		(1ULL << 7)

/*
 * The payload, hand-assembled. The 64-bit immediate and the REX.W load only behave as
 * expected in 64-bit mode, so the values seen at the exits prove CS.L took effect:
 *	mov ebx, MMIO_ADDR		; bb imm32
 *	mov eax, MMIO_WRITE_VAL		; b8 imm32
 *	mov [rbx], eax			; 89 03		-> MMIO write, 4 bytes
 *	mov rax, [rbx+8]		; 48 8b 43 08	-> MMIO read, 8 bytes
 *	mov dx, PIO_PORT		; 66 ba imm16
 *	out dx, eax			; ef		-> PIO out, low half of the read
 *	mov rax, IMM64_VAL		; 48 b8 imm64
 *	shr rax, 32			; 48 c1 e8 20
 *	out dx, eax			; ef		-> PIO out, high half of IMM64_VAL
 *	hlt				; f4
 */
static const uint8_t payload[] = {
	0xbb, 0x00, 0x00, 0x00, 0x10,
	0xb8, 0xef, 0xbe, 0xad, 0xde,
	0x89, 0x03,
	0x48, 0x8b, 0x43, 0x08,
	0x66, 0xba, PIO_PORT & 0xff, PIO_PORT >> 8,
	0xef,
	0x48, 0xb8, 0xef, 0xcd, 0xab, 0x89, 0x67, 0x45, 0x23, 0x01,
	0x48, 0xc1, 0xe8, 0x20,
	0xef,
	0xf4,
};

struct vm {
	int kvm;
	int fd;
	int vcpu;
	uint8_t *mem;
	struct kvm_run *run;
	size_t run_size;
};

static int failures;

static void check(int ok, const char *what)
{
	printf("%s kvm-selftest/%s\n", ok ? "PASS" : "FAIL", what);
	if (!ok)
		failures++;
}

static void put64(uint8_t *mem, uint64_t gpa, uint64_t val)
{
	memcpy(mem + gpa, &val, sizeof(val));
}

/* Flat 64-bit code (selector 0x8) and data (0x10) descriptors; the null one stays 0. */
static void setup_gdt(uint8_t *mem)
{
	put64(mem, GDT_ADDR + 8, 0x00af9b000000ffffULL);
	put64(mem, GDT_ADDR + 16, 0x00cf93000000ffffULL);
}

/* Identity map of the first GiB with 2 MiB pages. */
static void setup_page_tables(uint8_t *mem)
{
	uint64_t i;

	put64(mem, PML4_ADDR, PDPT_ADDR | PTE_P | PTE_RW);
	put64(mem, PDPT_ADDR, PD_ADDR | PTE_P | PTE_RW);
	for (i = 0; i < 512; i++)
		put64(mem, PD_ADDR + i * 8, (i << 21) | PTE_P | PTE_RW | PTE_PS);
}

static void set_seg(struct kvm_segment *s, uint16_t sel, uint8_t type, int code)
{
	memset(s, 0, sizeof(*s));
	s->base = 0;
	s->limit = 0xffffffff;
	s->selector = sel;
	s->type = type;
	s->present = 1;
	s->s = 1;
	s->g = 1;
	s->l = code;
	s->db = !code;
}

static int setup_sregs(struct vm *vm)
{
	struct kvm_sregs sregs;

	if (ioctl(vm->vcpu, KVM_GET_SREGS, &sregs) < 0)
		return -errno;
	set_seg(&sregs.cs, 0x8, 0xb, 1);
	set_seg(&sregs.ds, 0x10, 0x3, 0);
	sregs.es = sregs.fs = sregs.gs = sregs.ss = sregs.ds;
	sregs.gdt.base = GDT_ADDR;
	sregs.gdt.limit = 3 * 8 - 1;
	sregs.cr3 = PML4_ADDR;
	sregs.cr4 |= CR4_PAE;
	sregs.cr0 |= CR0_PE | CR0_PG;
	sregs.efer |= EFER_LME | EFER_LMA;
	if (ioctl(vm->vcpu, KVM_SET_SREGS, &sregs) < 0)
		return -errno;
	return 0;
}

static int setup_regs(struct vm *vm)
{
	struct kvm_regs regs;

	memset(&regs, 0, sizeof(regs));
	regs.rip = CODE_ADDR;
	regs.rsp = 0x8ff0;
	regs.rflags = 0x2;
	if (ioctl(vm->vcpu, KVM_SET_REGS, &regs) < 0)
		return -errno;
	return 0;
}

/* Long mode needs CPUID.LM in the guest's CPUID on some KVMs; hand over what is supported. */
static int setup_cpuid(struct vm *vm)
{
	struct kvm_cpuid2 *cpuid;
	int nent = 128, ret = 0;

	cpuid = calloc(1, sizeof(*cpuid) + nent * sizeof(cpuid->entries[0]));
	if (!cpuid)
		return -ENOMEM;
	cpuid->nent = nent;
	if (ioctl(vm->kvm, KVM_GET_SUPPORTED_CPUID, cpuid) < 0 ||
	    ioctl(vm->vcpu, KVM_SET_CPUID2, cpuid) < 0)
		ret = -errno;
	free(cpuid);
	return ret;
}

static int setup_memory(struct vm *vm)
{
	struct kvm_userspace_memory_region region = {
		.slot = 0,
		.guest_phys_addr = 0,
		.memory_size = MEM_SIZE,
	};

	vm->mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (vm->mem == MAP_FAILED) {
		vm->mem = NULL;
		return -errno;
	}
	setup_gdt(vm->mem);
	setup_page_tables(vm->mem);
	memcpy(vm->mem + CODE_ADDR, payload, sizeof(payload));
	region.userspace_addr = (uintptr_t)vm->mem;
	if (ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &region) < 0)
		return -errno;
	return 0;
}

static int vm_create(struct vm *vm)
{
	int ret, size;

	vm->kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vm->kvm < 0)
		return -errno;
	if (ioctl(vm->kvm, KVM_GET_API_VERSION, 0) != KVM_API_VERSION)
		return -ENOTSUP;
	vm->fd = ioctl(vm->kvm, KVM_CREATE_VM, 0);
	if (vm->fd < 0)
		return -errno;
	/* Needed on Intel before the first run; harmless elsewhere, so the result is unused. */
	ioctl(vm->fd, KVM_SET_TSS_ADDR, 0xfffbd000UL);
	ret = setup_memory(vm);
	if (ret)
		return ret;
	vm->vcpu = ioctl(vm->fd, KVM_CREATE_VCPU, 0);
	if (vm->vcpu < 0)
		return -errno;
	size = ioctl(vm->kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (size < (int)sizeof(struct kvm_run))
		return size < 0 ? -errno : -EINVAL;
	vm->run_size = size;
	vm->run = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, vm->vcpu, 0);
	if (vm->run == MAP_FAILED) {
		vm->run = NULL;
		return -errno;
	}
	ret = setup_cpuid(vm);
	if (ret)
		return ret;
	ret = setup_sregs(vm);
	if (ret)
		return ret;
	return setup_regs(vm);
}

static void vm_destroy(struct vm *vm)
{
	if (vm->run)
		munmap(vm->run, vm->run_size);
	if (vm->mem)
		munmap(vm->mem, MEM_SIZE);
	if (vm->vcpu >= 0)
		close(vm->vcpu);
	if (vm->fd >= 0)
		close(vm->fd);
	if (vm->kvm >= 0)
		close(vm->kvm);
}

/* Runs until the next exit; returns its reason or -errno. */
static int vcpu_step(struct vm *vm)
{
	int ret;

	do {
		ret = ioctl(vm->vcpu, KVM_RUN, 0);
	} while (ret < 0 && errno == EINTR);
	if (ret < 0)
		return -errno;
	return vm->run->exit_reason;
}

static void describe_exit(struct vm *vm, int reason)
{
	if (reason < 0)
		printf("  KVM_RUN failed: %s\n", strerror(-reason));
	else if (reason == KVM_EXIT_INTERNAL_ERROR)
		printf("  internal error, suberror %u\n", vm->run->internal.suberror);
	else
		printf("  exit reason %d\n", reason);
}

static int check_mmio_write(struct vm *vm)
{
	struct kvm_run *run = vm->run;
	uint32_t val = 0;
	int reason = vcpu_step(vm);

	if (reason != KVM_EXIT_MMIO) {
		describe_exit(vm, reason);
		check(0, "mmio-write");
		return -1;
	}
	memcpy(&val, run->mmio.data, sizeof(val));
	if (!run->mmio.is_write || run->mmio.phys_addr != MMIO_ADDR || run->mmio.len != 4 ||
	    val != MMIO_WRITE_VAL)
		printf("  write=%u addr=0x%llx len=%u data=0x%x\n", run->mmio.is_write,
		       (unsigned long long)run->mmio.phys_addr, run->mmio.len, val);
	check(run->mmio.is_write && run->mmio.phys_addr == MMIO_ADDR && run->mmio.len == 4 &&
	      val == MMIO_WRITE_VAL, "mmio-write");
	return 0;
}

/* The read's data is handed back in run->mmio and comes out again at the next PIO exit. */
static int check_mmio_read(struct vm *vm)
{
	struct kvm_run *run = vm->run;
	uint64_t val = MMIO_READ_VAL;
	int reason = vcpu_step(vm);

	if (reason != KVM_EXIT_MMIO) {
		describe_exit(vm, reason);
		check(0, "mmio-read");
		return -1;
	}
	check(!run->mmio.is_write && run->mmio.phys_addr == MMIO_ADDR + 8 && run->mmio.len == 8,
	      "mmio-read");
	memcpy(run->mmio.data, &val, sizeof(val));
	return 0;
}

static int check_pio(struct vm *vm, uint32_t want, const char *name)
{
	struct kvm_run *run = vm->run;
	uint32_t val = 0;
	int reason = vcpu_step(vm);

	if (reason != KVM_EXIT_IO) {
		describe_exit(vm, reason);
		check(0, name);
		return -1;
	}
	/* data_offset comes from the kernel but is still checked before use. */
	if (run->io.data_offset > vm->run_size - sizeof(val) || run->io.size != 4 ||
	    run->io.count != 1) {
		printf("  bad io exit: offset=%llu size=%u count=%u\n",
		       (unsigned long long)run->io.data_offset, run->io.size, run->io.count);
		check(0, name);
		return -1;
	}
	memcpy(&val, (uint8_t *)run + run->io.data_offset, sizeof(val));
	if (run->io.direction != KVM_EXIT_IO_OUT || run->io.port != PIO_PORT || val != want)
		printf("  dir=%u port=0x%x data=0x%x (want 0x%x)\n", run->io.direction,
		       run->io.port, val, want);
	check(run->io.direction == KVM_EXIT_IO_OUT && run->io.port == PIO_PORT && val == want,
	      name);
	return 0;
}

int main(void)
{
	struct vm vm = { .kvm = -1, .fd = -1, .vcpu = -1 };
	int ret, reason;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (access("/dev/kvm", F_OK) != 0) {
		printf("SKIP kvm-selftest: no /dev/kvm\n");
		return 77;
	}
	ret = vm_create(&vm);
	check(ret == 0, "setup");
	if (ret) {
		printf("  setup: %s\n", strerror(-ret));
		goto out;
	}
	if (check_mmio_write(&vm) || check_mmio_read(&vm) ||
	    check_pio(&vm, (uint32_t)MMIO_READ_VAL, "pio-mmio-data") ||
	    check_pio(&vm, (uint32_t)(IMM64_VAL >> 32), "pio-long-mode"))
		goto out;
	reason = vcpu_step(&vm);
	if (reason != KVM_EXIT_HLT)
		describe_exit(&vm, reason);
	check(reason == KVM_EXIT_HLT, "hlt");
out:
	vm_destroy(&vm);
	return failures ? 1 : 0;
}
