/* tests/unit/test-api-ctx.c: context table, start_enter consumption, queries and logging of the krun_* API (no KVM). */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>

#include "libkrun.h"
#include "api/api.h"
#include "test.h"

static void test_create_free(void)
{
	int32_t a = krun_create_ctx(), b = krun_create_ctx();

	CHECK(a >= 0);
	CHECK(b > a);
	CHECK_EQ(krun_free_ctx(a), 0);
	CHECK_EQ(krun_free_ctx(a), -ENOENT);
	/* Ids are never reused. */
	CHECK(krun_create_ctx() > b);
	CHECK_EQ(krun_free_ctx(b), 0);
	CHECK_EQ(krun_free_ctx(UINT32_MAX), -ENOENT);
	CHECK_EQ(krun_free_ctx(12345), -ENOENT);
}

static void test_defaults(void)
{
	int32_t id = krun_create_ctx();
	struct krun_config *cfg = ctx_get(id);

	CHECK(cfg != NULL);
	if (!cfg)
		return;
	CHECK_EQ(cfg->vcpus, 1);
	CHECK_EQ(cfg->ram_mib, 128);
	CHECK_EQ(cfg->legacy_passt_fd, -1);
	CHECK(!cfg->env_set);
	ctx_put();
}

static void test_vm_config(void)
{
	int32_t id = krun_create_ctx();
	struct krun_config *cfg;

	CHECK_EQ(krun_set_vm_config(id, 0, 128), -EINVAL);
	CHECK_EQ(krun_set_vm_config(id, 1, 0), -EINVAL);
	CHECK_EQ(krun_set_vm_config(id, 255, UINT32_MAX), 0);
	cfg = ctx_get(id);
	CHECK_EQ(cfg->vcpus, 255);
	CHECK_EQ(cfg->ram_mib, UINT32_MAX);
	ctx_put();
	CHECK_EQ(krun_set_vm_config(id + 1000, 1, 1), -ENOENT);
	CHECK_EQ(krun_free_ctx(id), 0);
	CHECK_EQ(krun_set_vm_config(id, 1, 1), -ENOENT);
}

#define NTHREADS 8
#define PER_THREAD 200

static void *creator(void *arg)
{
	int32_t *ids = arg;

	for (int i = 0; i < PER_THREAD; i++)
		ids[i] = krun_create_ctx();
	return NULL;
}

static int cmp_i32(const void *a, const void *b)
{
	return *(const int32_t *)a - *(const int32_t *)b;
}

static void test_concurrent_create(void)
{
	static int32_t ids[NTHREADS * PER_THREAD];
	pthread_t t[NTHREADS];

	for (int i = 0; i < NTHREADS; i++)
		pthread_create(&t[i], NULL, creator, &ids[i * PER_THREAD]);
	for (int i = 0; i < NTHREADS; i++)
		pthread_join(t[i], NULL);
	qsort(ids, NTHREADS * PER_THREAD, sizeof(ids[0]), cmp_i32);
	CHECK(ids[0] >= 0);
	for (int i = 1; i < NTHREADS * PER_THREAD; i++)
		CHECK(ids[i] != ids[i - 1]);
	for (int i = 0; i < NTHREADS * PER_THREAD; i++)
		CHECK_EQ(krun_free_ctx(ids[i]), 0);
}

static void test_start_enter_consumes(void)
{
	int32_t id = krun_create_ctx();

	CHECK_EQ(krun_start_enter(UINT32_MAX), -ENOENT);
	/* A kernel that does not exist: the start must fail early and return, not exit. */
	krun_set_log_level(0);
	CHECK_EQ(krun_set_kernel(id, "/nonexistent/vmlinux", KRUN_KERNEL_FORMAT_ELF, NULL, NULL), 0);
	CHECK(krun_start_enter(id) < 0);
	CHECK_EQ(krun_free_ctx(id), -ENOENT);
	CHECK_EQ(krun_set_vm_config(id, 1, 64), -ENOENT);
}

static void test_logging(void)
{
	CHECK_EQ(krun_set_log_level(0), 0);
	CHECK_EQ(krun_set_log_level(3), 0);
	CHECK_EQ(krun_set_log_level(UINT32_MAX), 0);
	CHECK_EQ(krun_init_log(0, 1, 0, 0), -EINVAL);
	CHECK_EQ(krun_init_log(-2, 1, 0, 0), -EINVAL);
	CHECK_EQ(krun_init_log(-1, 1, 3, 0), -EINVAL);
	CHECK_EQ(krun_init_log(-1, 1, 0, 2), -EINVAL);
	CHECK_EQ(krun_init_log(KRUN_LOG_TARGET_DEFAULT, KRUN_LOG_LEVEL_WARN, KRUN_LOG_STYLE_NEVER,
			       KRUN_LOG_OPTION_NO_ENV), 0);
	CHECK_EQ(krun_init_log(2, KRUN_LOG_LEVEL_ERROR, KRUN_LOG_STYLE_AUTO, 0), 0);
	CHECK_EQ(krun_set_log_level(1), 0);
}

static void test_has_feature(void)
{
	CHECK_EQ(krun_has_feature(KRUN_FEATURE_INIT_BLOB), 1);
	CHECK_EQ(krun_has_feature(KRUN_FEATURE_GPU), 0);
	CHECK_EQ(krun_has_feature(KRUN_FEATURE_NET), 1);
	CHECK_EQ(krun_has_feature(KRUN_FEATURE_BLK), 1);
	CHECK_EQ(krun_has_feature(KRUN_FEATURE_EFI), 0);
	CHECK_EQ(krun_has_feature(12), -EINVAL);
	CHECK_EQ(krun_has_feature(UINT64_MAX), -EINVAL);
}

static void test_default_init(void)
{
	const uint8_t *data = NULL;
	size_t len = 0;

	CHECK_EQ(krun_get_default_init(NULL, &len), -EINVAL);
	CHECK_EQ(krun_get_default_init(&data, NULL), -EINVAL);
	CHECK_EQ(krun_get_default_init(&data, &len), 0);
	CHECK(len > 64);
	CHECK(data && !memcmp(data, "\177ELF", 4));
}

static void test_machine_queries(void)
{
	int32_t n = krun_get_max_vcpus();
	int32_t nested = krun_check_nested_virt();

	CHECK(n > 0 || n == -EINVAL);
	CHECK(nested == 0 || nested == 1);
	CHECK_EQ(krun_get_shutdown_eventfd(krun_create_ctx()), -EINVAL);
	CHECK_EQ(krun_get_shutdown_eventfd(UINT32_MAX), -ENOENT);
}

TEST_MAIN_BEGIN("api-ctx")
	RUN(test_create_free);
	RUN(test_defaults);
	RUN(test_vm_config);
	RUN(test_concurrent_create);
	RUN(test_start_enter_consumes);
	RUN(test_logging);
	RUN(test_has_feature);
	RUN(test_default_init);
	RUN(test_machine_queries);
TEST_MAIN_END()
