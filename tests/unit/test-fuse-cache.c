/* tests/unit/test-fuse-cache.c: the FUSE server's caching policies (never/auto/always), writeback-cache opens, FLUSH and the xattr-off switch, through hand-built requests. */
#include "test.h"
#include "fuse/fuse-server.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fuse.h>
#include <stdint.h>
#include <sys/stat.h>

static char tmpdir[] = "/tmp/fuse-cache.XXXXXX";
static uint8_t reply[1 << 16];
static uint32_t init_extra;	/* more INIT flags the kernel offers */
#define OUT(type) ((type *)(reply + sizeof(struct fuse_out_header)))

/* Send opcode with (arg, len) on (nodeid); returns the reply's error (0 or -errno), or 1 if none. */
static int req(struct fuse_srv *srv, uint32_t op, uint64_t nodeid, const void *arg, size_t len)
{
	static uint8_t in[1 << 16];
	struct fuse_in_header h = { .len = (uint32_t)(sizeof(h) + len), .opcode = op,
				    .unique = 7, .nodeid = nodeid };
	struct iovec iv = { in, sizeof(h) + len }, ov = { reply, sizeof(reply) };
	size_t rl = 0;

	memcpy(in, &h, sizeof(h));
	if (len)
		memcpy(in + sizeof(h), arg, len);
	if (fuse_srv_handle(srv, &iv, 1, &ov, 1, &rl))
		return 2;
	if (rl == 0)
		return 1;
	return ((struct fuse_out_header *)reply)->error;
}

/* A server on tmpdir with (cache); the INIT offers the writeback cache. */
static struct fuse_srv *make_srv(enum fuse_srv_cache cache, bool ro, bool no_xattr,
				 uint32_t *init_flags)
{
	struct fuse_srv_config cfg = { .root_dir = tmpdir, .read_only = ro, .cache = cache,
				       .no_xattr = no_xattr };
	struct fuse_init_in init = { .major = 7, .minor = 36, .max_readahead = 65536,
				     .flags = FUSE_WRITEBACK_CACHE | FUSE_DO_READDIRPLUS |
					      FUSE_ATOMIC_O_TRUNC | init_extra };
	struct fuse_srv *srv = NULL;

	if (fuse_srv_create(&cfg, &srv))
		return NULL;
	if (req(srv, FUSE_INIT, 0, &init, sizeof(init)))
		return NULL;
	if (init_flags)
		*init_flags = OUT(struct fuse_init_out)->flags;
	return srv;
}

static uint64_t lookup(struct fuse_srv *srv, const char *name, uint64_t *valid)
{
	if (req(srv, FUSE_LOOKUP, 1, name, strlen(name) + 1))
		return 0;
	*valid = OUT(struct fuse_entry_out)->entry_valid;
	return OUT(struct fuse_entry_out)->nodeid;
}

/* OPEN/OPENDIR (flags) on node; returns the fh, *open_flags the reply's FOPEN_* bits. */
static uint64_t open_node(struct fuse_srv *srv, uint64_t node, bool dir, int flags,
			  uint32_t *open_flags)
{
	struct fuse_open_in oi = { .flags = (uint32_t)flags };

	if (req(srv, dir ? FUSE_OPENDIR : FUSE_OPEN, node, &oi, sizeof(oi)))
		return 0;
	*open_flags = OUT(struct fuse_open_out)->open_flags;
	return OUT(struct fuse_open_out)->fh;
}

static void write_file(const char *name, const char *data)
{
	char p[256];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", tmpdir, name);
	f = fopen(p, "w");
	if (f) {
		fputs(data, f);
		fclose(f);
	}
}

