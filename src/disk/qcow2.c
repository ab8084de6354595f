/* src/disk/qcow2.c: qcow2 v2/v3 images: L1/L2 lookup, cluster allocation with refcounts, zero and compressed clusters, a read-only backing file. */
#include "disk/disk.h"

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <linux/falloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "libkrun.h"
#include "util/iov.h"
#include "util/log.h"

/*
 * The format (qcow2 spec, "docs/interop/qcow2.txt" in QEMU): a big-endian
 * header; the guest disk is cut in clusters of 2^cluster_bits bytes; a
 * two-level table (L1 in memory here, L2 tables of one cluster each) maps a
 * guest cluster to a host cluster. Every host cluster in use has a refcount
 * (refcount table -> refcount blocks). New clusters are appended at the end of
 * the file. Metadata is written through (pwrite before the guest's request
 * completes) in the order refcount, data, L2, L1, so a VMM killed at any point
 * leaves at worst a leaked cluster, and FLUSH only needs fdatasync.
 */

#define QCOW2_MAGIC		0x514649fbu
#define QCOW2_OFFSET_MASK	0x00fffffffffffe00ULL	/* bits 9..55 */
#define QCOW2_COPIED		(1ULL << 63)		/* refcount is exactly 1 */
#define QCOW2_COMPRESSED	(1ULL << 62)
#define QCOW2_ZERO		1ULL			/* v3: reads as zeroes */
#define QCOW2_INCOMPAT_DIRTY	(1ULL << 0)
#define QCOW2_INCOMPAT_CORRUPT	(1ULL << 1)
#define QCOW2_INCOMPAT_COMPRESSION (1ULL << 3)
#define QCOW2_INCOMPAT_KNOWN	(QCOW2_INCOMPAT_DIRTY | QCOW2_INCOMPAT_CORRUPT | \
				 QCOW2_INCOMPAT_COMPRESSION)
#define QCOW2_EXT_END		0
#define QCOW2_EXT_BACKING_FMT	0xe2792acau
#define QCOW2_L2_CACHE		32
#define QCOW2_MAX_BACKING_DEPTH	16
/* Old clusters a zeroing run releases after its L2 span is written (then it is written early). */
#define QCOW2_ZRUN_MAX		64
/* Bounds on what an image may make us allocate. */
#define QCOW2_MAX_L1_BYTES	(32u << 20)
#define QCOW2_MAX_RT_BYTES	(8u << 20)

struct l2_slot {
	uint64_t off;		/* host offset of the table, 0 = empty slot */
	uint64_t *table;	/* one cluster, big-endian as on disk */
};

enum qc_kind { QC_UNALLOC, QC_ZERO, QC_NORMAL, QC_COMPRESSED };

/* What a guest cluster maps to. */
struct qc_map {
	enum qc_kind kind;
	uint64_t entry;		/* raw L2 entry (0 when the L2 table does not exist) */
	uint64_t host;		/* QC_NORMAL / allocated QC_ZERO: host cluster offset */
	struct l2_slot *l2;	/* NULL when the L1 entry is empty */
	uint64_t l2_idx;
};

struct disk_qcow2 {
	struct disk disk;		/* first: container_of */
	int fd;
	unsigned version;
	unsigned cluster_bits;
	uint64_t cluster_size;
	uint64_t l2_entries;		/* per L2 table */
	uint64_t *l1;			/* host-endian copy */
	uint32_t l1_size;
	uint64_t l1_offset;
	uint64_t *rt;			/* refcount table, host-endian */
	uint64_t rt_entries;
	uint64_t rt_offset;
	unsigned refcount_bits;
	uint64_t rb_entries;		/* refcounts per refcount block */
	uint64_t next_free;		/* allocation cursor: end of the file, cluster aligned */
	struct disk *backing;		/* read-only, NULL = none */
	struct l2_slot l2c[QCOW2_L2_CACHE];
	unsigned l2_clock;
	uint8_t *cbuf;			/* one cluster: partial-cluster merges */
	uint8_t *zbuf;			/* compressed bytes of one cluster (up to 2 clusters); on first use */
	uint8_t *dbuf;			/* the last decompressed cluster; on first use */
	uint64_t dbuf_entry;		/* its L2 entry, 0 = none */
	uint8_t *zero;			/* one cluster of zeroes */
	struct iovec iov[DISK_MAX_IOV];	/* slice of the request being served */
	/*
	 * A zeroing run in progress: entries [zr_lo, zr_hi] of table (zr) changed in
	 * the cache, not yet in the file; the clusters they pointed to go once they are.
	 */
	struct l2_slot *zr;
	uint64_t zr_l1i, zr_lo, zr_hi;
	unsigned zr_nrel;
	struct qc_map zr_rel[QCOW2_ZRUN_MAX];
};

static struct disk_qcow2 *to_q(struct disk *d)
{
	return (struct disk_qcow2 *)d;
}

static int qcow2_corrupt(const char *what)
{
	log_warn_once("disk qcow2: corrupt image (%s)", what);
	return -EIO;
}

static int pread_full(int fd, void *buf, size_t len, uint64_t off)
{
	struct iovec v = { buf, len };

	return iovec_preadv_full(fd, &v, 1, off);
}

static int pwrite_full(int fd, const void *buf, size_t len, uint64_t off)
{
	struct iovec v = { (void *)buf, len };

	return iovec_pwritev_full(fd, &v, 1, off);
}

static int pwrite_be64(int fd, uint64_t v, uint64_t off)
{
	v = htobe64(v);
	return pwrite_full(fd, &v, sizeof(v), off);
}

/* --- refcounts --- */

