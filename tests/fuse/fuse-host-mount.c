/* tests/fuse/fuse-host-mount.c: serves the library's FUSE server over the host's /dev/fuse so the server can be tested with real syscalls. */
/*
 * Usage: fuse-host-mount [-r] [-t THREADS] [-O] SRC MNT
 *   -r  read-only share          -t  worker threads (default 2)
 *   -O  add overlay entries: /virt-dir/hello.txt and one-shot /oneshot.txt
 * Mounts SRC at MNT (fstype "fuse", allow_other) and serves until unmounted.
 * Prints "ready" on stdout once mounted.
 */
#include "fuse/fuse-server.h"
#include "util/log.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#define BUF_SIZE (FUSE_SRV_MAX_REQ + 8192)

static const uint8_t hello[] = "hello from the overlay\n";
static const uint8_t oneshot[] = "one shot\n";

struct worker {
	struct fuse_srv *srv;
	int fd;
};

static void *serve(void *opaque)
{
	struct worker *w = opaque;
	uint8_t *in = malloc(BUF_SIZE), *out = malloc(BUF_SIZE);
	struct iovec iv, ov = { out, BUF_SIZE };
	size_t reply_len;
	ssize_t n;

	if (!in || !out)
		goto out;
	for (;;) {
		n = read(w->fd, in, BUF_SIZE);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN || errno == ENOENT)
				continue;	/* ENOENT: request was interrupted */
			break;			/* ENODEV: unmounted */
		}
		iv = (struct iovec){ in, (size_t)n };
		if (fuse_srv_handle(w->srv, &iv, 1, &ov, 1, &reply_len) < 0 || !reply_len)
			continue;
		if (write(w->fd, out, reply_len) < 0 && errno != ENOENT)
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
	struct fuse_srv *srv;
	pthread_t tid[16];
	struct worker w;
	char opts[256];

	while ((opt = getopt(argc, argv, "rt:O")) != -1) {
		if (opt == 'r')
			cfg.read_only = true;
		else if (opt == 't')
			nthreads = atoi(optarg);
		else if (opt == 'O')
			overlays = true;
		else
			return 2;
	}
	if (argc - optind != 2 || nthreads < 1 || nthreads > 16) {
		fprintf(stderr, "usage: %s [-r] [-t N] [-O] SRC MNT\n", argv[0]);
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
	snprintf(opts, sizeof(opts), "fd=%d,rootmode=40000,user_id=0,group_id=0,allow_other", fd);
	if (mount("krun-test", argv[optind + 1], "fuse", MS_NOSUID | MS_NODEV, opts) < 0) {
		perror("fuse-host-mount: mount");
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	w = (struct worker){ srv, fd };
	for (i = 0; i < nthreads; i++)
		pthread_create(&tid[i], NULL, serve, &w);
	for (i = 0; i < nthreads; i++)
		pthread_join(tid[i], NULL);
	close(fd);
	fuse_srv_destroy(srv);
	return 0;
}
