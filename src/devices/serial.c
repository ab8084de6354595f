/* src/devices/serial.c: a polled 16550 UART (no interrupts): output for early boot logs, input best-effort. */
#include "devices/legacy.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/syscall.h>

#include "sandbox/lists.h"
#include "vmm/vm.h"

#define UART_RBR_THR	0
#define UART_IER	1
#define UART_IIR_FCR	2
#define UART_LCR	3
#define UART_MCR	4
#define UART_LSR	5
#define UART_MSR	6
#define UART_SCR	7

#define UART_LCR_DLAB	0x80
#define UART_LSR_DR	0x01
#define UART_LSR_THRE	0x20
#define UART_LSR_TEMT	0x40

static const uint16_t serial_ports[4] = { 0x3f8, 0x2f8, 0x3e8, 0x2e8 };

struct serial {
	int in_fd, out_fd;
	uint8_t regs[8];
	uint8_t dll, dlm;
};

/* Non-blocking peek for one input byte; -1 when none. */
static int serial_getc(struct serial *s)
{
	uint8_t c;

	if (s->in_fd < 0 || read(s->in_fd, &c, 1) != 1)
		return -1;
	return c;
}

static void serial_read(void *opaque, uint64_t off, void *data, unsigned len)
{
	struct serial *s = opaque;
	uint8_t *v = data;
	int c;

	switch (off) {
	case UART_RBR_THR:
		if (s->regs[UART_LCR] & UART_LCR_DLAB) {
			*v = s->dll;
			break;
		}
		c = serial_getc(s);
		*v = c < 0 ? 0 : c;
		break;
	case UART_IER:
		*v = s->regs[UART_LCR] & UART_LCR_DLAB ? s->dlm : s->regs[UART_IER];
		break;
	case UART_IIR_FCR:
		*v = 0x01; /* no interrupt pending */
		break;
	case UART_LSR:
		*v = UART_LSR_THRE | UART_LSR_TEMT;
		break;
	case UART_MSR:
		*v = 0xb0; /* DCD, DSR, CTS: a cable is plugged in */
		break;
	default:
		*v = s->regs[off];
		break;
	}
}

static void serial_write(void *opaque, uint64_t off, const void *data, unsigned len)
{
	struct serial *s = opaque;
	uint8_t v = *(const uint8_t *)data;

	if (off == UART_RBR_THR && !(s->regs[UART_LCR] & UART_LCR_DLAB)) {
		if (s->out_fd >= 0 && write(s->out_fd, &v, 1) < 0)
			s->out_fd = -1; /* the reader went away: drop output from now on */
		return;
	}
	if (off == UART_RBR_THR)
		s->dll = v;
	else if (off == UART_IER && (s->regs[UART_LCR] & UART_LCR_DLAB))
		s->dlm = v;
	else if (off != UART_LSR && off != UART_MSR)
		s->regs[off] = v;
}

int serial_create(struct vm *vm, unsigned index, int in_fd, int out_fd)
{
	struct serial *s;
	struct bus_handler h;
	int ret;

	if (index >= 4)
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->in_fd = in_fd;
	s->out_fd = out_fd;
	h = (struct bus_handler){
		.base = serial_ports[index], .len = 8,
		.read = serial_read, .write = serial_write, .opaque = s,
	};
	ret = bus_register(&vm->pio, &h);
	if (ret)
		free(s);
	return ret;
}

/* Sandbox (x86_64): A vCPU reading the receive register reads the host input. */
#ifdef __x86_64__
static const int serial_sbx_syscalls[] = {
	__NR_read,
};
const struct sbx_list serial_sbx = SBX_SYSCALLS("serial", serial_sbx_syscalls);
#else
const struct sbx_list serial_sbx = { .name = "serial" };
#endif
