/* tests/unit/test-fs-hardening.c: issue #11's hostile-guest cases, driving the FUSE server and the virtio-fs device directly (special files, DAX-window buffers, fd exhaustion). */
#include "test.h"
#include "devices/virtio-devices.h"
#include "fuse/fuse-server.h"
#include "virtio/transport-mmio.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fuse.h>
#include <signal.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/xattr.h>

#include <linux/virtio_config.h>
#include <linux/virtio_mmio.h>

static char share[] = "/tmp/fs-hardening.XXXXXX";
static uint8_t reply[1 << 16];

#define REPLY_ARG(type) ((type *)(reply + sizeof(struct fuse_out_header)))

/* Send (op) with (arg, len) on (nodeid); returns the reply's error (0 or -errno), 1 if no reply. */
static int req(struct fuse_srv *srv, uint32_t op, uint64_t nodeid, const void *arg, size_t len)
{
	static uint8_t in[1 << 16];
	struct fuse_in_header h = { .len = (uint32_t)(sizeof(h) + len), .opcode = op,
				    .unique = 11, .nodeid = nodeid };
	struct iovec iv = { in, sizeof(h) + len }, ov = { reply, sizeof(reply) };
	struct fuse_out_header *oh = (void *)reply;
	size_t rl = 0;

	memcpy(in, &h, sizeof(h));
	if (len)
		memcpy(in + sizeof(h), arg, len);
	if (fuse_srv_handle(srv, &iv, 1, &ov, 1, &rl))
		return 2;
	if (rl == 0)
		return 1;
	return oh->error;
}

static int cb_map(void *o, int fd, uint64_t fo, uint64_t mo, uint64_t len, bool w)
{
	struct stat st;

	/* whatever the server hands over must be a regular file */
	return fstat(fd, &st) == 0 && S_ISREG(st.st_mode) ? 0 : -EBADF;
}

static struct fuse_srv *make_srv(const char *root, uint64_t dax)
{
	struct fuse_srv_config cfg = {
		.root_dir = root, .dax_window_size = dax, .cb = { .setup_mapping = cb_map },
	};
	struct fuse_init_in init = { .major = 7, .minor = 36, .max_readahead = 65536,
				     .flags = FUSE_MAP_ALIGNMENT };
	struct fuse_srv *srv = NULL;

	if (fuse_srv_create(&cfg, &srv))
		return NULL;
	if (req(srv, FUSE_INIT, 0, &init, sizeof(init))) {
		fuse_srv_destroy(srv);
		return NULL;
	}
	return srv;
}

static uint64_t lookup(struct fuse_srv *srv, uint64_t parent, const char *name)
{
	if (req(srv, FUSE_LOOKUP, parent, name, strlen(name) + 1))
		return 0;
	return REPLY_ARG(struct fuse_entry_out)->nodeid;
}

/* CREATE (name) in the root with open (flags); returns the reply error. */
static int create(struct fuse_srv *srv, const char *name, uint32_t flags)
{
	uint8_t buf[sizeof(struct fuse_create_in) + 256];
	struct fuse_create_in c = { .flags = flags, .mode = S_IFREG | 0644 };

	memcpy(buf, &c, sizeof(c));
	strcpy((char *)buf + sizeof(c), name);
	return req(srv, FUSE_CREATE, 1, buf, sizeof(c) + strlen(name) + 1);
}

static int open_node(struct fuse_srv *srv, uint64_t node, uint32_t flags, uint64_t *fh)
{
	struct fuse_open_in op = { .flags = flags };
	int ret = req(srv, FUSE_OPEN, node, &op, sizeof(op));

	if (!ret && fh)
		*fh = REPLY_ARG(struct fuse_open_out)->fh;
	return ret;
}

static int touch_as(const char *p, uid_t uid)
{
	int fd = open(p, O_CREAT | O_WRONLY, 0644);

	if (fd < 0 || fchown(fd, uid, uid) < 0)
		return -1;
	return close(fd);
}

