/* tests/unit/test-qcow2.c: the qcow2 layer on host files against qemu-img (check, compare): writes, zeroes, discards, backing files, compressed clusters. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <sys/stat.h>

#include "disk/disk.h"
#include "libkrun.h"
#include "test.h"
#include "util/log.h"

#define MIB (1ULL << 20)

static char dir[] = "/tmp/krun-qcow2-XXXXXX";
static char qimg[96], rimg[96], base[96];
static uint64_t rng_state = 0x853c49e6748fea9bULL;

static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	st = system(cmd);
	if (st)
		printf("  '%s' exited %d\n", cmd, WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	return st;
}

static void setup(void)
{
	/* Refused images log an error by design: quiet unless asked. */
	log_configure(-1, getenv("TEST_LOG") ? atoi(getenv("TEST_LOG")) : LOG_OFF, 2);
	if (system("qemu-img --version >/dev/null 2>&1"))
		SKIP_TEST("qemu-img not installed (Debian: qemu-utils)");
	strcpy(dir, "/tmp/krun-qcow2-XXXXXX");
	CHECK(mkdtemp(dir) != NULL);
	snprintf(qimg, sizeof(qimg), "%s/d.qcow2", dir);
	snprintf(rimg, sizeof(rimg), "%s/d.raw", dir);
	snprintf(base, sizeof(base), "%s/base.raw", dir);
}

static void teardown(void)
{
	CHECK(sh("rm -rf '%s'", dir) == 0);
}

static struct disk *open_fmt(const char *path, unsigned fmt, bool ro)
{
	struct disk_cfg c = { .path = path, .format = fmt, .read_only = ro, .sync_mode = KRUN_SYNC_FULL };
	struct disk *d = NULL;
	int ret = disk_open(&c, &d);

	CHECK_EQ(ret, 0);
	return ret ? NULL : d;
}

/* The same write on the qcow2 disk and the raw reference. */
static void write_both(struct disk *q, struct disk *r, uint64_t off, size_t len)
{
	uint8_t *buf = malloc(len);
	struct iovec v[3];
	size_t a = len / 3 & ~511ULL;

	for (size_t i = 0; i < len; i++)
		buf[i] = rnd();
	/* Split across iovecs at odd places, like a guest's scatter list. */
	v[0] = (struct iovec){ buf, a / 2 + 7 };
	v[1] = (struct iovec){ buf + a / 2 + 7, a - a / 2 - 7 };
	v[2] = (struct iovec){ buf + a, len - a };
	CHECK_EQ(disk_writev(q, off, a ? v : v + 2, a ? 3 : 1, len), 0);
	v[0] = (struct iovec){ buf, len };
	CHECK_EQ(disk_writev(r, off, v, 1, len), 0);
	free(buf);
}

/* Every byte the qcow2 layer reads equals the raw reference. */
static void read_compare(struct disk *q, struct disk *r, size_t chunk)
{
	uint8_t *a = malloc(chunk), *b = malloc(chunk);
	bool same = true;

	for (uint64_t off = 0; off < r->size; off += chunk) {
		struct iovec va = { a, chunk }, vb = { b, chunk };
		size_t n = r->size - off < chunk ? r->size - off : chunk;

		va.iov_len = vb.iov_len = n;
		CHECK_EQ(disk_readv(q, off, &va, 1, n), 0);
		CHECK_EQ(disk_readv(r, off, &vb, 1, n), 0);
		if (memcmp(a, b, n)) {
			printf("  differs in [%llu, +%zu)\n", (unsigned long long)off, n);
			same = false;
			break;
		}
	}
	CHECK(same);
	free(a);
	free(b);
}

/* Random sector-aligned writes (some partial clusters, some spanning several) on both, then check + compare. */
static void random_writes(const char *create_opts, uint64_t size)
{
	struct disk *q, *r;

	setup();
	CHECK(sh("qemu-img create -q -f qcow2 -o %s '%s' %llu", create_opts, qimg,
		 (unsigned long long)size) == 0);
	CHECK(sh("truncate -s %llu '%s'", (unsigned long long)size, rimg) == 0);
	q = open_fmt(qimg, KRUN_DISK_FORMAT_QCOW2, false);
	r = open_fmt(rimg, KRUN_DISK_FORMAT_RAW, false);
	if (!q || !r)
		return;
	CHECK_EQ(q->size, size);
	for (int i = 0; i < 300; i++) {
		size_t len = (1 + rnd() % 64) * 512;
		uint64_t off = (rnd() % (size / 512 - len / 512 + 1)) * 512;

		write_both(q, r, off, len);
	}
	/* The last sector and one large write across many clusters. */
	write_both(q, r, size - 512, 512);
	write_both(q, r, size / 3 & ~511ULL, 1 * MIB + 4096);
	read_compare(q, r, 64 * 1024 + 512);
	disk_close(q);
	disk_close(r);
	CHECK(sh("qemu-img check -q '%s'", qimg) == 0);
	CHECK(sh("qemu-img compare -q -f qcow2 -F raw '%s' '%s'", qimg, rimg) == 0);
	teardown();
}

