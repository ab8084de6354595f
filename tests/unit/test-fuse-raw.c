/* tests/unit/test-fuse-raw.c: hand-built (often hostile) FUSE requests fed straight to fuse_srv_handle(); every one must get a sane reply, never a crash. */
#include "test.h"
#include "fuse/fuse-server.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fuse.h>
#include <stdint.h>
#include <sys/stat.h>

static char tmpdir[] = "/tmp/fuse-raw.XXXXXX";
static uint8_t reply[1 << 16];
static int last_exit = -1;
static uint64_t mapped_len;

/* Send opcode with (arg, len) on (nodeid); returns the reply's error (0 or -errno), or 1 if none. */
static int req(struct fuse_srv *srv, uint32_t op, uint64_t nodeid, const void *arg, size_t len)
{
	static uint8_t in[1 << 16];
	struct fuse_in_header h = { .len = (uint32_t)(sizeof(h) + len), .opcode = op,
				    .unique = 7, .nodeid = nodeid };
	struct iovec iv = { in, sizeof(h) + len }, ov = { reply, sizeof(reply) };
	struct fuse_out_header *oh = (void *)reply;
	size_t rl = 0;

	memcpy(in, &h, sizeof(h));
	if (len)
		memcpy(in + sizeof(h), arg, len);
	memset(reply, 0xaa, sizeof(struct fuse_out_header));
	if (fuse_srv_handle(srv, &iv, 1, &ov, 1, &rl))
		return 2;
	if (rl == 0)
		return 1;
	if (oh->unique != 7 || oh->len != rl || rl < sizeof(*oh))
		return 3;
	return oh->error;
}

static int cb_map(void *o, int fd, uint64_t fo, uint64_t mo, uint64_t len, bool w)
{
	mapped_len = len;
	return fd >= 0 ? 0 : -EBADF;
}

static int cb_unmap(void *o, uint64_t mo, uint64_t len)
{
	return 0;
}

static void cb_exit(void *o, int32_t code)
{
	last_exit = code;
}

static struct fuse_srv *make_srv(bool ro, uint64_t dax)
{
	struct fuse_srv_config cfg = {
		.root_dir = tmpdir, .read_only = ro, .dax_window_size = dax,
		.cb = { .setup_mapping = cb_map, .remove_mapping = cb_unmap, .exit_code = cb_exit },
	};
	struct fuse_init_in init = { .major = 7, .minor = 36, .max_readahead = 65536,
				     .flags = FUSE_MAP_ALIGNMENT | FUSE_DO_READDIRPLUS };
	struct fuse_srv *srv = NULL;

	if (fuse_srv_create(&cfg, &srv))
		return NULL;
	if (req(srv, FUSE_INIT, 0, &init, sizeof(init)))
		return NULL;
	return srv;
}

/* LOOKUP name under parent; returns node id or 0. */
static uint64_t lookup(struct fuse_srv *srv, uint64_t parent, const char *name)
{
	if (req(srv, FUSE_LOOKUP, parent, name, strlen(name) + 1))
		return 0;
	return ((struct fuse_entry_out *)(reply + sizeof(struct fuse_out_header)))->nodeid;
}

static void test_init_reply(void)
{
	struct fuse_srv *srv = make_srv(false, 1 << 21);
	struct fuse_init_out *o = (void *)(reply + sizeof(struct fuse_out_header));
	struct fuse_init_in init = { .major = 7, .minor = 36, .flags = FUSE_MAP_ALIGNMENT };

	CHECK(srv);
	CHECK_EQ(req(srv, FUSE_INIT, 0, &init, sizeof(init)), 0);
	CHECK_EQ(o->minor, 36);
	CHECK_EQ(o->max_write, 1 << 20);
	CHECK(o->flags & FUSE_MAP_ALIGNMENT);
	CHECK_EQ(o->map_alignment, 12);
	init.major = 6;
	CHECK_EQ(req(srv, FUSE_INIT, 0, &init, sizeof(init)), -EPROTO);
	fuse_srv_destroy(srv);
}