static void test_parse(void)
{
	enum fuse_srv_cache c;

	CHECK_EQ(fuse_srv_cache_parse(NULL, FUSE_SRV_CACHE_ALWAYS, &c), 0);
	CHECK_EQ(c, FUSE_SRV_CACHE_ALWAYS);
	CHECK_EQ(fuse_srv_cache_parse("", FUSE_SRV_CACHE_AUTO, &c), 0);
	CHECK_EQ(c, FUSE_SRV_CACHE_AUTO);
	CHECK_EQ(fuse_srv_cache_parse("never", FUSE_SRV_CACHE_AUTO, &c), 0);
	CHECK_EQ(c, FUSE_SRV_CACHE_NEVER);
	CHECK_EQ(fuse_srv_cache_parse("always", FUSE_SRV_CACHE_AUTO, &c), 0);
	CHECK_EQ(c, FUSE_SRV_CACHE_ALWAYS);
	CHECK_EQ(fuse_srv_cache_parse("auto", FUSE_SRV_CACHE_NEVER, &c), 0);
	CHECK_EQ(c, FUSE_SRV_CACHE_AUTO);
	CHECK_EQ(fuse_srv_cache_parse("Always", FUSE_SRV_CACHE_AUTO, &c), -EINVAL);
	CHECK_EQ(fuse_srv_cache_parse("metadata", FUSE_SRV_CACHE_AUTO, &c), -EINVAL);
}

/* Timeouts and open flags per policy; writeback offered only by always on a writable share. */
static void test_policies(void)
{
	static const struct {
		enum fuse_srv_cache c;
		uint64_t ttl;
		uint32_t file, dir;
		bool wb;
	} want[] = {
		{ FUSE_SRV_CACHE_NEVER, 0, FOPEN_DIRECT_IO | FOPEN_NOFLUSH, 0, false },
		{ FUSE_SRV_CACHE_AUTO, 5, FOPEN_NOFLUSH, 0, false },
		{ FUSE_SRV_CACHE_ALWAYS, 86400, FOPEN_KEEP_CACHE | FOPEN_NOFLUSH,
		  FOPEN_KEEP_CACHE | FOPEN_CACHE_DIR, true },
	};
	struct fuse_getattr_in ga = { 0 };
	uint32_t init, of = 0;
	uint64_t node, ttl = 99;
	unsigned i;

	write_file("f", "data");
	for (i = 0; i < 3; i++) {
		struct fuse_srv *srv = make_srv(want[i].c, false, false, &init);

		CHECK(srv);
		if (!srv)
			continue;
		CHECK_EQ(!!(init & FUSE_WRITEBACK_CACHE), want[i].wb);
		node = lookup(srv, "f", &ttl);
		CHECK(node);
		CHECK_EQ(ttl, want[i].ttl);
		CHECK_EQ(req(srv, FUSE_GETATTR, node, &ga, sizeof(ga)), 0);
		CHECK_EQ(OUT(struct fuse_attr_out)->attr_valid, want[i].ttl);
		CHECK(open_node(srv, node, false, O_RDONLY, &of));
		CHECK_EQ(of, want[i].file);
		CHECK(open_node(srv, 1, true, O_RDONLY | O_DIRECTORY, &of));
		CHECK_EQ(of, want[i].dir);
		fuse_srv_destroy(srv);
	}
	/* a read-only share never takes writes into the guest's page cache */
	CHECK(make_srv(FUSE_SRV_CACHE_ALWAYS, true, false, &init));
	CHECK(!(init & FUSE_WRITEBACK_CACHE));
}

/*
 * Writeback cache: the kernel picks write offsets and reads to fill pages, so
 * a write-only O_APPEND open must land as a read-write, non-append host fd.
 */
