/* tests/fuse/fuse-host-mount.c: serves the library's FUSE server over the host's /dev/fuse so the server can be tested with real syscalls. */
/*
 * Usage: fuse-host-mount [-r] [-t THREADS] [-O] SRC MNT
 *   -r  read-only share          -t  worker threads (default 2)
 *   -O  add overlay entries: /virt-dir/hello.txt and one-shot /oneshot.txt
 *   -c  caching policy: never, auto or always (default: auto, or $KRUN_FS_CACHE)
 *   -X  no xattrs (the server answers ENOSYS to xattr requests)
 *   -s  count requests by opcode; print the counts to stderr on SIGUSR1 and at exit
 *   -C  copy READ data through a buffer instead of splicing it (file -> pipe -> /dev/fuse)
 *   -W  lift the kernel's dirty limit of the mount's bdi (max_ratio 100, strict_limit 0) as
 *       the guest init does for a virtio-fs root, so seq write measures what the guest gets
 * Mounts SRC at MNT (fstype "fuse", allow_other, default_permissions: the
 * options the guest kernel always uses for virtio-fs) and serves until unmounted.
 * Prints "ready" on stdout once mounted.
 */
#include "fuse/fuse-server.h"
#include "util/log.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <linux/fuse.h>
#include <sys/uio.h>
#include <unistd.h>

#define BUF_SIZE (FUSE_SRV_MAX_REQ + 8192)
/* in: fuse_in_header + fuse_write_in; out: fuse_out_header. Splitting the
 * buffers there puts WRITE payloads and READ data on page boundaries, the way
 * the guest's virtio-fs driver lays out its descriptors (headers in their own
 * buffer, data in whole pages). A misaligned copy is measurably slower. */
#define HUGE_SIZE (2u << 20)
#define IN_HDR 80
#define OUT_HDR 16

static const uint8_t hello[] = "hello from the overlay\n";
static const uint8_t oneshot[] = "one shot\n";

#define NR_OPCODES 64
static unsigned long op_count[NR_OPCODES];	/* atomic; only with -s */
static bool count_ops;
static bool no_splice;

/* Requests per opcode since the last dump (then reset): where a workload's round trips go. */
static void dump_counts(void)
{
	unsigned long total = 0, c;
	int i;

	for (i = 0; i < NR_OPCODES; i++) {
		c = __atomic_exchange_n(&op_count[i], 0, __ATOMIC_RELAXED);
		if (c)
			fprintf(stderr, "opcode %d: %lu\n", i, c);
		total += c;
	}
	fprintf(stderr, "requests: %lu\n", total);
}

static void on_usr1(int sig)
{
	(void)sig;
	dump_counts();	/* a test tool: stdio from the handler is acceptable here */
}

struct worker {
	struct fuse_srv *srv;
	int fd;
};

/* The part of (out) that a reply of reply_len bytes fills, header piece first. */
static void out_cut(struct iovec *out, size_t reply_len, struct iovec *cut, int *cnt)
{
	cut[0] = out[0];
	cut[1] = out[1];
	*cnt = 1;
	if (reply_len <= OUT_HDR) {
		cut[0].iov_len = reply_len;
		return;
	}
	cut[1].iov_len = reply_len - OUT_HDR;
	*cnt = 2;
}

/* One huge page when THP allows: the kernel pins these buffers' pages for
 * every /dev/fuse copy, and fewer, larger pages make that cheaper. */
static uint8_t *buf_alloc(void)
{
	void *p;

	if (posix_memalign(&p, HUGE_SIZE, HUGE_SIZE))
		return NULL;
	madvise(p, HUGE_SIZE, MADV_HUGEPAGE);
	return p;
}

/* A worker's pipe for READ replies: the file's pages go into it and from it to
 * /dev/fuse without a copy in user space (what libfuse does for passthrough_hp). */
struct splicer {
	int dev;
	int pipe[2];
	uint8_t *scratch;	/* a short reply is drained into it and rewritten */
	size_t cap;		/* pipe capacity: the header takes a page of it */
};

/* Empty the pipe into the scratch buffer; returns the bytes read. */
static size_t pipe_drain(struct splicer *sp, size_t max)
{
	size_t got = 0;
	ssize_t n;

	while (got < max && (n = read(sp->pipe[0], sp->scratch + got, max - got)) > 0)
		got += (size_t)n;
	while (read(sp->pipe[0], sp->scratch, BUF_SIZE) > 0)
		;	/* more than asked for cannot be there; never leave bytes behind */
	return got;
}

