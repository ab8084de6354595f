/* src/vmm/cmdline.c: builds the kernel command line that carries the workload's argv/env to the guest init. */
#include "vmm/cmdline.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/config.h"
#include "util/log.h"
#include "vmm/x86_64/layout.h"

void cmdline_init(struct cmdline *c)
{
	*c = (struct cmdline){ 0 };
}

void cmdline_free(struct cmdline *c)
{
	free(c->buf);
	cmdline_init(c);
}

static void cmdline_put(struct cmdline *c, const char *s, size_t n)
{
	if (c->error)
		return;
	if (c->len + n + 1 > c->cap) {
		size_t cap = (c->len + n + 1) * 2;
		char *b = realloc(c->buf, cap);

		if (!b) {
			c->error = -ENOMEM;
			return;
		}
		c->buf = b;
		c->cap = cap;
	}
	memcpy(c->buf + c->len, s, n);
	c->len += n;
	c->buf[c->len] = '\0';
}

void cmdline_add(struct cmdline *c, const char *token)
{
	if (c->len)
		cmdline_put(c, " ", 1);
	cmdline_put(c, token, strlen(token));
}

/* The kernel's parser has no escapes: a '"' or a control byte cannot be carried. */
static bool cmdline_encodable(const char *s)
{
	for (; *s; s++)
		if (*s < ' ' || *s > '~' || *s == '"')
			return false;
	return true;
}

void cmdline_add_quoted(struct cmdline *c, const char *s)
{
	if (!cmdline_encodable(s)) {
		log_debug("cmdline: \"%s\" has a double quote or a non-printable byte "
			  "and cannot be passed on the kernel command line", s);
		if (!c->error)
			c->error = -EINVAL;
		return;
	}
	if (c->len)
		cmdline_put(c, " ", 1);
	cmdline_put(c, "\"", 1);
	cmdline_put(c, s, strlen(s));
	cmdline_put(c, "\"", 1);
}

/* Put the prolog, with console=hvc0 rewritten when krun_set_kernel_console was used. */
static void cmdline_prolog(struct cmdline *c, const struct krun_config *cfg)
{
	const char *p = cfg->kernel_cmdline ? cfg->kernel_cmdline : CMDLINE_DEFAULT;
	char *copy = strdup(p), *save = NULL;

	if (!copy) {
		c->error = -ENOMEM;
		return;
	}
	for (char *t = strtok_r(copy, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
		if (cfg->kernel_console && !strcmp(t, "console=hvc0")) {
			cmdline_add(c, "console=");
			cmdline_put(c, cfg->kernel_console, strlen(cfg->kernel_console));
		} else {
			cmdline_add(c, t);
		}
	}
	free(copy);
}

static void cmdline_kv(struct cmdline *c, const char *key, const char *val, bool quote)
{
	char *tok;

	if (asprintf(&tok, "%s=%s", key, val) < 0) {
		c->error = -ENOMEM;
		return;
	}
	if (quote || !cmdline_encodable(tok) || strchr(tok, ' '))
		cmdline_add_quoted(c, tok);
	else
		cmdline_add(c, tok);
	free(tok);
}

static void cmdline_env(struct cmdline *c, const struct krun_config *cfg)
{
	char *const *env = cfg_env(cfg);

	if (cfg->exec_path)
		cmdline_kv(c, "KRUN_INIT", cfg->exec_path, false);
	if (cfg->workdir)
		cmdline_kv(c, "KRUN_WORKDIR", cfg->workdir, false);
	if (cfg->rlimits)
		cmdline_kv(c, "KRUN_RLIMITS", cfg->rlimits, true);
	if (cfg->remount_device)
		cmdline_kv(c, "KRUN_BLOCK_ROOT_DEVICE", cfg->remount_device, false);
	if (cfg->remount_fstype)
		cmdline_kv(c, "KRUN_BLOCK_ROOT_FSTYPE", cfg->remount_fstype, false);
	if (cfg->remount_options)
		cmdline_kv(c, "KRUN_BLOCK_ROOT_OPTIONS", cfg->remount_options, false);
	for (; env && *env; env++) {
		/* Only K=V entries become environment; anything else would turn into an init argument. */
		if (!strchr(*env, '=') || **env == '=')
			continue;
		cmdline_add_quoted(c, *env);
	}
}

/*
 * The guest kernel panics on more than 32 init environment entries or
 * arguments (HOME and TERM, and init itself, take one each): refuse them here.
 */
#define GUEST_MAX_INIT_ENVS	30
#define GUEST_MAX_INIT_ARGS	31

static int cmdline_count_env(const struct krun_config *cfg)
{
	char *const *env = cfg_env(cfg);
	int n = !!cfg->exec_path + !!cfg->workdir + !!cfg->rlimits +
		!!cfg->remount_device + !!cfg->remount_fstype + !!cfg->remount_options;

	for (; env && *env; env++)
		n += strchr(*env, '=') && **env != '=';
	return n;
}

/*
 * An argument of init. The kernel ends init's arguments at a second "--"
 * (parse_args() stops at "--" on both passes, quoted or not), so such an
 * argument cannot travel on the command line either.
 */
static void cmdline_add_arg(struct cmdline *c, const char *arg)
{
	if (!strcmp(arg, "--")) {
		log_debug("cmdline: the argument \"--\" would end the guest kernel's list of "
			  "init arguments");
		if (!c->error)
			c->error = -EINVAL;
		return;
	}
	cmdline_add_quoted(c, arg);
}

int cmdline_build(const struct krun_config *cfg, const char *devices, char **out)
{
	struct cmdline c;

	if (cmdline_count_env(cfg) > GUEST_MAX_INIT_ENVS ||
	    cfg->argv.n > GUEST_MAX_INIT_ARGS) {
		log_debug("cmdline: %d environment entries and %zu arguments; the guest "
			"kernel takes at most %d and %d: pass them through /.krun_config.json",
			cmdline_count_env(cfg), cfg->argv.n, GUEST_MAX_INIT_ENVS,
			GUEST_MAX_INIT_ARGS);
		return -E2BIG;
	}

	cmdline_init(&c);
	cmdline_prolog(&c, cfg);
	if (devices && *devices)
		cmdline_add(&c, devices);
	cmdline_env(&c, cfg);
	if (cfg->argv.n) {
		cmdline_add(&c, "--");
		for (size_t i = 0; i < cfg->argv.n; i++)
			cmdline_add_arg(&c, cfg->argv.v[i]);
	}
	if (c.error) {
		int ret = c.error;

		cmdline_free(&c);
		return ret;
	}
	if (c.len >= CMDLINE_MAX_SIZE) {
		log_debug("cmdline: the kernel command line is %zu bytes, over the guest's "
			"limit of %d; pass large environments through /.krun_config.json",
			c.len + 1, CMDLINE_MAX_SIZE);
		cmdline_free(&c);
		return -E2BIG;
	}
	*out = c.buf;
	return 0;
}
