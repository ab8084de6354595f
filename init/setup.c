/* init/setup.c: guest-side system setup done by init before it starts the workload (mounts, network, limits, stdio). */
#include "setup.h"
#include "env.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#define MS_SAFE (MS_NODEV | MS_NOEXEC | MS_NOSUID | MS_RELATIME)

struct mount_spec {
	const char *src;
	const char *dst;
	const char *type;
	unsigned long flags;
	bool required;
};

static const struct mount_spec mounts[] = {
	{ "devtmpfs", "/dev", "devtmpfs", MS_RELATIME, true },
	{ "proc", "/proc", "proc", MS_SAFE, true },
	{ "sysfs", "/sys", "sysfs", MS_SAFE, true },
	{ "cgroup2", "/sys/fs/cgroup", "cgroup2", MS_SAFE, false },
	{ "devpts", "/dev/pts", "devpts", MS_NOEXEC | MS_NOSUID | MS_RELATIME, false },
	{ "tmpfs", "/dev/shm", "tmpfs", MS_NOEXEC | MS_NOSUID | MS_RELATIME, false },
};

static int mount_one(const struct mount_spec *m)
{
	if (mkdir(m->dst, 0755) < 0 && errno != EEXIST && m->required)
		fprintf(stderr, "init: mkdir %s: %s\n", m->dst, strerror(errno));
	/* EBUSY: already mounted, e.g. devtmpfs by CONFIG_DEVTMPFS_MOUNT. */
	if (mount(m->src, m->dst, m->type, m->flags, NULL) == 0 || errno == EBUSY)
		return 0;
	fprintf(stderr, "init: mount %s on %s: %s\n", m->type, m->dst, strerror(errno));
	return m->required ? -errno : 0;
}

/*
 * True if fd (i) is missing, or is the console through another inode than
 * (con): the kernel opened /dev/console on the root fs before devtmpfs hid
 * it, and ttyname() (so `tty`) fails on a path that now names another inode.
 */
static bool stdio_needs_console(int i, const struct stat *con)
{
	struct stat st;

	if (fstat(i, &st) < 0)
		return true;
	return S_ISCHR(st.st_mode) && st.st_rdev == con->st_rdev &&
	       (st.st_dev != con->st_dev || st.st_ino != con->st_ino);
}

/* Points fds 0-2 at devtmpfs's /dev/console where they are missing or on the hidden node. */
static void ensure_stdio(void)
{
	struct stat con;
	int fd, i;

	/* A missing fd 0-2 gets this very fd: it then stays open as that one. */
	fd = open("/dev/console", O_RDWR | O_NOCTTY);
	if (fd < 0)
		return;
	if (fstat(fd, &con) == 0)
		for (i = 0; i < 3; i++)
			if (i != fd && stdio_needs_console(i, &con))
				dup2(fd, i);
	if (fd > 2)
		close(fd);
}

#define FUSE_SUPER_MAGIC_ 0x65735546

/* Writes VAL to /sys/class/bdi/<dev>/KNOB of the device ST names. Best effort. */
static void bdi_write(const struct stat *st, const char *knob, const char *val)
{
	char path[80];
	int fd;

	snprintf(path, sizeof(path), "/sys/class/bdi/%u:%u/%s", major(st->st_dev),
		 minor(st->st_dev), knob);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	if (write(fd, val, strlen(val)) < 0)
		fprintf(stderr, "init: %s: %s\n", path, strerror(errno));
	close(fd);
}

/*
 * Tunes the backing device of a virtio-fs root. Best effort.
 *
 * read_ahead_kb: the kernel offers its bdi's default (128 KiB) as
 * max_readahead at INIT and the server can only lower it. Every READ is a
 * round trip to the VMM, so 1 MiB (the server's max_pages) makes
 * sequential reads take 8x fewer.
 *
 * max_ratio: the kernel caps a FUSE bdi at 1% of the dirty limit (with
 * strict_limit, so the cap holds even while the system is far below its
 * limit), because a FUSE server in the same kernel could need memory to
 * write back the very pages that are throttled. Here the server is the VMM,
 * outside this kernel: the root is the VM's disk, and it may use the whole
 * dirty limit as a block device does. Under the root's writeback cache a
 * writer was otherwise paused after a few MiB. Dirty pages still go to the
 * host on fsync, close, sync and the init's sync before power-off.
 * (6.1 has no strict_limit knob: the root's limit is then its share of the
 * VM's recent writeback, nearly all of it when the root is the one written.)
 */
static void tune_root_bdi(void)
{
	struct statfs sfs;
	struct stat st;

	if (statfs("/", &sfs) < 0 || sfs.f_type != FUSE_SUPER_MAGIC_ || stat("/", &st) < 0)
		return;
	bdi_write(&st, "read_ahead_kb", "1024");
	bdi_write(&st, "max_ratio", "100");
}

