/* tests/kernel/bpf-devcg.c: in the guest, a bpf() map and a cgroup v2 device program (as crun attaches) that denies /dev/null. */
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#define CGROUP2_MAGIC	0x63677270
#define CG_ROOT		"/sys/fs/cgroup"
#define CG_DIR		CG_ROOT "/krun-bpf-test"

static long bpf(int cmd, union bpf_attr *attr)
{
	return syscall(SYS_bpf, cmd, attr, sizeof(*attr));
}

static int map_create(void)
{
	union bpf_attr a = {
		.map_type = BPF_MAP_TYPE_ARRAY, .key_size = 4, .value_size = 8, .max_entries = 4,
	};

	return (int)bpf(BPF_MAP_CREATE, &a);
}

#define INSN(c, d, s, o, i) ((struct bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) })

/* Deny char device 1:3 (/dev/null), allow everything else: ctx is struct bpf_cgroup_dev_ctx. */
static int prog_load(char *log, unsigned log_size)
{
	static const char license[] = "GPL";
	struct bpf_insn insns[] = {
		INSN(BPF_LDX | BPF_MEM | BPF_W, 2, 1, 4, 0),	/* r2 = ctx->major */
		INSN(BPF_LDX | BPF_MEM | BPF_W, 3, 1, 8, 0),	/* r3 = ctx->minor */
		INSN(BPF_JMP | BPF_JNE | BPF_K, 2, 0, 3, 1),	/* major != 1 -> allow */
		INSN(BPF_JMP | BPF_JNE | BPF_K, 3, 0, 2, 3),	/* minor != 3 -> allow */
		INSN(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 0),	/* r0 = 0: deny */
		INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),
		INSN(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 1),	/* allow: r0 = 1 */
		INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),
	};
	union bpf_attr a = {
		.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE,
		.insns = (uintptr_t)insns, .insn_cnt = sizeof(insns) / sizeof(insns[0]),
		.license = (uintptr_t)license,
		.log_buf = (uintptr_t)log, .log_size = log_size, .log_level = 1,
	};

	return (int)bpf(BPF_PROG_LOAD, &a);
}

static int ensure_cgroup2(void)
{
	struct statfs s;

	if (statfs(CG_ROOT, &s) == 0 && s.f_type == CGROUP2_MAGIC)
		return 0;
	return mount("cgroup2", CG_ROOT, "cgroup2", 0, NULL);
}

/* In a child moved into CG_DIR: /dev/null must be refused with EPERM, /dev/zero allowed. */
static int child_checks(void)
{
	int fd = open(CG_DIR "/cgroup.procs", O_WRONLY), nul, zero;

	if (fd < 0 || write(fd, "0", 1) != 1) {
		printf("bpf-devcg: joining the cgroup: %s\n", strerror(errno));
		return 1;
	}
	close(fd);
	nul = open("/dev/null", O_RDWR);
	if (nul >= 0 || errno != EPERM) {
		printf("bpf-devcg: /dev/null open gave %d (%s), want EPERM\n", nul, strerror(errno));
		return 1;
	}
	zero = open("/dev/zero", O_RDONLY);
	if (zero < 0) {
		printf("bpf-devcg: /dev/zero refused: %s\n", strerror(errno));
		return 1;
	}
	return 0;
}

int main(void)
{
	static char log[65536];
	union bpf_attr at = { 0 };
	int map, prog, cg, st = 1;
	pid_t pid;

	map = map_create();
	if (map < 0) {
		printf("bpf-devcg: BPF_MAP_CREATE: %s\n", strerror(errno));
		return 1;
	}
	if (ensure_cgroup2() || (mkdir(CG_DIR, 0755) && errno != EEXIST)) {
		printf("bpf-devcg: cgroup2 at %s: %s\n", CG_DIR, strerror(errno));
		return 1;
	}
	prog = prog_load(log, sizeof(log));
	if (prog < 0) {
		printf("bpf-devcg: BPF_PROG_LOAD: %s\n%s\n", strerror(errno), log);
		return 1;
	}
	cg = open(CG_DIR, O_RDONLY | O_DIRECTORY);
	at.target_fd = cg;
	at.attach_bpf_fd = prog;
	at.attach_type = BPF_CGROUP_DEVICE;
	if (cg < 0 || bpf(BPF_PROG_ATTACH, &at) < 0) {
		printf("bpf-devcg: BPF_PROG_ATTACH: %s\n", strerror(errno));
		return 1;
	}
	fflush(stdout);
	pid = fork();
	if (pid == 0)
		_exit(child_checks());
	if (pid < 0 || waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st)) {
		printf("bpf-devcg: the program did not act in the cgroup\n");
		return 1;
	}
	/* Outside the cgroup the same device opens. */
	if (open("/dev/null", O_RDWR) < 0) {
		printf("bpf-devcg: /dev/null refused outside the cgroup: %s\n", strerror(errno));
		return 1;
	}
	rmdir(CG_DIR);
	printf("bpf-devcg: map fd %d, device program fd %d denied /dev/null in the cgroup only\n", map, prog);
	return 0;
}
