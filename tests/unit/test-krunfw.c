/* tests/unit/test-krunfw.c: checks the bundle libkrunfw.so.5 hands out (addresses, alignment, ABI version). */
#include <dlfcn.h>
#include <stdint.h>
#include "test.h"

#define KRUNFW_ALIGN	0x10000UL
#define KRUNFW_LOAD	0x1000000UL

typedef char *(*get_kernel_fn)(size_t *load_addr, size_t *entry_addr, size_t *size);
typedef int (*get_version_fn)(void);

/* Opens the built library by path, the way libkrun opens the installed one by SONAME. */
static void *open_krunfw(void)
{
	const char *build = getenv("BUILD");
	char path[4096];
	void *h;

	snprintf(path, sizeof(path), "%s/libkrunfw.so.5", build && *build ? build : "build");
	h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!h)
		printf("  dlopen %s: %s\n", path, dlerror());
	return h;
}

static void test_version(void)
{
	get_version_fn get_version;
	void *h = open_krunfw();

	CHECK(h != NULL);
	if (!h)
		return;
	get_version = (get_version_fn)dlsym(h, "krunfw_get_version");
	CHECK(get_version != NULL);
	if (get_version)
		CHECK_EQ(get_version(), 5);
}

static void test_kernel_bundle(void)
{
	size_t load = 0, entry = 0, size = 0;
	get_kernel_fn get_kernel;
	const unsigned char *p;
	void *h = open_krunfw();
	size_t i, nonzero = 0;

	CHECK(h != NULL);
	if (!h)
		return;
	get_kernel = (get_kernel_fn)dlsym(h, "krunfw_get_kernel");
	CHECK(get_kernel != NULL);
	if (!get_kernel)
		return;
	p = (const unsigned char *)get_kernel(&load, &entry, &size);
	CHECK(p != NULL);
	if (!p)
		return;
	/* libkrun maps the bundle into the guest, so pointer and size must be 64 KiB granular. */
	CHECK_EQ((uintptr_t)p % KRUNFW_ALIGN, 0);
	CHECK_EQ(size % KRUNFW_ALIGN, 0);
	CHECK(size >= (1UL << 20));
	CHECK(size <= (64UL << 20));
	CHECK_EQ(load, KRUNFW_LOAD);
	CHECK(entry >= load && entry < load + size);
	if (entry < load || entry >= load + size)
		return;
	/* The first instructions of startup_64 are real code, never zero fill. */
	for (i = 0; i < 16; i++)
		nonzero += p[entry - load + i] != 0;
	CHECK(nonzero > 0);
}

/* The storage is writable .data: libkrun maps those pages copy-on-write into guest memory. */
static void test_bundle_writable(void)
{
	size_t load, entry, size;
	get_kernel_fn get_kernel;
	volatile char *p;
	void *h = open_krunfw();
	char old;

	CHECK(h != NULL);
	if (!h)
		return;
	get_kernel = (get_kernel_fn)dlsym(h, "krunfw_get_kernel");
	CHECK(get_kernel != NULL);
	if (!get_kernel)
		return;
	p = get_kernel(&load, &entry, &size);
	old = p[size - 1];
	p[size - 1] = (char)(old + 1);
	CHECK_EQ(p[size - 1], (char)(old + 1));
	/* NULL out-pointers are tolerated: the pointer alone is still returned. */
	CHECK(get_kernel(NULL, NULL, NULL) == (char *)p);
}

/* The library exports the two krunfw_* functions and nothing of its internals. */
static void test_no_internal_symbols(void)
{
	void *h = open_krunfw();

	CHECK(h != NULL);
	if (!h)
		return;
	CHECK(dlsym(h, "kfw_bundle") == NULL);
	CHECK(dlsym(h, "kfw_entry_addr") == NULL);
}

TEST_MAIN_BEGIN("krunfw")
	RUN(test_version);
	RUN(test_kernel_bundle);
	RUN(test_bundle_writable);
	RUN(test_no_internal_symbols);
TEST_MAIN_END()
