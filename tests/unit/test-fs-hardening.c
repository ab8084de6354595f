/* tests/unit/test-fs-hardening.c: issue #11's hostile-guest cases, driving the FUSE server and the virtio-fs device directly (special files, DAX-window buffers, fd exhaustion). */
#include "test.h"
#include "fuse/fuse-server.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fuse.h>
#include <signal.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>

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

TEST_MAIN_BEGIN("fs-hardening")
	(void)test_prefix_;
	RUN_NAMED("fs-create-special", test_create_special);
	RUN_NAMED("fs-fifo-create", test_fifo_create);
TEST_MAIN_END()
