/* tests/unit/test-cpu-nested.c: VMX/SVM in the guest CPUID follow krun_set_nested_virt and what the host KVM offers. */
#include <linux/kvm.h>
#include <stdbool.h>
#include <stdint.h>

#include "test.h"
#include "vmm/x86_64/cpu.h"

#define VMX (1U << 5)
#define SVM (1U << 2)

/* A supported-CPUID table with leaves 1 and 0x80000001 carrying (ecx1) and (ecx81). */
static struct kvm_cpuid2 *table(uint32_t ecx1, uint32_t ecx81)
{
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + 3 * sizeof(c->entries[0]));

	c->nent = 3;
	c->entries[0] = (struct kvm_cpuid_entry2){ .function = 0, .eax = 0xd };
	c->entries[1] = (struct kvm_cpuid_entry2){ .function = 1, .ecx = ecx1 };
	c->entries[2] = (struct kvm_cpuid_entry2){ .function = 0x80000001, .ecx = ecx81 };
	return c;
}

static void test_host_offers(void)
{
	struct kvm_cpuid2 *none = table(0, 0), *intel = table(VMX, 0), *amd = table(0, SVM | 1);

	CHECK(!cpu_has_virt_ext(none));
	CHECK(cpu_has_virt_ext(intel));
	CHECK(cpu_has_virt_ext(amd));
	/* The bits only count in their own leaf. */
	none->entries[0].ecx = VMX | SVM;
	CHECK(!cpu_has_virt_ext(none));
	free(none);
	free(intel);
	free(amd);
}

static void test_filter_hides_unless_nested(void)
{
	struct kvm_cpuid2 *c = table(VMX, SVM | 1);

	cpu_filter_cpuid(c, 0, 1, false);
	CHECK(!(c->entries[1].ecx & VMX));
	CHECK(!(c->entries[2].ecx & SVM));
	CHECK(c->entries[2].ecx & 1); /* other bits stay */
	CHECK(!cpu_has_virt_ext(c));
	free(c);

	c = table(VMX, SVM);
	cpu_filter_cpuid(c, 1, 2, true);
	CHECK(c->entries[1].ecx & VMX);
	CHECK(c->entries[2].ecx & SVM);
	CHECK(c->entries[1].ecx & (1U << 31)); /* hypervisor bit either way */
	free(c);
}

TEST_MAIN_BEGIN("cpu-nested")
	RUN(test_host_offers);
	RUN(test_filter_hides_unless_nested);
TEST_MAIN_END()
