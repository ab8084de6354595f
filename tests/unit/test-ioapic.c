/* tests/unit/test-ioapic.c: userspace IOAPIC registers and the GSI -> MSI routes it computes, with the KVM ioctl stubbed. */
#include "test.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/eventfd.h>

#include "devices/ioapic.h"

/* What the routing stub saw last. */
static struct vm_msi_route seen[IOAPIC_PINS];
static unsigned nseen, calls;
static int stub_ret;

static int stub_routes(void *opaque, const struct vm_msi_route *r, unsigned n)
{
	calls++;
	if (stub_ret)
		return stub_ret;
	memcpy(seen, r, n * sizeof(*r));
	nseen = n;
	return 0;
}

static struct ioapic io;

static void setup(void)
{
	ioapic_init(&io, 3, stub_routes, NULL);
	calls = nseen = 0;
	stub_ret = 0;
}

static void wr32(uint64_t off, uint32_t v)
{
	ioapic_mmio_write(&io, off, &v, 4);
}

static uint32_t rd32(uint64_t off)
{
	uint32_t v = 0xdeadbeef;

	ioapic_mmio_read(&io, off, &v, 4);
	return v;
}

static void reg_wr(uint32_t reg, uint32_t v)
{
	wr32(IOAPIC_IOREGSEL, reg);
	wr32(IOAPIC_IOWIN, v);
}

static uint32_t reg_rd(uint32_t reg)
{
	wr32(IOAPIC_IOREGSEL, reg);
	return rd32(IOAPIC_IOWIN);
}

/* Program (pin): low half (lo), destination APIC (dest); high half first, as Linux does. */
static void program(unsigned pin, uint32_t lo, uint8_t dest)
{
	reg_wr(IOAPIC_REG_REDIR + 2 * pin + 1, (uint32_t)dest << 24);
	reg_wr(IOAPIC_REG_REDIR + 2 * pin, lo);
}

static void test_id_version(void)
{
	setup();
	CHECK_EQ(reg_rd(IOAPIC_REG_ID), 3u << 24);
	CHECK_EQ(reg_rd(IOAPIC_REG_VER), 0x00170020);	/* 24 entries (max index 23), version 0x20 */
	CHECK_EQ(reg_rd(IOAPIC_REG_ARB), 3u << 24);
	reg_wr(IOAPIC_REG_ID, 0x0a000000 | 0xffffff);	/* only the 4-bit id sticks */
	CHECK_EQ(reg_rd(IOAPIC_REG_ID), 0x0a000000);
	reg_wr(IOAPIC_REG_VER, 0);			/* read-only */
	CHECK_EQ(reg_rd(IOAPIC_REG_VER), 0x00170020);
	CHECK_EQ(reg_rd(0x03), 0);			/* unimplemented */
	CHECK_EQ(reg_rd(0x10 + 2 * 24), 0);		/* past the last pin */
	CHECK_EQ(reg_rd(0xff), 0);
	CHECK_EQ(calls, 0);
}

static void test_ioregsel(void)
{
	uint8_t b = 0x11;

	setup();
	wr32(IOAPIC_IOREGSEL, 0x12345601);		/* the index is 8 bits */
	CHECK_EQ(rd32(IOAPIC_IOREGSEL), 0x01);
	CHECK_EQ(rd32(IOAPIC_IOWIN), 0x00170020);
	ioapic_mmio_write(&io, IOAPIC_IOREGSEL, &b, 1);	/* byte write of the index */
	CHECK_EQ(rd32(IOAPIC_IOREGSEL), 0x11);
	CHECK_EQ(rd32(0x20), 0);			/* nothing else in the window */
}

static void test_reset_masked(void)
{
	setup();
	for (unsigned pin = 0; pin < IOAPIC_PINS; pin++) {
		CHECK_EQ(reg_rd(IOAPIC_REG_REDIR + 2 * pin), IOAPIC_RTE_MASKED);
		CHECK_EQ(reg_rd(IOAPIC_REG_REDIR + 2 * pin + 1), 0);
	}
	CHECK_EQ(ioapic_update_routes(&io), 0);		/* first push: an empty table */
	CHECK_EQ(calls, 1);
	CHECK_EQ(nseen, 0);
	CHECK_EQ(ioapic_update_routes(&io), 0);		/* unchanged: no second ioctl */
	CHECK_EQ(calls, 1);
}