static int rc_entry_off(struct disk_qcow2 *q, uint64_t host, bool alloc, uint64_t *off);

static int rc_read(struct disk_qcow2 *q, uint64_t off, uint64_t *val)
{
	uint8_t b[8] = { 0 };
	unsigned n = q->refcount_bits / 8;
	int ret = pread_full(q->fd, b, n, off);

	*val = 0;
	for (unsigned i = 0; !ret && i < n; i++)
		*val = *val << 8 | b[i];
	return ret;
}

static int rc_write(struct disk_qcow2 *q, uint64_t off, uint64_t val)
{
	unsigned n = q->refcount_bits / 8;
	uint8_t b[8];

	for (unsigned i = 0; i < n; i++)
		b[n - 1 - i] = val >> (8 * i);
	return pwrite_full(q->fd, b, n, off);
}

static int rc_set(struct disk_qcow2 *q, uint64_t host, uint64_t val)
{
	uint64_t off;
	int ret = rc_entry_off(q, host, true, &off);

	return ret ? ret : rc_write(q, off, val);
}

/*
 * A cluster at the end of the file, not yet counted; zeroed on disk unless
 * (filled): the caller writes all of it before anything points to it.
 */
static int qcow2_take_cluster(struct disk_qcow2 *q, uint64_t *off, bool filled)
{
	int ret = filled ? 0 : pwrite_full(q->fd, q->zero, q->cluster_size, q->next_free);

	if (ret)
		return ret;
	*off = q->next_free;
	q->next_free += q->cluster_size;
	return 0;
}

static int qcow2_unref(struct disk_qcow2 *q, uint64_t host);

/*
 * The refcount table must reach index (need): a larger copy is appended, the
 * header switched to it, then the new table's clusters are counted and the
 * old table's released.
 */
static int rc_grow_table(struct disk_qcow2 *q, uint64_t need)
{
	uint64_t cs = q->cluster_size, old_off = q->rt_offset, old_n = q->rt_entries;
	uint64_t n = need + 2 > 2 * old_n ? need + 2 : 2 * old_n, clusters, off = 0, *t, *be, be64;
	uint32_t be32;
	uint8_t hdr[12];
	int ret;

	clusters = (n * 8 + cs - 1) / cs;
	n = clusters * cs / 8;
	if (clusters * cs > QCOW2_MAX_RT_BYTES || clusters > UINT32_MAX)
		return -ENOSPC;
	t = calloc(n, 8);
	be = calloc(n, 8);
	ret = t && be ? 0 : -ENOMEM;
	if (!ret) {
		memcpy(t, q->rt, old_n * 8);
		for (uint64_t i = 0; i < n; i++)
			be[i] = htobe64(t[i]);
		off = q->next_free;
		ret = pwrite_full(q->fd, be, n * 8, off);
	}
	free(be);
	if (ret) {
		free(t);
		return ret;
	}
	q->next_free += clusters * cs;
	be64 = htobe64(off);
	be32 = htobe32((uint32_t)clusters);
	memcpy(hdr, &be64, 8);
	memcpy(hdr + 8, &be32, 4);
	ret = pwrite_full(q->fd, hdr, sizeof(hdr), 48);
	if (ret) {
		free(t);
		return ret;
	}
	free(q->rt);
	q->rt = t;
	q->rt_entries = n;
	q->rt_offset = off;
	for (uint64_t i = 0; !ret && i < clusters; i++)
		ret = rc_set(q, off + i * cs, 1);
	for (uint64_t i = 0; !ret && i < old_n * 8 / cs; i++)
		ret = qcow2_unref(q, old_off + i * cs);
	return ret;
}

/*
 * Where the refcount of host cluster (host) lives. With (alloc), a missing
 * refcount block is created (it counts itself, through this same function).
 */
static int rc_entry_off(struct disk_qcow2 *q, uint64_t host, bool alloc, uint64_t *off)
{
	uint64_t idx = host >> q->cluster_bits, ti = idx / q->rb_entries, blk;
	int ret;

	/* Past the table there is no refcount block: a lookup says so, only allocation grows it. */
	if (ti >= q->rt_entries && !alloc) {
		*off = 0;
		return 0;
	}
	if (ti >= q->rt_entries) {
		ret = rc_grow_table(q, ti);
		if (ret)
			return ret;
	}
	blk = q->rt[ti] & QCOW2_OFFSET_MASK;
	if (!blk) {
		if (!alloc) {
			*off = 0;
			return 0;
		}
		ret = qcow2_take_cluster(q, &blk, false);
		if (!ret)
			ret = pwrite_be64(q->fd, blk, q->rt_offset + ti * 8);
		if (ret)
			return ret;
		q->rt[ti] = blk;
		ret = rc_set(q, blk, 1);
		if (ret)
			return ret;
	} else if (blk & (q->cluster_size - 1)) {
		return qcow2_corrupt("unaligned refcount block");
	}
	*off = blk + (idx % q->rb_entries) * q->refcount_bits / 8;
	return 0;
}

/* A new host cluster with refcount 1, zeroed unless the caller fills it (see qcow2_take_cluster). */
static int qcow2_alloc_cluster(struct disk_qcow2 *q, uint64_t *off, bool filled)
{
	int ret = qcow2_take_cluster(q, off, filled);

	return ret ? ret : rc_set(q, *off, 1);
}

/* One reference less on host cluster (host); a cluster nobody uses goes back to the host's file system. */
static int qcow2_unref(struct disk_qcow2 *q, uint64_t host)
{
	uint64_t off, val;
	int ret = rc_entry_off(q, host, false, &off);

	if (ret || !off)
		return ret ? ret : qcow2_corrupt("cluster in use without a refcount block");
	ret = rc_read(q, off, &val);
	if (ret)
		return ret;
	if (!val)
		return qcow2_corrupt("refcount underflow");
	ret = rc_write(q, off, val - 1);
	if (!ret && val == 1)
		fallocate(q->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, host, q->cluster_size);
	return ret;
}