/* Header, then the file's pages, then the whole message from the pipe into /dev/fuse. */
static ssize_t send_file(void *opaque, uint64_t unique, int fd, off_t off, size_t len)
{
	struct splicer *sp = opaque;
	struct fuse_out_header oh = { .len = (uint32_t)(sizeof(oh) + len), .unique = unique };
	size_t got = 0, total;
	ssize_t n = 0;

	if (len + 4096 > sp->cap)
		return -E2BIG;	/* would not fit beside its header: copied instead */
	if (write(sp->pipe[1], &oh, sizeof(oh)) != (ssize_t)sizeof(oh)) {
		pipe_drain(sp, 0);
		return -EIO;
	}
	while (got < len) {
		n = splice(fd, &off, sp->pipe[1], NULL, len - got, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	if (n < 0 && !got) {	/* nothing read: let the server answer the error itself */
		int err = errno;

		pipe_drain(sp, 0);
		return -err;
	}
	if (got < len) {	/* end of file: the header in the pipe says len, rewrite it */
		total = pipe_drain(sp, sizeof(oh) + got);
		if (total < sizeof(oh))
			return -EIO;
		oh.len = (uint32_t)total;
		memcpy(sp->scratch, &oh, sizeof(oh));
		if (write(sp->dev, sp->scratch, total) < 0 && errno != ENOENT)
			fprintf(stderr, "fuse-host-mount: reply: %s\n", strerror(errno));
		return (ssize_t)(total - sizeof(oh));
	}
	total = sizeof(oh) + got;
	n = splice(sp->pipe[0], NULL, sp->dev, NULL, total, SPLICE_F_MOVE);
	if (n != (ssize_t)total) {
		if (n < 0 && errno != ENOENT)	/* ENOENT: the request was interrupted */
			fprintf(stderr, "fuse-host-mount: spliced reply: %s\n", strerror(errno));
		pipe_drain(sp, 0);
	}
	return (ssize_t)got;
}

/* A non-blocking pipe for whole READ replies: 1 MiB of data and its header when
 * we may grow it that far, else fs.pipe-max-size (larger READs are copied). */
static int splicer_init(struct splicer *sp, int dev, uint8_t *scratch)
{
	int n;

	sp->dev = dev;
	sp->scratch = scratch;
	if (pipe2(sp->pipe, O_NONBLOCK | O_CLOEXEC) < 0)
		return -errno;
	n = fcntl(sp->pipe[1], F_SETPIPE_SZ, 2 * FUSE_SRV_MAX_WRITE);
	if (n < 0)	/* without CAP_SYS_RESOURCE: up to fs.pipe-max-size */
		n = fcntl(sp->pipe[1], F_SETPIPE_SZ, FUSE_SRV_MAX_WRITE);
	if (n < 0) {
		close(sp->pipe[0]);
		close(sp->pipe[1]);
		return -errno;
	}
	sp->cap = (size_t)n;
	return 0;
}

static void *serve(void *opaque)
{
	struct worker *w = opaque;
	uint8_t ih[IN_HDR], oh[OUT_HDR], *in = NULL, *out = NULL;
	struct iovec iv[2], ov[2], cut[2];
	struct fuse_srv_sink sink = { .send_file = send_file }, *sk = NULL;
	struct splicer sp;
	size_t reply_len;
	ssize_t n;
	int cnt;

	in = buf_alloc();
	out = buf_alloc();
	if (!in || !out)
		goto out;
	if (!no_splice && !splicer_init(&sp, w->fd, out)) {
		sink.opaque = &sp;
		sk = &sink;
	}
	ov[0] = (struct iovec){ oh, OUT_HDR };
	ov[1] = (struct iovec){ out, BUF_SIZE };
	for (;;) {
		iv[0] = (struct iovec){ ih, IN_HDR };
		iv[1] = (struct iovec){ in, BUF_SIZE };
		n = readv(w->fd, iv, 2);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN || errno == ENOENT)
				continue;	/* ENOENT: request was interrupted */
			break;			/* ENODEV: unmounted */
		}
		if (count_ops && n >= 8) {
			uint32_t opc;

			memcpy(&opc, ih + 4, sizeof(opc));
			if (opc < NR_OPCODES)
				__atomic_add_fetch(&op_count[opc], 1, __ATOMIC_RELAXED);
		}
		if ((size_t)n <= IN_HDR) {
			iv[0].iov_len = (size_t)n;
			cnt = 1;
		} else {
			iv[1].iov_len = (size_t)n - IN_HDR;
			cnt = 2;
		}
		if (fuse_srv_handle_sink(w->srv, iv, cnt, ov, 2, sk, &reply_len) < 0 || !reply_len)
			continue;
		out_cut(ov, reply_len, cut, &cnt);
		if (writev(w->fd, cut, cnt) < 0 && errno != ENOENT)
			fprintf(stderr, "fuse-host-mount: reply: %s\n", strerror(errno));
	}
	if (sk) {
		close(sp.pipe[0]);
		close(sp.pipe[1]);
	}
out:
	free(in);
	free(out);
	return NULL;
}

