/* tests/fuzz/fuzz.h: helpers shared by the libFuzzer targets: a reader over the input and an oracle assertion. */
#ifndef KRUN_FUZZ_H
#define KRUN_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* An oracle violation is a finding: print why and abort so libFuzzer saves the input. */
#define FUZZ_ASSERT(cond, ...)                                                 \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "fuzz oracle %s:%d: %s: ", __FILE__,   \
				__LINE__, #cond);                              \
			fprintf(stderr, __VA_ARGS__);                          \
			fputc('\n', stderr);                                   \
			abort();                                               \
		}                                                              \
	} while (0)

/* Consumes the input front to back; reads past the end yield zeroes. */
struct fuzz_in {
	const uint8_t *p;
	size_t left;
};

static inline void fuzz_take(struct fuzz_in *in, void *dst, size_t n)
{
	size_t k = n < in->left ? n : in->left;

	memcpy(dst, in->p, k);
	memset((uint8_t *)dst + k, 0, n - k);
	in->p += k;
	in->left -= k;
}

static inline uint8_t fuzz_u8(struct fuzz_in *in)
{
	uint8_t v;

	fuzz_take(in, &v, 1);
	return v;
}

static inline uint16_t fuzz_u16(struct fuzz_in *in)
{
	uint16_t v;

	fuzz_take(in, &v, 2);
	return v;
}

static inline uint32_t fuzz_u32(struct fuzz_in *in)
{
	uint32_t v;

	fuzz_take(in, &v, 4);
	return v;
}

static inline uint64_t fuzz_u64(struct fuzz_in *in)
{
	uint64_t v;

	fuzz_take(in, &v, 8);
	return v;
}

/* Up to (max) bytes: a length byte then that many bytes (fewer at the end of the input). */
static inline size_t fuzz_blob(struct fuzz_in *in, const uint8_t **out, size_t max)
{
	size_t n = fuzz_u16(in) % (max + 1);

	if (n > in->left)
		n = in->left;
	*out = in->p;
	in->p += n;
	in->left -= n;
	return n;
}

/* A NUL-terminated heap copy of the next blob (up to max bytes, NULs kept as cut points). */
static inline char *fuzz_str(struct fuzz_in *in, size_t max)
{
	const uint8_t *b;
	size_t n = fuzz_blob(in, &b, max);
	char *s = malloc(n + 1);

	if (!s)
		abort();
	memcpy(s, b, n);
	s[n] = '\0';
	return s;
}

#endif
