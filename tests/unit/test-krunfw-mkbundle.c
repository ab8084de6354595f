/* tests/unit/test-krunfw-mkbundle.c: runs build/krunfw/mkbundle on crafted ELF files: layout by p_paddr, zero gaps, 64 KiB padding, bad input rejected. */
#include <elf.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include "test.h"

#define MAX_PH 4

struct fake_seg {
	uint64_t vaddr, paddr, filesz, memsz;
	unsigned char fill;
};

struct fake_elf {
	Elf64_Ehdr eh;
	Elf64_Phdr ph[MAX_PH];
};

static char dir[] = "/tmp/krunfw-mkbundle-XXXXXX";

static const char *tool(void)
{
	static char path[4096];
	const char *build = getenv("BUILD");

	snprintf(path, sizeof(path), "%s/krunfw/mkbundle", build && *build ? build : "build");
	return path;
}

/* Writes an ELF with the segments' data at 4 KiB-aligned file offsets after the headers. */
static int write_elf(const char *path, const struct fake_seg *segs, int n, uint64_t entry)
{
	struct fake_elf e = { 0 };
	unsigned char buf[0x1000];
	uint64_t off = 0x1000;
	int fd, i;

	memcpy(e.eh.e_ident, ELFMAG, SELFMAG);
	e.eh.e_ident[EI_CLASS] = ELFCLASS64;
	e.eh.e_ident[EI_DATA] = ELFDATA2LSB;
	e.eh.e_ident[EI_VERSION] = EV_CURRENT;
	e.eh.e_type = ET_EXEC;
	e.eh.e_machine = EM_X86_64;
	e.eh.e_version = EV_CURRENT;
	e.eh.e_entry = entry;
	e.eh.e_phoff = offsetof(struct fake_elf, ph);
	e.eh.e_ehsize = sizeof(Elf64_Ehdr);
	e.eh.e_phentsize = sizeof(Elf64_Phdr);
	e.eh.e_phnum = n;
	for (i = 0; i < n; i++) {
		e.ph[i].p_type = PT_LOAD;
		e.ph[i].p_offset = off;
		e.ph[i].p_vaddr = segs[i].vaddr;
		e.ph[i].p_paddr = segs[i].paddr;
		e.ph[i].p_filesz = segs[i].filesz;
		e.ph[i].p_memsz = segs[i].memsz;
		off += (segs[i].filesz + 0xfff) & ~0xfffULL;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return -1;
	if (write(fd, &e, sizeof(e)) != (ssize_t)sizeof(e))
		goto fail;
	for (i = 0; i < n; i++) {
		uint64_t left = segs[i].filesz;

		if (lseek(fd, e.ph[i].p_offset, SEEK_SET) < 0)
			goto fail;
		memset(buf, segs[i].fill, sizeof(buf));
		while (left) {
			size_t chunk = left < sizeof(buf) ? left : sizeof(buf);

			if (write(fd, buf, chunk) != (ssize_t)chunk)
				goto fail;
			left -= chunk;
		}
	}
	close(fd);
	return 0;
fail:
	close(fd);
	return -1;
}

static int run_tool(const char *elf, const char *bin, const char *asm_path)
{
	char cmd[8192];
	int status;

	snprintf(cmd, sizeof(cmd), "'%s' '%s' '%s' '%s' >/dev/null 2>&1", tool(), elf, bin, asm_path);
	status = system(cmd);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void need_tool(void)
{
	if (access(tool(), X_OK))
		SKIP_TEST("mkbundle not built (make build/krunfw/mkbundle)");
	if (!mkdtemp(dir))
		SKIP_TEST("mkdtemp failed");
}

static void cleanup(void)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd))
		printf("  could not remove %s\n", dir);
}