/* --- L2 tables --- */

static int l2_load(struct disk_qcow2 *q, uint64_t off, struct l2_slot **out)
{
	struct l2_slot *s;
	int ret;

	if (off & (q->cluster_size - 1))
		return qcow2_corrupt("unaligned L2 table");
	for (unsigned i = 0; i < QCOW2_L2_CACHE; i++) {
		if (q->l2c[i].table && q->l2c[i].off == off) {
			*out = &q->l2c[i];
			return 0;
		}
	}
	s = &q->l2c[q->l2_clock++ % QCOW2_L2_CACHE];
	s->off = 0;
	/* Slots get their table on first use: most opens touch a few L2 tables, not 32. */
	if (!s->table && !(s->table = malloc(q->cluster_size)))
		return -ENOMEM;
	ret = pread_full(q->fd, s->table, q->cluster_size, off);
	if (ret)
		return ret == -ENODATA ? qcow2_corrupt("L2 table past the end") : ret;
	s->off = off;
	*out = s;
	return 0;
}

static int l2_set(struct disk_qcow2 *q, struct l2_slot *s, uint64_t idx, uint64_t entry)
{
	s->table[idx] = htobe64(entry);
	return pwrite_be64(q->fd, entry, s->off + idx * 8);
}

/* The L2 table covering L1 index (i), created when missing. */
static int l2_get_or_alloc(struct disk_qcow2 *q, uint64_t i, struct l2_slot **out)
{
	uint64_t off;
	int ret;

	if (q->l1[i] & QCOW2_OFFSET_MASK) {
		if (!(q->l1[i] & QCOW2_COPIED))
			return -ENOTSUP; /* shared with a snapshot: refused at open */
		return l2_load(q, q->l1[i] & QCOW2_OFFSET_MASK, out);
	}
	ret = qcow2_alloc_cluster(q, &off, false);
	if (!ret)
		ret = pwrite_be64(q->fd, off | QCOW2_COPIED, q->l1_offset + i * 8);
	if (ret)
		return ret;
	q->l1[i] = off | QCOW2_COPIED;
	return l2_load(q, off, out);
}

/* How guest byte (off) is stored. */
static int qcow2_map(struct disk_qcow2 *q, uint64_t off, struct qc_map *m)
{
	uint64_t cl = off >> q->cluster_bits, l1i = cl / q->l2_entries, e;
	int ret;

	*m = (struct qc_map){ .kind = QC_UNALLOC, .l2_idx = cl % q->l2_entries };
	if (l1i >= q->l1_size)
		return qcow2_corrupt("L1 table too small");
	if (!(q->l1[l1i] & QCOW2_OFFSET_MASK))
		return 0;
	ret = l2_load(q, q->l1[l1i] & QCOW2_OFFSET_MASK, &m->l2);
	if (ret)
		return ret;
	e = m->entry = be64toh(m->l2->table[m->l2_idx]);
	if (e & QCOW2_COMPRESSED) {
		m->kind = QC_COMPRESSED;
		return 0;
	}
	m->host = e & QCOW2_OFFSET_MASK;
	if (m->host & (q->cluster_size - 1))
		return qcow2_corrupt("unaligned data cluster");
	if ((e & QCOW2_ZERO) && q->version >= 3)
		m->kind = QC_ZERO;
	else if (m->host)
		m->kind = QC_NORMAL;
	return 0;
}

/* --- reading --- */

/* Host clusters holding a compressed cluster: [*start, *start + *len). */
static void qcow2_compressed_range(struct disk_qcow2 *q, uint64_t entry, uint64_t *start, uint64_t *len)
{
	unsigned x = 62 - (q->cluster_bits - 8);
	uint64_t sectors = ((entry & ~(QCOW2_COPIED | QCOW2_COMPRESSED)) >> x) + 1;

	*start = entry & ((1ULL << x) - 1);
	*len = sectors * 512 - (*start & 511);
}

static int qcow2_inflate(struct disk_qcow2 *q, size_t in_len)
{
	z_stream z = { .next_in = q->zbuf, .avail_in = in_len, .next_out = q->dbuf,
		       .avail_out = q->cluster_size };
	int ret;

	if (inflateInit2(&z, -15) != Z_OK)
		return -ENOMEM;
	ret = inflate(&z, Z_FINISH);
	inflateEnd(&z);
	/* The stream may carry padding after its end; what counts is a full cluster out. */
	if ((ret != Z_STREAM_END && ret != Z_BUF_ERROR) || z.avail_out)
		return qcow2_corrupt("compressed cluster does not inflate to a cluster");
	return 0;
}

/* Decompress the cluster of L2 (entry) into q->dbuf (kept: sequential reads hit it again). */
static int qcow2_decompress(struct disk_qcow2 *q, uint64_t entry)
{
	uint64_t start, len;
	ssize_t n;
	int ret;

	if (q->dbuf_entry == entry)
		return 0;
	q->dbuf_entry = 0;
	qcow2_compressed_range(q, entry, &start, &len);
	if (len > 2 * q->cluster_size)
		return qcow2_corrupt("compressed cluster too large");
	/* Buffers for compressed clusters (three clusters) only once an image has one. */
	if (!q->zbuf && !(q->zbuf = malloc(2 * q->cluster_size)))
		return -ENOMEM;
	if (!q->dbuf && !(q->dbuf = malloc(q->cluster_size)))
		return -ENOMEM;
	/* The last compressed cluster's sector count may reach past the end of the file. */
	do
		n = pread(q->fd, q->zbuf, len, start);
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		return n < 0 ? -errno : qcow2_corrupt("compressed cluster past the end");
	ret = qcow2_inflate(q, n);
	if (!ret)
		q->dbuf_entry = entry;
	return ret;
}