static void test_writeback_open(void)
{
	struct fuse_srv *srv = make_srv(FUSE_SRV_CACHE_ALWAYS, false, false, NULL);
	struct {
		struct fuse_write_in w;
		char data[2];
	} wr = { .w = { .offset = 0, .size = 2 }, .data = { 'X', 'Y' } };
	struct fuse_read_in rd = { .offset = 0, .size = 64 };
	struct fuse_flush_in fl = { 0 };
	char p[256], got[16] = { 0 };
	uint64_t node, ttl;
	uint32_t of;
	int fd;

	CHECK(srv);
	write_file("wb", "hello");
	node = lookup(srv, "wb", &ttl);
	wr.w.fh = open_node(srv, node, false, O_WRONLY | O_APPEND, &of);
	CHECK(wr.w.fh);
	CHECK_EQ(req(srv, FUSE_WRITE, node, &wr, sizeof(wr)), 0);
	snprintf(p, sizeof(p), "%s/wb", tmpdir);
	fd = open(p, O_RDONLY);
	CHECK(fd >= 0 && read(fd, got, sizeof(got) - 1) == 5);
	close(fd);
	CHECK(!strcmp(got, "XYllo"));	/* at offset 0, not appended */
	rd.fh = wr.w.fh;
	CHECK_EQ(req(srv, FUSE_READ, node, &rd, sizeof(rd)), 0);	/* readable fd */
	CHECK(!memcmp(reply + sizeof(struct fuse_out_header), "XYllo", 5));
	fl.fh = wr.w.fh;
	CHECK_EQ(req(srv, FUSE_FLUSH, node, &fl, sizeof(fl)), -ENOSYS);
	fuse_srv_destroy(srv);

	/* auto: no writeback, O_APPEND kept, FLUSH served */
	srv = make_srv(FUSE_SRV_CACHE_AUTO, false, false, NULL);
	CHECK(srv);
	node = lookup(srv, "wb", &ttl);
	wr.w.fh = open_node(srv, node, false, O_WRONLY | O_APPEND, &of);
	CHECK_EQ(req(srv, FUSE_WRITE, node, &wr, sizeof(wr)), 0);
	fd = open(p, O_RDONLY);
	memset(got, 0, sizeof(got));
	CHECK(fd >= 0 && read(fd, got, sizeof(got) - 1) == 7);
	close(fd);
	CHECK(!strcmp(got, "XYlloXY"));
	fl.fh = wr.w.fh;
	CHECK_EQ(req(srv, FUSE_FLUSH, node, &fl, sizeof(fl)), 0);
	fuse_srv_destroy(srv);
}

/* xattr off: every xattr opcode gets ENOSYS (the kernel then stops asking); the rest works. */
static void test_no_xattr(void)
{
	struct fuse_srv *srv = make_srv(FUSE_SRV_CACHE_AUTO, false, true, NULL);
	struct {
		struct fuse_getxattr_in g;
		char name[24];
	} gx = { .g = { .size = 64 }, .name = "security.capability" };
	struct {
		struct fuse_setxattr_in s;
		char name_val[16];
	} sx = { .s = { .size = 1 }, .name_val = "user.a\0x" };
	uint64_t node, ttl;

	CHECK(srv);
	write_file("x", "");
	node = lookup(srv, "x", &ttl);
	CHECK(node);
	CHECK_EQ(req(srv, FUSE_GETXATTR, node, &gx, sizeof(gx)), -ENOSYS);
	CHECK_EQ(req(srv, FUSE_LISTXATTR, node, &gx.g, sizeof(gx.g)), -ENOSYS);
	CHECK_EQ(req(srv, FUSE_SETXATTR, node, &sx, sizeof(sx)), -ENOSYS);
	CHECK_EQ(req(srv, FUSE_REMOVEXATTR, node, "user.a", 7), -ENOSYS);
	CHECK(lookup(srv, "x", &ttl) == node);
	fuse_srv_destroy(srv);
}

/*
 * An absent name: under always a negative entry (node 0, a day long) the guest
 * caches; under auto and never ENOENT, so a name the host creates shows up.
 */
static void test_negative_lookup(void)
{
	static const enum fuse_srv_cache pol[] = { FUSE_SRV_CACHE_NEVER, FUSE_SRV_CACHE_AUTO,
						   FUSE_SRV_CACHE_ALWAYS };
	unsigned i;

	for (i = 0; i < 3; i++) {
		struct fuse_srv *srv = make_srv(pol[i], false, false, NULL);
		int err;

		CHECK(srv);
		if (!srv)
			continue;
		err = req(srv, FUSE_LOOKUP, 1, "absent", 7);
		if (pol[i] == FUSE_SRV_CACHE_ALWAYS) {
			CHECK_EQ(err, 0);
			CHECK_EQ(OUT(struct fuse_entry_out)->nodeid, 0);
			CHECK_EQ(OUT(struct fuse_entry_out)->entry_valid, 86400);
		} else {
			CHECK_EQ(err, -ENOENT);
		}
		/* other errors are not cached */
		CHECK_EQ(req(srv, FUSE_LOOKUP, 1, "..", 3), -EINVAL);
		fuse_srv_destroy(srv);
	}
}