static void test_framing(void)
{
	struct fuse_srv *srv = make_srv(false, 0);
	struct fuse_in_header h = { .len = 1000, .opcode = FUSE_GETATTR, .unique = 9, .nodeid = 1 };
	uint8_t small[8];
	struct iovec iv = { &h, sizeof(h) }, ov = { reply, sizeof(reply) }, tiny = { small, 8 };
	struct fuse_out_header *oh = (void *)reply;
	size_t rl;

	iv.iov_len = 10;	/* short header */
	CHECK_EQ(fuse_srv_handle(srv, &iv, 1, &ov, 1, &rl), -EINVAL);
	iv.iov_len = sizeof(h);	/* no room for a reply header */
	CHECK_EQ(fuse_srv_handle(srv, &iv, 1, &tiny, 1, &rl), -EINVAL);
	/* len past the buffer */
	CHECK_EQ(fuse_srv_handle(srv, &iv, 1, &ov, 1, &rl), 0);
	CHECK_EQ(oh->error, -EINVAL);
	CHECK_EQ(oh->unique, 9);
	h.len = 3;		/* len shorter than the header */
	CHECK_EQ(fuse_srv_handle(srv, &iv, 1, &ov, 1, &rl), 0);
	CHECK_EQ(oh->error, -EINVAL);
	fuse_srv_destroy(srv);
}

static void test_huge_request(void)
{
	struct fuse_srv *srv = make_srv(false, 0);
	size_t sz = FUSE_SRV_MAX_REQ + 4096;
	uint8_t *big = calloc(1, sz);
	struct fuse_in_header *h = (void *)big;
	struct iovec iv = { big, sz }, ov = { reply, sizeof(reply) };
	size_t rl;

	h->len = (uint32_t)sz;
	h->opcode = FUSE_WRITE;
	h->nodeid = 1;
	CHECK_EQ(fuse_srv_handle(srv, &iv, 1, &ov, 1, &rl), 0);
	CHECK(((struct fuse_out_header *)reply)->error < 0);
	free(big);
	fuse_srv_destroy(srv);
}

static void test_unknown_opcode(void)
{
	struct fuse_srv *srv = make_srv(false, 0);

	CHECK_EQ(req(srv, 9999, 1, NULL, 0), -ENOSYS);
	CHECK_EQ(req(srv, 0, 1, NULL, 0), -ENOSYS);
	CHECK_EQ(req(srv, CUSE_INIT, 1, NULL, 0), -ENOSYS);
	CHECK_EQ(req(srv, FUSE_POLL, 1, NULL, 0), -ENOSYS);
	fuse_srv_destroy(srv);
}

static void test_bogus_ids(void)
{
	struct fuse_srv *srv = make_srv(false, 0);
	struct fuse_getattr_in ga = { 0 };
	struct fuse_read_in rd = { .fh = 0x1234567800000005ull, .size = 4096 };
	struct fuse_forget_in fg = { .nlookup = 100 };

	CHECK_EQ(req(srv, FUSE_GETATTR, 0, &ga, sizeof(ga)), -ESTALE);
	CHECK_EQ(req(srv, FUSE_GETATTR, 0xdeadbeef12345ull, &ga, sizeof(ga)), -ESTALE);
	CHECK_EQ(req(srv, FUSE_GETATTR, (1ull << 32) | 1, &ga, sizeof(ga)), -ESTALE);
	CHECK_EQ(req(srv, FUSE_READ, 1, &rd, sizeof(rd)), -EBADF);
	rd.fh = 0;
	CHECK_EQ(req(srv, FUSE_READ, 1, &rd, sizeof(rd)), -EBADF);
	CHECK_EQ(req(srv, FUSE_RELEASE, 1, &rd, sizeof(struct fuse_release_in)), -EBADF);
	CHECK_EQ(req(srv, FUSE_FORGET, 0xffffffffffull, &fg, sizeof(fg)), 1);
	CHECK_EQ(req(srv, FUSE_FORGET, 1, &fg, sizeof(fg)), 1);	/* root stays */
	CHECK_EQ(req(srv, FUSE_GETATTR, 1, &ga, sizeof(ga)), 0);
	fuse_srv_destroy(srv);
}