/* From the backing file, zeroes past its end; (off, len) inside one cluster and sector aligned. */
static int qcow2_read_backing(struct disk_qcow2 *q, uint64_t off, struct iovec *iov, int cnt, size_t len)
{
	size_t in = 0;
	int ret, n;

	if (q->backing && off < q->backing->size)
		in = q->backing->size - off < len ? q->backing->size - off : len;
	if (in) {
		n = iovec_slice(iov, cnt, 0, in, q->iov + cnt, DISK_MAX_IOV - cnt);
		if (n < 0)
			return n;
		ret = disk_readv(q->backing, off, q->iov + cnt, n, in);
		if (ret)
			return ret;
	}
	if (in < len) {
		n = iovec_slice(iov, cnt, in, len - in, q->iov + cnt, DISK_MAX_IOV - cnt);
		if (n < 0)
			return n;
		iovec_zero(q->iov + cnt, n);
	}
	return 0;
}

/* Guest bytes [off, off + len), all in one cluster mapped by (m), into (iov, cnt). */
static int qcow2_read_mapped(struct disk_qcow2 *q, uint64_t off, struct iovec *iov, int cnt,
			     size_t len, const struct qc_map *m)
{
	uint64_t in = off & (q->cluster_size - 1);
	int ret;

	switch (m->kind) {
	case QC_UNALLOC:
		return qcow2_read_backing(q, off, iov, cnt, len);
	case QC_ZERO:
		iovec_zero(iov, cnt);
		return 0;
	case QC_COMPRESSED:
		ret = qcow2_decompress(q, m->entry);
		if (!ret)
			iovec_from_buf(iov, cnt, q->dbuf + in, len);
		return ret;
	default:
		ret = iovec_preadv_full(q->fd, iov, cnt, m->host + in);
		return ret == -ENODATA ? qcow2_corrupt("data cluster past the end") : ret;
	}
}

/* Call (fn) for each piece of the request that lies in one cluster, with that piece's iovecs. */
static int qcow2_for_chunks(struct disk_qcow2 *q, uint64_t off, const struct iovec *iov, int cnt,
			    size_t len, int (*fn)(struct disk_qcow2 *, uint64_t, struct iovec *, int, size_t))
{
	size_t done = 0;
	int ret = 0;

	while (!ret && done < len) {
		uint64_t pos = off + done;
		size_t n = q->cluster_size - (pos & (q->cluster_size - 1));
		int k;

		if (n > len - done)
			n = len - done;
		k = iovec_slice(iov, cnt, done, n, q->iov, DISK_MAX_IOV);
		if (k < 0)
			return k;
		ret = fn(q, pos, q->iov, k, n);
		done += n;
	}
	return ret;
}


/* --- writing --- */

/* The current contents of the whole cluster at guest (cl_off) into q->cbuf. */
static int qcow2_read_cluster(struct disk_qcow2 *q, uint64_t cl_off, const struct qc_map *m)
{
	struct iovec v = { q->cbuf, q->cluster_size };
	uint64_t len = q->cluster_size;
	int ret;

	/* The disk's last cluster may be partial. */
	if (cl_off + len > q->disk.size)
		len = q->disk.size - cl_off;
	memset(q->cbuf, 0, q->cluster_size);
	switch (m->kind) {
	case QC_UNALLOC:
		/* Past the backing file's end the cluster stays zero. */
		if (!q->backing || cl_off >= q->backing->size)
			return 0;
		v.iov_len = q->backing->size - cl_off < len ? q->backing->size - cl_off : len;
		return disk_readv(q->backing, cl_off, &v, 1, v.iov_len);
	case QC_ZERO:
		return 0;
	case QC_COMPRESSED:
		ret = qcow2_decompress(q, m->entry);
		if (!ret)
			memcpy(q->cbuf, q->dbuf, q->cluster_size);
		return ret;
	default:
		return pread_full(q->fd, q->cbuf, q->cluster_size, m->host);
	}
}

/* The old cluster's storage is no longer referenced by this L2 entry. */
static int qcow2_release(struct disk_qcow2 *q, const struct qc_map *m)
{
	uint64_t start, len;
	int ret = 0;

	if (m->kind == QC_COMPRESSED) {
		qcow2_compressed_range(q, m->entry, &start, &len);
		for (uint64_t c = start & ~(q->cluster_size - 1); !ret && c < start + len; c += q->cluster_size)
			ret = qcow2_unref(q, c);
		if (q->dbuf_entry == m->entry)
			q->dbuf_entry = 0;
		return ret;
	}
	return m->host ? qcow2_unref(q, m->host) : 0;
}

/*
 * A cluster the guest writes to for the first time (or that is zero,
 * compressed or shared): new storage holding the old contents merged with the
 * new bytes, then the L2 entry, then the old storage is released.
 */
