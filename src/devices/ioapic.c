/* src/devices/ioapic.c: userspace IOAPIC for KVM's split irqchip: each pin becomes a GSI -> MSI route. */
#include "devices/ioapic.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>

#include <linux/kvm.h>

#include "devices/legacy.h"
#include "sandbox/lists.h"
#include "util/log.h"
#include "vmm/x86_64/layout.h"

#define IOAPIC_MAX_REDIR	(IOAPIC_PINS - 1)
#define IOAPIC_ID_SHIFT		24
#define IOAPIC_ID_MASK		0x0f

/* Guest-writable bits of a redirection entry: delivery status and remote IRR are the IOAPIC's. */
#define IOAPIC_RTE_RW_LO	(0xfffULL | IOAPIC_RTE_POLARITY | IOAPIC_RTE_LEVEL | IOAPIC_RTE_MASKED)
#define IOAPIC_RTE_RW_HI	(0xffULL << IOAPIC_RTE_DEST_SHIFT)

/* Delivery modes (RTE bits 8-10), the same encoding as MSI data bits 8-10. */
enum { DM_FIXED = 0, DM_LOWEST = 1, DM_SMI = 2, DM_NMI = 4, DM_INIT = 5, DM_EXTINT = 7 };

#define MSI_ADDR_BASE		0xfee00000U
#define MSI_ADDR_DEST_SHIFT	12
#define MSI_ADDR_DEST_LOGICAL	(1U << 2)
#define MSI_DATA_DELMODE_SHIFT	8

void ioapic_init(struct ioapic *io, uint8_t id, ioapic_route_fn fn, void *opaque)
{
	memset(io, 0, sizeof(*io));
	pthread_mutex_init(&io->lock, NULL);
	io->id = id & IOAPIC_ID_MASK;
	io->set_routes = fn;
	io->opaque = opaque;
	for (unsigned i = 0; i < IOAPIC_PINS; i++)
		io->rte[i] = IOAPIC_RTE_MASKED;
}

/*
 * The message is always edge-triggered, whatever the entry's trigger mode.
 * Our interrupt sources are irqfds without a resample fd: each signal is a
 * pulse, there is no line level to re-sample at EOI. A level-triggered MSI
 * would also make KVM exit with KVM_EXIT_IOAPIC_EOI on every EOI of that
 * vector, for a remote IRR we could never have set. The Linux guest programs
 * the ISA lines of our MP table (conforming = edge, active high) as edge anyway.
 */
bool ioapic_rte_msi(uint64_t rte, unsigned pin, struct vm_msi_route *out)
{
	unsigned dm = (rte >> IOAPIC_RTE_DELMODE_SHIFT) & 7;
	uint32_t dest = (rte >> IOAPIC_RTE_DEST_SHIFT) & 0xff;

	if (rte & IOAPIC_RTE_MASKED)
		return false;
	/* SMI, INIT and ExtINT make no sense as a device interrupt (no PIC, no SMM here). */
	if (dm != DM_FIXED && dm != DM_LOWEST && dm != DM_NMI)
		return false;
	*out = (struct vm_msi_route){
		.gsi = pin,
		.addr_lo = MSI_ADDR_BASE | dest << MSI_ADDR_DEST_SHIFT |
			   ((rte & IOAPIC_RTE_DESTMODE) ? MSI_ADDR_DEST_LOGICAL : 0),
		.addr_hi = 0,
		.data = (uint32_t)(rte & IOAPIC_RTE_VECTOR) | dm << MSI_DATA_DELMODE_SHIFT,
	};
	return true;
}

/* Called with io->lock held. */
int ioapic_update_routes(struct ioapic *io)
{
	struct vm_msi_route r[IOAPIC_PINS];
	unsigned n = 0;
	int ret;

	for (unsigned i = 0; i < IOAPIC_PINS; i++)
		if (ioapic_rte_msi(io->rte[i], i, &r[n]))
			n++;
	if (io->routes_valid && n == io->nr_routes && !memcmp(r, io->routes, n * sizeof(r[0])))
		return 0;
	ret = io->set_routes(io->opaque, r, n);
	if (ret) {
		/* Stay invalid so the next register write tries again. */
		io->routes_valid = false;
		return ret;
	}
	memcpy(io->routes, r, n * sizeof(r[0]));
	io->nr_routes = n;
	io->routes_valid = true;
	io->route_updates++;
	log_debug("ioapic: GSI routing update %u: %u pins routed", io->route_updates, n);
	return 0;
}

static uint32_t ioapic_reg_read(struct ioapic *io, uint32_t reg)
{
	unsigned pin = (reg - IOAPIC_REG_REDIR) / 2;

	switch (reg) {
	case IOAPIC_REG_ID:
	case IOAPIC_REG_ARB:
		return (uint32_t)io->id << IOAPIC_ID_SHIFT;
	case IOAPIC_REG_VER:
		return IOAPIC_VERSION | IOAPIC_MAX_REDIR << 16;
	}
	if (reg < IOAPIC_REG_REDIR || pin >= IOAPIC_PINS)
		return 0;
	return (reg & 1) ? io->rte[pin] >> 32 : (uint32_t)io->rte[pin];
}

