/* tests/fuzz/fuzz-cmdline.c: libFuzzer target for the kernel command-line builder; the oracle re-parses the line as Linux 6.1 does. */
#include <errno.h>
#include <stdbool.h>

#include "api/config.h"
#include "fuzz.h"
#include "vmm/cmdline.h"
#include "vmm/x86_64/layout.h"

#define DEVICES "virtio_mmio.device=4K@0xd0000000:5 virtio_mmio.device=4K@0xd0001000:6"
#define MAX_TOKENS 512

/* Linux lib/ctype.c: the space class includes 0xa0. */
static bool k_isspace(unsigned char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r') || c == 0xa0;
}

static char *k_skip_spaces(char *s)
{
	while (k_isspace(*s))
		s++;
	return s;
}

/* Linux 6.1 lib/cmdline.c next_arg(), the kernel's only tokenizer of the command line. */
static char *k_next_arg(char *args, char **param, char **val)
{
	unsigned i, equals = 0;
	int in_quote = 0, quoted = 0;

	if (*args == '"') {
		args++;
		in_quote = quoted = 1;
	}
	for (i = 0; args[i]; i++) {
		if (k_isspace(args[i]) && !in_quote)
			break;
		if (equals == 0 && args[i] == '=')
			equals = i;
		if (args[i] == '"')
			in_quote = !in_quote;
	}
	*param = args;
	if (!equals) {
		*val = NULL;
	} else {
		args[equals] = '\0';
		*val = args + equals + 1;
		if (**val == '"') {
			(*val)++;
			if (args[i - 1] == '"')
				args[i - 1] = '\0';
		}
	}
	if (quoted && i > 0 && args[i - 1] == '"')
		args[i - 1] = '\0';
	if (args[i]) {
		args[i] = '\0';
		args += i + 1;
	} else {
		args += i;
	}
	return k_skip_spaces(args);
}

/* init/main.c repair_env_string(): what init's argv/envp entry becomes. */
static void k_repair(char *param, char *val)
{
	if (!val)
		return;
	if (val == param + strlen(param) + 1) {
		val[-1] = '=';
	} else {
		FUZZ_ASSERT(val == param + strlen(param) + 2, "kernel would BUG() on this token");
		val[-2] = '=';
		memmove(val - 1, val, strlen(val) + 1);
	}
}

struct ktokens {
	char *before[MAX_TOKENS], *after[MAX_TOKENS];
	size_t nb, na;
	bool dashes;
};

/* parse_args() twice, as start_kernel() does: boot options up to "--", then init's arguments up to the next "--". */
static void k_parse(char *line, struct ktokens *t)
{
	char *args = k_skip_spaces(line), *param, *val;

	while (*args) {
		args = k_next_arg(args, &param, &val);
		if (!val && !strcmp(param, "--")) {
			t->dashes = true;
			break;
		}
		k_repair(param, val);
		FUZZ_ASSERT(t->nb < MAX_TOKENS, "too many tokens");
		t->before[t->nb++] = param;
	}
	if (!t->dashes)
		return;
	args = k_skip_spaces(args);
	while (*args) {
		args = k_next_arg(args, &param, &val);
		if (!val && !strcmp(param, "--"))
			break;
		k_repair(param, val);
		FUZZ_ASSERT(t->na < MAX_TOKENS, "too many tokens");
		t->after[t->na++] = param;
	}
}

struct expect {
	char *kv[MAX_TOKENS];
	size_t n;
};

static void expect_kv(struct expect *e, const char *key, const char *val)
{
	if (!val)
		return;
	if (asprintf(&e->kv[e->n], "%s=%s", key, val) < 0)
		abort();
	e->n++;
}

static void check_line(const struct krun_config *cfg, const char *line)
{
	char *copy = strdup(line), *prolog = strdup(CMDLINE_DEFAULT " " DEVICES);
	struct ktokens t = { 0 }, p = { 0 };
	struct expect e = { 0 };
	size_t off;

	FUZZ_ASSERT(strlen(line) < CMDLINE_MAX_SIZE, "line of %zu bytes", strlen(line));
	k_parse(copy, &t);
	k_parse(prolog, &p);
	expect_kv(&e, "KRUN_INIT", cfg->exec_path);
	expect_kv(&e, "KRUN_WORKDIR", cfg->workdir);
	expect_kv(&e, "KRUN_RLIMITS", cfg->rlimits);
	for (size_t i = 0; i < cfg->env.n; i++)
		if (strchr(cfg->env.v[i], '=') && cfg->env.v[i][0] != '=')
			e.kv[e.n++] = strdup(cfg->env.v[i]);
	FUZZ_ASSERT(t.nb == p.nb + e.n, "%zu boot tokens, expected %zu + %zu", t.nb, p.nb, e.n);
	for (off = 0; off < p.nb; off++)
		FUZZ_ASSERT(!strcmp(t.before[off], p.before[off]), "prolog token %zu changed", off);
	for (size_t i = 0; i < e.n; i++)
		FUZZ_ASSERT(!strcmp(t.before[off + i], e.kv[i]), "guest sees \"%s\" for \"%s\"",
			    t.before[off + i], e.kv[i]);
	FUZZ_ASSERT(t.dashes == (cfg->argv.n > 0), "\"--\" present: %d", t.dashes);
	FUZZ_ASSERT(t.na == cfg->argv.n, "init gets %zu arguments, not %zu", t.na, cfg->argv.n);
	for (size_t i = 0; i < t.na; i++)
		FUZZ_ASSERT(!strcmp(t.after[i], cfg->argv.v[i]), "argument %zu: \"%s\" became \"%s\"",
			    i, cfg->argv.v[i], t.after[i]);
	for (size_t i = 0; i < e.n; i++)
		free(e.kv[i]);
	free(copy);
	free(prolog);
}

static void read_vec(struct fuzz_in *in, struct cfg_strv *sv, unsigned max)
{
	sv->n = fuzz_u8(in) % (max + 1);
	sv->v = calloc(sv->n + 1, sizeof(char *));
	if (!sv->v)
		abort();
	for (size_t i = 0; i < sv->n; i++)
		sv->v[i] = fuzz_str(in, 200);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	struct krun_config cfg;
	uint8_t which = fuzz_u8(&in);
	char *line = NULL;
	int ret;

	cfg_init(&cfg);
	cfg.exec_path = which & 1 ? fuzz_str(&in, 200) : NULL;
	cfg.workdir = which & 2 ? fuzz_str(&in, 200) : NULL;
	cfg.rlimits = which & 4 ? fuzz_str(&in, 200) : NULL;
	cfg.env_set = true;
	read_vec(&in, &cfg.env, 40);
	read_vec(&in, &cfg.argv, 40);

	ret = cmdline_build(&cfg, DEVICES, &line);
	FUZZ_ASSERT(ret == 0 || ret == -EINVAL || ret == -E2BIG, "cmdline_build returned %d", ret);
	if (!ret)
		check_line(&cfg, line);
	free(line);
	cfg_strv_free(&cfg.env);
	cfg_strv_free(&cfg.argv);
	free(cfg.exec_path);
	free(cfg.workdir);
	free(cfg.rlimits);
	return 0;
}