static void make_share(void)
{
	strcpy(share, "/tmp/fs-hardening.XXXXXX");
	CHECK(mkdtemp(share) != NULL);
}

static void rm_share(void)
{
	char cmd[96];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", share);
	CHECK(system(cmd) == 0);
}

static int share_path(char *buf, size_t len, const char *name)
{
	return snprintf(buf, len, "%s/%s", share, name);
}

/*
 * fs-create-special: CREATE (without O_EXCL), OPEN and SETUPMAPPING of an
 * existing device node, FIFO or socket never open it on the host; CREATE of
 * a new file and of an existing regular file still work.
 */
static void test_create_special(void)
{
	const char *special[] = { "full", "fifo", "sock" };
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct fuse_setupmapping_in sm = { .fh = ~0ull, .len = 4096, .flags = FUSE_SETUPMAPPING_FLAG_READ };
	struct fuse_srv *srv;
	char p[128];
	int s;

	make_share();
	alarm(10);	/* a FIFO opened on the host would block the request forever */
	share_path(p, sizeof(p), "full");
	if (mknod(p, S_IFCHR | 0666, makedev(1, 7)) < 0)	/* /dev/full, as on a shared rootfs */
		SKIP_TEST("cannot mknod (not root?)");
	share_path(p, sizeof(p), "fifo");
	CHECK(mkfifo(p, 0666) == 0);
	share_path(sa.sun_path, sizeof(sa.sun_path), "sock");
	s = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK(s >= 0 && bind(s, (void *)&sa, sizeof(sa)) == 0 && listen(s, 1) == 0);
	share_path(p, sizeof(p), "dir");
	CHECK(mkdir(p, 0755) == 0);
	srv = make_srv(share, 1 << 21);
	CHECK(srv);
	for (unsigned i = 0; i < 3; i++) {
		uint64_t n = lookup(srv, 1, special[i]);

		CHECK(n != 0);
		CHECK(create(srv, special[i], O_WRONLY) < 0);
		CHECK(create(srv, special[i], O_RDONLY | O_TRUNC) < 0);
		CHECK(create(srv, special[i], O_RDWR | O_EXCL) == -EEXIST);
		CHECK(open_node(srv, n, O_RDONLY, NULL) < 0);
		CHECK(open_node(srv, n, O_WRONLY | O_NONBLOCK, NULL) < 0);
		CHECK(req(srv, FUSE_SETUPMAPPING, n, &sm, sizeof(sm)) < 0);
	}
	CHECK_EQ(create(srv, "dir", O_RDONLY), -EISDIR);
	CHECK_EQ(create(srv, "new", O_WRONLY), 0);
	CHECK_EQ(create(srv, "new", O_WRONLY | O_TRUNC), 0);
	CHECK_EQ(create(srv, "new", O_WRONLY | O_EXCL), -EEXIST);
	fuse_srv_destroy(srv);
	close(s);
	rm_share();
}

/* fs-fifo-create: CREATE or OPEN of an existing FIFO answers at once, even with nobody on the other end. */
static void test_fifo_create(void)
{
	struct fuse_srv *srv;
	uint64_t n;
	char p[128];

	make_share();
	alarm(10);
	share_path(p, sizeof(p), "fifo");
	CHECK(mkfifo(p, 0666) == 0);
	srv = make_srv(share, 0);
	CHECK(srv);
	CHECK(create(srv, "fifo", O_RDONLY) < 0);
	CHECK(create(srv, "fifo", O_WRONLY) < 0);
	CHECK(create(srv, "fifo", O_RDWR) < 0);
	n = lookup(srv, 1, "fifo");
	CHECK(n && open_node(srv, n, O_RDONLY, NULL) < 0);
	CHECK(n && open_node(srv, n, O_WRONLY, NULL) < 0);
	/* and the server still serves */
	CHECK_EQ(create(srv, "after", O_WRONLY), 0);
	fuse_srv_destroy(srv);
	rm_share();
}