static void test_rte_readback(void)
{
	setup();
	program(5, 0x0001a9ff, 0xab);			/* every writable low bit, masked */
	CHECK_EQ(reg_rd(IOAPIC_REG_REDIR + 10), 0x0001a9ff);
	CHECK_EQ(reg_rd(IOAPIC_REG_REDIR + 11), 0xab000000);
	/* Delivery status (12), remote IRR (14) and bits 17-31 are not writable. */
	reg_wr(IOAPIC_REG_REDIR + 10, 0xfffe5000 | 0x31);
	CHECK_EQ(reg_rd(IOAPIC_REG_REDIR + 10), 0x00000031);
	/* Only the destination byte of the high half is writable. */
	reg_wr(IOAPIC_REG_REDIR + 11, 0x12ffffff);
	CHECK_EQ(reg_rd(IOAPIC_REG_REDIR + 11), 0x12000000);
	/* Other pins untouched. */
	CHECK_EQ(reg_rd(IOAPIC_REG_REDIR + 12), IOAPIC_RTE_MASKED);
}

static void test_route_fixed_physical(void)
{
	setup();
	program(5, 0x31, 1);				/* vector 0x31, fixed, physical, edge, unmasked */
	CHECK_EQ(nseen, 1);
	CHECK_EQ(seen[0].gsi, 5);
	CHECK_EQ(seen[0].addr_lo, 0xfee01000);
	CHECK_EQ(seen[0].addr_hi, 0);
	CHECK_EQ(seen[0].data, 0x31);
}

static void test_route_logical_lowest_level(void)
{
	setup();
	/* vector 0x41, lowest priority, logical, active low, level: MSI stays edge (see ioapic.c). */
	program(9, 0x41 | 1 << 8 | 1 << 11 | 1 << 13 | 1 << 15, 0x03);
	CHECK_EQ(nseen, 1);
	CHECK_EQ(seen[0].gsi, 9);
	CHECK_EQ(seen[0].addr_lo, 0xfee03004);
	CHECK_EQ(seen[0].data, 0x141);
}

static void test_route_nmi_and_undeliverable(void)
{
	struct vm_msi_route r;

	CHECK(ioapic_rte_msi(0x400 | 0x02, 2, &r));	/* NMI */
	CHECK_EQ(r.data, 0x402);
	CHECK(!ioapic_rte_msi(0x200, 0, &r));		/* SMI */
	CHECK(!ioapic_rte_msi(0x500, 0, &r));		/* INIT */
	CHECK(!ioapic_rte_msi(0x700, 0, &r));		/* ExtINT: there is no PIC */
	CHECK(!ioapic_rte_msi(0x300, 0, &r));		/* reserved */
	CHECK(!ioapic_rte_msi(IOAPIC_RTE_MASKED | 0x31, 0, &r));
}

static void test_mask_unmask(void)
{
	setup();
	program(4, 0x24, 0);
	program(6, 0x26, 1);
	CHECK_EQ(nseen, 2);
	CHECK_EQ(seen[0].gsi, 4);
	CHECK_EQ(seen[1].gsi, 6);
	reg_wr(IOAPIC_REG_REDIR + 8, 0x24 | IOAPIC_RTE_MASKED);	/* mask pin 4: its route goes */
	CHECK_EQ(nseen, 1);
	CHECK_EQ(seen[0].gsi, 6);
	reg_wr(IOAPIC_REG_REDIR + 8, 0x24);			/* unmask: back */
	CHECK_EQ(nseen, 2);
	CHECK_EQ(seen[0].gsi, 4);
	CHECK_EQ(seen[0].data, 0x24);
}