/*
 * No-open (always, when the kernel offers it): OPEN and CREATE answer ENOSYS,
 * ATOMIC_O_TRUNC is withdrawn, and fh 0 names the node's file for one request.
 * Other policies keep real handles, so fh 0 stays invalid there.
 */
static void test_no_open(void)
{
	struct {
		struct fuse_write_in w;
		char data[2];
	} wr = { .w = { .offset = 1, .size = 2 }, .data = { 'Q', 'R' } };
	struct fuse_create_in ci = { .flags = O_WRONLY | O_CREAT, .mode = S_IFREG | 0644 };
	char cbuf[sizeof(ci) + 8];
	struct fuse_read_in rd = { .offset = 0, .size = 64 };
	struct fuse_fsync_in fs = { 0 };
	struct fuse_srv *srv;
	uint64_t node, ttl;
	uint32_t init, of;
	char p[256];

	init_extra = FUSE_NO_OPEN_SUPPORT;
	write_file("no", "hello");
	srv = make_srv(FUSE_SRV_CACHE_ALWAYS, false, false, &init);
	CHECK(srv);
	if (!srv)
		goto out;
	CHECK(!(init & FUSE_ATOMIC_O_TRUNC));
	node = lookup(srv, "no", &ttl);
	CHECK(node);
	CHECK(!open_node(srv, node, false, O_RDONLY, &of));
	CHECK_EQ(req(srv, FUSE_OPEN, node, &(struct fuse_open_in){ 0 },
		     sizeof(struct fuse_open_in)), -ENOSYS);
	CHECK(open_node(srv, 1, true, O_RDONLY | O_DIRECTORY, &of));	/* dirs keep OPENDIR */
	memcpy(cbuf, &ci, sizeof(ci));
	memcpy(cbuf + sizeof(ci), "new", 4);
	CHECK_EQ(req(srv, FUSE_CREATE, 1, cbuf, sizeof(ci) + 4), -ENOSYS);
	CHECK_EQ(req(srv, FUSE_WRITE, node, &wr, sizeof(wr)), 0);
	CHECK_EQ(OUT(struct fuse_write_out)->size, 2);
	CHECK_EQ(req(srv, FUSE_READ, node, &rd, sizeof(rd)), 0);
	CHECK(!memcmp(reply + sizeof(struct fuse_out_header), "hQRlo", 5));
	CHECK_EQ(req(srv, FUSE_FSYNC, node, &fs, sizeof(fs)), 0);
	/* fh 0 on a directory, a bogus node, a stale node */
	CHECK_EQ(req(srv, FUSE_READ, 1, &rd, sizeof(rd)), -EISDIR);
	CHECK_EQ(req(srv, FUSE_WRITE, 1, &wr, sizeof(wr)), -EISDIR);
	CHECK_EQ(req(srv, FUSE_READ, 0x77700000009ull, &rd, sizeof(rd)), -ESTALE);
	CHECK_EQ(req(srv, FUSE_FORGET, node, &(struct fuse_forget_in){ 1 },
		     sizeof(struct fuse_forget_in)), 1);
	CHECK_EQ(req(srv, FUSE_READ, node, &rd, sizeof(rd)), -ESTALE);
	fuse_srv_destroy(srv);

	/* read-only share, and a share with an overlay file: only OPEN can refuse a write open */
	srv = make_srv(FUSE_SRV_CACHE_ALWAYS, true, false, &init);
	CHECK(srv);
	if (!srv)
		goto out;
	node = lookup(srv, "no", &ttl);
	CHECK(open_node(srv, node, false, O_RDONLY, &of));
	CHECK_EQ(req(srv, FUSE_OPEN, node, &(struct fuse_open_in){ .flags = O_WRONLY },
		     sizeof(struct fuse_open_in)), -EROFS);
	fuse_srv_destroy(srv);
	{
		struct fuse_srv_config cfg = { .root_dir = tmpdir, .cache = FUSE_SRV_CACHE_ALWAYS };
		struct fuse_init_in ii = { .major = 7, .minor = 36, .flags = FUSE_NO_OPEN_SUPPORT };

		srv = NULL;
		CHECK_EQ(fuse_srv_create(&cfg, &srv), 0);
		if (!srv)
			goto out;
		CHECK_EQ(fuse_srv_add_overlay_file(srv, "/ov", (const uint8_t *)"x", 1, 0644, false), 0);
		CHECK_EQ(req(srv, FUSE_INIT, 0, &ii, sizeof(ii)), 0);
		node = lookup(srv, "ov", &ttl);
		CHECK(node);
		CHECK_EQ(req(srv, FUSE_OPEN, node, &(struct fuse_open_in){ .flags = O_RDWR },
			     sizeof(struct fuse_open_in)), -EACCES);
		fuse_srv_destroy(srv);
	}

	/* auto: real handles only */
	srv = make_srv(FUSE_SRV_CACHE_AUTO, false, false, &init);
	CHECK(srv);
	if (!srv)
		goto out;
	CHECK(init & FUSE_ATOMIC_O_TRUNC);
	node = lookup(srv, "no", &ttl);
	CHECK(open_node(srv, node, false, O_RDONLY, &of));
	CHECK_EQ(req(srv, FUSE_READ, node, &rd, sizeof(rd)), -EBADF);
	fuse_srv_destroy(srv);
out:
	snprintf(p, sizeof(p), "%s/new", tmpdir);
	CHECK(access(p, F_OK) < 0);	/* the refused CREATE made nothing */
	init_extra = 0;
}