/* --- fs-dax-buffers: the virtio-fs device with rings and buffers pointed into its DAX window --- */

#define RAM_SIZE	(1u << 20)
#define DAX_GPA		(1ull << 32)
#define DAX_SIZE	(2u << 20)
#define RQ_DESC		0x10000		/* request queue (1) rings */
#define RQ_AVAIL	0x12000
#define RQ_USED		0x13000
#define BUF_IN		0x20000		/* request bytes */
#define BUF_OUT		0x30000		/* reply bytes */
#define QSZ		16

static void w32(struct vmmio *t, uint64_t off, uint32_t v)
{
	vmmio_write(t, off, &v, 4);
}

static uint32_t r32(struct vmmio *t, uint64_t off)
{
	uint32_t v = 0;

	vmmio_read(t, off, &v, 4);
	return v;
}

static void dax_driver_init(struct vmmio *t, struct vdev *dev)
{
	const uint32_t s = VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER;

	w32(t, VIRTIO_MMIO_STATUS, 0);
	w32(t, VIRTIO_MMIO_STATUS, s);
	w32(t, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	w32(t, VIRTIO_MMIO_DRIVER_FEATURES, 1);		/* VIRTIO_F_VERSION_1 */
	w32(t, VIRTIO_MMIO_STATUS, s | VIRTIO_CONFIG_S_FEATURES_OK);
}

/* Set up queue 1 with its rings at (desc, avail, used); returns QueueReady as read back. */
static uint32_t dax_queue(struct vmmio *t, uint64_t desc, uint64_t avail, uint64_t used)
{
	w32(t, VIRTIO_MMIO_QUEUE_SEL, 1);
	w32(t, VIRTIO_MMIO_QUEUE_NUM, QSZ);
	w32(t, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)desc);
	w32(t, VIRTIO_MMIO_QUEUE_DESC_HIGH, (uint32_t)(desc >> 32));
	w32(t, VIRTIO_MMIO_QUEUE_AVAIL_LOW, (uint32_t)avail);
	w32(t, VIRTIO_MMIO_QUEUE_AVAIL_HIGH, (uint32_t)(avail >> 32));
	w32(t, VIRTIO_MMIO_QUEUE_USED_LOW, (uint32_t)used);
	w32(t, VIRTIO_MMIO_QUEUE_USED_HIGH, (uint32_t)(used >> 32));
	w32(t, VIRTIO_MMIO_QUEUE_READY, 1);
	return r32(t, VIRTIO_MMIO_QUEUE_READY);
}

/* Post one GETATTR chain (request at gpa_in, reply at gpa_out); returns the used length or -1. */
static int dax_getattr(uint8_t *ram, struct vdev *dev, uint64_t gpa_in, uint64_t gpa_out)
{
	struct vring_desc *d = (void *)(ram + RQ_DESC);
	struct vring_avail *av = (void *)(ram + RQ_AVAIL);
	struct vring_used *u = (void *)(ram + RQ_USED);
	struct fuse_in_header h = { .len = sizeof(h) + sizeof(struct fuse_getattr_in),
				    .opcode = FUSE_GETATTR, .unique = 5, .nodeid = 1 };
	uint16_t want = u->idx + 1;

	if (gpa_in < RAM_SIZE)
		memcpy(ram + gpa_in, &h, sizeof(h));
	d[0] = (struct vring_desc){ gpa_in, h.len, VRING_DESC_F_NEXT, 1 };
	d[1] = (struct vring_desc){ gpa_out, 4096, VRING_DESC_F_WRITE, 0 };
	av->ring[av->idx % QSZ] = 0;
	__atomic_store_n(&av->idx, av->idx + 1, __ATOMIC_RELEASE);
	dev->ops->notify(dev, 1);
	for (int i = 0; i < 2000 && __atomic_load_n(&u->idx, __ATOMIC_ACQUIRE) != want; i++)
		usleep(1000);
	if (u->idx != want)
		return -1;
	return (int)u->ring[(want - 1) % QSZ].len;
}

