/* src/api/krunfw.c: finds and opens libkrunfw.so.5 (the bundled guest kernel) once per process. */
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "util/log.h"

#define KRUNFW_NAME "libkrunfw.so.5"

/* libkrunfw's export; load/entry are guest-physical addresses. */
typedef char *(*krunfw_get_kernel_fn)(size_t *load_addr, size_t *entry_addr, size_t *size);

static pthread_once_t krunfw_once = PTHREAD_ONCE_INIT;
static krunfw_get_kernel_fn krunfw_get_kernel;

/*
 * A libkrunfw next to our own library: build/libkrunfw.so.5 beside
 * build/libkrun.so.1, or the same lib64 directory once installed, without
 * the caller setting LD_LIBRARY_PATH.
 */
static void *krunfw_open_beside_us(void)
{
	char path[PATH_MAX];
	const char *slash;
	Dl_info info;
	int n;

	if (!dladdr((void *)krunfw_open_beside_us, &info) || !info.dli_fname)
		return NULL;
	slash = strrchr(info.dli_fname, '/');
	if (!slash)
		return NULL;
	n = snprintf(path, sizeof(path), "%.*s/%s", (int)(slash - info.dli_fname),
		     info.dli_fname, KRUNFW_NAME);
	if (n < 0 || (size_t)n >= sizeof(path))
		return NULL;
	return dlopen(path, RTLD_NOW | RTLD_LOCAL);
}

static void krunfw_open(void)
{
	void *h = dlopen(KRUNFW_NAME, RTLD_NOW | RTLD_LOCAL);

	if (!h)
		h = krunfw_open_beside_us();
	if (!h) {
		log_debug("%s not loaded: %s", KRUNFW_NAME, dlerror());
		return;
	}
	krunfw_get_kernel = (krunfw_get_kernel_fn)dlsym(h, "krunfw_get_kernel");
	if (!krunfw_get_kernel) {
		log_debug("%s has no krunfw_get_kernel", KRUNFW_NAME);
		dlclose(h);
	}
}

int krunfw_load(void)
{
	pthread_once(&krunfw_once, krunfw_open);
	return krunfw_get_kernel ? 0 : -ENOENT;
}

/*
 * Resolved when libkrun itself is loaded: crun up to 1.19 (Debian 12 ships
 * 1.8) dlopens us early but calls krun_create_ctx only after entering the
 * container's root, where libkrunfw is normally absent. This costs a process
 * that never creates a VM 0.3 ms (1 ms when the search path misses and the
 * copy beside us is used) and 70-190 KiB of RSS: the kernel image's pages are
 * mapped, not read (README, figures).
 */
__attribute__((constructor)) static void krunfw_preload(void)
{
	krunfw_load();
}

int krunfw_kernel(void **host, uint64_t *load_addr, uint64_t *entry, size_t *size)
{
	size_t load = 0, ent = 0, sz = 0;
	char *p;

	if (krunfw_load()) {
		log_err("Couldn't find or load %s", KRUNFW_NAME);
		return -ENOENT;
	}
	p = krunfw_get_kernel(&load, &ent, &sz);
	if (!p || !sz) {
		log_err("%s returned no kernel", KRUNFW_NAME);
		return -EINVAL;
	}
	*host = p;
	*load_addr = load;
	*entry = ent;
	*size = sz;
	return 0;
}
