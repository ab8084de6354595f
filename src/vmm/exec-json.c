/* src/vmm/exec-json.c: argv/env the kernel command line cannot carry, written as a JSON config the guest init reads. */
#include "vmm/exec-json.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/config.h"

/* JSON string with every byte the format requires escaped; UTF-8 passes through. */
static void json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

static void json_array(FILE *f, const char *first, char *const *v, size_t n)
{
	bool comma = false;

	fputc('[', f);
	if (first) {
		json_string(f, first);
		comma = true;
	}
	for (size_t i = 0; v && i < n && v[i]; i++) {
		if (comma)
			fputc(',', f);
		json_string(f, v[i]);
		comma = true;
	}
	fputc(']', f);
}

int exec_json_build(const struct krun_config *cfg, char **out, size_t *len)
{
	char *const *env = cfg_env(cfg);
	size_t nenv = 0;
	FILE *f;

	while (env && env[nenv])
		nenv++;
	f = open_memstream(out, len);
	if (!f)
		return -ENOMEM;
	fputs("{\"args\":", f);
	json_array(f, cfg->exec_path, cfg->argv.v, cfg->argv.n);
	fputs(",\"Env\":", f);
	json_array(f, NULL, env, nenv);
	fputs("}\n", f);
	return fclose(f) ? -ENOMEM : 0;
}