static void test_short_args(void)
{
	struct fuse_srv *srv = make_srv(false, 0);
	uint8_t z[4] = { 0 };

	CHECK_EQ(req(srv, FUSE_GETATTR, 1, z, 4), -EINVAL);
	CHECK_EQ(req(srv, FUSE_SETATTR, 1, z, 4), -EINVAL);
	CHECK_EQ(req(srv, FUSE_READ, 1, z, 4), -EINVAL);
	CHECK_EQ(req(srv, FUSE_INIT, 0, z, 4), -EINVAL);
	CHECK_EQ(req(srv, FUSE_LOOKUP, 1, NULL, 0), -EINVAL);
	fuse_srv_destroy(srv);
}

static void test_names(void)
{
	struct fuse_srv *srv = make_srv(false, 0);
	struct fuse_mkdir_in mk = { .mode = 0755 };
	uint8_t buf[64];

	CHECK_EQ(req(srv, FUSE_LOOKUP, 1, "abc", 3), -EINVAL);	/* no NUL */
	CHECK_EQ(req(srv, FUSE_LOOKUP, 1, "..", 3), -EINVAL);
	CHECK_EQ(req(srv, FUSE_LOOKUP, 1, ".", 2), -EINVAL);
	CHECK_EQ(req(srv, FUSE_LOOKUP, 1, "", 1), -EINVAL);
	CHECK_EQ(req(srv, FUSE_LOOKUP, 1, "../../etc", 10), -EINVAL);
	CHECK_EQ(req(srv, FUSE_LOOKUP, 1, "/etc", 5), -EINVAL);
	memcpy(buf, &mk, sizeof(mk));
	memcpy(buf + sizeof(mk), "x/y", 4);
	CHECK_EQ(req(srv, FUSE_MKDIR, 1, buf, sizeof(mk) + 4), -EINVAL);
	memcpy(buf + sizeof(mk), "..", 3);
	CHECK_EQ(req(srv, FUSE_MKDIR, 1, buf, sizeof(mk) + 3), -EINVAL);
	CHECK_EQ(req(srv, FUSE_SYMLINK, 1, "name\0target", 11), -EINVAL); /* target unterminated */
	CHECK_EQ(req(srv, FUSE_RENAME, 1, buf, sizeof(struct fuse_rename_in) + 2), -EINVAL);
	fuse_srv_destroy(srv);
}

static void test_huge_write(void)
{
	struct fuse_srv *srv = make_srv(false, 0);
	struct fuse_write_in w = { .fh = 1, .size = 0xffffffffu };
	struct fuse_create_in c = { .flags = O_RDWR, .mode = 0644 };
	struct fuse_open_out *oo;
	uint8_t buf[128];

	CHECK_EQ(req(srv, FUSE_WRITE, 1, &w, sizeof(w)), -EINVAL);
	memcpy(buf, &c, sizeof(c));
	memcpy(buf + sizeof(c), "wfile", 6);
	CHECK_EQ(req(srv, FUSE_CREATE, 1, buf, sizeof(c) + 6), 0);
	oo = (void *)(reply + sizeof(struct fuse_out_header) + sizeof(struct fuse_entry_out));
	w.fh = oo->fh;
	w.size = 100;	/* claims 100 bytes, carries 10 */
	memcpy(buf, &w, sizeof(w));
	CHECK_EQ(req(srv, FUSE_WRITE, 1, buf, sizeof(w) + 10), -EINVAL);
	w.size = 10;
	memcpy(buf, &w, sizeof(w));
	CHECK_EQ(req(srv, FUSE_WRITE, 1, buf, sizeof(w) + 10), 0);
	fuse_srv_destroy(srv);
}