/* A sink that records the READ it was handed and reads the data itself (or refuses). */
struct sink_rec {
	int calls;
	ssize_t fail;		/* < 0: refuse with this */
	uint64_t unique;
	off_t off;
	size_t len;
	char data[64];
	ssize_t got;
};

static ssize_t sink_send(void *opaque, uint64_t unique, int fd, off_t off, size_t len)
{
	struct sink_rec *s = opaque;

	s->calls++;
	if (s->fail < 0)
		return s->fail;
	s->unique = unique;
	s->off = off;
	s->len = len;
	s->got = pread(fd, s->data, len < sizeof(s->data) ? len : sizeof(s->data), off);
	return s->got;
}

/* fuse_srv_handle_sink: host-file READs go to the sink (no reply framed), overlay
 * files and a refusing sink take the ordinary path; other opcodes never reach it. */
static void test_read_sink(void)
{
	struct fuse_read_in rd = { .offset = 1, .size = 4 };
	struct fuse_in_header h = { .len = sizeof(h) + sizeof(rd), .opcode = FUSE_READ,
				    .unique = 99 };
	struct fuse_srv_config cfg = { .root_dir = tmpdir, .cache = FUSE_SRV_CACHE_ALWAYS };
	struct fuse_init_in ii = { .major = 7, .minor = 36, .flags = FUSE_NO_OPEN_SUPPORT };
	struct sink_rec rec = { 0 };
	struct fuse_srv_sink sink = { .opaque = &rec, .send_file = sink_send };
	uint8_t in[sizeof(h) + sizeof(rd)];
	struct iovec iv = { in, sizeof(in) }, ov = { reply, sizeof(reply) };
	struct fuse_srv *srv = NULL;
	uint64_t ttl;
	size_t rl = 1;

	write_file("sink", "abcdefgh");
	CHECK_EQ(fuse_srv_create(&cfg, &srv), 0);
	if (!srv)
		return;
	CHECK_EQ(fuse_srv_add_overlay_file(srv, "/ovs", (const uint8_t *)"xyz12", 5, 0644, true), 0);
	CHECK_EQ(req(srv, FUSE_INIT, 0, &ii, sizeof(ii)), 0);
	h.nodeid = lookup(srv, "sink", &ttl);
	CHECK(h.nodeid);
	memcpy(in, &h, sizeof(h));
	memcpy(in + sizeof(h), &rd, sizeof(rd));
	CHECK_EQ(fuse_srv_handle_sink(srv, &iv, 1, &ov, 1, &sink, &rl), 0);
	CHECK_EQ(rl, 0);		/* the sink answered */
	CHECK_EQ(rec.calls, 1);
	CHECK_EQ(rec.unique, 99);
	CHECK_EQ(rec.off, 1);
	CHECK_EQ(rec.len, 4);
	CHECK(rec.got == 4 && !memcmp(rec.data, "bcde", 4));

	rec.fail = -EIO;		/* refused: the server reads into out itself */
	CHECK_EQ(fuse_srv_handle_sink(srv, &iv, 1, &ov, 1, &sink, &rl), 0);
	CHECK_EQ(rec.calls, 2);
	CHECK_EQ(rl, sizeof(struct fuse_out_header) + 4);
	CHECK(!memcmp(reply + sizeof(struct fuse_out_header), "bcde", 4));

	rec.fail = 0;			/* an overlay file is served from memory, not the sink */
	h.nodeid = lookup(srv, "ovs", &ttl);
	CHECK(h.nodeid);
	memcpy(in, &h, sizeof(h));
	CHECK_EQ(fuse_srv_handle_sink(srv, &iv, 1, &ov, 1, &sink, &rl), 0);
	CHECK_EQ(rec.calls, 2);
	CHECK_EQ(rl, sizeof(struct fuse_out_header) + 4);
	CHECK(!memcmp(reply + sizeof(struct fuse_out_header), "yz12", 4));

	h.nodeid = 1;			/* a directory: EISDIR, the sink never sees it */
	memcpy(in, &h, sizeof(h));
	CHECK_EQ(fuse_srv_handle_sink(srv, &iv, 1, &ov, 1, &sink, &rl), 0);
	CHECK_EQ(((struct fuse_out_header *)reply)->error, -EISDIR);
	CHECK_EQ(rec.calls, 2);
	fuse_srv_destroy(srv);
}

