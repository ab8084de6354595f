/* tests/unit/test-api-log.c: RUST_LOG in env_logger syntax (our target is "libkrun") and RUST_LOG_STYLE. */
#include "test.h"

#include "libkrun.h"
#include "util/log.h"

/* The level krun_set_log_level(api) ends with under RUST_LOG=(spec); NULL = unset. */
static int level_with(const char *spec, uint32_t api)
{
	if (spec)
		setenv("RUST_LOG", spec, 1);
	else
		unsetenv("RUST_LOG");
	if (krun_set_log_level(api))
		return -1;
	return (int)log_get_level();
}

static void test_rust_log_directives(void)
{
	CHECK_EQ(level_with(NULL, LOG_INFO), LOG_INFO);
	CHECK_EQ(level_with("debug", LOG_ERROR), LOG_DEBUG);
	CHECK_EQ(level_with("DeBuG", LOG_ERROR), LOG_DEBUG);
	CHECK_EQ(level_with("libkrun=debug", LOG_ERROR), LOG_DEBUG);
	CHECK_EQ(level_with("warn,libkrun=trace", LOG_ERROR), LOG_TRACE);
	CHECK_EQ(level_with("libkrun=trace,warn", LOG_ERROR), LOG_TRACE);
	CHECK_EQ(level_with(" info , vmm=trace ", LOG_ERROR), LOG_INFO);
	/* The longest matching name wins; on a tie, the later directive. */
	CHECK_EQ(level_with("lib=info,libkrun=warn", LOG_ERROR), LOG_WARN);
	CHECK_EQ(level_with("libkrun=info,libkrun=debug", LOG_ERROR), LOG_DEBUG);
	CHECK_EQ(level_with("libkrun", LOG_ERROR), LOG_TRACE);
	CHECK_EQ(level_with("libkrun=", LOG_ERROR), LOG_TRACE);
	CHECK_EQ(level_with("info/some filter", LOG_ERROR), LOG_INFO);
	/* Directives only for other targets: nothing of ours is logged. */
	CHECK_EQ(level_with("vmm=debug", LOG_WARN), LOG_OFF);
	CHECK_EQ(level_with("libkrun::vmm=debug", LOG_WARN), LOG_OFF);
	/* Nothing valid at all: env_logger's default, errors. */
	CHECK_EQ(level_with("", LOG_TRACE), LOG_ERROR);
	CHECK_EQ(level_with("libkrun=loud", LOG_TRACE), LOG_ERROR);
	CHECK_EQ(level_with("off", LOG_TRACE), LOG_OFF);
	unsetenv("RUST_LOG");
}

/* Logs one error through krun_init_log's sink with RUST_LOG_STYLE=(style); 1 if colored. */
static int colored_with(const char *style, uint32_t api_style)
{
	char buf[512] = { 0 };
	int fds[2];
	ssize_t n;

	if (pipe(fds))
		return -1;
	if (style)
		setenv("RUST_LOG_STYLE", style, 1);
	else
		unsetenv("RUST_LOG_STYLE");
	if (krun_init_log(fds[1], KRUN_LOG_LEVEL_ERROR, api_style, 0))
		return -1;
	log_err("styled");
	n = read(fds[0], buf, sizeof(buf) - 1);
	close(fds[0]);
	close(fds[1]);
	if (n <= 0 || !strstr(buf, "styled"))
		return -1;
	return strstr(buf, "\033[31mERROR") != NULL;
}

static void test_rust_log_style(void)
{
	unsetenv("RUST_LOG");
	CHECK_EQ(colored_with(NULL, KRUN_LOG_STYLE_AUTO), 0); /* a pipe is no terminal */
	CHECK_EQ(colored_with(NULL, KRUN_LOG_STYLE_ALWAYS), 1);
	CHECK_EQ(colored_with("always", KRUN_LOG_STYLE_AUTO), 1);
	CHECK_EQ(colored_with("never", KRUN_LOG_STYLE_ALWAYS), 0);
	CHECK_EQ(colored_with("auto", KRUN_LOG_STYLE_ALWAYS), 0);
}

TEST_MAIN_BEGIN("api-log")
	RUN(test_rust_log_directives);
	RUN(test_rust_log_style);
TEST_MAIN_END()