/* Writes VAL to /sys/class/bdi/<dev>/KNOB; a knob this kernel lacks is skipped. */
static void bdi_write(dev_t dev, const char *knob, const char *val)
{
	char path[80];
	int fd;

	snprintf(path, sizeof(path), "/sys/class/bdi/%u:%u/%s", major(dev), minor(dev), knob);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, val, strlen(val)) < 0)
		if (errno != ENOENT)
			fprintf(stderr, "fuse-host-mount: %s: %s\n", path, strerror(errno));
	if (fd >= 0)
		close(fd);
}

/*
 * -W: the kernel gives every FUSE bdi max_ratio 1% with strict_limit, against
 * a server in the same kernel needing memory to write back what is throttled.
 * The guest init lifts it for a virtio-fs root, whose server is outside the
 * guest's kernel (init/setup.c). Called once the workers run: the stat may
 * need a GETATTR answered.
 */
static void lift_dirty_limit(const char *mnt)
{
	struct stat st;

	if (stat(mnt, &st) < 0) {
		fprintf(stderr, "fuse-host-mount: stat %s: %s\n", mnt, strerror(errno));
		return;
	}
	bdi_write(st.st_dev, "max_ratio", "100");
	bdi_write(st.st_dev, "strict_limit", "0");
}

static void exit_code(void *opaque, int32_t code)
{
	fprintf(stderr, "fuse-host-mount: exit code %d\n", code);
}

static int add_overlays(struct fuse_srv *srv)
{
	int ret;

	ret = fuse_srv_add_overlay_dir(srv, "/virt-dir", 0755);
	if (!ret)
		ret = fuse_srv_add_overlay_file(srv, "virt-dir/hello.txt", hello,
						sizeof(hello) - 1, 0644, false);
	if (!ret)
		ret = fuse_srv_add_overlay_file(srv, "/oneshot.txt", oneshot,
						sizeof(oneshot) - 1, 0755, true);
	return ret;
}

int main(int argc, char **argv)
{
	struct fuse_srv_config cfg = { .cb = { .exit_code = exit_code } };
	int opt, nthreads = 2, fd, ret, i;
	bool overlays = false, lift = false;
	const char *cache = NULL;
	struct fuse_srv *srv;
	pthread_t tid[16];
	struct worker w;
	char opts[256];

	while ((opt = getopt(argc, argv, "rt:Osc:XCW")) != -1) {
		if (opt == 'r')
			cfg.read_only = true;
		else if (opt == 't')
			nthreads = atoi(optarg);
		else if (opt == 'O')
			overlays = true;
		else if (opt == 's')
			count_ops = true;
		else if (opt == 'c')
			cache = optarg;
		else if (opt == 'X')
			cfg.no_xattr = true;
		else if (opt == 'C')
			no_splice = true;
		else if (opt == 'W')
			lift = true;
		else
			return 2;
	}
	if (argc - optind != 2 || nthreads < 1 || nthreads > 16) {
		fprintf(stderr, "usage: %s [-r] [-t N] [-O] [-s] [-c POLICY] [-X] [-C] [-W] SRC MNT\n", argv[0]);
		return 2;
	}
	if (fuse_srv_cache_parse(cache ? cache : getenv("KRUN_FS_CACHE"), FUSE_SRV_CACHE_AUTO,
				 &cfg.cache)) {
		fprintf(stderr, "fuse-host-mount: -c never|auto|always\n");
		return 2;
	}
	log_configure(-1, getenv("FUSE_DEBUG") ? LOG_DEBUG : LOG_WARN, 2);
	cfg.root_dir = strcmp(argv[optind], "-") ? argv[optind] : NULL;
	ret = fuse_srv_create(&cfg, &srv);
	if (!ret && overlays)
		ret = add_overlays(srv);
	if (ret) {
		fprintf(stderr, "fuse-host-mount: server: %s\n", strerror(-ret));
		return 1;
	}
	fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		perror("fuse-host-mount: /dev/fuse");
		return 1;
	}
	snprintf(opts, sizeof(opts), "fd=%d,rootmode=40000,user_id=0,group_id=0,allow_other,default_permissions", fd);
	if (mount("krun-test", argv[optind + 1], "fuse", MS_NOSUID | MS_NODEV, opts) < 0) {
		perror("fuse-host-mount: mount");
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	if (count_ops)
		signal(SIGUSR1, on_usr1);
	w = (struct worker){ srv, fd };
	for (i = 0; i < nthreads; i++)
		pthread_create(&tid[i], NULL, serve, &w);
	if (lift)
		lift_dirty_limit(argv[optind + 1]);
	for (i = 0; i < nthreads; i++)
		pthread_join(tid[i], NULL);
	close(fd);
	if (count_ops)
		dump_counts();
	fuse_srv_destroy(srv);
	return 0;
}
