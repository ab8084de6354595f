/* tests/unit/test-init-config.c: the guest init's JSON config reader against OCI, Docker, muvm and hostile input. */
#include "test.h"

#include <errno.h>
#include <fcntl.h>

#include "../../init/config.c"

static int parse(const char *json, struct krun_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	return config_parse(json, strlen(json), cfg);
}

static void test_oci(void)
{
	struct krun_config cfg;
	const char *json =
		"{\"ociVersion\":\"1.0.2\",\"process\":{\"terminal\":false,"
		"\"user\":{\"uid\":0,\"gid\":0},\"args\":[\"/bin/sh\",\"-c\",\"echo hi\"],"
		"\"env\":[\"PATH=/usr/bin\",\"TERM=xterm\"],\"cwd\":\"/tmp\","
		"\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"hard\":1024,\"soft\":1024}]},"
		"\"root\":{\"path\":\"rootfs\",\"readonly\":true},"
		"\"hooks\":{\"prestart\":[{\"path\":\"/x\",\"args\":[\"hook\"],\"env\":[\"H=1\"]}]}}";

	CHECK_EQ(parse(json, &cfg), 0);
	CHECK_EQ(cfg.args.n, 3);
	CHECK(cfg.args.v && !strcmp(cfg.args.v[0], "/bin/sh") && !strcmp(cfg.args.v[2], "echo hi"));
	CHECK(cfg.args.v && cfg.args.v[3] == NULL);
	CHECK_EQ(cfg.env.n, 2);
	CHECK(cfg.env.v && !strcmp(cfg.env.v[1], "TERM=xterm"));
	CHECK(cfg.cwd && !strcmp(cfg.cwd, "/tmp"));
	CHECK_EQ(cfg.found & CONFIG_HAVE_ENTRYPOINT, 0);
	config_free(&cfg);
}

static void test_docker(void)
{
	struct krun_config cfg;
	const char *json =
		"{\"architecture\":\"amd64\",\"config\":{\"Env\":[\"A=1\",\"B=2\"],"
		"\"Entrypoint\":[\"/ep\",\"--flag\"],\"Cmd\":[\"a\",\"b\"],\"WorkingDir\":\"/w\","
		"\"Labels\":null},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}";

	CHECK_EQ(parse(json, &cfg), 0);
	CHECK_EQ(cfg.entrypoint.n, 2);
	CHECK(cfg.entrypoint.v && !strcmp(cfg.entrypoint.v[1], "--flag"));
	CHECK_EQ(cfg.args.n, 2);
	CHECK(cfg.args.v && !strcmp(cfg.args.v[0], "a"));
	CHECK_EQ(cfg.env.n, 2);
	CHECK(cfg.cwd && !strcmp(cfg.cwd, "/w"));
	config_free(&cfg);
}

/* muvm writes {"Config":{"Cmd":[...],"Env":[...]}} and relies on the any-depth search. */
static void test_muvm_nested(void)
{
	struct krun_config cfg;

	CHECK_EQ(parse("{\"Config\":{\"Cmd\":[\"muvm-guest\",\"/run/cfg\"],\"Env\":[\"X=1\"]}}", &cfg), 0);
	CHECK_EQ(cfg.args.n, 2);
	CHECK(cfg.args.v && !strcmp(cfg.args.v[0], "muvm-guest"));
	CHECK_EQ(cfg.env.n, 1);
	CHECK(cfg.cwd == NULL);
	config_free(&cfg);
}

static void test_case_and_first_wins(void)
{
	struct krun_config cfg;

	CHECK_EQ(parse("{\"a\":{\"ARGS\":[\"first\"]},\"cMd\":[\"second\"],\"CWD\":\"/1\","
		       "\"workingdir\":\"/2\"}", &cfg), 0);
	CHECK_EQ(cfg.args.n, 1);
	CHECK(cfg.args.v && !strcmp(cfg.args.v[0], "first"));
	CHECK(cfg.cwd && !strcmp(cfg.cwd, "/1"));
	config_free(&cfg);
}

/* Docker writes "Entrypoint": null; a later well-typed key must still count. */
static void test_wrong_types_skipped(void)
{
	struct krun_config cfg;

	CHECK_EQ(parse("{\"Entrypoint\":null,\"args\":[1,\"x\"],\"Cwd\":7,"
		       "\"x\":[{\"Entrypoint\":[\"e\"],\"Cmd\":[\"c\"],\"cwd\":\"/d\"}]}", &cfg), 0);
	CHECK_EQ(cfg.entrypoint.n, 1);
	CHECK(cfg.entrypoint.v && !strcmp(cfg.entrypoint.v[0], "e"));
	CHECK_EQ(cfg.args.n, 1);
	CHECK(cfg.args.v && !strcmp(cfg.args.v[0], "c"));
	CHECK(cfg.cwd && !strcmp(cfg.cwd, "/d"));
	config_free(&cfg);
}