static int qcow2_write_new(struct disk_qcow2 *q, uint64_t off, struct iovec *iov, int cnt,
			   size_t len, struct qc_map *m)
{
	uint64_t cl_off = off & ~(q->cluster_size - 1), in = off - cl_off, host;
	bool reuse = m->kind == QC_ZERO && m->host && (m->entry & QCOW2_COPIED);
	int ret = 0;

	if (!m->l2)
		ret = l2_get_or_alloc(q, (cl_off >> q->cluster_bits) / q->l2_entries, &m->l2);
	if (!ret && len < q->cluster_size)
		ret = qcow2_read_cluster(q, cl_off, m);
	if (ret)
		return ret;
	if (reuse)
		host = m->host;
	else if ((ret = qcow2_alloc_cluster(q, &host, true)))
		return ret;
	if (len < q->cluster_size) {
		iovec_to_buf(iov, cnt, q->cbuf + in, len);
		ret = pwrite_full(q->fd, q->cbuf, q->cluster_size, host);
	} else {
		ret = iovec_pwritev_full(q->fd, iov, cnt, host);
	}
	if (!ret)
		ret = l2_set(q, m->l2, m->l2_idx, host | QCOW2_COPIED);
	if (!ret && !reuse)
		ret = qcow2_release(q, m);
	return ret;
}

static int qcow2_write_chunk(struct disk_qcow2 *q, uint64_t off, struct iovec *iov, int cnt, size_t len)
{
	struct qc_map m;
	int ret = qcow2_map(q, off, &m);

	if (ret)
		return ret;
	if (m.kind == QC_NORMAL && (m.entry & QCOW2_COPIED))
		return iovec_pwritev_full(q->fd, iov, cnt, m.host + (off & (q->cluster_size - 1)));
	return qcow2_write_new(q, off, iov, cnt, len, &m);
}

/*
 * Bytes from guest (off), at most (len), that sit back to back in the file
 * after (first)'s cluster: one preadv/pwritev serves them. For a write every
 * cluster of the run must be exclusively ours (COPIED).
 */
static size_t qcow2_run(struct disk_qcow2 *q, uint64_t off, size_t len, const struct qc_map *first,
			bool write)
{
	size_t n = q->cluster_size - (off & (q->cluster_size - 1));
	uint64_t host = first->host;
	struct qc_map m;

	while (n < len && !qcow2_map(q, off + n, &m) && m.kind == QC_NORMAL &&
	       m.host == host + q->cluster_size && (!write || (m.entry & QCOW2_COPIED))) {
		host = m.host;
		n += q->cluster_size;
	}
	return n < len ? n : len;
}

static int qcow2_rw(struct disk_qcow2 *q, uint64_t off, const struct iovec *iov, int cnt, size_t len,
		    bool write)
{
	for (size_t done = 0, n; done < len; done += n) {
		uint64_t pos = off + done, in = pos & (q->cluster_size - 1);
		struct qc_map m;
		bool direct;
		int k, ret = qcow2_map(q, pos, &m);

		if (ret)
			return ret;
		direct = m.kind == QC_NORMAL && (!write || (m.entry & QCOW2_COPIED));
		n = q->cluster_size - in < len - done ? q->cluster_size - in : len - done;
		if (direct)
			n = qcow2_run(q, pos, len - done, &m, write);
		k = iovec_slice(iov, cnt, done, n, q->iov, DISK_MAX_IOV);
		if (k < 0)
			return k;
		if (direct && write)
			ret = iovec_pwritev_full(q->fd, q->iov, k, m.host + in);
		else if (direct)
			ret = iovec_preadv_full(q->fd, q->iov, k, m.host + in);
		else if (write)
			ret = qcow2_write_new(q, pos, q->iov, k, n, &m);
		else
			ret = qcow2_read_mapped(q, pos, q->iov, k, n, &m);
		if (ret)
			return ret == -ENODATA ? qcow2_corrupt("data cluster past the end") : ret;
	}
	return 0;
}

static int qcow2_readv(struct disk *d, uint64_t off, const struct iovec *iov, int cnt, size_t len)
{
	return qcow2_rw(to_q(d), off, iov, cnt, len, false);
}

static int qcow2_writev(struct disk *d, uint64_t off, const struct iovec *iov, int cnt, size_t len)
{
	return qcow2_rw(to_q(d), off, iov, cnt, len, true);
}

static int qcow2_flush(struct disk *d)
{
	return fdatasync(to_q(d)->fd) < 0 ? -errno : 0;
}

/* --- zeroing and discarding --- */

/* Write real zeroes into [off, off + len) (pieces of clusters, or v2 images with a backing file). */
static int qcow2_write_zero_bytes(struct disk_qcow2 *q, uint64_t off, uint64_t len)
{
	int ret = 0;

	while (!ret && len) {
		size_t n = len < q->cluster_size ? len : q->cluster_size;
		struct iovec v = { q->zero, n };

		ret = qcow2_for_chunks(q, off, &v, 1, n, qcow2_write_chunk);
		off += n;
		len -= n;
	}
	return ret;
}

/*
 * A zeroing run batches its L2 updates: each entry changes in the cached
 * table at once and the changed span reaches the file in one write, before
 * the clusters the entries pointed to are released, so the write-through
 * order (L2 before refcounts) holds. The run is written out when it would
 * leave its table or span, before any other write, and when the request ends;
 * nothing but zeroing clusters of that one table happens in between, so the
 * table cannot leave the cache.
 */
static int zrun_flush(struct disk_qcow2 *q)
{
	struct l2_slot *t = q->zr;
	int ret = 0;

	if (t)
		ret = pwrite_full(q->fd, t->table + q->zr_lo, (q->zr_hi - q->zr_lo + 1) * 8,
				  t->off + q->zr_lo * 8);
	q->zr = NULL;
	for (unsigned i = 0; !ret && i < q->zr_nrel; i++)
		ret = qcow2_release(q, &q->zr_rel[i]);
	q->zr_nrel = 0;
	return ret;
}

