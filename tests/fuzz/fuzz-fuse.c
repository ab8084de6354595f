/* tests/fuzz/fuzz-fuse.c: libFuzzer target for the FUSE server: request sequences over a scratch share, with an escape oracle. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fuse.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuse/fuse-server.h"
#include "fuzz.h"

/*
 * Layout, on a private tmpfs when we may mount one (root: a mount namespace of our own),
 * else in a directory under /tmp with file sizes capped:
 *
 *   base/share/      the shared directory (reset every RESET_EVERY inputs)
 *   base/sentinel    must never change: content, mode, owner, times, links
 *   base/sibling/    a directory beside the share, with a file in it: same
 *
 * The share holds symlinks that point at the sentinel and the sibling, relatively and
 * absolutely; a server that follows one of them modifies what the oracle watches.
 */
#define RESET_EVERY	4096
#define MAX_REQS	32
#define DAX_WINDOW	(16u << 20)
#define REQ_MAX		(1u << 16)

static char base[64], share[96];
static const char *watched[] = { "", "/sentinel", "/sibling", "/sibling/file" };
static struct stat before[4];
static unsigned inputs;
static uint8_t reqbuf[REQ_MAX], outbuf[REQ_MAX + 64];
static const uint8_t init_blob[] = "#!/bin/sh\necho overlay\n";

static void must(int ok, const char *what)
{
	if (!ok) {
		perror(what);
		abort();
	}
}

static void put_file(const char *path, const char *data)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	must(fd >= 0, path);
	must(write(fd, data, strlen(data)) == (ssize_t)strlen(data), path);
	close(fd);
}

static void at(char *buf, size_t size, const char *dir, const char *name)
{
	snprintf(buf, size, "%s/%s", dir, name);
}

/* The share's initial contents: plain entries and symlinks that lead out of it. */
static void populate_share(void)
{
	char p[256], t[256];

	must(mkdir(share, 0755) == 0 || errno == EEXIST, share);
	at(p, sizeof(p), share, "file");
	put_file(p, "hello from the share\n");
	at(p, sizeof(p), share, "dir");
	must(mkdir(p, 0755) == 0, p);
	at(p, sizeof(p), share, "dir/inner");
	put_file(p, "inner\n");
	at(p, sizeof(p), share, "up");
	must(symlink("../sentinel", p) == 0, p);
	at(p, sizeof(p), share, "dir/upup");
	must(symlink("../../sibling", p) == 0, p);
	at(p, sizeof(p), share, "abs");
	at(t, sizeof(t), base, "sentinel");
	must(symlink(t, p) == 0, p);
	at(p, sizeof(p), share, "fifo");
	must(mkfifo(p, 0644) == 0, p);
}


static void wipe(const char *dir)
{
	char cmd[256];

	/* nftw would do; a fork per reset (every RESET_EVERY inputs) costs little. */
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	must(system(cmd) == 0, cmd);
}

/* Leave no directory behind in /tmp (the tmpfs goes with our mount namespace). */
static void cleanup(void)
{
	char cmd[128];

	umount2(base, MNT_DETACH);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
	if (system(cmd))	/* at exit: never turn a finished run into a crash */
		fprintf(stderr, "fuzz-fuse: could not remove %s\n", base);
}

static bool private_tmpfs(void)
{
	if (unshare(CLONE_NEWNS))
		return false;
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		return false;
	return mount("krun-fuzz", base, "tmpfs", MS_NOSUID | MS_NODEV, "size=64m,nr_inodes=8192,mode=0755") == 0;
}

static void snapshot(struct stat *st)
{
	char p[256];

	for (int i = 0; i < 4; i++) {
		snprintf(p, sizeof(p), "%s%s", base, watched[i]);
		must(lstat(p, &st[i]) == 0, p);
	}
}

