/* src/api/api-console.c: the implicit console's settings, extra virtio-consoles and their ports, serial ports. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "libkrun.h"
#include "api/api.h"
#include "api/config.h"

/* COM1..COM4 are the only legacy serial ports x86 has. */
#define MAX_SERIALS 4

/* -1 means "none"; anything below cannot be a file descriptor. */
static bool fd_ok(int fd)
{
	return fd >= -1;
}

/* Only one output file makes sense for one implicit console: a second call is -EINVAL. */
static int set_console_output(struct krun_config *cfg, const char *path)
{
	if (cfg->console_output)
		return -EINVAL;
	return cfg_strdup(&cfg->console_output, path);
}

KRUN_API int32_t krun_set_console_output(uint32_t ctx_id, const char *c_filepath)
{
	return CTX_CALL(ctx_id, set_console_output(cfg, c_filepath));
}

static int disable_implicit_console(struct krun_config *cfg)
{
	cfg->implicit_console_disabled = true;
	return 0;
}

KRUN_API int32_t krun_disable_implicit_console(uint32_t ctx_id)
{
	return CTX_CALL(ctx_id, disable_implicit_console(cfg));
}

static int set_kernel_console(struct krun_config *cfg, const char *id)
{
	char *copy;
	int ret = cfg_strdup(&copy, id);

	if (ret)
		return ret;
	free(cfg->kernel_console);
	cfg->kernel_console = copy;
	return 0;
}

KRUN_API int32_t krun_set_kernel_console(uint32_t ctx_id, const char *console_id)
{
	return CTX_CALL(ctx_id, set_kernel_console(cfg, console_id));
}

static struct cfg_console *console_push(struct krun_config *cfg, enum cfg_console_kind kind)
{
	struct cfg_console *c = cfg_array_push((void **)&cfg->consoles, &cfg->nr_consoles, sizeof(*c));

	if (c) {
		c->kind = kind;
		c->in_fd = c->out_fd = c->err_fd = -1;
	}
	return c;
}

static int add_console_default(struct krun_config *cfg, int in, int out, int err)
{
	struct cfg_console *c;

	if (!fd_ok(in) || !fd_ok(out) || !fd_ok(err))
		return -EINVAL;
	c = console_push(cfg, CFG_CONSOLE_DEFAULT);
	if (!c)
		return -ENOMEM;
	c->in_fd = in;
	c->out_fd = out;
	c->err_fd = err;
	return 0;
}

KRUN_API int32_t krun_add_virtio_console_default(uint32_t ctx_id, int input_fd, int output_fd, int err_fd)
{
	return CTX_CALL(ctx_id, add_console_default(cfg, input_fd, output_fd, err_fd));
}

/* The console id is the index in the console list: it is what the port calls take. */
static int add_console_multiport(struct krun_config *cfg)
{
	if (cfg->nr_consoles >= INT32_MAX)
		return -ENOSPC;
	if (!console_push(cfg, CFG_CONSOLE_MULTIPORT))
		return -ENOMEM;
	return (int)(cfg->nr_consoles - 1);
}

KRUN_API int32_t krun_add_virtio_console_multiport(uint32_t ctx_id)
{
	return CTX_CALL(ctx_id, add_console_multiport(cfg));
}

static int add_port(struct krun_config *cfg, uint32_t console_id, const char *name,
		    bool tty, int in, int out)
{
	struct cfg_console_port *p;
	struct cfg_console *c;
	char *copy;
	int ret;

	if (console_id >= cfg->nr_consoles || cfg->consoles[console_id].kind != CFG_CONSOLE_MULTIPORT)
		return -EINVAL;
	c = &cfg->consoles[console_id];
	ret = cfg_strdup(&copy, name);
	if (ret)
		return ret;
	p = cfg_array_push((void **)&c->ports, &c->nr_ports, sizeof(*p));
	if (!p) {
		free(copy);
		return -ENOMEM;
	}
	p->name = copy;
	p->tty = tty;
	p->in_fd = in;
	p->out_fd = out;
	return 0;
}

static int add_port_tty(struct krun_config *cfg, uint32_t console_id, const char *name, int fd)
{
	if (fd < 0)
		return -EINVAL;
	if (!isatty(fd))
		return -ENOTTY;
	return add_port(cfg, console_id, name, true, fd, fd);
}

KRUN_API int32_t krun_add_console_port_tty(uint32_t ctx_id, uint32_t console_id, const char *name, int tty_fd)
{
	return CTX_CALL(ctx_id, add_port_tty(cfg, console_id, name, tty_fd));
}

static int add_port_inout(struct krun_config *cfg, uint32_t console_id, const char *name, int in, int out)
{
	if (!fd_ok(in) || !fd_ok(out))
		return -EINVAL;
	return add_port(cfg, console_id, name, false, in, out);
}

KRUN_API int32_t krun_add_console_port_inout(uint32_t ctx_id, uint32_t console_id, const char *name,
					     int input_fd, int output_fd)
{
	return CTX_CALL(ctx_id, add_port_inout(cfg, console_id, name, input_fd, output_fd));
}

static int add_serial(struct krun_config *cfg, int in, int out)
{
	struct cfg_serial *s;

	if (!fd_ok(in) || !fd_ok(out) || cfg->nr_serials >= MAX_SERIALS)
		return -EINVAL;
	s = cfg_array_push((void **)&cfg->serials, &cfg->nr_serials, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->in_fd = in;
	s->out_fd = out;
	return 0;
}

KRUN_API int32_t krun_add_serial_console_default(uint32_t ctx_id, int input_fd, int output_fd)
{
	return CTX_CALL(ctx_id, add_serial(cfg, input_fd, output_fd));
}