/* L2 entry of (m) becomes (entry), its old storage released after the run's write. */
static int zrun_set(struct disk_qcow2 *q, const struct qc_map *m, uint64_t entry)
{
	bool release = m->kind == QC_COMPRESSED || m->host;
	int ret;

	if (q->zr && (q->zr != m->l2 || m->l2_idx != q->zr_hi + 1 ||
		      (release && q->zr_nrel == QCOW2_ZRUN_MAX))) {
		ret = zrun_flush(q);
		if (ret)
			return ret;
	}
	m->l2->table[m->l2_idx] = htobe64(entry);
	if (!q->zr) {
		q->zr = m->l2;
		q->zr_lo = m->l2_idx;
	}
	q->zr_hi = m->l2_idx;
	if (release)
		q->zr_rel[q->zr_nrel++] = *m;
	return 0;
}

/*
 * Whole cluster at (off) reads as zeroes from now on. (dealloc): its storage
 * may go. Returns -EAGAIN when the format cannot express it (v2 over a backing
 * file): the caller writes zeroes instead.
 */
static int qcow2_zero_cluster(struct disk_qcow2 *q, uint64_t off, bool dealloc)
{
	uint64_t entry, l1i = (off >> q->cluster_bits) / q->l2_entries;
	struct qc_map m;
	int ret;

	/* Another L2 table: the run so far is written before that one is looked up. */
	if (q->zr && l1i != q->zr_l1i && (ret = zrun_flush(q)))
		return ret;
	q->zr_l1i = l1i;
	ret = qcow2_map(q, off, &m);
	if (ret)
		return ret;
	if (q->version < 3) {
		if (q->backing)
			return -EAGAIN;
		if (m.kind == QC_UNALLOC)
			return 0;
		if (!dealloc && m.kind == QC_NORMAL)
			return -EAGAIN; /* keep the allocation: plain zeroes */
		return zrun_set(q, &m, 0);
	}
	if (m.kind == QC_ZERO && (dealloc ? !m.host : true))
		return 0;
	if (m.kind == QC_UNALLOC && !q->backing)
		return 0;
	if (!m.l2 && (ret = l2_get_or_alloc(q, (off >> q->cluster_bits) / q->l2_entries, &m.l2)))
		return ret;
	/* Keeping an allocated cluster (no unmap) means: same storage, marked zero. */
	if (!dealloc && m.kind == QC_NORMAL && (m.entry & QCOW2_COPIED)) {
		entry = m.host | QCOW2_COPIED | QCOW2_ZERO;
		m.kind = QC_UNALLOC;	/* nothing to release */
		m.host = 0;
		return zrun_set(q, &m, entry);
	}
	return zrun_set(q, &m, QCOW2_ZERO);
}

static int qcow2_zero_range(struct disk_qcow2 *q, uint64_t off, uint64_t len, bool dealloc,
			    bool must_zero)
{
	uint64_t cs = q->cluster_size, head = (cs - (off & (cs - 1))) & (cs - 1);
	int ret = 0;

	if (head > len)
		head = len;
	if (head && must_zero)
		ret = qcow2_write_zero_bytes(q, off, head);
	off += head;
	len -= head;
	while (!ret && len >= cs) {
		ret = qcow2_zero_cluster(q, off, dealloc);
		if (ret == -EAGAIN)
			ret = must_zero ? zrun_flush(q) ?: qcow2_write_zero_bytes(q, off, cs) : 0;
		off += cs;
		len -= cs;
	}
	/* The tail of the last cluster of the disk counts as a whole cluster. */
	if (!ret && len && off + len == q->disk.size && !(off & (cs - 1))) {
		ret = qcow2_zero_cluster(q, off, dealloc);
		if (ret == -EAGAIN)
			ret = must_zero ? zrun_flush(q) ?: qcow2_write_zero_bytes(q, off, len) : 0;
	} else if (!ret && len && must_zero) {
		ret = zrun_flush(q) ?: qcow2_write_zero_bytes(q, off, len);
	}
	/* What the cache holds goes to the file even after an error: cache and file agree. */
	{
		int fret = zrun_flush(q);

		return ret ? ret : fret;
	}
}

/* Only whole clusters can be given back; a discard of less is a hint we drop. */
static int qcow2_discard(struct disk *d, uint64_t off, uint64_t len)
{
	return qcow2_zero_range(to_q(d), off, len, true, false);
}

static int qcow2_write_zeroes(struct disk *d, uint64_t off, uint64_t len, bool unmap)
{
	return qcow2_zero_range(to_q(d), off, len, unmap, true);
}

static void qcow2_close(struct disk *d)
{
	struct disk_qcow2 *q = to_q(d);

	if (q->backing)
		q->backing->ops->close(q->backing);
	for (unsigned i = 0; i < QCOW2_L2_CACHE; i++)
		free(q->l2c[i].table);
	free(q->l1);
	free(q->rt);
	free(q->cbuf);
	free(q->zbuf);
	free(q->dbuf);
	free(q->zero);
	if (q->fd >= 0)
		close(q->fd);
	free(q);
}

static const struct disk_ops qcow2_ops = {
	.name = "qcow2",
	.readv = qcow2_readv,
	.writev = qcow2_writev,
	.flush = qcow2_flush,
	.discard = qcow2_discard,
	.write_zeroes = qcow2_write_zeroes,
	.close = qcow2_close,
};

/* --- opening --- */

/* The header fields we use, host-endian (qcow2 spec "Header"). */
struct qcow2_hdr {
	uint32_t version;
	uint64_t backing_off;
	uint32_t backing_len;
	uint32_t cluster_bits;
	uint64_t size;
	uint32_t crypt;
	uint32_t l1_size;
	uint64_t l1_off;
	uint64_t rt_off;
	uint32_t rt_clusters;
	uint32_t nb_snapshots;
	uint64_t incompat, autoclear;
	uint32_t refcount_order;
	uint32_t hdr_len;
	uint8_t compression;
};

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return be32toh(v);
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return be64toh(v);
}