static void test_empty_array_counts(void)
{
	struct krun_config cfg;

	CHECK_EQ(parse("{\"args\":[],\"z\":{\"args\":[\"late\"]}}", &cfg), 0);
	CHECK(cfg.found & CONFIG_HAVE_ARGS);
	CHECK_EQ(cfg.args.n, 0);
	CHECK(cfg.args.v && cfg.args.v[0] == NULL);
	config_free(&cfg);
}

static void test_escapes(void)
{
	struct krun_config cfg;
	const char *json = "{\"args\":[\"a\\\"b\\\\c\\nd\\t\\/\\u00e9\\u20AC\\ud83d\\ude00\","
			   "\"\\ud800x\",\"\\udc00\",\"\\ud800\\u0041\"]}";

	CHECK_EQ(parse(json, &cfg), 0);
	CHECK_EQ(cfg.args.n, 4);
	if (cfg.args.n == 4) {
		CHECK(!strcmp(cfg.args.v[0], "a\"b\\c\nd\t/\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"));
		CHECK(!strcmp(cfg.args.v[1], "\xef\xbf\xbdx"));
		CHECK(!strcmp(cfg.args.v[2], "\xef\xbf\xbd"));
		CHECK(!strcmp(cfg.args.v[3], "\xef\xbf\xbd" "A"));
	}
	config_free(&cfg);
}

static void test_escapes_in_keys(void)
{
	struct krun_config cfg;

	CHECK_EQ(parse("{\"\\u0065nv\":[\"K=V\"]}", &cfg), 0);
	CHECK_EQ(cfg.env.n, 1);
	config_free(&cfg);
}

static void test_rejects(void)
{
	static const char *const bad[] = {
		"", " ", "{", "}", "[", "{\"a\"}", "{\"a\":}", "{\"a\":1,}", "[1,]", "[1 2]",
		"{\"args\":[\"x\"]} trailing", "{\"a\":tru}", "{\"a\":nul}", "01", "-", "1.", "1e",
		"\"\\u0000\"", "{\"args\":[\"a\\u0000b\"]}", "\"\\x\"", "\"\\u12\"", "\"\\u12g4\"",
		"\"a\nb\"", "\"abc", "{'a':1}", "{\"a\" 1}", "[\"\\", "\"\\ud800\\u00",
		"{\"args\":[\"x\"],\"args\":", "{\"a\":[1}", "[{]", "{1:2}",
	};
	struct krun_config cfg;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int ret = parse(bad[i], &cfg);

		if (ret != -EINVAL)
			printf("  input %zu (%s) gave %d\n", i, bad[i], ret);
		CHECK_EQ(ret, -EINVAL);
		CHECK(cfg.args.v == NULL && cfg.env.v == NULL && cfg.cwd == NULL);
	}
}

static void test_accepts_scalars(void)
{
	static const char *const good[] = {
		"0", "-0", "1.5e+3", "-12.25E-2", "true", "false", "null", "\"s\"", "[]", "{}",
		" \t\r\n{ \"a\" : [ 1 , { } , [ ] , \"x\" ] }\n",
	};
	struct krun_config cfg;
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		CHECK_EQ(parse(good[i], &cfg), 0);
		config_free(&cfg);
	}
}

/* Every prefix of a valid document is invalid, and must neither crash nor keep results. */
static void test_truncations(void)
{
	const char *json = "{\"Config\":{\"Env\":[\"A=\\u00e9\"],\"Cmd\":[\"x\",\"y\"],"
			   "\"WorkingDir\":\"/w\",\"n\":[1.5,-2e3,true,false,null]}}";
	struct krun_config cfg;
	size_t len = strlen(json), i;

	for (i = 0; i < len; i++) {
		memset(&cfg, 0, sizeof(cfg));
		CHECK_EQ(config_parse(json, i, &cfg), -EINVAL);
		CHECK(cfg.found == 0);
	}
	memset(&cfg, 0, sizeof(cfg));
	CHECK_EQ(config_parse(json, len, &cfg), 0);
	CHECK_EQ(cfg.found, CONFIG_HAVE_ARGS | CONFIG_HAVE_ENV | CONFIG_HAVE_CWD);
	config_free(&cfg);
}

/* Deep nesting must be refused without recursing the stack away. */
static void test_deep_nesting(void)
{
	size_t n = 1 << 20, i;
	char *buf = malloc(2 * n);
	struct krun_config cfg = { 0 };

	for (i = 0; i < n; i++) {
		buf[i] = '[';
		buf[2 * n - 1 - i] = ']';
	}
	CHECK_EQ(config_parse(buf, 2 * n, &cfg), -EINVAL);
	/* Exactly the limit is fine. */
	memset(buf, '[', CONFIG_MAX_DEPTH);
	memset(buf + CONFIG_MAX_DEPTH, ']', CONFIG_MAX_DEPTH);
	CHECK_EQ(config_parse(buf, 2 * CONFIG_MAX_DEPTH, &cfg), 0);
	CHECK_EQ(config_parse(buf, 2 * CONFIG_MAX_DEPTH - 1, &cfg), -EINVAL);
	free(buf);
}