/* Scattered in and out buffers: one byte per iovec. */
static void test_split_iovecs(void)
{
	struct fuse_srv *srv = make_srv(false, 0);
	struct fuse_in_header h = { .len = sizeof(h) + 6, .opcode = FUSE_LOOKUP, .unique = 3,
				    .nodeid = 1 };
	uint8_t in[64], out[256];
	struct iovec iv[64], ov[256];
	size_t rl, i;

	close(open(strcat(strcpy((char *)out, tmpdir), "/split"), O_CREAT | O_WRONLY, 0644));
	memcpy(in, &h, sizeof(h));
	memcpy(in + sizeof(h), "split", 6);
	for (i = 0; i < h.len; i++)
		iv[i] = (struct iovec){ in + i, 1 };
	for (i = 0; i < sizeof(out); i++)
		ov[i] = (struct iovec){ out + i, 1 };
	CHECK_EQ(fuse_srv_handle(srv, iv, (int)h.len, ov, 256, &rl), 0);
	CHECK_EQ(rl, sizeof(struct fuse_out_header) + sizeof(struct fuse_entry_out));
	CHECK_EQ(((struct fuse_out_header *)out)->error, 0);
	CHECK(((struct fuse_entry_out *)(out + 16))->nodeid > 1);
	fuse_srv_destroy(srv);
}

static void test_symlink_node_abuse(void)
{
	struct fuse_srv *srv = make_srv(false, 0);
	struct fuse_open_in op = { .flags = O_RDONLY };
	struct fuse_setattr_in sa = { .valid = FATTR_SIZE, .size = 0 };
	struct fuse_mkdir_in mk = { .mode = 0755 };
	char path[256];
	uint8_t buf[64];
	uint64_t l;

	snprintf(path, sizeof(path), "%s/evil", tmpdir);
	CHECK(!symlink("/etc", path));
	l = lookup(srv, 1, "evil");
	CHECK(l > 1);
	CHECK_EQ(req(srv, FUSE_LOOKUP, l, "passwd", 7), -ENOTDIR);
	memcpy(buf, &mk, sizeof(mk));
	memcpy(buf + sizeof(mk), "x", 2);
	CHECK_EQ(req(srv, FUSE_MKDIR, l, buf, sizeof(mk) + 2), -ENOTDIR);
	CHECK_EQ(req(srv, FUSE_OPEN, l, &op, sizeof(op)), -ELOOP);
	CHECK_EQ(req(srv, FUSE_OPENDIR, l, &op, sizeof(op)), -ENOTDIR);
	CHECK_EQ(req(srv, FUSE_SETATTR, l, &sa, sizeof(sa)), -EINVAL);
	sa.valid = FATTR_MODE;
	sa.mode = 0777;
	CHECK_EQ(req(srv, FUSE_SETATTR, l, &sa, sizeof(sa)), -EOPNOTSUPP);
	CHECK_EQ(req(srv, FUSE_GETXATTR, l, "\0\0\0\0\0\0\0\0user.x", 15), -EOPNOTSUPP);
	fuse_srv_destroy(srv);
}

static void test_forget_and_stale(void)
{
	struct fuse_srv *srv = make_srv(false, 0);
	struct fuse_forget_in fg = { .nlookup = 1 };
	struct fuse_getattr_in ga = { 0 };
	uint64_t a, b;

	close(open(strcat(strcpy((char *)reply, tmpdir), "/gone"), O_CREAT | O_WRONLY, 0644));
	a = lookup(srv, 1, "gone");
	CHECK(a > 1);
	CHECK_EQ(req(srv, FUSE_FORGET, a, &fg, sizeof(fg)), 1);
	CHECK_EQ(req(srv, FUSE_GETATTR, a, &ga, sizeof(ga)), -ESTALE);
	b = lookup(srv, 1, "gone");
	CHECK(b > 1 && b != a);
	fuse_srv_destroy(srv);
}

/* The guest's driver queues FORGETs on the hiprio queue with no reply buffer at all:
 * they must be served (the node freed) without one; requests that need a reply are not. */