static int qcow2_parse_header(const uint8_t *b, struct qcow2_hdr *h)
{
	if (get32(b) != QCOW2_MAGIC)
		return -EINVAL;
	*h = (struct qcow2_hdr){
		.version = get32(b + 4), .backing_off = get64(b + 8), .backing_len = get32(b + 16),
		.cluster_bits = get32(b + 20), .size = get64(b + 24), .crypt = get32(b + 32),
		.l1_size = get32(b + 36), .l1_off = get64(b + 40), .rt_off = get64(b + 48),
		.rt_clusters = get32(b + 56), .nb_snapshots = get32(b + 60),
		.refcount_order = 4, .hdr_len = 72,
	};
	if (h->version == 3) {
		h->incompat = get64(b + 72);
		h->autoclear = get64(b + 88);
		h->refcount_order = get32(b + 96);
		h->hdr_len = get32(b + 100);
		if (h->hdr_len > 104)
			h->compression = b[104];
	}
	return 0;
}

/* Reject what we cannot read correctly; (writable) adds what we cannot update correctly. */
static int qcow2_check_header(const struct qcow2_hdr *h, bool writable, const char *path)
{
	const char *why = NULL;
	/* Masked: cs is only used once cluster_bits is known to be in range (found by fuzz-blk). */
	uint64_t cs = 1ULL << (h->cluster_bits & 63);

	if (h->version != 2 && h->version != 3)
		why = "version is not 2 or 3";
	else if (h->cluster_bits < 9 || h->cluster_bits > 21)
		why = "cluster size out of range";
	else if (h->version == 3 && (h->hdr_len < 104 || h->hdr_len > cs))
		why = "bad header length";
	else if (h->crypt)
		why = "encrypted images are not supported";
	else if (h->incompat & ~QCOW2_INCOMPAT_KNOWN)
		why = "unsupported incompatible features (external data file or extended L2)";
	else if ((h->incompat & QCOW2_INCOMPAT_COMPRESSION) && h->compression)
		why = "only zlib compression is supported";
	else if (h->size > (1ULL << 55))
		why = "virtual size too large";
	else if ((uint64_t)h->l1_size * 8 > QCOW2_MAX_L1_BYTES ||
		 (uint64_t)h->l1_size * (cs / 8) * cs < h->size)
		why = "L1 table size does not match the disk size";
	else if ((h->l1_off | h->rt_off) & (cs - 1))
		why = "unaligned L1 or refcount table";
	else if (h->backing_len > PATH_MAX - 1)
		why = "backing file name too long";
	/* Read-only opens use no refcount either, but the width is computed (found by fuzz-blk). */
	else if (h->refcount_order > 6)
		why = "refcount width over 64 bits";
	else if (writable && (h->incompat & (QCOW2_INCOMPAT_DIRTY | QCOW2_INCOMPAT_CORRUPT)))
		why = "marked dirty or corrupt; repair it with qemu-img check -r all";
	else if (writable && h->nb_snapshots)
		why = "writing images with internal snapshots is not supported";
	else if (writable && (h->refcount_order < 3 || h->refcount_order > 6))
		why = "writing needs 8- to 64-bit refcounts";
	else if (writable && (!h->rt_clusters || (uint64_t)h->rt_clusters * cs > QCOW2_MAX_RT_BYTES))
		why = "refcount table size out of range";
	if (!why)
		return 0;
	log_err("disk qcow2: %s: %s", path, why);
	return -ENOTSUP;
}

/* A table of (entries) big-endian u64 at (off), host-endian; one reaching past the file's end is refused before any allocation. */
static int qcow2_read_table(int fd, uint64_t off, uint64_t entries, uint64_t file_size, uint64_t **out)
{
	uint64_t *t;
	int ret;

	if (off > file_size || entries * 8 > file_size - off)
		return -EINVAL;
	t = malloc(entries * 8 + 1);
	if (!t)
		return -ENOMEM;
	ret = entries ? pread_full(fd, t, entries * 8, off) : 0;
	if (ret) {
		free(t);
		return ret == -ENODATA ? -EINVAL : ret;
	}
	for (uint64_t i = 0; i < entries; i++)
		t[i] = be64toh(t[i]);
	*out = t;
	return 0;
}

static int qcow2_alloc_buffers(struct disk_qcow2 *q)
{
	q->cbuf = malloc(q->cluster_size);
	q->zero = calloc(1, q->cluster_size);
	return q->cbuf && q->zero ? 0 : -ENOMEM;
}

/* The backing format named by the header extension (first cluster), or NULL: raw. */
static const char *qcow2_backing_format(const uint8_t *b, const struct qcow2_hdr *h, char *fmt, size_t size)
{
	uint64_t cs = 1ULL << h->cluster_bits, p = h->hdr_len;

	while (p + 8 <= cs) {
		uint32_t type = get32(b + p), len = get32(b + p + 4);

		if (type == QCOW2_EXT_END || p + 8 + len > cs)
			break;
		if (type == QCOW2_EXT_BACKING_FMT && len < size) {
			memcpy(fmt, b + p + 8, len);
			fmt[len] = '\0';
			return fmt;
		}
		p += 8 + ((len + 7ULL) & ~7ULL);
	}
	return NULL;
}

static int qcow2_open_depth(const struct disk_cfg *cfg, unsigned depth, struct disk **out);

