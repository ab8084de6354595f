/* src/vmm/consoles.c: turns the console configuration into virtio-console ports (upstream's autoconfiguration) and owns terminal modes. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <termios.h>
#include <unistd.h>

#include "api/config.h"
#include "devices/virtio-devices.h"
#include "util/log.h"
#include "vmm/vmm-internal.h"

#define MAX_PORTS 31

struct term_saved {
	int fd;
	struct termios tio;
};

struct console_build {
	struct vtcon_port_cfg ports[MAX_PORTS];
	unsigned n;
	int term_fd;	/* terminal behind port 0, -1 if none */
};

/* A console whose port 0 follows the size of a host terminal. */
struct winch_target {
	struct vdev *dev;
	int term_fd;
};

static void term_restore(void *arg)
{
	struct term_saved *t = arg;

	tcsetattr(t->fd, TCSANOW, &t->tio);
}

/* Raw mode on (fd) until the process exits; (keep_isig) leaves Ctrl-C to the host. */
static int term_make_raw(struct vmm *v, int fd, bool keep_isig)
{
	struct term_saved *t = calloc(1, sizeof(*t));
	struct termios raw;

	if (!t)
		return -ENOMEM;
	if (tcgetattr(fd, &t->tio) < 0) {
		free(t);
		return 0; /* not a terminal after all: nothing to restore */
	}
	t->fd = fd;
	raw = t->tio;
	cfmakeraw(&raw);
	if (keep_isig)
		raw.c_lflag |= ISIG;
	if (tcsetattr(fd, TCSANOW, &raw) < 0) {
		free(t);
		return -errno;
	}
	return vmm_at_exit(v, term_restore, t);
}

static void term_size(int fd, struct vtcon_port_cfg *p)
{
	struct winsize ws;

	if (fd >= 0 && ioctl(fd, TIOCGWINSZ, &ws) == 0) {
		p->cols = ws.ws_col;
		p->rows = ws.ws_row;
	}
}

/* The devices keep their own copy of the caller's fds. */
static int dup_fd(struct vmm *v, int fd)
{
	return fd < 0 ? -1 : vmm_own_fd(v, fcntl(fd, F_DUPFD_CLOEXEC, 3));
}

static void add_port(struct console_build *b, const char *name, bool console, int in, int out)
{
	if (b->n < MAX_PORTS)
		b->ports[b->n++] = (struct vtcon_port_cfg){
			.name = name, .console = console, .in_fd = in, .out_fd = out,
		};
}

/* Upstream's rules for the implicit console and krun_add_virtio_console_default (ref §10). */
static int console_default(struct vmm *v, struct console_build *b, int in, int out, int err)
{
	bool in_tty = in >= 0 && isatty(in), out_tty = out >= 0 && isatty(out);
	bool err_tty = err >= 0 && isatty(err);
	int term = in_tty ? in : out_tty ? out : err_tty ? err : -1;
	int ret = 0;

	b->term_fd = term;
	if (term >= 0)
		ret = term_make_raw(v, term, !in_tty);
	if (ret)
		return ret;
	add_port(b, NULL, true, in_tty ? dup_fd(v, in) : -1, out_tty ? dup_fd(v, out) : VTCON_OUT_LOG);
	term_size(term, &b->ports[0]);
	if (in >= 0 && !in_tty)
		add_port(b, "krun-stdin", false, dup_fd(v, in), -1);
	if (out >= 0 && !out_tty)
		add_port(b, "krun-stdout", false, -1, dup_fd(v, out));
	if (err >= 0 && !err_tty)
		add_port(b, "krun-stderr", false, -1, dup_fd(v, err));
	return 0;
}

static int console_output_file(struct vmm *v, struct console_build *b)
{
	int fd = vmm_own_fd(v, open(v->cfg->console_output,
				    O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));

	if (fd < 0) {
		log_err("console: cannot open %s: %s", v->cfg->console_output, strerror(errno));
		return -errno;
	}
	add_port(b, NULL, true, -1, fd);
	term_size(STDIN_FILENO, &b->ports[0]);
	return 0;
}

static int console_multiport(struct vmm *v, struct console_build *b, const struct cfg_console *cc)
{
	for (size_t i = 0; i < cc->nr_ports; i++) {
		const struct cfg_console_port *p = &cc->ports[i];

		if (p->tty) {
			int ret = term_make_raw(v, p->in_fd, false);

			if (ret)
				return ret;
			add_port(b, p->name, true, dup_fd(v, p->in_fd), dup_fd(v, p->in_fd));
			term_size(p->in_fd, &b->ports[b->n - 1]);
		} else {
			add_port(b, p->name, false, dup_fd(v, p->in_fd), dup_fd(v, p->out_fd));
		}
	}
	if (!b->n) /* a console with no ports still needs port 0 for the driver */
		add_port(b, NULL, false, -1, -1);
	return 0;
}

/* Host signals to relay to the workload; SIGINT only while the terminal does not carry ^C. */
static const int relayed_signals[] = { SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGINT };

