/* src/devices/i8042.c: just enough of the PC keyboard controller for the guest's reset (reboot=k) to end the VM. */
#include "devices/legacy.h"

#include <stdint.h>
#include <stdlib.h>

#include "util/log.h"
#include "vmm/vm.h"
#include "vmm/x86_64/layout.h"

#define I8042_DATA	0x60
#define I8042_COMMAND	0x64
#define I8042_CMD_RESET	0xfe

static void i8042_read(void *opaque, uint64_t off, void *data, unsigned len)
{
	/* Status 0: output buffer empty and input buffer free, so kb_wait() returns at once. */
	*(uint8_t *)data = 0;
}

/*
 * A reset ends the VM. Linux writes the BIOS warm-reset flag (0x1234 at 0x472)
 * first when it restarts in "warm" mode, which our command line asks for on
 * panic only (reboot=k,panic_warm): that is how a panic is told from a reboot.
 */
static void i8042_write(void *opaque, uint64_t off, const void *data, unsigned len)
{
	struct vm *vm = opaque;
	uint16_t flag = 0;

	if (off != I8042_COMMAND - I8042_DATA || *(const uint8_t *)data != I8042_CMD_RESET)
		return;
	if (gmem_read(&vm->mem, &flag, BDA_RESET_FLAG, sizeof(flag)) == 0 &&
	    flag == BDA_RESET_WARM) {
		log_err("guest kernel panicked");
		__atomic_store_n(&vm->guest_panicked, 1, __ATOMIC_SEQ_CST);
	}
	vm_request_exit(vm, 0);
}

int i8042_create(struct vm *vm)
{
	struct bus_handler h = {
		.base = I8042_DATA, .len = 5,
		.read = i8042_read, .write = i8042_write, .opaque = vm,
	};

	return bus_register(&vm->pio, &h);
}