/*
 * The backing file, read-only. A relative name is relative to the image's
 * directory. Without a format extension it is raw: probing would let a guest
 * that wrote a qcow2 header into a raw backing file redirect us to any host file.
 */
static int qcow2_open_backing(struct disk_qcow2 *q, const uint8_t *b, const struct qcow2_hdr *h,
			      const char *path, unsigned depth)
{
	char name[PATH_MAX], full[PATH_MAX], dir[PATH_MAX], fmtbuf[16];
	const char *fmt = qcow2_backing_format(b, h, fmtbuf, sizeof(fmtbuf));
	struct disk_cfg bc = { .path = full, .read_only = true, .sync_mode = KRUN_SYNC_NONE };
	int ret;

	ret = pread_full(q->fd, name, h->backing_len, h->backing_off);
	if (ret)
		return ret == -ENODATA ? -EINVAL : ret;
	name[h->backing_len] = '\0';
	snprintf(dir, sizeof(dir), "%s", path);
	if (name[0] == '/')
		snprintf(full, sizeof(full), "%s", name);
	else if (snprintf(full, sizeof(full), "%s/%s", dirname(dir), name) >= (int)sizeof(full))
		return -ENAMETOOLONG;
	if (fmt && !strcmp(fmt, "qcow2")) {
		if (depth >= QCOW2_MAX_BACKING_DEPTH) {
			log_err("disk qcow2: %s: backing chain longer than %d", path, QCOW2_MAX_BACKING_DEPTH);
			return -ELOOP;
		}
		ret = qcow2_open_depth(&bc, depth + 1, &q->backing);
	} else if (!fmt || !strcmp(fmt, "raw")) {
		ret = disk_raw_open(&bc, &q->backing);
	} else {
		log_err("disk qcow2: %s: backing format %s is not supported", path, fmt);
		return -ENOTSUP;
	}
	if (ret) {
		log_err("disk qcow2: %s: backing file %s: %s", path, full, strerror(-ret));
		return ret;
	}
	q->backing->read_only = true;
	q->backing->size &= ~(DISK_SECTOR - 1);
	return 0;
}

static int qcow2_setup(struct disk_qcow2 *q, const uint8_t *b, const struct qcow2_hdr *h,
		       const struct disk_cfg *cfg, unsigned depth)
{
	uint64_t file_size = 0;
	int ret;

	q->version = h->version;
	q->cluster_bits = h->cluster_bits;
	q->cluster_size = 1ULL << h->cluster_bits;
	q->l2_entries = q->cluster_size / 8;
	q->l1_size = h->l1_size;
	q->l1_offset = h->l1_off;
	q->refcount_bits = 1u << h->refcount_order;
	q->rb_entries = q->cluster_size * 8 / q->refcount_bits;
	q->rt_offset = h->rt_off;
	q->disk.size = h->size;
	ret = disk_fd_size(q->fd, &file_size);
	if (!ret)
		ret = qcow2_alloc_buffers(q);
	if (!ret)
		ret = qcow2_read_table(q->fd, h->l1_off, h->l1_size, file_size, &q->l1);
	if (!ret && !cfg->read_only) {
		q->rt_entries = (uint64_t)h->rt_clusters * q->cluster_size / 8;
		ret = qcow2_read_table(q->fd, h->rt_off, q->rt_entries, file_size, &q->rt);
	}
	if (!ret && h->backing_off && h->backing_len)
		ret = qcow2_open_backing(q, b, h, cfg->path, depth);
	q->next_free = (file_size + q->cluster_size - 1) & ~(q->cluster_size - 1);
	/* Autoclear bits name extensions (e.g. bitmaps) a writer that does not update them must drop. */
	if (!ret && !cfg->read_only && h->version == 3 && h->autoclear)
		ret = pwrite_be64(q->fd, 0, 88);
	return ret;
}

static int qcow2_open_depth(const struct disk_cfg *cfg, unsigned depth, struct disk **out)
{
	struct disk_qcow2 *q = calloc(1, sizeof(*q));
	struct qcow2_hdr h;
	uint8_t hb[104 + 1], *b = NULL;
	int ret;

	if (!q)
		return -ENOMEM;
	q->fd = -1;
	ret = disk_open_fd(cfg->path, cfg->read_only, false, &q->fd);
	if (ret)
		goto err;
	ret = pread_full(q->fd, hb, sizeof(hb), 0);
	if (!ret)
		ret = qcow2_parse_header(hb, &h);
	if (!ret)
		ret = qcow2_check_header(&h, !cfg->read_only, cfg->path);
	/*
	 * The header's extensions live in the rest of the first cluster. Sized
	 * to the cluster and not zeroed: the read fills all of it or fails (a
	 * 2 MiB calloc per open was most of an open's cost).
	 */
	if (!ret && !(b = malloc(1u << h.cluster_bits)))
		ret = -ENOMEM;
	if (!ret && (ret = pread_full(q->fd, b, 1u << h.cluster_bits, 0)) == -ENODATA)
		ret = -EINVAL;
	if (!ret)
		ret = qcow2_setup(q, b, &h, cfg, depth);
	if (ret)
		goto err;
	free(b);
	q->disk.ops = &qcow2_ops;
	q->disk.discard_align = q->cluster_size;
	*out = &q->disk;
	return 0;
err:
	if (ret == -ENODATA)
		ret = -EINVAL;
	if (ret == -EINVAL)
		log_err("disk qcow2: %s: not a valid qcow2 image", cfg->path);
	free(b);
	qcow2_close(&q->disk);
	return ret;
}

int disk_qcow2_open(const struct disk_cfg *cfg, struct disk **out)
{
	return qcow2_open_depth(cfg, 0, out);
}
