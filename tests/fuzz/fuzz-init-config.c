/* tests/fuzz/fuzz-init-config.c: libFuzzer target for the guest init's JSON config parser (init/config.c). */
#include <errno.h>

#include "fuzz.h"
#include "init/config.h"

/* A parsed vector is NULL-terminated, its count matches, and no string is NULL. */
static void check_vec(const struct strvec *sv)
{
	if (!sv->v) {
		FUZZ_ASSERT(sv->n == 0, "NULL vector with %zu entries", sv->n);
		return;
	}
	for (size_t i = 0; i < sv->n; i++)
		FUZZ_ASSERT(sv->v[i] != NULL, "entry %zu of %zu is NULL", i, sv->n);
	FUZZ_ASSERT(sv->v[sv->n] == NULL, "vector not NULL-terminated");
	FUZZ_ASSERT(sv->n <= CONFIG_MAX_ITEMS, "%zu items", sv->n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct krun_config cfg = { 0 };
	int ret = config_parse((const char *)data, size, &cfg);

	FUZZ_ASSERT(ret == 0 || ret == -EINVAL || ret == -ENOMEM, "config_parse returned %d", ret);
	if (ret) {
		/* "On any error nothing is kept." */
		FUZZ_ASSERT(!cfg.args.v && !cfg.env.v && !cfg.entrypoint.v && !cfg.cwd && !cfg.found,
			    "state kept after error %d", ret);
		return 0;
	}
	check_vec(&cfg.args);
	check_vec(&cfg.env);
	check_vec(&cfg.entrypoint);
	FUZZ_ASSERT(!(cfg.found & CONFIG_HAVE_CWD) == !cfg.cwd, "cwd bit and pointer disagree");
	config_free(&cfg);
	return 0;
}
