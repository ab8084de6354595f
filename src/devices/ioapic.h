/* src/devices/ioapic.h: the userspace IOAPIC of the split irqchip: registers and the pin -> MSI routes it derives. */
#ifndef KRUN_DEVICES_IOAPIC_H
#define KRUN_DEVICES_IOAPIC_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "vmm/vm.h"

#define IOAPIC_PINS		24	/* = args[0] of KVM_CAP_SPLIT_IRQCHIP */
#define IOAPIC_VERSION		0x20	/* 0x20 has the directed EOI register */
#define IOAPIC_MMIO_SIZE	0x1000

/* MMIO offsets */
#define IOAPIC_IOREGSEL		0x00
#define IOAPIC_IOWIN		0x10
#define IOAPIC_EOI		0x40

/* Indirect registers */
#define IOAPIC_REG_ID		0x00
#define IOAPIC_REG_VER		0x01
#define IOAPIC_REG_ARB		0x02
#define IOAPIC_REG_REDIR	0x10	/* pin n: low half 0x10 + 2n, high half 0x11 + 2n */

/* Redirection entry fields */
#define IOAPIC_RTE_VECTOR	0xffULL
#define IOAPIC_RTE_DELMODE_SHIFT 8
#define IOAPIC_RTE_DESTMODE	(1ULL << 11)
#define IOAPIC_RTE_DELIVS	(1ULL << 12)	/* read-only */
#define IOAPIC_RTE_POLARITY	(1ULL << 13)
#define IOAPIC_RTE_REMOTE_IRR	(1ULL << 14)	/* read-only */
#define IOAPIC_RTE_LEVEL	(1ULL << 15)
#define IOAPIC_RTE_MASKED	(1ULL << 16)
#define IOAPIC_RTE_DEST_SHIFT	56

/* Hands the new routing table to KVM (vm_set_msi_routes); a pointer so tests can watch it. */
typedef int (*ioapic_route_fn)(void *opaque, const struct vm_msi_route *r, unsigned n);

struct ioapic {
	pthread_mutex_t lock;		/* vCPU threads access the registers concurrently */
	uint32_t ioregsel;
	uint8_t id;			/* 4-bit APIC id */
	uint64_t rte[IOAPIC_PINS];
	ioapic_route_fn set_routes;
	void *opaque;
	struct vm_msi_route routes[IOAPIC_PINS];	/* the table KVM has now */
	unsigned nr_routes;
	bool routes_valid;		/* false until the first successful update */
	unsigned route_updates;		/* successful table changes, for tests and logs */
};

/* Reset state (all pins masked), no route set yet. */
void ioapic_init(struct ioapic *io, uint8_t id, ioapic_route_fn fn, void *opaque);

/* The MSI pin (pin) sends for redirection entry (rte); false if it must not deliver. */
bool ioapic_rte_msi(uint64_t rte, unsigned pin, struct vm_msi_route *out);

/* Push the routes of every deliverable pin, if they changed. 0 or -errno. */
int ioapic_update_routes(struct ioapic *io);

/* MMIO accesses at (off) from the IOAPIC base. */
void ioapic_mmio_read(struct ioapic *io, uint64_t off, void *data, unsigned len);
void ioapic_mmio_write(struct ioapic *io, uint64_t off, const void *data, unsigned len);

#endif