static void test_dax_buffers(void)
{
	struct vtfs_cfg fc = { .tag = "dax", .shm_gpa = DAX_GPA, .shm_size = DAX_SIZE };
	struct guest_mem mem = { 0 };
	struct vmmio *t;
	struct vdev *dev;
	uint8_t *ram;

	make_share();
	ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	fc.shm_host = mmap(NULL, DAX_SIZE, PROT_NONE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	CHECK(ram != MAP_FAILED && fc.shm_host != MAP_FAILED);
	CHECK(gmem_add(&mem, 0, RAM_SIZE, ram) == 0);
	/* the window as the VMM registers it */
	CHECK(gmem_add_flags(&mem, DAX_GPA, DAX_SIZE, fc.shm_host, GMEM_F_NO_VMM) == 0);
	fc.root_dir = share;
	CHECK(vtfs_create(&mem, &fc, &dev) == 0);
	CHECK(vmmio_create(dev, 0xd0000000, 5, &t) == 0);
	dev->irqfd = eventfd(0, EFD_NONBLOCK);

	/* 1. rings inside the window: the queue never becomes ready, the device needs a reset */
	dax_driver_init(t, dev);
	CHECK_EQ(dax_queue(t, DAX_GPA, RQ_AVAIL, RQ_USED), 0);
	CHECK_EQ(dax_queue(t, RQ_DESC, DAX_GPA + 0x1000, RQ_USED), 0);
	CHECK_EQ(dax_queue(t, RQ_DESC, RQ_AVAIL, DAX_GPA + 0x2000), 0);
	CHECK(r32(t, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET);

	/* 2. request and reply buffers inside the window: that request fails, the VMM lives on */
	dax_driver_init(t, dev);
	CHECK_EQ(dax_queue(t, RQ_DESC, RQ_AVAIL, RQ_USED), 1);
	w32(t, VIRTIO_MMIO_STATUS, r32(t, VIRTIO_MMIO_STATUS) | VIRTIO_CONFIG_S_DRIVER_OK);
	CHECK_EQ(dax_getattr(ram, dev, DAX_GPA + 0x3000, BUF_OUT), 0);
	CHECK_EQ(dax_getattr(ram, dev, BUF_IN, DAX_GPA + 0x4000), 0);
	CHECK_EQ(dax_getattr(ram, dev, RAM_SIZE - 16, BUF_OUT), 0);	/* runs into the hole */
	/* 3. and a well-placed request is still served */
	CHECK_EQ(dax_getattr(ram, dev, BUF_IN, BUF_OUT),
		 sizeof(struct fuse_out_header) + sizeof(struct fuse_attr_out));
	CHECK_EQ(((struct fuse_out_header *)(ram + BUF_OUT))->error, 0);
	rm_share();
}

/*
 * fs-fd-exhaustion: with RLIMIT_NOFILE at 512, a guest looking up and opening
 * more nodes than that gets EMFILE/ENFILE, and the VMM keeps fds for itself:
 * eventfds, other requests and another device still work. Overlay handles,
 * which hold no fd, are bounded too.
 */
static void test_fd_exhaustion(void)
{
	static const uint8_t blob[] = "overlay";
	struct rlimit rl = { 512, 512 };
	struct fuse_srv_config cfg = { .max_objects = 1000 };
	struct guest_mem mem = { 0 };
	struct fuse_srv *srv, *ov;
	int ok = 0, full = 0, other = 0, efd[64];
	struct vdev *rng;
	uint64_t n = 0, fh;
	char p[128];

	make_share();
	for (int i = 0; i < 600; i++) {
		snprintf(p, sizeof(p), "%s/f%d", share, i);
		close(open(p, O_CREAT | O_WRONLY, 0644));
	}
	CHECK(setrlimit(RLIMIT_NOFILE, &rl) == 0);
	srv = make_srv(share, 0);
	CHECK(srv);
	for (int i = 0; i < 600; i++) {
		char name[16];
		int ret;

		snprintf(name, sizeof(name), "f%d", i);
		ret = req(srv, FUSE_LOOKUP, 1, name, strlen(name) + 1);
		if (!ret)
			n = REPLY_ARG(struct fuse_entry_out)->nodeid, ok++;
		else if (ret == -EMFILE || ret == -ENFILE)
			full++;
		else
			other++;
	}
	CHECK(ok > 100 && full > 0 && other == 0);
	/* handles on a node the guest holds: also refused, not fatal */
	full = 0;
	for (int i = 0; i < 100; i++) {
		int ret = open_node(srv, n, O_RDONLY, &fh);

		full += ret == -EMFILE || ret == -ENFILE;
		CHECK(ret == 0 || ret == -EMFILE || ret == -ENFILE);
	}
	CHECK(full > 0);
	/* the VMM still has fds: eventfds, another device, other requests */
	for (int i = 0; i < 64; i++) {
		efd[i] = eventfd(0, EFD_CLOEXEC);
		CHECK(efd[i] >= 0);
	}
	for (int i = 0; i < 64; i++)
		close(efd[i]);
	CHECK(gmem_add(&mem, 0, 1 << 16, calloc(1, 1 << 16)) == 0);
	CHECK(vtrng_create(&mem, &rng) == 0);
	CHECK_EQ(req(srv, FUSE_GETATTR, 1, &(struct fuse_getattr_in){ 0 },
		     sizeof(struct fuse_getattr_in)), 0);
	/* forgetting gives the quota back */
	CHECK(req(srv, FUSE_FORGET, n, &(struct fuse_forget_in){ .nlookup = 1 },
		  sizeof(struct fuse_forget_in)) == 1);
	fuse_srv_destroy(srv);
	srv = make_srv(share, 0);
	CHECK(srv && lookup(srv, 1, "f1") != 0);
	fuse_srv_destroy(srv);

	/* fd-less overlay handles stop at the share's cap */
	CHECK(fuse_srv_create(&cfg, &ov) == 0);
	CHECK(fuse_srv_add_overlay_file(ov, "blob", blob, sizeof(blob), 0444, false) == 0);
	n = lookup(ov, 1, "blob");
	ok = full = 0;
	for (int i = 0; n && i < 2000; i++) {
		int ret = open_node(ov, n, O_RDONLY, &fh);

		ok += ret == 0;
		full += ret == -EMFILE;
	}
	CHECK(ok > 900 && ok < 1000 && full == 2000 - ok);
	fuse_srv_destroy(ov);
	rm_share();
}

/* fs-readonly-locks: a read-only share never takes host locks (SETLK, SETLKW, flock). */
static void test_readonly_locks(void)
{
	struct fuse_srv_config cfg = { .read_only = true };
	struct fuse_lk_in lk = { .lk = { .type = F_RDLCK, .start = 0, .end = ~0ull >> 1 } };
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	struct fuse_srv *srv;
	uint64_t n, fh = 0;
	char p[128];
	int fd;

	make_share();
	share_path(p, sizeof(p), "locked");
	fd = open(p, O_CREAT | O_RDWR, 0644);
	CHECK(fd >= 0);
	cfg.root_dir = share;
	CHECK(fuse_srv_create(&cfg, &srv) == 0);
	n = lookup(srv, 1, "locked");
	CHECK(n && open_node(srv, n, O_RDONLY, &fh) == 0);
	lk.fh = fh;
	CHECK_EQ(req(srv, FUSE_SETLK, n, &lk, sizeof(lk)), -ENOLCK);
	CHECK_EQ(req(srv, FUSE_SETLKW, n, &lk, sizeof(lk)), -ENOLCK);
	lk.lk_flags = FUSE_LK_FLOCK;
	CHECK_EQ(req(srv, FUSE_SETLK, n, &lk, sizeof(lk)), -ENOLCK);
	/* a host process can still take an exclusive lock */
	CHECK(fcntl(fd, F_OFD_SETLK, &fl) == 0);
	CHECK(flock(fd, LOCK_EX | LOCK_NB) == 0);
	close(fd);
	fuse_srv_destroy(srv);
	rm_share();
}

/*
 * fs-rootless-owner: a server that is not root cannot chown; the owner the
 * guest asked for is kept in the file's override_stat record and shown from
 * then on, while the host file keeps the VMM user's ownership.
 */
static void test_rootless_owner(void)
{
	struct fuse_setattr_in sa = { .valid = FATTR_UID | FATTR_GID, .uid = 0, .gid = 0 };
	struct fuse_attr_out *ao = REPLY_ARG(struct fuse_attr_out);
	struct fuse_srv *srv;
	char p[128], rec[128];
	struct stat st;
	uint64_t f, d;
	ssize_t n;

	make_share();
	share_path(p, sizeof(p), "f");
	CHECK(touch_as(p, 4321) == 0);
	share_path(p, sizeof(p), "d");
	CHECK(mkdir(p, 0755) == 0 && chown(p, 4321, 4321) == 0);
	CHECK(chown(share, 4321, 4321) == 0);
	if (setxattr(share, "user.probe", "1", 1, 0) < 0)
		SKIP_TEST("no user xattrs on /tmp");
	CHECK(setresgid(4321, 4321, 4321) == 0 && setresuid(4321, 4321, 4321) == 0);
	srv = make_srv(share, 0);
	CHECK(srv);
	f = lookup(srv, 1, "f");
	d = lookup(srv, 1, "d");
	CHECK(f && d);
	CHECK_EQ(req(srv, FUSE_SETATTR, f, &sa, sizeof(sa)), 0);
	CHECK(ao->attr.uid == 0 && ao->attr.gid == 0 && S_ISREG(ao->attr.mode));
	sa.uid = 1000;
	CHECK_EQ(req(srv, FUSE_SETATTR, d, &sa, sizeof(sa)), 0);
	CHECK(ao->attr.uid == 1000 && ao->attr.gid == 0 && S_ISDIR(ao->attr.mode));
	sa = (struct fuse_setattr_in){ .valid = FATTR_MODE, .mode = 0600 };
	CHECK_EQ(req(srv, FUSE_SETATTR, f, &sa, sizeof(sa)), 0);
	CHECK(ao->attr.uid == 0 && (ao->attr.mode & 07777) == 0600);
	CHECK_EQ(req(srv, FUSE_GETATTR, f, &(struct fuse_getattr_in){ 0 },
		     sizeof(struct fuse_getattr_in)), 0);
	CHECK(ao->attr.uid == 0 && ao->attr.gid == 0 && (ao->attr.mode & 07777) == 0600);
	/* the host: still the VMM user's file, mode applied, the record beside it */
	share_path(p, sizeof(p), "f");
	CHECK(stat(p, &st) == 0 && st.st_uid == 4321 && (st.st_mode & 07777) == 0600);
	n = getxattr(p, "user.containers.override_stat", rec, sizeof(rec) - 1);
	CHECK(n > 0);
	if (n > 0) {
		rec[n] = 0;
		CHECK(!strcmp(rec, "0:0:0600:file"));
	}
	fuse_srv_destroy(srv);
	rm_share();
}

TEST_MAIN_BEGIN("fs-hardening")
	(void)test_prefix_;
	RUN_NAMED("fs-create-special", test_create_special);
	RUN_NAMED("fs-fifo-create", test_fifo_create);
	RUN_NAMED("fs-dax-buffers", test_dax_buffers);
	RUN_NAMED("fs-fd-exhaustion", test_fd_exhaustion);
	RUN_NAMED("fs-readonly-locks", test_readonly_locks);
	RUN_NAMED("fs-rootless-owner", test_rootless_owner);
TEST_MAIN_END()
