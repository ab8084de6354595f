/* tests/unit/test-init-env.c: the guest init's argv choice, config env merge, KRUN_RLIMITS and /proc/cmdline parsing. */
#include "test.h"

#include <errno.h>

#include "../../init/config.c"
#include "../../init/env.c"

static int parse(const char *json, struct krun_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	return config_parse(json, strlen(json), cfg);
}

static int argv_is(char **argv, const char *const want[])
{
	size_t i;

	for (i = 0; want[i]; i++)
		if (!argv[i] || strcmp(argv[i], want[i]))
			return 0;
	return argv[i] == NULL;
}

static void test_argv_krun_init_wins(void)
{
	char *cmd[] = { "a", "b c" };
	struct krun_config cfg;
	char **argv;

	CHECK_EQ(parse("{\"Entrypoint\":[\"/ep\"],\"Cmd\":[\"x\"]}", &cfg), 0);
	CHECK_EQ(init_build_argv("/bin/prog", cmd, 2, &cfg, &argv), 0);
	CHECK(argv_is(argv, (const char *const[]){ "/bin/prog", "a", "b c", NULL }));
	free(argv);
	config_free(&cfg);
}

static void test_argv_from_config(void)
{
	char *cmd[] = { "ignored" };
	struct krun_config cfg;
	char **argv;

	CHECK_EQ(parse("{\"Entrypoint\":[\"/ep\",\"-v\"],\"Cmd\":[\"x\"]}", &cfg), 0);
	CHECK_EQ(init_build_argv(NULL, cmd, 1, &cfg, &argv), 0);
	CHECK(argv_is(argv, (const char *const[]){ "/ep", "-v", "x", NULL }));
	free(argv);
	config_free(&cfg);

	CHECK_EQ(parse("{\"process\":{\"args\":[\"/bin/true\"]}}", &cfg), 0);
	CHECK_EQ(init_build_argv(NULL, NULL, 0, &cfg, &argv), 0);
	CHECK(argv_is(argv, (const char *const[]){ "/bin/true", NULL }));
	free(argv);
	config_free(&cfg);

	CHECK_EQ(parse("{\"Entrypoint\":[\"/only-ep\"],\"Cmd\":null}", &cfg), 0);
	CHECK_EQ(init_build_argv(NULL, NULL, 0, &cfg, &argv), 0);
	CHECK(argv_is(argv, (const char *const[]){ "/only-ep", NULL }));
	free(argv);
	config_free(&cfg);
}

static void test_argv_default_shell(void)
{
	char *cmd[] = { "-c", "echo hi" };
	struct krun_config cfg = { 0 };
	char **argv;

	CHECK_EQ(init_build_argv(NULL, cmd, 2, &cfg, &argv), 0);
	CHECK(argv_is(argv, (const char *const[]){ "/bin/sh", "-c", "echo hi", NULL }));
	free(argv);
	/* An empty args array is not a command. */
	CHECK_EQ(parse("{\"args\":[]}", &cfg), 0);
	CHECK_EQ(init_build_argv(NULL, NULL, 0, &cfg, &argv), 0);
	CHECK(argv_is(argv, (const char *const[]){ "/bin/sh", NULL }));
	free(argv);
	config_free(&cfg);
}

static void test_config_env(void)
{
	struct krun_config cfg;
	const char *v;

	clearenv();
	setenv("HOME", "/", 1);
	setenv("TERM", "linux", 1);
	setenv("FROM_CMDLINE", "cmdline", 1);
	CHECK_EQ(parse("{\"Env\":[\"FROM_CMDLINE=config\",\"HOME=/root\",\"TERM=xterm\","
		       "\"NEW=a=b\",\"NOEQUALS\",\"=nameless\",\"EMPTY=\"]}", &cfg), 0);
	CHECK_EQ(init_apply_config_env(&cfg), 5);
	v = getenv("FROM_CMDLINE");
	CHECK(v && !strcmp(v, "cmdline"));
	v = getenv("HOME");
	CHECK(v && !strcmp(v, "/root"));
	v = getenv("TERM");
	CHECK(v && !strcmp(v, "xterm"));
	v = getenv("NEW");
	CHECK(v && !strcmp(v, "a=b"));
	v = getenv("EMPTY");
	CHECK(v && !strcmp(v, ""));
	CHECK(getenv("NOEQUALS") == NULL);
	config_free(&cfg);
}

