/* tests/fuzz/fuzz-blk.c: libFuzzer target for src/disk/ (qcow2 and raw): an attacker-made image, then guest requests against it. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "disk/disk.h"
#include "fuzz.h"
#include "libkrun.h"
#include "util/log.h"

/*
 * Input: u8 flags, u32 image length, the image bytes, then up to 32 requests
 * (u8 op, u32 sector, u16 sectors, u8 iov split, data taken from the input).
 * flags: bit 0 opens read-only, bit 1 gives the qcow2 image the backing file
 * "base.raw" (otherwise the harness clears the backing name: it would open
 * any host path), bit 2 opens the bytes as a raw image instead.
 *
 * Oracle besides ASan/UBSan: the backing file is never written (its bytes
 * and mtime stay the same), results are 0 or a negative errno, and no fd on
 * the scratch directory's files outlives disk_close().
 */
#define MAX_IMAGE	(256u << 10)
#define MAX_REQ_SECTORS	128		/* 64 KiB */
#define BASE_SIZE	(64u << 10)
#define BACKING_OFF	0x1f8

static char dir[64], img[96], base[96];
static uint8_t base_bytes[BASE_SIZE];
static struct stat base_st;
static uint8_t buf[MAX_REQ_SECTORS * DISK_SECTOR];
static int base_fds, all_before;

/* Fds on files of the scratch directory (libFuzzer and the symbolizer open others as they go). */
static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	char p[300], t[256];
	struct dirent *e;
	int n = 0;

	if (!d)
		abort();
	while ((e = readdir(d))) {
		ssize_t k;

		snprintf(p, sizeof(p), "/proc/self/fd/%s", e->d_name);
		k = readlink(p, t, sizeof(t) - 1);
		n += k > 0 && (size_t)k > strlen(dir) && !strncmp(t, dir, strlen(dir));
	}
	closedir(d);
	return n;
}

/* All of the process's fds: a few syscalls, against a readlink() per fd for count_fds(). */
static int all_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	if (!d)
		abort();
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

static void show_fds(void)
{
	char p[32], t[256];

	for (int fd = 0; fd < 1024; fd++) {
		ssize_t k;

		snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
		k = readlink(p, t, sizeof(t) - 1);
		if (k > 0)
			fprintf(stderr, "fd %d -> %.*s\n", fd, (int)k, t);
	}
}

/* libFuzzer returns from its driver at the end of a run: leave no scratch directory behind. */
static void remove_scratch(void)
{
	unlink(img);
	unlink(base);
	rmdir(dir);
}

static void setup(void)
{
	const char *tmp = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	int fd;

	if (!getenv("FUZZ_LOG"))
		log_configure(-1, 0, 2);	/* refused images log by design */
	snprintf(dir, sizeof(dir), "%s/krun-fuzz-blk-XXXXXX", tmp);
	if (!mkdtemp(dir))
		abort();
	snprintf(img, sizeof(img), "%s/disk.img", dir);
	snprintf(base, sizeof(base), "%s/base.raw", dir);
	atexit(remove_scratch);
	for (unsigned i = 0; i < BASE_SIZE; i++)
		base_bytes[i] = (uint8_t)(i * 7 + (i >> 9));
	fd = open(base, O_CREAT | O_WRONLY | O_TRUNC, 0644);
	if (fd < 0 || write(fd, base_bytes, BASE_SIZE) != BASE_SIZE || close(fd) || stat(base, &base_st))
		abort();
	base_fds = count_fds();
	all_before = all_fds();
}

/*
 * The image file: the input's bytes, then zeroes up to (len) as a hole
 * (ftruncate) rather than written pages: an input holds a few KiB, the image
 * may claim 256 KiB. The file reads back the same as if every byte were written.
 */