static void test_no_redundant_updates(void)
{
	unsigned before;

	setup();
	program(5, 0x31, 0);
	before = calls;
	reg_wr(IOAPIC_REG_REDIR + 10, 0x31);		/* same value */
	CHECK_EQ(calls, before);
	/* A masked pin's fields change nothing KVM sees. */
	reg_wr(IOAPIC_REG_REDIR + 12, 0x55 | IOAPIC_RTE_MASKED);
	CHECK_EQ(calls, before);
	reg_wr(IOAPIC_REG_REDIR + 11, 0x02000000);	/* new destination: new route */
	CHECK_EQ(calls, before + 1);
	CHECK_EQ(seen[0].addr_lo, 0xfee02000);
}

static void test_route_failure_retried(void)
{
	setup();
	stub_ret = -EINVAL;
	program(5, 0x31, 0);
	CHECK_EQ(nseen, 0);
	stub_ret = 0;
	program(6, IOAPIC_RTE_MASKED | 0x32, 0);	/* a write that alone changes no route */
	CHECK_EQ(nseen, 1);				/* ...still pushes the table that failed */
	CHECK_EQ(seen[0].gsi, 5);
}

static void test_eoi_and_odd_accesses(void)
{
	uint64_t big = ~0ULL;
	uint16_t half = 0xffff;

	setup();
	program(5, 0x31 | IOAPIC_RTE_LEVEL, 0);
	wr32(IOAPIC_EOI, 0x31);				/* accepted, changes nothing visible */
	CHECK_EQ(reg_rd(IOAPIC_REG_REDIR + 10), 0x31 | IOAPIC_RTE_LEVEL);
	CHECK_EQ(rd32(IOAPIC_EOI), 0);
	/* Narrow writes to the data window are dropped, wide reads zero-extend. */
	wr32(IOAPIC_IOREGSEL, IOAPIC_REG_REDIR + 10);
	ioapic_mmio_write(&io, IOAPIC_IOWIN, &half, 2);
	CHECK_EQ(rd32(IOAPIC_IOWIN), 0x31 | IOAPIC_RTE_LEVEL);
	ioapic_mmio_read(&io, IOAPIC_IOWIN, &big, 8);
	CHECK_EQ(big, 0x31 | IOAPIC_RTE_LEVEL);
	ioapic_mmio_write(&io, IOAPIC_IOWIN, &big, 0);	/* zero length: ignored */
	ioapic_mmio_read(&io, 0xffc, &big, 8);
	CHECK_EQ(big, 0);
}

/* With KVM: routes land in KVM_SET_GSI_ROUTING and an irqfd on an unrouted GSI is accepted. */
static void test_kvm_split_routes(void)
{
	struct vm vm;
	struct vm_msi_route r = { .gsi = 5, .addr_lo = 0xfee00000, .data = 0x31 };
	uint64_t one = 1;
	int fd, ret;

	if (access("/dev/kvm", R_OK | W_OK))
		SKIP_TEST("no /dev/kvm");
	ret = vm_create(&vm, true);
	if (ret == -EINVAL || ret == -ENOTTY || ret == -ENOTSUP)
		SKIP_TEST("this KVM has no split irqchip");
	CHECK_EQ(ret, 0);
	if (ret)
		return;
	fd = eventfd(0, EFD_CLOEXEC);
	CHECK_EQ(vm_irqfd(&vm, fd, 5), 0);			/* no route yet */
	CHECK_EQ(write(fd, &one, sizeof(one)), 8);		/* injects nothing, fails nothing */
	CHECK_EQ(vm_set_msi_routes(&vm, &r, 1), 0);
	CHECK_EQ(vm_set_msi_routes(&vm, NULL, 0), 0);
	CHECK_EQ(vm_set_msi_routes(&vm, &r, 1000), -EINVAL);
}

TEST_MAIN_BEGIN("ioapic")
	RUN(test_id_version);
	RUN(test_ioregsel);
	RUN(test_reset_masked);
	RUN(test_rte_readback);
	RUN(test_route_fixed_physical);
	RUN(test_route_logical_lowest_level);
	RUN(test_route_nmi_and_undeliverable);
	RUN(test_mask_unmask);
	RUN(test_no_redundant_updates);
	RUN(test_route_failure_retried);
	RUN(test_eoi_and_odd_accesses);
	RUN(test_kvm_split_routes);
TEST_MAIN_END()