int setup_mounts(void)
{
	size_t i;
	int ret;

	for (i = 0; i < sizeof(mounts) / sizeof(mounts[0]); i++) {
		ret = mount_one(&mounts[i]);
		if (ret)
			return ret;
	}
	ensure_stdio();
	/* Nested KVM users need it; it may not exist, so best effort. */
	chmod("/dev/kvm", 0666);
	if (symlink("/proc/self/fd", "/dev/fd") < 0 && errno != EEXIST)
		fprintf(stderr, "init: symlink /dev/fd: %s\n", strerror(errno));
	tune_root_bdi();
	return 0;
}

static int ifreq_ioctl(int s, unsigned long req, struct ifreq *ifr, const char *name)
{
	snprintf(ifr->ifr_name, sizeof(ifr->ifr_name), "%s", name);
	return ioctl(s, req, ifr) < 0 ? -errno : 0;
}

static int if_up(int s, const char *name)
{
	struct ifreq ifr = { 0 };
	int ret;

	ret = ifreq_ioctl(s, SIOCGIFFLAGS, &ifr, name);
	if (ret)
		return ret;
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	return ifreq_ioctl(s, SIOCSIFFLAGS, &ifr, name);
}

static int if_set_ipv4(int s, const char *name, unsigned long req, const char *addr)
{
	struct ifreq ifr = { 0 };
	struct sockaddr_in sin = { .sin_family = AF_INET };

	inet_pton(AF_INET, addr, &sin.sin_addr);
	memcpy(&ifr.ifr_addr, &sin, sizeof(sin));
	return ifreq_ioctl(s, req, &ifr, name);
}

static int setup_dummy(int s)
{
	int ret;

	ret = if_set_ipv4(s, "dummy0", SIOCSIFADDR, "203.0.113.1");
	if (!ret)
		ret = if_set_ipv4(s, "dummy0", SIOCSIFNETMASK, "255.255.255.0");
	if (!ret)
		ret = if_up(s, "dummy0");
	return ret;
}

void setup_network(int tsi)
{
	int s, ret;

	/*
	 * A raw socket: with tsi_hijack the kernel turns AF_INET stream and
	 * datagram sockets into TSI sockets, which need not handle these ioctls.
	 */
	s = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
	if (s < 0)
		s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0) {
		fprintf(stderr, "init: socket: %s\n", strerror(errno));
		return;
	}
	ret = if_up(s, "lo");
	if (ret)
		fprintf(stderr, "init: bringing up lo: %s\n", strerror(-ret));
	if (tsi) {
		ret = setup_dummy(s);
		if (ret && ret != -ENODEV)
			fprintf(stderr, "init: configuring dummy0: %s\n", strerror(-ret));
	}
	close(s);
}

void setup_rlimits(void)
{
	struct rlimit_entry lims[RLIMITS_MAX];
	const char *s = getenv("KRUN_RLIMITS");
	size_t i, n;

	if (!s)
		return;
	if (rlimits_parse(s, lims, RLIMITS_MAX, &n))
		fprintf(stderr, "init: malformed KRUN_RLIMITS, using the first %zu entries\n", n);
	for (i = 0; i < n; i++)
		if (setrlimit(lims[i].resource, &lims[i].lim) < 0)
			fprintf(stderr, "init: setrlimit(%d): %s\n", lims[i].resource,
				strerror(errno));
}

/* Reads a small sysfs file into (buf), without the trailing newline. */
static int read_small(const char *path, char *buf, size_t size)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -EIO;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

static int redirect_fd(int target, const char *port, int flags)
{
	char path[300];
	int fd;

	snprintf(path, sizeof(path), "/dev/%s", port);
	fd = open(path, flags | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (dup2(fd, target) < 0) {
		int ret = -errno;

		close(fd);
		return ret;
	}
	close(fd);
	return 0;
}

static int redirect_port(const char *port, const char *name)
{
	static const struct {
		const char *name;
		int fd;
		int flags;
	} map[] = {
		{ "krun-stdin", 0, O_RDONLY },
		{ "krun-stdout", 1, O_WRONLY },
		{ "krun-stderr", 2, O_WRONLY },
	};
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(name, map[i].name))
			return redirect_fd(map[i].fd, port, map[i].flags);
	return 0;
}

int setup_redirects(void)
{
	char path[320], name[64];
	struct dirent *de;
	int ret = 0;
	DIR *d;

	d = opendir("/sys/class/virtio-ports");
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while (!ret && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/class/virtio-ports/%s/name", de->d_name);
		if (read_small(path, name, sizeof(name)))
			continue;
		ret = redirect_port(de->d_name, name);
	}
	closedir(d);
	return ret;
}

