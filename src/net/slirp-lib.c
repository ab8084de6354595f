/* src/net/slirp-lib.c: opens libslirp on first use, so VMs without the built-in network never load it, glib or pcre2. */
#include "net/slirp-lib.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>

#include "util/log.h"

#define SLIRP_LIB_NAME "libslirp.so.0"

static pthread_once_t slirp_lib_once = PTHREAD_ONCE_INIT;
static struct slirp_lib slirp_lib;
static int slirp_lib_ret = -ENOENT;

static int slirp_lib_sym(void *h, const char *name, void **fn)
{
	*fn = dlsym(h, name);
	if (*fn)
		return 0;
	log_err("net: built-in network: %s has no %s", SLIRP_LIB_NAME, name);
	return -ENOENT;
}

static void slirp_lib_open(void)
{
	void *h = dlopen(SLIRP_LIB_NAME, RTLD_NOW | RTLD_LOCAL);
	int ret = 0;

	if (!h) {
		log_err("net: built-in network: cannot load %s: %s", SLIRP_LIB_NAME, dlerror());
		return;
	}
#define SLIRP_LIB_RESOLVE(fn) \
	if (!ret)             \
		ret = slirp_lib_sym(h, #fn, (void **)&slirp_lib.fn);
	SLIRP_LIB_FUNCS(SLIRP_LIB_RESOLVE)
#undef SLIRP_LIB_RESOLVE
	/* On failure the handle stays open: glib does not support being unloaded. */
	slirp_lib_ret = ret;
}

int slirp_lib_load(const struct slirp_lib **out)
{
	pthread_once(&slirp_lib_once, slirp_lib_open);
	if (slirp_lib_ret)
		return slirp_lib_ret;
	*out = &slirp_lib;
	return 0;
}