static void ioapic_reg_write(struct ioapic *io, uint32_t reg, uint32_t val)
{
	unsigned pin = (reg - IOAPIC_REG_REDIR) / 2;
	uint64_t rte;
	int ret;

	if (reg == IOAPIC_REG_ID) {
		io->id = (val >> IOAPIC_ID_SHIFT) & IOAPIC_ID_MASK;
		return;
	}
	if (reg < IOAPIC_REG_REDIR || pin >= IOAPIC_PINS)
		return; /* version, arbitration and unimplemented registers are read-only */
	rte = io->rte[pin];
	if (reg & 1)
		rte = (rte & ~IOAPIC_RTE_RW_HI) | ((uint64_t)val << 32 & IOAPIC_RTE_RW_HI);
	else
		rte = (rte & ~IOAPIC_RTE_RW_LO) | (val & IOAPIC_RTE_RW_LO);
	if (rte == io->rte[pin])
		return;
	io->rte[pin] = rte;
	log_debug("ioapic: pin %u entry 0x%016llx", pin, (unsigned long long)rte);
	ret = ioapic_update_routes(io);
	if (ret)
		log_warn_once("ioapic: updating the GSI routes: %s", strerror(-ret));
}

/* Directed EOI: ends a level interrupt of (vector). Remote IRR stays 0: see ioapic_rte_msi. */
static void ioapic_eoi(struct ioapic *io, uint8_t vector)
{
	for (unsigned i = 0; i < IOAPIC_PINS; i++)
		if ((io->rte[i] & IOAPIC_RTE_VECTOR) == vector)
			io->rte[i] &= ~IOAPIC_RTE_REMOTE_IRR;
}

void ioapic_mmio_read(struct ioapic *io, uint64_t off, void *data, unsigned len)
{
	uint32_t val = 0;

	if (len > 8)
		len = 8;
	memset(data, 0, len);
	pthread_mutex_lock(&io->lock);
	if (off == IOAPIC_IOREGSEL)
		val = io->ioregsel;
	else if (off == IOAPIC_IOWIN)
		val = ioapic_reg_read(io, io->ioregsel);
	pthread_mutex_unlock(&io->lock);
	memcpy(data, &val, len < 4 ? len : 4);
}

void ioapic_mmio_write(struct ioapic *io, uint64_t off, const void *data, unsigned len)
{
	uint32_t val = 0;

	if (!len)
		return;
	memcpy(&val, data, len < 4 ? len : 4);
	pthread_mutex_lock(&io->lock);
	if (off == IOAPIC_IOREGSEL)
		io->ioregsel = val & 0xff;
	else if (off == IOAPIC_IOWIN && len == 4)
		ioapic_reg_write(io, io->ioregsel, val);
	else if (off == IOAPIC_EOI)
		ioapic_eoi(io, val & 0xff);
	pthread_mutex_unlock(&io->lock);
}

static void ioapic_bus_read(void *opaque, uint64_t off, void *data, unsigned len)
{
	ioapic_mmio_read(opaque, off, data, len);
}

static void ioapic_bus_write(void *opaque, uint64_t off, const void *data, unsigned len)
{
	ioapic_mmio_write(opaque, off, data, len);
}

static int ioapic_kvm_routes(void *opaque, const struct vm_msi_route *r, unsigned n)
{
	return vm_set_msi_routes(opaque, r, n);
}

int ioapic_create(struct vm *vm, unsigned nr_vcpus)
{
	struct ioapic *io = calloc(1, sizeof(*io));
	struct bus_handler h;
	int ret;

	if (!io)
		return -ENOMEM;
	/* The id the MP table gives the IOAPIC. */
	ioapic_init(io, nr_vcpus + 1, ioapic_kvm_routes, vm);
	ret = ioapic_update_routes(io);
	if (ret) {
		log_err("ioapic: KVM_SET_GSI_ROUTING: %s", strerror(-ret));
		goto err;
	}
	h = (struct bus_handler){
		.base = IOAPIC_ADDR, .len = IOAPIC_MMIO_SIZE,
		.read = ioapic_bus_read, .write = ioapic_bus_write, .opaque = io,
	};
	ret = bus_register(&vm->mmio, &h);
	if (ret)
		goto err;
	return 0;
err:
	pthread_mutex_destroy(&io->lock);
	free(io);
	return ret;
}

/* Sandbox (x86_64): The vCPU that reprograms a redirection entry replaces the GSI routes. */
#ifdef __x86_64__
static const unsigned long ioapic_sbx_ioctls[] = { KVM_SET_GSI_ROUTING };
const struct sbx_list ioapic_sbx = SBX_IOCTLS("ioapic", ioapic_sbx_ioctls);
#else
const struct sbx_list ioapic_sbx = { .name = "ioapic" };
#endif