int open_named_port(const char *want, int flags)
{
	char path[320], name[64];
	struct dirent *de;
	int fd = -ENOENT;
	DIR *d;

	d = opendir("/sys/class/virtio-ports");
	if (!d)
		return -errno;
	while (fd == -ENOENT && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/class/virtio-ports/%s/name", de->d_name);
		if (read_small(path, name, sizeof(name)) || strcmp(name, want))
			continue;
		snprintf(path, sizeof(path), "/dev/%s", de->d_name);
		fd = open(path, flags | O_CLOEXEC);
		if (fd < 0)
			fd = -errno;
	}
	closedir(d);
	return fd;
}

const char *read_proc_cmdline(void)
{
	static char buf[4096];

	if (read_small("/proc/cmdline", buf, sizeof(buf)))
		buf[0] = '\0';
	return buf;
}

/* Mount flags a user may put in KRUN_BLOCK_ROOT_OPTIONS; everything else is passed to the fs. */
static const struct { const char *name; unsigned long flag; } mount_flags[] = {
	{ "ro", MS_RDONLY }, { "rw", 0 }, { "noatime", MS_NOATIME }, { "relatime", MS_RELATIME },
	{ "nodev", MS_NODEV }, { "nosuid", MS_NOSUID }, { "noexec", MS_NOEXEC },
	{ "sync", MS_SYNCHRONOUS }, { "nodiratime", MS_NODIRATIME },
};

/* Split (opts) into mount flags and the fs-specific rest, written to (data). */
static unsigned long split_mount_options(const char *opts, char *data, size_t size)
{
	unsigned long flags = 0;
	char buf[512], *save = NULL;
	size_t used = 0;

	data[0] = '\0';
	if (!opts)
		return 0;
	snprintf(buf, sizeof(buf), "%s", opts);
	for (char *o = strtok_r(buf, ",", &save); o; o = strtok_r(NULL, ",", &save)) {
		size_t i, n = sizeof(mount_flags) / sizeof(mount_flags[0]);

		for (i = 0; i < n && strcmp(o, mount_flags[i].name); i++)
			;
		if (i < n)
			flags |= mount_flags[i].flag;
		else
			used += snprintf(data + used, used < size ? size - used : 0, "%s%s",
					 used ? "," : "", o);
	}
	return flags;
}

/* No type given: try every block-backed file system the kernel knows, like mount(8). */
static int mount_probe(const char *dev, const char *dst, unsigned long flags, const char *data)
{
	char line[128];
	FILE *f = fopen("/proc/filesystems", "r");
	int ret = -ENODEV;

	if (!f)
		return -errno;
	while (ret && fgets(line, sizeof(line), f)) {
		char *type = line;

		if (!strncmp(line, "nodev", 5))
			continue;
		type += strspn(type, " \t");
		type[strcspn(type, " \t\n")] = '\0';
		if (*type && mount(dev, dst, type, flags, data) == 0)
			ret = 0;
	}
	fclose(f);
	return ret;
}

int setup_block_root(void)
{
	static const char *const carried[] = { "/dev", "/proc", "/sys" };
	const char *dev = getenv("KRUN_BLOCK_ROOT_DEVICE");
	const char *type = getenv("KRUN_BLOCK_ROOT_FSTYPE");
	char data[512], dst[32];
	unsigned long flags;
	int ret;

	if (!dev || !*dev)
		return 0;
	flags = split_mount_options(getenv("KRUN_BLOCK_ROOT_OPTIONS"), data, sizeof(data));
	mkdir("/newroot", 0755);
	if (type && *type && strcmp(type, "auto"))
		ret = mount(dev, "/newroot", type, flags, data) < 0 ? -errno : 0;
	else
		ret = mount_probe(dev, "/newroot", flags, data);
	if (ret) {
		fprintf(stderr, "init: mounting the root disk %s: %s\n", dev, strerror(-ret));
		return ret;
	}
	/* The mounts move with their submounts (/dev/pts, /sys/fs/cgroup, ...). */
	for (size_t i = 0; i < sizeof(carried) / sizeof(carried[0]); i++) {
		snprintf(dst, sizeof(dst), "/newroot%s", carried[i]);
		mkdir(dst, 0755);
		if (mount(carried[i], dst, NULL, MS_MOVE, NULL) < 0)
			fprintf(stderr, "init: moving %s to the root disk: %s\n", carried[i], strerror(errno));
	}
	if (chdir("/newroot") < 0 || mount(".", "/", NULL, MS_MOVE, NULL) < 0 ||
	    chroot(".") < 0 || chdir("/") < 0) {
		ret = -errno;
		fprintf(stderr, "init: switching to the root disk: %s\n", strerror(errno));
		return ret;
	}
	/* Whatever could not be carried over is mounted afresh. */
	return setup_mounts();
}
