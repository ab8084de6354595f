/* src/net/slirp-lib.h: libslirp's entry points, resolved with dlopen the first time a VM uses the built-in network. */
#ifndef KRUN_NET_SLIRP_LIB_H
#define KRUN_NET_SLIRP_LIB_H

#include <slirp/libslirp.h>

/* Every libslirp function the built-in network calls; the types come from libslirp's own header. */
#define SLIRP_LIB_FUNCS(X)                                                                         \
	X(slirp_new) X(slirp_cleanup) X(slirp_input) X(slirp_pollfds_fill) X(slirp_pollfds_poll) \
	X(slirp_handle_timer) X(slirp_add_hostfwd) X(slirp_remove_hostfwd) X(slirp_add_guestfwd)  \
	X(slirp_version_string)

/* One pointer per function, named as the function: lib->slirp_new(...). */
struct slirp_lib {
#define SLIRP_LIB_FIELD(fn) __typeof__(fn) *fn;
	SLIRP_LIB_FUNCS(SLIRP_LIB_FIELD)
#undef SLIRP_LIB_FIELD
};

/*
 * Load libslirp.so.0 (and glib beneath it) once per process and resolve the
 * table; later calls return the same table. Never unloaded. 0 and *out, or
 * -ENOENT (library or a symbol missing; logged).
 */
int slirp_lib_load(const struct slirp_lib **out);

#endif