/* Anything outside the share changed? The base's mtime covers entries added beside the share. */
static void check_outside(void)
{
	struct stat now[4];
	char p[256], buf[64];
	int fd;

	snapshot(now);
	for (int i = 0; i < 4; i++) {
		const struct stat *a = &before[i], *b = &now[i];

		FUZZ_ASSERT(a->st_ino == b->st_ino && a->st_mode == b->st_mode &&
			    a->st_uid == b->st_uid && a->st_gid == b->st_gid &&
			    a->st_size == b->st_size && a->st_nlink == b->st_nlink &&
			    a->st_mtim.tv_nsec == b->st_mtim.tv_nsec && a->st_mtime == b->st_mtime &&
			    a->st_ctim.tv_nsec == b->st_ctim.tv_nsec && a->st_ctime == b->st_ctime,
			    "%s%s changed outside the share", base, watched[i]);
	}
	snprintf(p, sizeof(p), "%s/sentinel", base);
	fd = open(p, O_RDONLY);
	must(fd >= 0, p);
	FUZZ_ASSERT(read(fd, buf, sizeof(buf)) == 9 && !memcmp(buf, "sentinel\n", 9), "sentinel content");
	close(fd);
}

static void setup(void)
{
	char p[256];

	strcpy(base, "/tmp/krun-fuzz-fuse.XXXXXX");
	must(mkdtemp(base) != NULL, "mkdtemp");
	atexit(cleanup);
	if (!private_tmpfs()) {
		/* No tmpfs of our own: keep files small so a WRITE at 1 TiB cannot fill /tmp. */
		struct rlimit r = { 16 << 20, 16 << 20 };

		signal(SIGXFSZ, SIG_IGN);
		setrlimit(RLIMIT_FSIZE, &r);
	}
	snprintf(share, sizeof(share), "%s/share", base);
	at(p, sizeof(p), base, "sentinel");
	put_file(p, "sentinel\n");
	chmod(p, 0600);
	at(p, sizeof(p), base, "sibling");
	must(mkdir(p, 0700) == 0, p);
	at(p, sizeof(p), base, "sibling/file");
	put_file(p, "sibling\n");
	populate_share();
	snapshot(before);
}

static int cb_map(void *o, int fd, uint64_t foff, uint64_t moff, uint64_t len, bool w)
{
	FUZZ_ASSERT(fd >= 0, "mapping without an fd");
	FUZZ_ASSERT(len <= DAX_WINDOW && moff <= DAX_WINDOW - len,
		    "mapping [%#llx, +%#llx) outside the window", (unsigned long long)moff,
		    (unsigned long long)len);
	return 0;
}

static int cb_unmap(void *o, uint64_t moff, uint64_t len)
{
	FUZZ_ASSERT(len <= DAX_WINDOW && moff <= DAX_WINDOW - len,
		    "unmapping [%#llx, +%#llx) outside the window", (unsigned long long)moff,
		    (unsigned long long)len);
	return 0;
}

static void cb_exit(void *o, int32_t code)
{
}

/* One request: the server must answer inside the out buffers with a well-formed header. */
static void send_req(struct fuse_srv *srv, size_t len, uint8_t how)
{
	static const size_t out_sizes[4] = { sizeof(outbuf), sizeof(struct fuse_out_header), 200, 4096 };
	struct fuse_in_header *h = (struct fuse_in_header *)reqbuf;
	size_t osize = out_sizes[(how >> 3) & 3], rl = 0;
	struct iovec in[4], out[2] = { { outbuf, 24 }, { outbuf + 24, osize - 24 } };
	unsigned nin = ((how >> 1) & 3) + 1;
	struct fuse_out_header *oh = (struct fuse_out_header *)outbuf;
	int ret;

	if ((how & 1) && len >= sizeof(*h))
		h->len = len;	/* most requests keep a consistent length, some lie */
	for (unsigned k = 0; k < nin; k++) {
		size_t a = len * k / nin, b = len * (k + 1) / nin;

		in[k] = (struct iovec){ reqbuf + a, b - a };
	}
	if (osize <= 24) {
		out[0].iov_len = osize;
		out[1].iov_len = 0;
	}
	/* Bit 5: no reply buffer at all, as the guest's hiprio queue sends FORGETs. */
	if (how & 0x20)
		osize = 0;
	ret = fuse_srv_handle(srv, in, nin, out, !osize ? 0 : osize <= 24 ? 1 : 2, &rl);
	if (ret) {
		FUZZ_ASSERT(ret < 0 && ret > -4096, "fuse_srv_handle returned %d", ret);
		return;
	}
	FUZZ_ASSERT(rl <= osize, "reply of %zu bytes into %zu", rl, osize);
	if (rl == 0)
		return;
	FUZZ_ASSERT(rl >= sizeof(*oh) && oh->len == rl, "reply header len %u, wrote %zu", oh->len, rl);
	FUZZ_ASSERT(oh->error <= 0 && oh->error > -4096, "reply error %d", oh->error);
	FUZZ_ASSERT(len < sizeof(*h) || oh->unique == h->unique, "unique not echoed");
}

