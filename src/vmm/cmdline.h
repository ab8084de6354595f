/* src/vmm/cmdline.h: the guest kernel command line: prolog, device tokens, init's environment and argv. */
#ifndef KRUN_VMM_CMDLINE_H
#define KRUN_VMM_CMDLINE_H

#include <stddef.h>

struct krun_config;

/* Upstream's default prolog; reboot=k,panic_warm lets the VMM tell a panic from a reboot. */
#define CMDLINE_DEFAULT                                                        \
	"reboot=k,panic_warm panic=-1 panic_print=0 nomodule console=hvc0 "   \
	"rootfstype=virtiofs rw quiet no-kvmapf init=/init.krun"

struct cmdline {
	char *buf;
	size_t len, cap;
	int error;	/* first error: -ENOMEM or -EINVAL (unencodable string) */
};

void cmdline_init(struct cmdline *c);
void cmdline_free(struct cmdline *c);

/* Append a space-separated token as is. */
void cmdline_add(struct cmdline *c, const char *token);

/* Append "s" in double quotes (the guest kernel strips them); s must be printable ASCII without '"'. */
void cmdline_add_quoted(struct cmdline *c, const char *s);

/*
 * Build the whole line for (cfg): prolog (or cfg->kernel_cmdline), console
 * rewrite, (devices) tokens, KRUN_* variables, the environment, then "--" and
 * the arguments. Returns 0 and a heap string in (*out), -EINVAL when a string
 * cannot travel on the command line, -E2BIG when the line is over the guest's
 * 2048-byte limit, -ENOMEM.
 */
int cmdline_build(const struct krun_config *cfg, const char *devices, char **out);

#endif