static void write_image(struct fuzz_in *in, uint8_t flags)
{
	static uint8_t b[MAX_IMAGE];
	uint32_t len = fuzz_u32(in) % (MAX_IMAGE + 1);
	size_t k = len < in->left ? len : in->left, n = k;
	int fd;

	fuzz_take(in, b, k);
	if (!(flags & 4)) {
		if (len < 0x200)
			len = 0x200;
		if (n < 0x200) {
			memset(b + n, 0, 0x200 - n);
			n = 0x200;
		}
		/* Header bytes 8..19: backing file offset (BE64) and length (BE32). */
		memset(b + 8, 0, 12);
		if (flags & 2) {
			b[15] = BACKING_OFF & 0xff;
			b[14] = BACKING_OFF >> 8;
			b[19] = 8;
			memcpy(b + BACKING_OFF, "base.raw", 8);
		}
	}
	fd = open(img, O_CREAT | O_WRONLY | O_TRUNC, 0644);
	if (fd < 0 || write(fd, b, n) != (ssize_t)n || ftruncate(fd, len) || close(fd))
		abort();
}

/* The request's buffer as 1..4 iovecs of uneven sizes covering (len) bytes. */
static int split(struct iovec *iov, uint8_t how, size_t len)
{
	int cnt = how % 4 + 1;
	size_t off = 0;

	for (int i = 0; i < cnt; i++) {
		size_t part = i == cnt - 1 ? len - off : (len - off) / 2 + (how >> 4) % 3;

		if (part > len - off)
			part = len - off;
		iov[i] = (struct iovec){ buf + off, part };
		off += part;
	}
	return cnt;
}

static void one_request(struct disk *d, struct fuzz_in *in)
{
	uint8_t op = fuzz_u8(in), how = fuzz_u8(in);
	uint64_t sector = fuzz_u32(in), off;
	size_t len = (fuzz_u16(in) % MAX_REQ_SECTORS + 1) * DISK_SECTOR;
	struct iovec iov[4];
	int cnt, ret = 0;

	/* Mostly inside the disk, sometimes anywhere (the range checks are part of the target). */
	if (!(op & 0x80) && d->size >= DISK_SECTOR)
		sector %= d->size / DISK_SECTOR;
	off = sector * DISK_SECTOR + ((op & 0x40) ? 1 : 0);
	cnt = split(iov, how, len);
	switch (op % 6) {
	case 0:
		ret = disk_readv(d, off, iov, cnt, len);
		break;
	case 1:
		fuzz_take(in, buf, len < 64 ? len : 64);
		ret = disk_writev(d, off, iov, cnt, len);
		break;
	case 2:
		ret = disk_discard(d, off, len * (how % 8 + 1));
		break;
	case 3:
	case 4:
		ret = disk_write_zeroes(d, off, len * (how % 8 + 1), op % 6 == 4);
		break;
	case 5:
		ret = disk_flush(d);
		break;
	}
	FUZZ_ASSERT(ret <= 0 && ret >= -4095, "op %u returned %d", op % 6, ret);
}

static void check_base(void)
{
	static uint8_t now[BASE_SIZE];
	struct stat st;
	int fd = open(base, O_RDONLY);

	FUZZ_ASSERT(fd >= 0 && read(fd, now, BASE_SIZE) == BASE_SIZE, "backing file unreadable");
	close(fd);
	FUZZ_ASSERT(!stat(base, &st) && st.st_size == BASE_SIZE &&
		    st.st_mtim.tv_sec == base_st.st_mtim.tv_sec &&
		    st.st_mtim.tv_nsec == base_st.st_mtim.tv_nsec, "backing file changed");
	FUZZ_ASSERT(!memcmp(now, base_bytes, BASE_SIZE), "backing file content changed");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	struct fuzz_in in = { data, size };
	uint8_t flags;
	struct disk_cfg cfg = { .path = img, .sync_mode = KRUN_SYNC_NONE };
	struct disk *d;

	if (!ready) {
		setup();
		ready = true;
	}
	flags = fuzz_u8(&in);
	write_image(&in, flags);
	cfg.read_only = flags & 1;
	cfg.format = flags & 4 ? KRUN_DISK_FORMAT_RAW : KRUN_DISK_FORMAT_QCOW2;
	if (disk_open(&cfg, &d) == 0) {
		for (int i = 0; i < 32 && in.left; i++)
			one_request(d, &in);
		disk_close(d);
	}
	/* The scratch files' fds are counted only when the process's fd count moved. */
	if (all_fds() != all_before) {
		if (count_fds() != base_fds)
			show_fds();
		FUZZ_ASSERT(count_fds() == base_fds, "%d fds open, %d before", count_fds(), base_fds);
		all_before = all_fds();
	}
	if (flags & 2)
		check_base();
	return 0;
}
