/* src/vmm/x86_64/mptable.c: Intel MultiProcessor table (spec 1.4) so the ACPI-less guest finds its CPUs and IOAPIC. */
#include "vmm/x86_64/boot.h"

#include <errno.h>
#include <string.h>

#include "vmm/x86_64/layout.h"

#define MP_APIC_VERSION		0x14
#define MP_IOAPIC_VERSION	0x11
#define MP_MAX_CPUS		254	/* 8-bit APIC ids, one left for the IOAPIC */
#define MP_ISA_IRQS		16

struct mpf_intel {
	char signature[4];
	uint32_t physptr;
	uint8_t length;
	uint8_t specification;
	uint8_t checksum;
	uint8_t feature[5];
} __attribute__((packed));

struct mpc_table {
	char signature[4];
	uint16_t length;
	uint8_t spec;
	uint8_t checksum;
	char oem[8];
	char productid[12];
	uint32_t oemptr;
	uint16_t oemsize;
	uint16_t oemcount;
	uint32_t lapic;
	uint32_t reserved;
} __attribute__((packed));

struct mpc_cpu {
	uint8_t type, apicid, apicver, cpuflag;
	uint32_t cpufeature, featureflag;
	uint32_t reserved[2];
} __attribute__((packed));

struct mpc_bus {
	uint8_t type, busid;
	char bustype[6];
} __attribute__((packed));

struct mpc_ioapic {
	uint8_t type, apicid, apicver, flags;
	uint32_t apicaddr;
} __attribute__((packed));

struct mpc_intsrc {
	uint8_t type, irqtype;
	uint16_t irqflag;
	uint8_t srcbus, srcbusirq, dstapic, dstirq;
} __attribute__((packed));

enum { MP_PROCESSOR, MP_BUS, MP_IOAPIC, MP_INTSRC, MP_LINTSRC };
enum { MP_IRQ_INT = 0, MP_IRQ_NMI = 1, MP_IRQ_EXTINT = 3 };

static uint8_t mp_checksum(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint8_t sum = 0;

	while (len--)
		sum += *b++;
	return (uint8_t)-sum;
}

static size_t mptable_size(unsigned ncpus)
{
	return sizeof(struct mpf_intel) + sizeof(struct mpc_table) +
	       ncpus * sizeof(struct mpc_cpu) + sizeof(struct mpc_bus) +
	       sizeof(struct mpc_ioapic) +
	       (MP_ISA_IRQS + 2) * sizeof(struct mpc_intsrc);
}

static uint8_t *mp_put_entries(uint8_t *p, unsigned ncpus)
{
	uint8_t ioapic_id = ncpus + 1;

	for (unsigned i = 0; i < ncpus; i++) {
		struct mpc_cpu cpu = {
			.type = MP_PROCESSOR, .apicid = i, .apicver = MP_APIC_VERSION,
			.cpuflag = 1 | (i == 0 ? 2 : 0), /* enabled, BSP */
			.cpufeature = 0x600, .featureflag = (1 << 0) | (1 << 9),
		};
		memcpy(p, &cpu, sizeof(cpu));
		p += sizeof(cpu);
	}
	struct mpc_bus bus = { .type = MP_BUS, .busid = 0, .bustype = "ISA   " };
	memcpy(p, &bus, sizeof(bus));
	p += sizeof(bus);
	struct mpc_ioapic io = {
		.type = MP_IOAPIC, .apicid = ioapic_id, .apicver = MP_IOAPIC_VERSION,
		.flags = 1, .apicaddr = IOAPIC_ADDR,
	};
	memcpy(p, &io, sizeof(io));
	p += sizeof(io);
	for (unsigned i = 0; i < MP_ISA_IRQS; i++) {
		struct mpc_intsrc is = {
			.type = MP_INTSRC, .irqtype = MP_IRQ_INT, .srcbus = 0,
			.srcbusirq = i, .dstapic = ioapic_id, .dstirq = i,
		};
		memcpy(p, &is, sizeof(is));
		p += sizeof(is);
	}
	struct mpc_intsrc lint[2] = {
		{ .type = MP_LINTSRC, .irqtype = MP_IRQ_EXTINT, .dstapic = 0xff, .dstirq = 0 },
		{ .type = MP_LINTSRC, .irqtype = MP_IRQ_NMI, .dstapic = 0xff, .dstirq = 1 },
	};
	memcpy(p, lint, sizeof(lint));
	return p + sizeof(lint);
}

int mptable_setup(struct guest_mem *m, unsigned ncpus)
{
	size_t size = mptable_size(ncpus);
	struct mpf_intel *mpf;
	struct mpc_table *mpc;
	uint8_t *base, *end;

	if (!ncpus || ncpus > MP_MAX_CPUS)
		return -EINVAL;
	base = gmem_ptr(m, MPTABLE_START, size);
	if (!base)
		return -EFAULT;
	memset(base, 0, size);
	mpf = (struct mpf_intel *)base;
	mpc = (struct mpc_table *)(base + sizeof(*mpf));
	end = mp_put_entries((uint8_t *)(mpc + 1), ncpus);

	memcpy(mpc->signature, "PCMP", 4);
	mpc->length = end - (uint8_t *)mpc;
	mpc->spec = 4;
	memcpy(mpc->oem, "KRUN-C  ", 8);
	memcpy(mpc->productid, "MICROVM     ", 12);
	mpc->lapic = LAPIC_ADDR;
	mpc->checksum = mp_checksum(mpc, mpc->length);

	memcpy(mpf->signature, "_MP_", 4);
	mpf->physptr = MPTABLE_START + sizeof(*mpf);
	mpf->length = 1; /* in 16-byte units */
	mpf->specification = 4;
	mpf->checksum = mp_checksum(mpf, sizeof(*mpf));
	return 0;
}
