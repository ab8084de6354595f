/* init/init-blob.h: the static guest init embedded in libkrun (served by virtio-fs as /init.krun). */
#ifndef KRUN_INIT_BLOB_H
#define KRUN_INIT_BLOB_H

#include <stddef.h>

/* Defined in init/init-blob.S; hidden, so references stay PC-relative and unexported. */
extern const unsigned char init_blob[] __attribute__((visibility("hidden")));
extern const unsigned char init_blob_end[] __attribute__((visibility("hidden")));

static inline size_t init_blob_size(void)
{
	return (size_t)(init_blob_end - init_blob);
}

#endif
