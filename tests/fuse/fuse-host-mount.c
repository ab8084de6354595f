/* tests/fuse/fuse-host-mount.c: serves the library's FUSE server over the host's /dev/fuse so the server can be tested with real syscalls. */
/*
 * Usage: fuse-host-mount [-r] [-t THREADS] [-O] SRC MNT
 *   -r  read-only share          -t  worker threads (default 2)
 *   -O  add overlay entries: /virt-dir/hello.txt and one-shot /oneshot.txt
 *   -c  caching policy: never, auto or always (default: auto, or $KRUN_FS_CACHE)
 *   -X  no xattrs (the server answers ENOSYS to xattr requests)
 *   -s  count requests by opcode; print the counts to stderr on SIGUSR1 and at exit
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

static void *serve(void *opaque)
{
	struct worker *w = opaque;
	uint8_t ih[IN_HDR], oh[OUT_HDR], *in = NULL, *out = NULL;
	struct iovec iv[2], ov[2], cut[2];
	size_t reply_len;
	ssize_t n;
	int cnt;

	in = buf_alloc();
	out = buf_alloc();
	if (!in || !out)
		goto out;
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
		if (fuse_srv_handle(w->srv, iv, cnt, ov, 2, &reply_len) < 0 || !reply_len)
			continue;
		out_cut(ov, reply_len, cut, &cnt);
		if (writev(w->fd, cut, cnt) < 0 && errno != ENOENT)
			fprintf(stderr, "fuse-host-mount: reply: %s\n", strerror(errno));
	}
out:
	free(in);
	free(out);
	return NULL;
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
	bool overlays = false;
	const char *cache = NULL;
	struct fuse_srv *srv;
	pthread_t tid[16];
	struct worker w;
	char opts[256];

	while ((opt = getopt(argc, argv, "rt:Osc:X")) != -1) {
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
		else
			return 2;
	}
	if (argc - optind != 2 || nthreads < 1 || nthreads > 16) {
		fprintf(stderr, "usage: %s [-r] [-t N] [-O] [-s] [-c POLICY] [-X] SRC MNT\n", argv[0]);
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
	for (i = 0; i < nthreads; i++)
		pthread_join(tid[i], NULL);
	close(fd);
	if (count_ops)
		dump_counts();
	fuse_srv_destroy(srv);
	return 0;
}
