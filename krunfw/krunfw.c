/* krunfw/krunfw.c: libkrunfw.so.5 entry points handing libkrun the embedded guest kernel bundle. */
#include <stddef.h>
#include <stdint.h>

#define KRUNFW_EXPORT __attribute__((visibility("default")))
/* ABI 5: TSI-era bundle layout, the one libkrun >= 1.17 asks for. */
#define KRUNFW_ABI_VERSION 5

/* Defined in the .S that krunfw/mkbundle generates from vmlinux. */
extern char kfw_bundle[];
extern const uint64_t kfw_bundle_size;
extern const uint64_t kfw_load_addr;
extern const uint64_t kfw_entry_addr;

/*
 * Returns the bundle (vmlinux PT_LOAD segments laid out by physical address,
 * 64 KiB aligned and sized) and sets the guest-physical address to load it at,
 * the 64-bit entry point and the size. The storage is writable .data so the
 * VMM may map it into the guest copy-on-write.
 */
KRUNFW_EXPORT char *krunfw_get_kernel(size_t *load_addr, size_t *entry_addr, size_t *size)
{
	if (load_addr)
		*load_addr = kfw_load_addr;
	if (entry_addr)
		*entry_addr = kfw_entry_addr;
	if (size)
		*size = kfw_bundle_size;
	return kfw_bundle;
}

KRUNFW_EXPORT int krunfw_get_version(void)
{
	return KRUNFW_ABI_VERSION;
}