static void test_forget_without_reply_buffer(void)
{
	struct fuse_srv *srv = make_srv(false, 0);
	struct {
		struct fuse_in_header h;
		union {
			struct fuse_forget_in f;
			struct {
				struct fuse_batch_forget_in b;
				struct fuse_forget_one one;
			} bf;
		};
	} m = { 0 };
	struct fuse_getattr_in ga = { 0 };
	struct iovec iv = { &m, sizeof(m.h) + sizeof(m.f) };
	size_t rl = 7;
	uint64_t a, b;

	close(open(strcat(strcpy((char *)reply, tmpdir), "/hp1"), O_CREAT | O_WRONLY, 0644));
	close(open(strcat(strcpy((char *)reply, tmpdir), "/hp2"), O_CREAT | O_WRONLY, 0644));
	a = lookup(srv, 1, "hp1");
	b = lookup(srv, 1, "hp2");
	CHECK(a > 1 && b > 1);
	m.h = (struct fuse_in_header){ .len = (uint32_t)iv.iov_len, .opcode = FUSE_FORGET,
				       .unique = 3, .nodeid = a };
	m.f.nlookup = 1;
	CHECK_EQ(fuse_srv_handle(srv, &iv, 1, NULL, 0, &rl), 0);
	CHECK_EQ(rl, 0);
	CHECK_EQ(req(srv, FUSE_GETATTR, a, &ga, sizeof(ga)), -ESTALE);	/* forgotten */
	iv.iov_len = sizeof(m.h) + sizeof(m.bf);
	m.h = (struct fuse_in_header){ .len = (uint32_t)iv.iov_len, .opcode = FUSE_BATCH_FORGET,
				       .unique = 4 };
	m.bf.b.count = 1;
	m.bf.one = (struct fuse_forget_one){ .nodeid = b, .nlookup = 1 };
	CHECK_EQ(fuse_srv_handle(srv, &iv, 1, NULL, 0, &rl), 0);
	CHECK_EQ(rl, 0);
	CHECK_EQ(req(srv, FUSE_GETATTR, b, &ga, sizeof(ga)), -ESTALE);
	m.h.len = 1000;		/* a broken one fails quietly: nothing to frame a reply in */
	CHECK_EQ(fuse_srv_handle(srv, &iv, 1, NULL, 0, &rl), 0);
	CHECK_EQ(rl, 0);
	iv.iov_len = sizeof(m.h) + sizeof(ga);	/* GETATTR still needs room for its reply */
	m.h = (struct fuse_in_header){ .len = (uint32_t)iv.iov_len, .opcode = FUSE_GETATTR,
				       .unique = 5, .nodeid = 1 };
	CHECK_EQ(fuse_srv_handle(srv, &iv, 1, NULL, 0, &rl), -EINVAL);
	fuse_srv_destroy(srv);
}

static void test_batch_forget_overflow(void)
{
	struct fuse_srv *srv = make_srv(false, 0);
	struct {
		struct fuse_batch_forget_in in;
		struct fuse_forget_one one[2];
	} bf = { { .count = 0xffffffffu }, { { 1, 5 }, { 0xdead, 1 } } };

	CHECK_EQ(req(srv, FUSE_BATCH_FORGET, 0, &bf, sizeof(bf)), 1);
	CHECK_EQ(req(srv, FUSE_BATCH_FORGET, 0, &bf, sizeof(bf.in) + 3), 1);
	fuse_srv_destroy(srv);
}

static void test_release_twice(void)
{
	struct fuse_srv *srv = make_srv(false, 0);
	struct fuse_open_in op = { .flags = O_RDONLY | O_DIRECTORY };
	struct fuse_release_in rl = { 0 };

	CHECK_EQ(req(srv, FUSE_OPENDIR, 1, &op, sizeof(op)), 0);
	rl.fh = ((struct fuse_open_out *)(reply + sizeof(struct fuse_out_header)))->fh;
	CHECK_EQ(req(srv, FUSE_RELEASEDIR, 1, &rl, sizeof(rl)), 0);
	CHECK_EQ(req(srv, FUSE_RELEASEDIR, 1, &rl, sizeof(rl)), -EBADF);
	fuse_srv_destroy(srv);
}