static void test_v3_rw(void)
{
	random_writes("compat=1.1,cluster_size=65536", 96 * MIB);
}

/* Small clusters: many L2 tables and refcount blocks get allocated. */
static void test_v3_small_clusters(void)
{
	random_writes("compat=1.1,cluster_size=4096", 48 * MIB + 3 * 512);
}

/* 512-byte clusters: the refcount table qemu-img made (8 MiB of file) has to grow, twice. */
static void test_refcount_table_growth(void)
{
	struct disk *q, *r;

	setup();
	CHECK(sh("qemu-img create -q -f qcow2 -o cluster_size=512 '%s' 40M", qimg) == 0);
	CHECK(sh("truncate -s 40M '%s'", rimg) == 0);
	q = open_fmt(qimg, KRUN_DISK_FORMAT_QCOW2, false);
	r = open_fmt(rimg, KRUN_DISK_FORMAT_RAW, false);
	if (!q || !r)
		return;
	for (uint64_t off = 0; off < 36 * MIB; off += 2 * MIB)
		write_both(q, r, off + 512, 2 * MIB - 1024);
	read_compare(q, r, 1 * MIB);
	disk_close(q);
	disk_close(r);
	CHECK(sh("qemu-img check -q '%s'", qimg) == 0);
	CHECK(sh("qemu-img compare -q -f qcow2 -F raw '%s' '%s'", qimg, rimg) == 0);
	teardown();
}

static void test_v2_rw(void)
{
	random_writes("compat=0.10,cluster_size=65536", 64 * MIB);
}

static void test_refcount_widths(void)
{
	random_writes("compat=1.1,cluster_size=4096,refcount_bits=64", 8 * MIB);
	random_writes("compat=1.1,cluster_size=4096,refcount_bits=8", 8 * MIB);
}

/* Zero and discarded ranges read as zeroes; whole clusters are given back; the image stays consistent. */
static void zero_and_discard(const char *compat, unsigned cluster)
{
	struct disk *q, *r;

	setup();
	CHECK(sh("qemu-img create -q -f qcow2 -o compat=%s,cluster_size=%u '%s' 32M", compat, cluster,
		 qimg) == 0);
	CHECK(sh("truncate -s 32M '%s'", rimg) == 0);
	q = open_fmt(qimg, KRUN_DISK_FORMAT_QCOW2, false);
	r = open_fmt(rimg, KRUN_DISK_FORMAT_RAW, false);
	if (!q || !r)
		return;
	write_both(q, r, 0, 8 * MIB);
	CHECK_EQ(disk_write_zeroes(q, 1 * MIB + 512, 3 * MIB, true), 0);
	CHECK_EQ(disk_write_zeroes(r, 1 * MIB + 512, 3 * MIB, true), 0);
	CHECK_EQ(disk_write_zeroes(q, 5 * MIB, 1 * MIB + 4096, false), 0);
	CHECK_EQ(disk_write_zeroes(r, 5 * MIB, 1 * MIB + 4096, false), 0);
	/* Discard whole clusters only: the raw reference gets the same cluster-aligned range. */
	CHECK_EQ(disk_discard(q, 7 * MIB - 512, 512 * 1024 + 512), 0);
	CHECK_EQ(disk_discard(r, 7 * MIB, 512 * 1024), 0);
	read_compare(q, r, 256 * 1024);
	/* Writes into zeroed clusters allocate again. */
	write_both(q, r, 2 * MIB + 1024, 8192);
	write_both(q, r, 5 * MIB + 512, 512);
	read_compare(q, r, 256 * 1024);
	disk_close(q);
	disk_close(r);
	CHECK(sh("qemu-img check -q '%s'", qimg) == 0);
	CHECK(sh("qemu-img compare -q -f qcow2 -F raw '%s' '%s'", qimg, rimg) == 0);
	teardown();
}

static void test_v3_zero_discard(void)
{
	zero_and_discard("1.1", 65536);
}

static void test_v2_zero_discard(void)
{
	zero_and_discard("0.10", 65536);
}

/* 4 KiB clusters: a zeroing run crosses L2 tables (2 MiB each) and releases more clusters than one batch. */
static void test_zero_discard_small_clusters(void)
{
	zero_and_discard("1.1", 4096);
	zero_and_discard("0.10", 4096);
}

