/* examples/chroot_vm.c: runs COMMAND inside a microVM whose root filesystem is the host directory NEWROOT. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <libkrun.h>

enum net_mode {
	NET_MODE_TSI,
	NET_MODE_PASST,
};

struct cmdline {
	int log_fd;
	uint32_t log_style;
	enum net_mode net_mode;
	const char *passt_socket;
	const char *new_root;
	char *const *guest_argv;	/* COMMAND [ARGS...] */
};

static void print_help(const char *name)
{
	fprintf(stderr,
		"Usage: %s [OPTIONS] NEWROOT COMMAND [COMMAND_ARGS...]\n"
		"OPTIONS:\n"
		"        -h    --help                Show help\n"
		"              --log=PATH            Write libkrun log to file or named pipe at PATH\n"
		"              --color-log=PATH      Write libkrun log to file or named pipe at PATH, use color\n"
		"              --net_mode=NET_MODE   Set network mode (TSI or PASST, default TSI)\n"
		"              --passt-socket=PATH   Connect to passt socket at PATH instead of starting passt\n"
		"\n"
		"NEWROOT:        the root directory of the VM\n"
		"COMMAND:        the command to run inside the VM\n"
		"COMMAND_ARGS:   arguments passed to COMMAND\n",
		name);
}

static int open_log(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);

	if (fd < 0)
		perror("Failed to open log file");
	return fd;
}

/* Returns 0 on success, 1 to exit successfully (--help), -1 on a usage error. */
static int parse_cmdline(int argc, char *const argv[], struct cmdline *cmd)
{
	static const struct option long_options[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "log", required_argument, NULL, 'L' },
		{ "color-log", required_argument, NULL, 'C' },
		{ "net_mode", required_argument, NULL, 'N' },
		{ "passt-socket", required_argument, NULL, 'P' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	*cmd = (struct cmdline){
		.log_fd = KRUN_LOG_TARGET_DEFAULT,
		.log_style = KRUN_LOG_STYLE_AUTO,
		.net_mode = NET_MODE_TSI,
	};
	/* "+": stop at NEWROOT so COMMAND's own options are left alone. */
	while ((c = getopt_long(argc, argv, "+h", long_options, NULL)) != -1) {
		switch (c) {
		case 'h':
			print_help(argv[0]);
			return 1;
		case 'L':
		case 'C':
			cmd->log_fd = open_log(optarg);
			if (cmd->log_fd < 0)
				return -1;
			cmd->log_style = c == 'C' ? KRUN_LOG_STYLE_ALWAYS : KRUN_LOG_STYLE_NEVER;
			break;
		case 'N':
			if (!strcasecmp(optarg, "TSI")) {
				cmd->net_mode = NET_MODE_TSI;
			} else if (!strcasecmp(optarg, "PASST")) {
				cmd->net_mode = NET_MODE_PASST;
			} else {
				fprintf(stderr, "Unknown mode %s\n", optarg);
				return -1;
			}
			break;
		case 'P':
			cmd->passt_socket = optarg;
			break;
		default:
			return -1;
		}
	}
	if (argc - optind < 2) {
		fprintf(stderr, "Missing NEWROOT or COMMAND argument\n");
		print_help(argv[0]);
		return -1;
	}
	cmd->new_root = argv[optind];
	cmd->guest_argv = &argv[optind + 1];
	return 0;
}

/* Starts "passt -f --fd N" on one end of a socket pair; returns our end or -1. */
static int start_passt(void)
{
	char fd_str[16];
	int sv[2];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0) {
		perror("Failed to create passt socket pair");
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		perror("fork");
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (pid == 0) {
		close(sv[0]);
		snprintf(fd_str, sizeof(fd_str), "%d", sv[1]);
		execlp("passt", "passt", "-f", "--fd", fd_str, (char *)NULL);
		perror("Failed to execute passt");
		_exit(1);
	}
	close(sv[1]);
	return sv[0];
}

/* A VM without networking is still useful, so a missing network backend is only a warning. */
static int net_result(int err, const char *what)
{
	if (err == -ENOTSUP || err == -ENODEV) {
		fprintf(stderr, "Warning: %s: %s; continuing without networking\n", what,
			strerror(-err));
		return 0;
	}
	if (err) {
		errno = -err;
		perror(what);
		return -1;
	}
	return 0;
}

static int setup_network(uint32_t ctx_id, const struct cmdline *cmd)
{
	static const char *const port_map[] = { "18000:8000", NULL };
	uint8_t mac[6] = { 0x5a, 0x94, 0xef, 0xe4, 0x0c, 0xee };
	int fd;

	if (cmd->net_mode == NET_MODE_TSI)
		return net_result(krun_set_port_map(ctx_id, port_map), "Error configuring port map");
	if (cmd->passt_socket)
		return net_result(krun_add_net_unixstream(ctx_id, cmd->passt_socket, -1, mac,
							  COMPAT_NET_FEATURES, 0),
				  "Error configuring net mode");
	fd = start_passt();
	if (fd < 0)
		return -1;
	return net_result(krun_add_net_unixstream(ctx_id, NULL, fd, mac, COMPAT_NET_FEATURES, 0),
			  "Error configuring net mode");
}

/* virtio-fs keeps an fd per guest inode, so the soft limit would be reached quickly. */
static int raise_nofile_limit(void)
{
	struct rlimit rlim;

	if (getrlimit(RLIMIT_NOFILE, &rlim) < 0) {
		perror("getrlimit");
		return -1;
	}
	rlim.rlim_cur = rlim.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rlim) < 0) {
		perror("setrlimit");
		return -1;
	}
	return 0;
}