/* The exec file replaces command-line variables, then the OCI config applies under it. */
static void test_exec_env_then_config(void)
{
	struct krun_config exec, cfg;
	const char *v;

	clearenv();
	setenv("HOME", "/", 1);
	setenv("TERM", "linux", 1);
	CHECK_EQ(parse("{\"args\":[\"/bin/x\"],\"Env\":[\"BOTH=exec\",\"HOME=/home/e\",\"ONLY_EXEC=1\"]}",
		       &exec), 0);
	CHECK_EQ(parse("{\"process\":{\"env\":[\"BOTH=cfg\",\"ONLY_CFG=2\",\"PATH=/cfg/bin\",\"HOME=/root\"]}}",
		       &cfg), 0);
	CHECK_EQ(init_apply_exec_env(&exec), 3);
	v = getenv("HOME");
	CHECK(v && !strcmp(v, "/home/e"));
	CHECK_EQ(init_apply_config_env(&cfg), 4);
	v = getenv("BOTH");
	CHECK(v && !strcmp(v, "exec"));
	v = getenv("ONLY_EXEC");
	CHECK(v && !strcmp(v, "1"));
	v = getenv("ONLY_CFG");
	CHECK(v && !strcmp(v, "2"));
	v = getenv("PATH");
	CHECK(v && !strcmp(v, "/cfg/bin"));
	v = getenv("HOME"); /* the config replaces HOME and TERM, as over the command line */
	CHECK(v && !strcmp(v, "/root"));
	config_free(&exec);
	config_free(&cfg);
}

static void test_rlimits_ok(void)
{
	struct rlimit_entry e[4];
	size_t n;

	CHECK_EQ(rlimits_parse("6=4096:8192", e, 4, &n), 0);
	CHECK_EQ(n, 1);
	CHECK(e[0].resource == 6 && e[0].lim.rlim_cur == 4096 && e[0].lim.rlim_max == 8192);

	CHECK_EQ(rlimits_parse("\"7=1:2,4=unlimited:-1,\"", e, 4, &n), 0);
	CHECK_EQ(n, 2);
	CHECK(e[0].resource == 7 && e[0].lim.rlim_cur == 1 && e[0].lim.rlim_max == 2);
	CHECK(e[1].resource == 4 && e[1].lim.rlim_cur == RLIM_INFINITY &&
	      e[1].lim.rlim_max == RLIM_INFINITY);

	CHECK_EQ(rlimits_parse("", e, 4, &n), 0);
	CHECK_EQ(n, 0);
	CHECK_EQ(rlimits_parse("1=18446744073709551615:0", e, 4, &n), 0);
	CHECK_EQ(n, 1);
}

static void test_rlimits_bad(void)
{
	static const char *const bad[] = {
		"6", "6=", "6=1", "6=1:", "=1:2", "x=1:2", "6=a:2", "6=1:2b", "6=1:2,,7=1:2",
		"65=1:2", "-1=1:2", "6=18446744073709551616:1", "6=99999999999999999999999:1",
		"6=1:2:3",
	};
	struct rlimit_entry e[4];
	size_t i, n;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int ret = rlimits_parse(bad[i], e, 4, &n);

		if (ret != -EINVAL)
			printf("  input %s gave %d\n", bad[i], ret);
		CHECK_EQ(ret, -EINVAL);
	}
	/* Entries before the bad one are kept. */
	CHECK_EQ(rlimits_parse("6=1:2,7=3:4,bogus", e, 4, &n), -EINVAL);
	CHECK_EQ(n, 2);
	CHECK_EQ(rlimits_parse("1=1:1,2=1:1,3=1:1", e, 2, &n), -EINVAL);
	CHECK_EQ(n, 2);
}

static void test_cmdline_flag(void)
{
	CHECK(cmdline_has_flag("reboot=k panic=-1 tsi_hijack quiet\n", "tsi_hijack"));
	CHECK(cmdline_has_flag("tsi_hijack", "tsi_hijack"));
	CHECK(cmdline_has_flag("a KRUN_RLIMITS=\"6=1:2\" \"X=a b\" tsi_hijack -- x", "tsi_hijack"));
	CHECK(!cmdline_has_flag("a -- tsi_hijack", "tsi_hijack"));
	CHECK(!cmdline_has_flag("tsi_hijack_unix quiet", "tsi_hijack"));
	CHECK(!cmdline_has_flag("\"X=y tsi_hijack z\" q", "tsi_hijack"));
	CHECK(!cmdline_has_flag("xtsi_hijack", "tsi_hijack"));
	CHECK(!cmdline_has_flag("", "tsi_hijack"));
	CHECK(!cmdline_has_flag("\"unterminated tsi_hijack", "tsi_hijack"));
	CHECK(cmdline_has_flag("--x tsi_hijack", "tsi_hijack"));
}

TEST_MAIN_BEGIN("init-env")
RUN(test_argv_krun_init_wins);
RUN(test_argv_from_config);
RUN(test_argv_default_shell);
RUN(test_config_env);
RUN(test_exec_env_then_config);
RUN(test_rlimits_ok);
RUN(test_rlimits_bad);
RUN(test_cmdline_flag);
TEST_MAIN_END()