/* A raw backing file: reads fall through to it, writes go to the overlay, the base never changes. */
static void test_backing(void)
{
	struct disk *q, *r;
	char sum[128];

	setup();
	CHECK(sh("head -c 20M /dev/urandom > '%s' && cp '%s' '%s'", base, base, rimg) == 0);
	CHECK(sh("cd '%s' && qemu-img create -q -f qcow2 -o cluster_size=65536 -b base.raw -F raw d.qcow2 24M", dir) == 0);
	CHECK(sh("truncate -s 24M '%s'", rimg) == 0);
	snprintf(sum, sizeof(sum), "%s/base.sum", dir);
	CHECK(sh("sha256sum '%s' > '%s'", base, sum) == 0);
	q = open_fmt(qimg, KRUN_DISK_FORMAT_QCOW2, false);
	r = open_fmt(rimg, KRUN_DISK_FORMAT_RAW, false);
	if (!q || !r)
		return;
	CHECK(q->size == 24 * MIB);
	for (int i = 0; i < 100; i++) {
		size_t len = (1 + rnd() % 40) * 512;
		uint64_t off = (rnd() % (24 * MIB / 512 - len / 512)) * 512;

		write_both(q, r, off, len);
	}
	/* Zeroes over the backing data must hide it (v3 zero clusters). */
	CHECK_EQ(disk_write_zeroes(q, 4 * MIB, 2 * MIB, true), 0);
	CHECK_EQ(disk_write_zeroes(r, 4 * MIB, 2 * MIB, true), 0);
	read_compare(q, r, 128 * 1024);
	disk_close(q);
	disk_close(r);
	CHECK(sh("sha256sum -c --quiet '%s'", sum) == 0);
	CHECK(sh("qemu-img check -q '%s'", qimg) == 0);
	CHECK(sh("qemu-img compare -q -f qcow2 -F raw '%s' '%s'", qimg, rimg) == 0);
	/* Opened read-only, the overlay reads the same. */
	q = open_fmt(qimg, KRUN_DISK_FORMAT_QCOW2, true);
	r = open_fmt(rimg, KRUN_DISK_FORMAT_RAW, true);
	if (q && r) {
		read_compare(q, r, 1 * MIB);
		CHECK_EQ(disk_write_zeroes(q, 0, 512, false), -EROFS);
		/* A zero-length write is still a write: refused like any other. */
		CHECK_EQ(disk_writev(q, 0, NULL, 0, 0), -EROFS);
		CHECK_EQ(disk_discard(q, 0, 0), -EROFS);
		disk_close(q);
		disk_close(r);
	}
	teardown();
}

/* Clusters compressed by qemu-img read back; writing into one replaces it and frees its space. */
static void test_compressed(void)
{
	struct disk *q, *r;

	setup();
	/* Compressible but not trivial: text-like random bytes. */
	CHECK(sh("head -c 12M /dev/urandom | base64 | head -c 16M > '%s'", rimg) == 0);
	CHECK(sh("qemu-img convert -q -c -f raw -O qcow2 -o cluster_size=65536 '%s' '%s'", rimg, qimg) == 0);
	q = open_fmt(qimg, KRUN_DISK_FORMAT_QCOW2, false);
	r = open_fmt(rimg, KRUN_DISK_FORMAT_RAW, false);
	if (!q || !r)
		return;
	read_compare(q, r, 4096 * 3);
	write_both(q, r, 3 * MIB + 1024, 2048);
	write_both(q, r, 5 * MIB, 64 * 1024);
	CHECK_EQ(disk_discard(q, 8 * MIB, 1 * MIB), 0);
	CHECK_EQ(disk_discard(r, 8 * MIB, 1 * MIB), 0);
	read_compare(q, r, 64 * 1024);
	disk_close(q);
	disk_close(r);
	CHECK(sh("qemu-img check -q '%s'", qimg) == 0);
	CHECK(sh("qemu-img compare -q -f qcow2 -F raw '%s' '%s'", qimg, rimg) == 0);
	teardown();
}

static int open_err(const char *path, unsigned fmt, bool ro)
{
	struct disk_cfg c = { .path = path, .format = fmt, .read_only = ro };
	struct disk *d = NULL;
	int ret = disk_open(&c, &d);

	if (!ret)
		disk_close(d);
	return ret;
}

/* Patch (len) bytes at (off) of the image. */
static void poke(const char *path, uint64_t off, const void *bytes, size_t len)
{
	int fd = open(path, O_WRONLY);

	CHECK(fd >= 0 && pwrite(fd, bytes, len, off) == (ssize_t)len);
	close(fd);
}