static struct fuse_srv *make_server(uint8_t mode)
{
	struct fuse_srv_config cfg = {
		.root_dir = share, .read_only = mode & 1, .dax_window_size = mode & 2 ? DAX_WINDOW : 0,
		.cache = mode & 4 ? FUSE_SRV_CACHE_ALWAYS : FUSE_SRV_CACHE_AUTO,
		.max_objects = 256,
		.cb = { .setup_mapping = cb_map, .remove_mapping = cb_unmap, .exit_code = cb_exit },
	};
	struct fuse_init_in init = { .major = 7, .minor = 38, .max_readahead = 1 << 17,
				     .flags = FUSE_MAP_ALIGNMENT | FUSE_DO_READDIRPLUS |
					      FUSE_ASYNC_READ | FUSE_BIG_WRITES | FUSE_EXPORT_SUPPORT };
	struct fuse_in_header h = { .len = sizeof(h) + sizeof(init), .opcode = FUSE_INIT, .unique = 1 };
	struct fuse_srv *srv;

	must(fuse_srv_create(&cfg, &srv) == 0, "fuse_srv_create");
	must(fuse_srv_add_overlay_dir(srv, "ovl", 0755) == 0, "overlay dir");
	must(fuse_srv_add_overlay_file(srv, "init.krun", init_blob, sizeof(init_blob) - 1, 0755, true) == 0,
	     "overlay file");
	/* Mode 4 is the root share a guest gets: cache=always, no-open, no writable overlay file. */
	if (!(mode & 4))
		must(fuse_srv_add_overlay_file(srv, "ovl/f", init_blob, 4, 0644, false) == 0,
		     "overlay file");
	else
		init.flags |= FUSE_NO_OPEN_SUPPORT | FUSE_NO_OPENDIR_SUPPORT | FUSE_WRITEBACK_CACHE;
	memcpy(reqbuf, &h, sizeof(h));
	memcpy(reqbuf + sizeof(h), &init, sizeof(init));
	send_req(srv, h.len, 1);
	return srv;
}

/*
 * Creating a server costs more than most requests (its tables), so the five
 * servers (read-only x DAX, and the cache=always no-open root share) live until the next reset of the share: an input
 * may see nodes and handles left by earlier ones, as a guest's requests do.
 */
static struct fuse_srv *servers[5];

static void reset_all(void)
{
	for (int i = 0; i < 5; i++) {
		if (servers[i])
			fuse_srv_destroy(servers[i]);
		servers[i] = NULL;
	}
	wipe(share);
	populate_share();
	snapshot(before);	/* our own reset changed the base directory's times */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	struct fuse_srv *srv;
	uint64_t unique = 2;
	uint8_t mode;

	if (!base[0])
		setup();
	if (++inputs % RESET_EVERY == 0)
		reset_all();
	mode = fuzz_u8(&in) % 5;
	if (!servers[mode])
		servers[mode] = make_server(mode);
	srv = servers[mode];
	for (int n = 0; n < MAX_REQS && in.left; n++) {
		uint8_t how = fuzz_u8(&in);
		size_t len = fuzz_u16(&in);

		if (len > in.left)
			len = in.left;
		memcpy(reqbuf, in.p, len);
		in.p += len;
		in.left -= len;
		if (len >= sizeof(struct fuse_in_header) && (how & 1))
			((struct fuse_in_header *)reqbuf)->unique = unique++;
		send_req(srv, len, how);
	}
	check_outside();
	return 0;
}
