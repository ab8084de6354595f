/* tests/unit/test-vmm-kvm.c: the VMM core on the host's /dev/kvm with a tiny long-mode payload: PIO, MMIO, ioeventfd, i8042 exit. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "api/config.h"
#include "devices/legacy.h"
#include "test.h"
#include "vmm/vm.h"
#include "vmm/vmm.h"
#include "vmm/x86_64/boot.h"

#define PAYLOAD_GPA	0x100000ULL
#define MMIO_GPA	0x2000000ULL	/* unbacked, inside the boot identity map */
#define IOEVENT_GPA	0x3000000ULL

static const uint8_t payload[] = {
	0x66, 0xba, 0xf8, 0x03,				/* mov $0x3f8, %dx */
	0xb0, 0x41,					/* mov $'A', %al */
	0xee,						/* out %al, (%dx) */
	0xc7, 0x04, 0x25, 0x00, 0x00, 0x00, 0x02,	/* movl $0x1234, 0x2000000 */
	0x34, 0x12, 0x00, 0x00,
	0xc7, 0x04, 0x25, 0x00, 0x00, 0x00, 0x03,	/* movl $7, 0x3000000 */
	0x07, 0x00, 0x00, 0x00,
	0x66, 0xba, 0x64, 0x00,				/* mov $0x64, %dx */
	0xb0, 0xfe,					/* mov $0xfe, %al */
	0xee,						/* out %al, (%dx): reset */
	0xf4, 0xeb, 0xfd,				/* 1: hlt; jmp 1b */
};

static uint8_t pio_seen;
static uint32_t mmio_seen;
static uint64_t mmio_addr_seen;

static void pio_w(void *o, uint64_t off, const void *d, unsigned len)
{
	pio_seen = *(const uint8_t *)d;
}

static void mmio_w(void *o, uint64_t off, const void *d, unsigned len)
{
	memcpy(&mmio_seen, d, len < 4 ? len : 4);
	mmio_addr_seen = MMIO_GPA + off;
}

static void test_long_mode_payload(void)
{
	struct bus_handler ph = { .base = 0x3f8, .len = 8, .write = pio_w };
	struct bus_handler mh = { .base = MMIO_GPA, .len = 0x1000, .write = mmio_w };
	struct pollfd pfd;
	struct vm vm;
	void *ram;
	uint64_t n;
	int efd;

	if (access("/dev/kvm", R_OK | W_OK))
		SKIP_TEST("no /dev/kvm");
	CHECK(vm_create(&vm, false) == 0);
	CHECK(vm_add_ram(&vm, 0, 16 << 20, NULL, &ram) == 0);
	CHECK(boot_setup_tables(&vm.mem) == 0);
	CHECK(gmem_write(&vm.mem, PAYLOAD_GPA, payload, sizeof(payload)) == 0);
	CHECK(bus_register(&vm.pio, &ph) == 0);
	CHECK(bus_register(&vm.mmio, &mh) == 0);
	CHECK(i8042_create(&vm) == 0);
	efd = eventfd(0, EFD_NONBLOCK);
	CHECK(vm_ioeventfd(&vm, IOEVENT_GPA, 4, 7, efd) == 0);
	CHECK(vcpu_create_all(&vm, 1, PAYLOAD_GPA, false) == 0);
	CHECK(vcpu_start_all(&vm) == 0);
	pfd = (struct pollfd){ .fd = vm.exit_evt, .events = POLLIN };
	CHECK(poll(&pfd, 1, 10000) == 1);
	CHECK_EQ(pio_seen, 'A');
	CHECK_EQ(mmio_seen, 0x1234);
	CHECK_EQ(mmio_addr_seen, MMIO_GPA);
	CHECK(read(efd, &n, sizeof(n)) == sizeof(n) && n == 1);
	CHECK_EQ(vm_exit_status(&vm), 0);
}

static int count_fds(void)
{
	int n = 0;

	for (int fd = 0; fd < 1024; fd++)
		n += fcntl(fd, F_GETFD) >= 0;
	return n;
}

/* A start that fails after the VM exists returns -errno and leaves no KVM fd behind. */
static void test_failed_start_cleans_up(void)
{
	struct krun_config cfg;
	int before;

	if (access("/dev/kvm", R_OK | W_OK))
		SKIP_TEST("no /dev/kvm");
	cfg_init(&cfg);
	cfg.kernel_path = "tests/unit/test.h"; /* not an ELF file */
	cfg.kernel_format = 1;			/* KRUN_KERNEL_FORMAT_ELF */
	cfg.implicit_console_disabled = true;
	before = count_fds();
	CHECK_EQ(vmm_start_enter(&cfg), -ENOEXEC);
	CHECK_EQ(count_fds(), before);
}

TEST_MAIN_BEGIN("vmm-kvm")
	RUN(test_long_mode_payload);
	RUN(test_failed_start_cleans_up);
TEST_MAIN_END()