/* Images we cannot serve correctly are refused with an error, never half-read. */
static void test_bad_images(void)
{
	static const uint8_t bits30[4] = { 0, 0, 0, 30 }, big_l1[4] = { 0x7f, 0xff, 0xff, 0xff };
	static const uint8_t one[4] = { 0, 0, 0, 1 }, dirty[8] = { 0, 0, 0, 0, 0, 0, 0, 1 };
	static const uint8_t extdata[8] = { 0, 0, 0, 0, 0, 0, 0, 4 };

	setup();
	CHECK(sh("head -c 1M /dev/zero > '%s'", rimg) == 0);
	CHECK_EQ(open_err(rimg, KRUN_DISK_FORMAT_QCOW2, false), -EINVAL);
	CHECK_EQ(open_err(rimg, KRUN_DISK_FORMAT_VMDK, false), -ENOTSUP);
	CHECK_EQ(open_err(rimg, 7, false), -EINVAL);
#define FRESH() CHECK(sh("qemu-img create -q -f qcow2 '%s' 16M", qimg) == 0)
	FRESH();
	poke(qimg, 20, bits30, 4); /* cluster_bits */
	CHECK_EQ(open_err(qimg, KRUN_DISK_FORMAT_QCOW2, false), -ENOTSUP);
	FRESH();
	poke(qimg, 36, big_l1, 4); /* l1_size */
	CHECK_EQ(open_err(qimg, KRUN_DISK_FORMAT_QCOW2, true), -ENOTSUP);
	FRESH();
	poke(qimg, 32, one, 4); /* AES encryption */
	CHECK_EQ(open_err(qimg, KRUN_DISK_FORMAT_QCOW2, true), -ENOTSUP);
	FRESH();
	poke(qimg, 72, extdata, 8); /* external data file */
	CHECK_EQ(open_err(qimg, KRUN_DISK_FORMAT_QCOW2, true), -ENOTSUP);
	FRESH();
	poke(qimg, 72, dirty, 8); /* dirty: readable, not writable */
	CHECK_EQ(open_err(qimg, KRUN_DISK_FORMAT_QCOW2, true), 0);
	CHECK_EQ(open_err(qimg, KRUN_DISK_FORMAT_QCOW2, false), -ENOTSUP);
	CHECK(sh("qemu-img create -q -f qcow2 -o compression_type=zstd '%s' 16M 2>/dev/null", qimg) == 0);
	CHECK_EQ(open_err(qimg, KRUN_DISK_FORMAT_QCOW2, true), -ENOTSUP);
	/* A backing file that does not exist. */
	CHECK(sh("cd '%s' && qemu-img create -q -f qcow2 -u -b nothere.raw -F raw d.qcow2 16M", dir) == 0);
	CHECK_EQ(open_err(qimg, KRUN_DISK_FORMAT_QCOW2, true), -ENOENT);
	teardown();
}

/* A qcow2 chain: overlay over a qcow2 over raw. */
static void test_backing_chain(void)
{
	struct disk *q, *r;

	setup();
	CHECK(sh("head -c 8M /dev/urandom > '%s' && cp '%s' '%s'", base, base, rimg) == 0);
	CHECK(sh("cd '%s' && qemu-img create -q -f qcow2 -b base.raw -F raw mid.qcow2 8M && "
		 "qemu-io -c 'write -P 0x5a 1M 64k' mid.qcow2 >/dev/null && "
		 "qemu-img create -q -f qcow2 -b mid.qcow2 -F qcow2 d.qcow2 8M", dir) == 0);
	CHECK(sh("qemu-io -f raw -c 'write -P 0x5a 1M 64k' '%s' >/dev/null", rimg) == 0);
	q = open_fmt(qimg, KRUN_DISK_FORMAT_QCOW2, false);
	r = open_fmt(rimg, KRUN_DISK_FORMAT_RAW, false);
	if (!q || !r)
		return;
	read_compare(q, r, 64 * 1024);
	write_both(q, r, 1 * MIB + 512, 512);
	read_compare(q, r, 64 * 1024);
	disk_close(q);
	disk_close(r);
	CHECK(sh("qemu-img check -q '%s'", qimg) == 0);
	CHECK(sh("qemu-img compare -q -f qcow2 -F raw '%s' '%s'", qimg, rimg) == 0);
	teardown();
}

TEST_MAIN_BEGIN("qcow2")
	RUN(test_v3_rw);
	RUN(test_v3_small_clusters);
	RUN(test_v2_rw);
	RUN(test_refcount_table_growth);
	RUN(test_refcount_widths);
	RUN(test_v3_zero_discard);
	RUN(test_v2_zero_discard);
	RUN(test_zero_discard_small_clusters);
	RUN(test_backing);
	RUN(test_compressed);
	RUN(test_bad_images);
	RUN(test_backing_chain);
TEST_MAIN_END()