static void test_exit_ioctl(void)
{
	struct fuse_srv *srv = make_srv(false, 0);
	struct fuse_ioctl_in io = { .cmd = 0x7602, .flags = FUSE_IOCTL_DIR, .arg = 42 };

	CHECK_EQ(req(srv, FUSE_IOCTL, 1, &io, sizeof(io)), 0);
	CHECK_EQ(last_exit, 42);
	io.cmd = 0x5401;
	CHECK_EQ(req(srv, FUSE_IOCTL, 1, &io, sizeof(io)), -ENOTTY);
	io.cmd = 0x7602;
	io.flags = 0;
	CHECK_EQ(req(srv, FUSE_IOCTL, 1, &io, sizeof(io)), -ENOTTY);
	fuse_srv_destroy(srv);
}

static void test_dax(void)
{
	struct fuse_srv *srv = make_srv(false, 2 << 20), *nodax = make_srv(false, 0);
	struct fuse_setupmapping_in sm = { .fh = ~0ull, .len = 1 << 21, .moffset = 0,
					   .flags = FUSE_SETUPMAPPING_FLAG_READ };
	/* wire layout: a 4-byte count directly followed by the entries (fs/fuse/dax.c) */
	struct fuse_removemapping_one one = { 0, 4096 };
	uint8_t rm[4 + sizeof(one)];
	uint32_t count = 1;
	uint64_t f;

	close(open(strcat(strcpy((char *)reply, tmpdir), "/daxf"), O_CREAT | O_WRONLY, 0644));
	f = lookup(srv, 1, "daxf");
	CHECK_EQ(req(srv, FUSE_SETUPMAPPING, f, &sm, sizeof(sm)), 0);
	CHECK_EQ(mapped_len, 2 << 20);
	sm.moffset = 4096;	/* runs past the window */
	CHECK_EQ(req(srv, FUSE_SETUPMAPPING, f, &sm, sizeof(sm)), -EINVAL);
	sm.moffset = ~0ull - 4095;
	CHECK_EQ(req(srv, FUSE_SETUPMAPPING, f, &sm, sizeof(sm)), -EINVAL);
	CHECK_EQ(req(srv, FUSE_SETUPMAPPING, 1, &sm, sizeof(sm)), -EINVAL);
	memcpy(rm, &count, 4);
	memcpy(rm + 4, &one, sizeof(one));
	CHECK_EQ(req(srv, FUSE_REMOVEMAPPING, f, rm, sizeof(rm)), 0);
	count = 1000;
	memcpy(rm, &count, 4);
	CHECK_EQ(req(srv, FUSE_REMOVEMAPPING, f, rm, sizeof(rm)), -EINVAL);
	CHECK_EQ(req(nodax, FUSE_SETUPMAPPING, 1, &sm, sizeof(sm)), -ENOSYS);
	fuse_srv_destroy(srv);
	fuse_srv_destroy(nodax);
}

static void test_read_only(void)
{
	struct fuse_srv *srv = make_srv(true, 0);
	struct fuse_mkdir_in mk = { .mode = 0755 };
	struct fuse_open_in op = { .flags = O_RDWR };
	uint8_t buf[64];

	memcpy(buf, &mk, sizeof(mk));
	memcpy(buf + sizeof(mk), "d", 2);
	CHECK_EQ(req(srv, FUSE_MKDIR, 1, buf, sizeof(mk) + 2), -EROFS);
	CHECK_EQ(req(srv, FUSE_UNLINK, 1, "split", 6), -EROFS);
	close(open(strcat(strcpy((char *)reply, tmpdir), "/rof"), O_CREAT | O_WRONLY, 0644));
	CHECK_EQ(req(srv, FUSE_OPEN, lookup(srv, 1, "rof"), &op, sizeof(op)), -EROFS);
	fuse_srv_destroy(srv);
}