/* Segments listed out of order, with a gap and a BSS tail: output follows p_paddr. */
static void test_layout(void)
{
	const struct fake_seg segs[] = {
		{ 0xffffffff81200000ULL, 0x1200000, 0x3000, 0x5000, 0xbb },
		{ 0xffffffff81000000ULL, 0x1000000, 0x1800, 0x1800, 0xaa },
	};
	char elf[64], bin[64], s[64], text[2048];
	unsigned char *data;
	struct stat st;
	FILE *f;
	size_t n;
	int fd;

	need_tool();
	snprintf(elf, sizeof(elf), "%s/vmlinux", dir);
	snprintf(bin, sizeof(bin), "%s/kernel.bin", dir);
	snprintf(s, sizeof(s), "%s/kernel.S", dir);
	CHECK_EQ(write_elf(elf, segs, 2, 0xffffffff81000100ULL), 0);
	CHECK_EQ(run_tool(elf, bin, s), 0);
	fd = open(bin, O_RDONLY);
	CHECK(fd >= 0);
	if (fd < 0)
		goto out;
	CHECK_EQ(fstat(fd, &st), 0);
	/* 0x200000 + 0x3000 rounded up to 64 KiB; the second segment's BSS is not stored. */
	CHECK_EQ(st.st_size, 0x210000);
	data = malloc(st.st_size);
	CHECK(data && read(fd, data, st.st_size) == st.st_size);
	close(fd);
	if (!data)
		goto out;
	CHECK_EQ(data[0], 0xaa);
	CHECK_EQ(data[0x17ff], 0xaa);
	CHECK_EQ(data[0x1800], 0);
	CHECK_EQ(data[0x1fffff], 0);
	CHECK_EQ(data[0x200000], 0xbb);
	CHECK_EQ(data[0x202fff], 0xbb);
	CHECK_EQ(data[0x203000], 0);
	free(data);
	f = fopen(s, "r");
	CHECK(f != NULL);
	if (!f)
		goto out;
	n = fread(text, 1, sizeof(text) - 1, f);
	text[n] = 0;
	fclose(f);
	/* The virtual e_entry is translated through its segment to a physical address. */
	CHECK(strstr(text, "kfw_entry_addr:\n\t.quad 0x1000100") != NULL);
	CHECK(strstr(text, "kfw_load_addr:\n\t.quad 0x1000000") != NULL);
	CHECK(strstr(text, "kfw_bundle_size:\n\t.quad 0x210000") != NULL);
	CHECK(strstr(text, ".balign 65536") != NULL);
out:
	cleanup();
}

/* Inputs the tool must refuse rather than lay out wrongly. */
static void test_rejects_bad_input(void)
{
	const struct fake_seg overlap[] = {
		{ 0xffffffff81000000ULL, 0x1000000, 0x2000, 0x2000, 1 },
		{ 0xffffffff81001000ULL, 0x1001000, 0x1000, 0x1000, 2 },
	};
	const struct fake_seg unaligned[] = {
		{ 0xffffffff81000000ULL, 0x1001000, 0x1000, 0x1000, 1 },
	};
	const struct fake_seg ok[] = {
		{ 0xffffffff81000000ULL, 0x1000000, 0x1000, 0x2000, 1 },
	};
	char elf[64], bin[64], s[64];
	int fd;

	need_tool();
	snprintf(elf, sizeof(elf), "%s/vmlinux", dir);
	snprintf(bin, sizeof(bin), "%s/kernel.bin", dir);
	snprintf(s, sizeof(s), "%s/kernel.S", dir);
	CHECK_EQ(write_elf(elf, overlap, 2, 0xffffffff81000000ULL), 0);
	CHECK(run_tool(elf, bin, s) != 0);
	CHECK_EQ(write_elf(elf, unaligned, 1, 0xffffffff81000000ULL), 0);
	CHECK(run_tool(elf, bin, s) != 0);
	/* Entry in the BSS part or outside every segment. */
	CHECK_EQ(write_elf(elf, ok, 1, 0xffffffff81001800ULL), 0);
	CHECK(run_tool(elf, bin, s) != 0);
	CHECK_EQ(write_elf(elf, ok, 1, 0x5000), 0);
	CHECK(run_tool(elf, bin, s) != 0);
	/* A file cut inside a segment's data. */
	CHECK_EQ(write_elf(elf, ok, 1, 0x1000000), 0);
	CHECK_EQ(run_tool(elf, bin, s), 0);
	CHECK_EQ(truncate(elf, 0x1800), 0);
	CHECK(run_tool(elf, bin, s) != 0);
	/* Not an ELF at all. */
	fd = open(elf, O_WRONLY | O_TRUNC);
	CHECK(fd >= 0 && write(fd, "#!/bin/sh\n", 10) == 10);
	if (fd >= 0)
		close(fd);
	CHECK(run_tool(elf, bin, s) != 0);
	cleanup();
}

TEST_MAIN_BEGIN("krunfw-mkbundle")
	RUN(test_layout);
	RUN(test_rejects_bad_input);
TEST_MAIN_END()