/* Open fds of this process on host file (name) of tmpdir, O_PATH ones included. */
static int fds_on(const char *name)
{
	char want[256], link[256], p[64];
	int fd, n = 0;
	ssize_t l;

	snprintf(want, sizeof(want), "%s/%s", tmpdir, name);
	for (fd = 0; fd < 1024; fd++) {
		snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
		l = readlink(p, link, sizeof(link) - 1);
		if (l <= 0)
			continue;
		link[l] = 0;
		n += !strncmp(link, want, strlen(want));	/* "... (deleted)" too */
	}
	return n;
}

/* No-open READs past a file's first piece keep a read fd on the node: later
 * READs use it (and see writes), FORGET closes it; first-piece READs keep none. */
static void test_kept_read_fd(void)
{
	struct {
		struct fuse_write_in w;
		char data[2];
	} wr = { .w = { .offset = 2, .size = 2 }, .data = { 'X', 'Y' } };
	struct fuse_read_in rd = { .offset = 0, .size = 64 };
	struct fuse_srv *srv;
	uint64_t node, ttl;

	init_extra = FUSE_NO_OPEN_SUPPORT;
	write_file("kept", "0123456789");
	srv = make_srv(FUSE_SRV_CACHE_ALWAYS, false, false, NULL);
	CHECK(srv);
	if (!srv)
		goto out;
	node = lookup(srv, "kept", &ttl);
	CHECK(node);
	CHECK_EQ(fds_on("kept"), 1);		/* the node's O_PATH fd */
	CHECK_EQ(req(srv, FUSE_READ, node, &rd, sizeof(rd)), 0);
	CHECK_EQ(fds_on("kept"), 1);		/* a first piece: reopened and closed */
	rd.offset = 1;
	CHECK_EQ(req(srv, FUSE_READ, node, &rd, sizeof(rd)), 0);
	CHECK_EQ(fds_on("kept"), 2);		/* kept */
	CHECK(!memcmp(reply + sizeof(struct fuse_out_header), "123456789", 9));
	CHECK_EQ(req(srv, FUSE_WRITE, node, &wr, sizeof(wr)), 0);
	CHECK_EQ(req(srv, FUSE_READ, node, &rd, sizeof(rd)), 0);
	CHECK(!memcmp(reply + sizeof(struct fuse_out_header), "1XY456789", 9));
	CHECK_EQ(fds_on("kept"), 2);		/* reused, not another one */
	CHECK_EQ(req(srv, FUSE_UNLINK, 1, "kept", 5), 0);
	CHECK_EQ(req(srv, FUSE_READ, node, &rd, sizeof(rd)), 0);	/* open-unlinked still reads */
	CHECK_EQ(req(srv, FUSE_FORGET, node, &(struct fuse_forget_in){ 1 },
		     sizeof(struct fuse_forget_in)), 1);
	CHECK_EQ(fds_on("kept"), 0);		/* both closed with the node */
	CHECK_EQ(req(srv, FUSE_READ, node, &rd, sizeof(rd)), -ESTALE);
	fuse_srv_destroy(srv);
out:
	init_extra = 0;
}

