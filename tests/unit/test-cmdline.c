/* tests/unit/test-cmdline.c: the kernel command line that carries the workload's argv/env/workdir to the guest init. */
#include <errno.h>

#include "api/config.h"
#include "test.h"
#include "vmm/cmdline.h"

static char *env_ok[] = { "A=1", "B=two words", NULL };
static char *args_ok[] = { "x y", "it's", "", NULL };

static void setup(struct krun_config *c)
{
	cfg_init(c);
	c->exec_path = "/bin/probe";
	c->workdir = "/tmp";
	c->rlimits = "6=4096:8192";
	c->env_set = true;
	c->env = (struct cfg_strv){ .v = env_ok, .n = 2 };
	c->argv = (struct cfg_strv){ .v = args_ok, .n = 3 };
}

static void test_default_layout(void)
{
	struct krun_config c;
	char *line = NULL;

	setup(&c);
	CHECK(cmdline_build(&c, "virtio_mmio.device=4K@0xd0000000:5", &line) == 0);
	CHECK(!strncmp(line, CMDLINE_DEFAULT " virtio_mmio.device=4K@0xd0000000:5", strlen(CMDLINE_DEFAULT) + 35));
	CHECK(strstr(line, " KRUN_INIT=/bin/probe KRUN_WORKDIR=/tmp \"KRUN_RLIMITS=6=4096:8192\" \"A=1\" \"B=two words\" -- \"x y\" \"it's\" \"\"") != NULL);
	/* Environment and devices come before "--": the kernel hands what follows to init as argv. */
	CHECK(strstr(line, "virtio_mmio") < strstr(line, " -- "));
	free(line);
}

static void test_console_and_custom_prolog(void)
{
	struct krun_config c;
	char *line = NULL;

	setup(&c);
	c.argv.n = 0;
	c.kernel_console = "ttyS0";
	CHECK(cmdline_build(&c, NULL, &line) == 0);
	CHECK(strstr(line, "console=ttyS0") && !strstr(line, "console=hvc0"));
	CHECK(!strstr(line, " -- "));
	free(line);
	c.kernel_cmdline = "console=hvc0 rdinit=/init";
	CHECK(cmdline_build(&c, NULL, &line) == 0);
	CHECK(!strncmp(line, "console=ttyS0 rdinit=/init KRUN_INIT=", 37));
	free(line);
}

static void test_unencodable(void)
{
	static char *bad_arg[] = { "say \"hi\"", NULL };
	static char *bad_env[] = { "X=a\nb", NULL };
	static char *dashes[] = { "sh", "--", "x", NULL };
	struct krun_config c;
	char *line = NULL;

	setup(&c);
	c.argv = (struct cfg_strv){ .v = bad_arg, .n = 1 };
	CHECK(cmdline_build(&c, NULL, &line) == -EINVAL);
	setup(&c);
	c.env = (struct cfg_strv){ .v = bad_env, .n = 1 };
	CHECK(cmdline_build(&c, NULL, &line) == -EINVAL);
	/* The kernel stops init's arguments at a second "--" (found by fuzz-cmdline). */
	setup(&c);
	c.argv = (struct cfg_strv){ .v = dashes, .n = 3 };
	CHECK(cmdline_build(&c, NULL, &line) == -EINVAL);
}

static void test_limits(void)
{
	static char *many[40];
	static char big[3000];
	static char *big_env[] = { big, NULL };
	struct krun_config c;
	char *line = NULL;

	for (int i = 0; i < 39; i++)
		many[i] = "a";
	setup(&c);
	c.argv = (struct cfg_strv){ .v = many, .n = 39 };
	CHECK(cmdline_build(&c, NULL, &line) == -E2BIG);
	setup(&c);
	memset(big, 'x', sizeof(big) - 1);
	big[0] = 'K';
	big[1] = '=';
	c.env = (struct cfg_strv){ .v = big_env, .n = 1 };
	CHECK(cmdline_build(&c, NULL, &line) == -E2BIG);
}

TEST_MAIN_BEGIN("cmdline")
	RUN(test_default_layout);
	RUN(test_console_and_custom_prolog);
	RUN(test_unencodable);
	RUN(test_limits);
TEST_MAIN_END()