static void console_signal(void *opaque, int fd, uint32_t events)
{
	int *pipe_w = opaque;
	struct signalfd_siginfo si;
	uint8_t sig;

	if (read(fd, &si, sizeof(si)) != sizeof(si))
		return;
	sig = si.ssi_signo;
	if (write(*pipe_w, &sig, 1) != 1)
		log_warn_once("console: cannot relay signal %u to the guest", sig);
	else
		log_info("console: relayed signal %u to the guest", sig);
}

void vmm_unblock_signals(void)
{
	sigset_t set;

	sigemptyset(&set);
	for (size_t i = 0; i < sizeof(relayed_signals) / sizeof(relayed_signals[0]); i++)
		sigaddset(&set, relayed_signals[i]);
	sigaddset(&set, SIGWINCH);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
}

/*
 * The "krun-signals" port: the guest init reads one byte per signal the VMM
 * process received and sends that signal to the workload, so "podman stop"
 * (SIGTERM) reaches the process in the VM instead of killing the VM.
 */
static int console_signal_port(struct vmm *v, struct console_build *b, bool with_sigint)
{
	int *pipe_fds = calloc(2, sizeof(int));
	sigset_t set;
	int sfd;

	if (!pipe_fds)
		return -ENOMEM;
	if (pipe2(pipe_fds, O_CLOEXEC) < 0) {
		free(pipe_fds);
		return -errno;
	}
	sigemptyset(&set);
	for (size_t i = 0; i < sizeof(relayed_signals) / sizeof(relayed_signals[0]); i++)
		if (relayed_signals[i] != SIGINT || with_sigint)
			sigaddset(&set, relayed_signals[i]);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	vmm_own_fd(v, pipe_fds[0]);
	vmm_own_fd(v, pipe_fds[1]);
	sfd = vmm_own_fd(v, signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK));
	if (sfd < 0)
		return -errno;
	add_port(b, "krun-signals", false, pipe_fds[0], -1);
	return ev_add(&v->vm.loop, sfd, EPOLLIN, console_signal, &pipe_fds[1]);
}

static void console_flush(void *arg)
{
	vtcon_flush(arg);
}

static void console_winch(void *opaque, int fd, uint32_t events)
{
	struct winch_target *t = opaque;
	struct signalfd_siginfo si;
	struct winsize ws;

	if (read(fd, &si, sizeof(si)) != sizeof(si))
		return;
	if (ioctl(t->term_fd, TIOCGWINSZ, &ws) == 0)
		vtcon_resize(t->dev, 0, ws.ws_col, ws.ws_row);
}

/*
 * SIGWINCH is taken through a signalfd on the event loop; it is blocked here,
 * before any VMM thread exists, so every thread inherits the mask.
 */
static int console_follow_winch(struct vmm *v, struct vdev *dev, int term_fd)
{
	struct winch_target *t = calloc(1, sizeof(*t));
	sigset_t set;
	int fd;

	if (!t)
		return -ENOMEM;
	sigemptyset(&set);
	sigaddset(&set, SIGWINCH);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	fd = vmm_own_fd(v, signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK));
	if (fd < 0) {
		free(t);
		return -errno;
	}
	*t = (struct winch_target){ .dev = dev, .term_fd = term_fd };
	return ev_add(&v->vm.loop, fd, EPOLLIN, console_winch, t);
}

static int console_attach(struct vmm *v, struct console_build *b)
{
	struct vdev *dev;
	int ret = vtcon_create(&v->vm.mem, &v->vm.loop, b->ports, b->n, &dev);

	if (!ret)
		ret = vmm_attach_virtio(v, dev);
	if (!ret)
		ret = vmm_at_exit(v, console_flush, dev);
	if (!ret && b->term_fd >= 0)
		ret = console_follow_winch(v, dev, b->term_fd);
	return ret;
}

int vmm_create_consoles(struct vmm *v)
{
	const struct krun_config *cfg = v->cfg;
	struct console_build b;
	int ret = 0;

	if (!cfg->implicit_console_disabled) {
		b.n = 0;
		b.term_fd = -1;
		if (cfg->console_output)
			ret = console_output_file(v, &b);
		else
			ret = console_default(v, &b, STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO);
		if (!ret)
			ret = console_signal_port(v, &b, !isatty(STDIN_FILENO));
		if (!ret)
			ret = console_attach(v, &b);
	}
	for (size_t i = 0; !ret && i < cfg->nr_consoles; i++) {
		const struct cfg_console *cc = &cfg->consoles[i];

		b.n = 0;
		b.term_fd = -1;
		if (cc->kind == CFG_CONSOLE_DEFAULT)
			ret = console_default(v, &b, cc->in_fd, cc->out_fd, cc->err_fd);
		else
			ret = console_multiport(v, &b, cc);
		if (!ret)
			ret = console_attach(v, &b);
	}
	if (ret)
		log_err("console: %s", strerror(-ret));
	return ret;
}