static void test_too_many_items(void)
{
	size_t n = CONFIG_MAX_ITEMS + 1, i, at = 0;
	char *buf = malloc(16 + 4 * n);
	struct krun_config cfg = { 0 };

	at += (size_t)sprintf(buf, "{\"args\":[");
	for (i = 0; i < n; i++)
		at += (size_t)sprintf(buf + at, "%s\"a\"", i ? "," : "");
	at += (size_t)sprintf(buf + at, "]}");
	CHECK_EQ(config_parse(buf, at, &cfg), -EINVAL);
	free(buf);
}

static uint32_t rng_state = 12345;

static uint32_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return rng_state;
}

/* Mutations of a valid document: any outcome but a crash (run with SANITIZE=1 for memory errors). */
static void test_fuzz_mutations(void)
{
	const char *seed = "{\"Config\":{\"Entrypoint\":[\"/e\"],\"Env\":[\"A=\\u00e9\\ud83d\\ude00\"],"
			   "\"Cmd\":[\"x\",\"\\\"y\\\\\"],\"Cwd\":\"/w\",\"n\":[1.5,-2e3,true,null,{}]}}";
	static const char alphabet[] = "{}[]\",:\\u0123456789abcdefntrl-+.eE \n\x01\xff";
	size_t len = strlen(seed), i, k;
	char buf[256];

	for (i = 0; i < 50000; i++) {
		struct krun_config cfg = { 0 };
		size_t n = len;

		memcpy(buf, seed, len);
		for (k = 0; k < 1 + rnd() % 4; k++) {
			size_t pos = rnd() % n;

			switch (rnd() % 3) {
			case 0:
				buf[pos] = alphabet[rnd() % (sizeof(alphabet) - 1)];
				break;
			case 1:
				memmove(buf + pos, buf + pos + 1, n - pos - 1);
				n--;
				break;
			default:
				if (n < sizeof(buf) - 1) {
					memmove(buf + pos + 1, buf + pos, n - pos);
					buf[pos] = alphabet[rnd() % (sizeof(alphabet) - 1)];
					n++;
				}
			}
		}
		/* An exact-size heap copy lets ASan see any read past the end. */
		char *heap = malloc(n);

		memcpy(heap, buf, n);
		if (config_parse(heap, n, &cfg) == 0)
			config_free(&cfg);
		free(heap);
	}
}

static void test_fuzz_random(void)
{
	unsigned char buf[64];
	size_t i, k;

	for (i = 0; i < 50000; i++) {
		struct krun_config cfg = { 0 };
		size_t n = rnd() % sizeof(buf);
		char *heap;

		for (k = 0; k < n; k++)
			buf[k] = "{}[]\":,\\ua1\"e0-"[rnd() % 15];
		heap = malloc(n ? n : 1);
		memcpy(heap, buf, n);
		if (config_parse(heap, n, &cfg) == 0)
			config_free(&cfg);
		free(heap);
	}
}

static int write_file(const char *path, const char *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ssize_t w;

	if (fd < 0)
		return -1;
	w = write(fd, data, len);
	close(fd);
	return (size_t)w == len ? 0 : -1;
}

static void test_load(void)
{
	char path[] = "/tmp/krun-init-config-XXXXXX";
	struct krun_config cfg = { 0 };
	const char *json = "{\"process\":{\"args\":[\"/bin/true\"]}}";
	size_t big = CONFIG_MAX_BYTES + 1;
	char *buf;
	int fd = mkstemp(path);

	CHECK(fd >= 0);
	close(fd);
	CHECK_EQ(write_file(path, json, strlen(json)), 0);
	CHECK_EQ(config_load(path, &cfg), 0);
	CHECK(cfg.args.n == 1 && !strcmp(cfg.args.v[0], "/bin/true"));
	config_free(&cfg);

	buf = malloc(big);
	memset(buf, ' ', big);
	buf[0] = '{';
	buf[1] = '}';
	CHECK_EQ(write_file(path, buf, big), 0);
	CHECK_EQ(config_load(path, &cfg), -EFBIG);
	free(buf);
	unlink(path);
	CHECK_EQ(config_load(path, &cfg), -ENOENT);
}

TEST_MAIN_BEGIN("init-config")
RUN(test_oci);
RUN(test_docker);
RUN(test_muvm_nested);
RUN(test_case_and_first_wins);
RUN(test_wrong_types_skipped);
RUN(test_empty_array_counts);
RUN(test_escapes);
RUN(test_escapes_in_keys);
RUN(test_rejects);
RUN(test_accepts_scalars);
RUN(test_truncations);
RUN(test_deep_nesting);
RUN(test_too_many_items);
RUN(test_fuzz_mutations);
RUN(test_fuzz_random);
RUN(test_load);
TEST_MAIN_END()