/* The writeback cache's MTIME|CTIME flush: applied to a named file, answered from the
 * inode for one whose last host name is gone (no utimensat, the guest's times echoed). */
static void test_unlinked_time_flush(void)
{
	struct fuse_setattr_in sa = { .valid = FATTR_MTIME | FATTR_CTIME, .mtime = 1000000,
				      .mtimensec = 5, .ctime = 2000000, .ctimensec = 7 };
	struct fuse_srv *srv;
	uint64_t node, ttl;
	struct stat st;
	char p[256];

	write_file("tf", "data");
	snprintf(p, sizeof(p), "%s/tf", tmpdir);
	srv = make_srv(FUSE_SRV_CACHE_ALWAYS, false, false, NULL);
	CHECK(srv);
	if (!srv)
		return;
	node = lookup(srv, "tf", &ttl);
	CHECK(node);
	CHECK_EQ(req(srv, FUSE_SETATTR, node, &sa, sizeof(sa)), 0);
	CHECK(!stat(p, &st) && st.st_mtime == 1000000);	/* a named file: applied */
	CHECK_EQ(OUT(struct fuse_attr_out)->attr.size, 4);
	CHECK_EQ(req(srv, FUSE_UNLINK, 1, "tf", 3), 0);
	sa.mtime = 3000000;
	CHECK_EQ(req(srv, FUSE_SETATTR, node, &sa, sizeof(sa)), 0);
	CHECK_EQ(OUT(struct fuse_attr_out)->attr.mtime, 3000000);
	CHECK_EQ(OUT(struct fuse_attr_out)->attr.ctime, 2000000);
	CHECK_EQ(OUT(struct fuse_attr_out)->attr.ctimensec, 7);
	CHECK_EQ(OUT(struct fuse_attr_out)->attr.nlink, 0);
	CHECK_EQ(OUT(struct fuse_attr_out)->attr.size, 4);
	sa.valid |= FATTR_MODE;		/* anything more is applied as before */
	sa.mode = 0600;
	CHECK_EQ(req(srv, FUSE_SETATTR, node, &sa, sizeof(sa)), 0);
	CHECK_EQ(OUT(struct fuse_attr_out)->attr.mode & 07777, 0600);
	CHECK_EQ(OUT(struct fuse_attr_out)->attr.mtime, 3000000);
	fuse_srv_destroy(srv);
}

int main(void)
{
	const char *prefix = "fuse-cache";
	int fails = 0;

	if (!mkdtemp(tmpdir))
		return 1;
#define R(fn) (fails += test_run_(prefix, #fn, fn))
	R(test_parse);
	R(test_policies);
	R(test_writeback_open);
	R(test_no_xattr);
	R(test_negative_lookup);
	R(test_no_open);
	R(test_read_sink);
	R(test_unlinked_time_flush);
	R(test_kept_read_fd);
	snprintf((char *)reply, sizeof(reply), "rm -rf %s", tmpdir);
	if (system((char *)reply))
		fails++;
	return fails ? 1 : 0;
}
