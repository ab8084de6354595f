/* src/vmm/bus.h: address-range dispatch for port I/O and MMIO exits. */
#ifndef KRUN_VMM_BUS_H
#define KRUN_VMM_BUS_H

#include <stdint.h>

#define BUS_MAX_HANDLERS 48

struct bus_handler {
	uint64_t base, len;
	/* (off) is relative to base; (len) is 1, 2, 4 or 8. Reads must fill (data). */
	void (*read)(void *opaque, uint64_t off, void *data, unsigned len);
	void (*write)(void *opaque, uint64_t off, const void *data, unsigned len);
	void *opaque;
};

/* Handlers are registered before vCPUs start and never change afterwards, so dispatch takes no lock. */
struct bus {
	const char *name;
	struct bus_handler h[BUS_MAX_HANDLERS];
	int n;
};

/* 0, -EINVAL on overlap or empty range, -ENOSPC when full. */
int bus_register(struct bus *b, const struct bus_handler *h);

/* Dispatch an access; unclaimed reads return all ones, unclaimed writes are dropped. */
void bus_read(struct bus *b, uint64_t addr, void *data, unsigned len);
void bus_write(struct bus *b, uint64_t addr, const void *data, unsigned len);

#endif