static void test_overlay_nullfs(void)
{
	static const uint8_t data[] = "\x7f" "ELF-pretend";
	struct fuse_srv_config cfg = { 0 };
	struct fuse_open_in op = { .flags = O_RDONLY };
	struct fuse_read_in rd = { .size = 100 };
	struct fuse_srv *srv;
	uint64_t n;

	CHECK_EQ(fuse_srv_create(&cfg, &srv), 0);
	CHECK_EQ(fuse_srv_add_overlay_file(srv, "/init.krun", data, sizeof(data) - 1, 0100755,
					   true), 0);
	CHECK_EQ(fuse_srv_add_overlay_file(srv, "/init.krun", data, 1, 0755, false), -EEXIST);
	CHECK_EQ(fuse_srv_add_overlay_file(srv, "/no/x", data, 1, 0755, false), -ENOENT);
	CHECK_EQ(fuse_srv_add_overlay_file(srv, "/init.krun/x", data, 1, 0755, false), -ENOTDIR);
	CHECK_EQ(fuse_srv_add_overlay_file(srv, "/../x", data, 1, 0755, false), -EINVAL);
	CHECK_EQ(fuse_srv_add_overlay_dir(srv, "", 0755), -EINVAL);
	CHECK_EQ(fuse_srv_add_overlay_dir(srv, "/etc", 0755), 0);
	CHECK_EQ(fuse_srv_add_overlay_file(srv, "etc/hosts", data, 3, 0644, false), 0);
	n = lookup(srv, 1, "init.krun");
	CHECK(n > 1);
	CHECK_EQ(((struct fuse_entry_out *)(reply + 16))->attr.mode, S_IFREG | 0755);
	CHECK_EQ(((struct fuse_entry_out *)(reply + 16))->entry_valid, 0);
	CHECK_EQ(req(srv, FUSE_LOOKUP, 1, "init.krun", 10), -ENOENT);
	CHECK_EQ(req(srv, FUSE_OPEN, n, &op, sizeof(op)), 0);
	rd.fh = ((struct fuse_open_out *)(reply + 16))->fh;
	CHECK_EQ(req(srv, FUSE_READ, n, &rd, sizeof(rd)), 0);
	CHECK_EQ(((struct fuse_out_header *)reply)->len, 16 + sizeof(data) - 1);
	CHECK(!memcmp(reply + 16, data, sizeof(data) - 1));
	CHECK(lookup(srv, lookup(srv, 1, "etc"), "hosts") > 1);
	CHECK_EQ(req(srv, FUSE_UNLINK, 1, "etc", 4), -EROFS);
	fuse_srv_destroy(srv);
}

static void test_readdir_bogus_offset(void)
{
	struct fuse_srv *srv = make_srv(false, 0);
	struct fuse_open_in op = { .flags = O_RDONLY };
	struct fuse_read_in rd = { .size = 4096, .offset = 0x7fffffffdeadbeefull };

	CHECK_EQ(req(srv, FUSE_OPENDIR, 1, &op, sizeof(op)), 0);
	rd.fh = ((struct fuse_open_out *)(reply + 16))->fh;
	CHECK(req(srv, FUSE_READDIRPLUS, 1, &rd, sizeof(rd)) <= 0);
	rd.offset = 0;
	rd.size = 1;	/* nothing fits: empty reply, not an overflow */
	CHECK_EQ(req(srv, FUSE_READDIR, 1, &rd, sizeof(rd)), 0);
	CHECK_EQ(((struct fuse_out_header *)reply)->len, 16);
	fuse_srv_destroy(srv);
}

int main(void)
{
	const char *prefix = "fuse-raw";
	int fails = 0;

	if (!mkdtemp(tmpdir))
		return 1;
#define R(fn) (fails += test_run_(prefix, #fn, fn))
	R(test_init_reply);
	R(test_framing);
	R(test_huge_request);
	R(test_unknown_opcode);
	R(test_bogus_ids);
	R(test_short_args);
	R(test_names);
	R(test_huge_write);
	R(test_split_iovecs);
	R(test_symlink_node_abuse);
	R(test_forget_and_stale);
	R(test_forget_without_reply_buffer);
	R(test_batch_forget_overflow);
	R(test_release_twice);
	R(test_exit_ioctl);
	R(test_dax);
	R(test_read_only);
	R(test_overlay_nullfs);
	R(test_readdir_bogus_offset);
	snprintf((char *)reply, sizeof(reply), "rm -rf %s", tmpdir);
	if (system((char *)reply))
		fails++;
	return fails ? 1 : 0;
}
