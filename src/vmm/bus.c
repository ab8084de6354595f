/* src/vmm/bus.c: linear lookup of bus handlers; a microVM has a few dozen ranges at most. */
#include "vmm/bus.h"

#include <errno.h>
#include <string.h>

#include "util/log.h"

int bus_register(struct bus *b, const struct bus_handler *h)
{
	uint64_t end;

	if (!h->len || __builtin_add_overflow(h->base, h->len, &end))
		return -EINVAL;
	for (int i = 0; i < b->n; i++)
		if (h->base < b->h[i].base + b->h[i].len && b->h[i].base < end)
			return -EINVAL;
	if (b->n >= BUS_MAX_HANDLERS)
		return -ENOSPC;
	b->h[b->n++] = *h;
	return 0;
}

static struct bus_handler *bus_find(struct bus *b, uint64_t addr, unsigned len)
{
	for (int i = 0; i < b->n; i++) {
		struct bus_handler *h = &b->h[i];

		if (addr >= h->base && addr - h->base < h->len &&
		    len <= h->len - (addr - h->base))
			return h;
	}
	return NULL;
}

void bus_read(struct bus *b, uint64_t addr, void *data, unsigned len)
{
	struct bus_handler *h = bus_find(b, addr, len);

	if (h && h->read) {
		h->read(h->opaque, addr - h->base, data, len);
		return;
	}
	memset(data, 0xff, len);
	log_debug("%s: unclaimed read at 0x%llx len %u", b->name, (unsigned long long)addr, len);
}

void bus_write(struct bus *b, uint64_t addr, const void *data, unsigned len)
{
	struct bus_handler *h = bus_find(b, addr, len);

	if (h && h->write)
		h->write(h->opaque, addr - h->base, data, len);
	else
		log_debug("%s: unclaimed write at 0x%llx len %u", b->name, (unsigned long long)addr, len);
}