static int check(int err, const char *what)
{
	if (err < 0) {
		errno = -err;
		perror(what);
		return -1;
	}
	return 0;
}

static int configure_vm(uint32_t ctx_id, const struct cmdline *cmd)
{
	static const char *const rlimits[] = { "6=4096:8192", NULL };
	static const char *const envp[] = { "TEST=works", NULL };
	int err;

	/* 4 vCPUs and 4 GiB of RAM, as upstream's example uses. */
	if (check(krun_set_vm_config(ctx_id, 4, 4096), "Error configuring the number of vCPUs and/or the amount of RAM"))
		return -1;
	if (raise_nofile_limit())
		return -1;
	if (check(krun_set_root(ctx_id, cmd->new_root), "Error configuring root path"))
		return -1;
	err = krun_set_gpu_options(ctx_id, VIRGLRENDERER_USE_EGL | VIRGLRENDERER_DRM |
					   VIRGLRENDERER_THREAD_SYNC |
					   VIRGLRENDERER_USE_ASYNC_FENCE_CB);
	if (err != -ENOTSUP && check(err, "Error configuring gpu"))
		return -1;
	if (setup_network(ctx_id, cmd))
		return -1;
	if (check(krun_set_rlimits(ctx_id, rlimits), "Error configuring rlimits"))
		return -1;
	if (check(krun_set_workdir(ctx_id, "/"), "Error configuring \"/\" as working directory"))
		return -1;
	if (check(krun_set_exec(ctx_id, cmd->guest_argv[0],
				(const char *const *)&cmd->guest_argv[1], envp),
		  "Error configuring the parameters for the executable to be run"))
		return -1;
	return check(krun_split_irqchip(ctx_id, false), "Error setting split IRQCHIP property");
}

int main(int argc, char *const argv[])
{
	struct cmdline cmd;
	int ctx_id, ret;

	ret = parse_cmdline(argc, argv, &cmd);
	if (ret)
		return ret > 0 ? 0 : 1;
	if (check(krun_init_log(cmd.log_fd, KRUN_LOG_LEVEL_WARN, cmd.log_style, 0),
		  "Couldn't initialize log"))
		return 1;
	ctx_id = krun_create_ctx();
	if (check(ctx_id, "Error creating configuration context"))
		return 1;
	if (configure_vm((uint32_t)ctx_id, &cmd))
		return 1;
	/* Only returns on failure; on success the process exits with the guest's code. */
	check(krun_start_enter((uint32_t)ctx_id), "Error creating the microVM");
	return 1;
}
