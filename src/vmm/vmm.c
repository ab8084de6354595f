/* src/vmm/vmm.c: builds the VM from a configuration (memory, kernel, devices, vCPUs), runs it, and exits with the guest's code. */
#include "vmm/vmm.h"

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "api/config.h"
#include "libkrun.h"
/* From src/api/krunfw.c: the bundled kernel of libkrunfw.so.5, loaded at krun_create_ctx. */
int krunfw_kernel(void **host, uint64_t *load_addr, uint64_t *entry, size_t *size);
#include "fuse/fuse-server.h"
#include "sandbox/lists.h"
#include "util/log.h"
#include "vmm/exec-json.h"
#include "vmm/vmm-internal.h"
#include "vmm/x86_64/boot.h"
#include "vmm/x86_64/layout.h"

#define PAGE_SIZE_4K	4096ULL
#define ALIGN_UP(x, a)	(((x) + (a) - 1) & ~((a) - 1))

int vmm_at_exit(struct vmm *v, void (*fn)(void *), void *arg)
{
	if (v->nr_exit_hooks >= VMM_MAX_EXIT_HOOKS)
		return -ENOSPC;
	v->exit_hooks[v->nr_exit_hooks] = fn;
	v->exit_hook_args[v->nr_exit_hooks++] = arg;
	return 0;
}

int vmm_own_fd(struct vmm *v, int fd)
{
	if (fd >= 0 && v->nr_owned_fds < VMM_MAX_OWNED_FDS)
		v->owned_fds[v->nr_owned_fds++] = fd;
	return fd;
}

static int vmm_load_kernel_image(struct vmm *v)
{
	const struct krun_config *cfg = v->cfg;
	struct kernel_image *k = &v->kernel;
	size_t size;
	void *p;
	int ret;

	if (!cfg->kernel_path) {
		ret = krunfw_kernel(&k->host, &k->load_addr, &k->entry, &size);
		k->size = size;
		return ret;
	}
	if (cfg->kernel_format == KRUN_KERNEL_FORMAT_ELF) {
		/* Opened now (errors show before the VM exists), read into RAM once it does. */
		k->elf_fd = open(cfg->kernel_path, O_RDONLY | O_CLOEXEC);
		if (k->elf_fd >= 0)
			return 0;
		ret = -errno;
		log_err("vmm: cannot read kernel %s: %s", cfg->kernel_path, strerror(-ret));
		return ret;
	}
	if (cfg->kernel_format != KRUN_KERNEL_FORMAT_RAW) {
		log_err("vmm: kernel format %u is not supported on x86_64", cfg->kernel_format);
		return -EINVAL;
	}
	ret = gmem_map_file(cfg->kernel_path, &p, &size, 64 << 10);
	if (ret) {
		log_err("vmm: cannot read kernel %s: %s", cfg->kernel_path, strerror(-ret));
		return ret;
	}
	/* Upstream's x86 contract: a flat image at 2 GiB, entered at its first byte. */
	k->host = p;
	k->load_addr = k->entry = 0x80000000ULL;
	k->size = ALIGN_UP(size, 64 << 10);
	return 0;
}

/* Anonymous RAM of (size) bytes from (start), split around the MMIO gap. */
static int vmm_add_anon_ram(struct vmm *v, uint64_t start, uint64_t size)
{
	uint64_t below = 0;
	int ret;

	if (start < MMIO_MEM_START)
		below = size < MMIO_MEM_START - start ? size : MMIO_MEM_START - start;
	if (below) {
		ret = vm_add_ram(&v->vm, start, below, NULL, NULL);
		if (ret)
			return ret;
		v->ram_below_gap_end = start + below;
	}
	if (size > below) {
		v->ram_above_4g = size - below;
		ret = vm_add_ram(&v->vm, FIRST_ADDR_PAST_32BITS, v->ram_above_4g, NULL, NULL);
		if (ret)
			return ret;
	}
	return 0;
}

/*
 * Upstream's layout: with a mapped image at K, RAM is [0, K), the image
 * itself (zero copy), then the requested size after it; an ELF kernel is
 * copied into plain RAM starting at 0.
 */
static int vmm_setup_memory(struct vmm *v)
{
	uint64_t ram = (uint64_t)v->cfg->ram_mib << 20;
	struct kernel_image *k = &v->kernel;
	int ret;

	if (!k->host)
		return vmm_add_anon_ram(v, 0, ram);
	ret = vm_add_ram(&v->vm, 0, k->load_addr, NULL, NULL);
	if (!ret)
		ret = vm_add_ram(&v->vm, k->load_addr, k->size, k->host, NULL);
	if (!ret)
		ret = vmm_add_anon_ram(v, k->load_addr + k->size, ram);
	return ret;
}

int vmm_alloc_shm(struct vmm *v, uint64_t size, uint64_t *gpa)
{
	if (!v->shm_next) {
		uint64_t ram_end = v->ram_above_4g ? FIRST_ADDR_PAST_32BITS + v->ram_above_4g
						   : FIRST_ADDR_PAST_32BITS;
		v->shm_next = ALIGN_UP(ram_end, 1ULL << 30);
	}
	size = ALIGN_UP(size, PAGE_SIZE_4K);
	*gpa = v->shm_next;
	v->shm_next = ALIGN_UP(v->shm_next + size, 2ULL << 20);
	return 0;
}

/* Read straight into the top of the RAM below the MMIO gap (no bounce buffer). */
static int vmm_load_initramfs(struct vmm *v, struct boot_info *bi)
{
	const char *path = v->cfg->initramfs_path;
	struct stat st = { 0 };
	uint64_t gpa;
	void *dst;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		ret = -errno;
		goto out;
	}
	ret = -ENOMEM;
	if (st.st_size <= 0 || (uint64_t)st.st_size >= v->ram_below_gap_end) {
		ret = st.st_size <= 0 ? -EINVAL : -ENOMEM;
		goto out;
	}
	gpa = (v->ram_below_gap_end - st.st_size) & ~(PAGE_SIZE_4K - 1);
	dst = gmem_ptr(&v->vm.mem, gpa, st.st_size);
	if (dst)
		ret = gmem_pread(fd, dst, st.st_size, 0);
	if (!ret) {
		bi->initrd_gpa = gpa;
		bi->initrd_size = st.st_size;
	}
out:
	if (ret == -ENOMEM)
		log_err("vmm: initramfs of %lld bytes does not fit in guest RAM", (long long)st.st_size);
	else if (ret)
		log_err("vmm: cannot read initramfs %s: %s", path, strerror(-ret));
	if (fd >= 0)
		close(fd);
	return ret;
}

/*
 * The guest kernel's command line has no escapes and small limits. When the
 * workload's argv/env do not fit, they travel as a JSON file on the root
 * virtio-fs instead (the init reads KRUN_EXEC_FILE), so nothing is refused that
 * upstream would only have garbled.
 */
static int vmm_build_cmdline(struct vmm *v, char **cmdline)
{
	static char *json_env[] = { EXEC_JSON_ENV, NULL };
	struct krun_config c;
	size_t len;
	char *json;
	int ret;

	ret = cmdline_build(v->cfg, v->devices.buf, cmdline);
	if (ret != -EINVAL && ret != -E2BIG)
		return ret;
	if (!v->root_srv || !v->cfg->exec_path) {
		log_err("vmm: the kernel command line cannot carry this configuration (a double "
			"quote or control character, more than 30 variables or 31 arguments, or "
			"over 2048 bytes) and there is no virtio-fs root to pass it through");
		return ret;
	}
	ret = exec_json_build(v->cfg, &json, &len);
	if (!ret) /* json stays allocated: the server serves it from memory */
		ret = fuse_srv_add_overlay_file(v->root_srv, EXEC_JSON_NAME, (uint8_t *)json,
						len, 0444, false);
	if (ret)
		return ret;
	c = *v->cfg;
	c.exec_path = NULL;
	c.argv.n = 0;
	c.env_set = true;
	c.env = (struct cfg_strv){ .v = json_env, .n = 1 };
	log_info("vmm: argv/env passed through /%s", EXEC_JSON_NAME);
	return cmdline_build(&c, v->devices.buf, cmdline);
}

static int vmm_setup_boot(struct vmm *v)
{
	struct boot_info bi = {
		.ram_below_gap_end = v->ram_below_gap_end,
		.ram_above_4g_size = v->ram_above_4g,
	};
	char *cmdline = NULL;
	uint64_t end;
	int ret;

	if (v->kernel.elf_fd >= 0) {
		/* Only the loadable segments, straight into guest RAM. */
		ret = boot_load_elf_fd(&v->vm.mem, v->kernel.elf_fd, &v->kernel.entry, &end);
		close(v->kernel.elf_fd);
		v->kernel.elf_fd = -1;
		if (ret) {
			log_err("vmm: cannot load the ELF kernel: %s", strerror(-ret));
			return ret;
		}
	}
	if (v->cfg->initramfs_path) {
		ret = vmm_load_initramfs(v, &bi);
		if (ret)
			return ret;
	}
	ret = vmm_build_cmdline(v, &cmdline);
	if (ret)
		return ret;
	log_debug("vmm: kernel command line: %s", cmdline);
	bi.cmdline = cmdline;
	ret = boot_setup_tables(&v->vm.mem);
	if (!ret)
		ret = boot_setup_params(&v->vm.mem, &bi);
	if (!ret)
		ret = mptable_setup(&v->vm.mem, v->cfg->vcpus);
	free(cmdline);
	if (ret)
		log_err("vmm: writing the boot state: %s", strerror(-ret));
	return ret;
}

static int vmm_drop_privileges(const struct krun_config *cfg)
{
	if (cfg->has_gid && setgid(cfg->gid) < 0) {
		log_err("vmm: setgid(%u): %s", (unsigned)cfg->gid, strerror(errno));
		return -errno;
	}
	if (cfg->has_uid && setuid(cfg->uid) < 0) {
		log_err("vmm: setuid(%u): %s", (unsigned)cfg->uid, strerror(errno));
		return -errno;
	}
	return 0;
}

static void vmm_on_exit_evt(void *opaque, int fd, uint32_t events)
{
	struct vmm *v = opaque;

	ev_stop(&v->vm.loop);
}

/* The one process exit of the library: restore what we changed, then _exit like upstream. */
static void vmm_exit(struct vmm *v)
{
	int code = vm_exit_status(&v->vm);

	for (int i = v->nr_exit_hooks - 1; i >= 0; i--)
		v->exit_hooks[i](v->exit_hook_args[i]);
	log_debug("vmm: guest done, exit code %d", code);
	_exit(code & 0xff);
}

/* The main thread runs the event loop: every device's loop-side work, then the exit path. */
static const struct sbx_list *const vmm_main_lists[] = {
	&ev_sbx, &console_sbx, &vsock_sbx, &rng_sbx, &net_io_sbx, &disk_sbx, &vmm_exit_sbx,
};
static const struct sbx_role vmm_main_role = { "main", vmm_main_lists, SBX_N(vmm_main_lists) };

static int vmm_build(struct vmm *v)
{
	int ret;

	ret = sbx_prepare(v->cfg->has_uid ? (long)v->cfg->uid : -1,
			  v->cfg->has_gid ? (long)v->cfg->gid : -1);
	if (!ret)
		ret = vmm_load_kernel_image(v);
	if (!ret)
		ret = vm_create(&v->vm, v->cfg->split_irqchip);
	if (!ret) {
		v->vm_created = true;
		ret = vmm_setup_memory(v);
	}
	if (!ret)
		ret = vmm_create_devices(v);
	if (!ret)
		ret = vmm_setup_boot(v);
	if (!ret)
		ret = vmm_drop_privileges(v->cfg);
	if (!ret)
		ret = vcpu_create_all(&v->vm, v->cfg->vcpus, v->kernel.entry, v->cfg->nested_virt);
	if (!ret)
		ret = ev_add(&v->vm.loop, v->vm.exit_evt, EPOLLIN, vmm_on_exit_evt, v);
	return ret;
}

/*
 * Upstream names the process "VM:$HOSTNAME" from the host's environment (crun
 * runs us with the container's env, where podman put the container's name).
 */
static void vmm_set_name(void)
{
	const char *host = getenv("HOSTNAME");
	char name[16] = "libkrun VM";

	if (host && *host)
		snprintf(name, sizeof(name), "VM:%s", host);
	prctl(PR_SET_NAME, name);
}

int vmm_start_enter(struct krun_config *cfg)
{
	struct vmm *v = calloc(1, sizeof(*v));
	int ret, settled;

	if (!v)
		return -ENOMEM;
	/*
	 * One malloc arena for the whole process (it is the VMM from here on): glibc gives each thread
	 * that allocates an arena of its own, each holding its free memory apart (~130-260 KiB
	 * resident apiece here); our threads allocate rarely, so they do not contend for it.
	 */
	mallopt(M_ARENA_MAX, 1);
	v->cfg = cfg;
	v->kernel.elf_fd = -1;
	cmdline_init(&v->devices);
	vmm_set_name();
	ret = vmm_build(v);
	/* Threads started during the build (the built-in network's) are up, or failed, before the guest runs. */
	settled = sbx_thread_settle();
	if (!ret)
		ret = settled;
	if (!ret)
		ret = vcpu_start_all(&v->vm);
	if (!ret)
		ret = sbx_enter(&vmm_main_role);
	vcpu_release_all(!ret);
	if (ret) {
		/* Hooks may have changed the terminal already: put it back before returning. */
		for (int i = v->nr_exit_hooks - 1; i >= 0; i--)
			v->exit_hooks[i](v->exit_hook_args[i]);
		vmm_unblock_signals();
		for (int i = 0; i < v->nr_owned_fds; i++)
			close(v->owned_fds[i]);
		if (v->kernel.elf_fd >= 0)
			close(v->kernel.elf_fd);
		if (v->vm_created)
			vm_destroy(&v->vm);
		free(v);
		return ret;
	}
	ret = ev_run(&v->vm.loop);
	if (ret)
		log_err("vmm: event loop failed: %s", strerror(-ret));
	vmm_exit(v);
	return ret; /* not reached */
}

/* Sandbox (x86_64): The exit path on the main thread (the disks' flush is disk_sbx). */
#ifdef __x86_64__
static const int vmm_exit_sbx_syscalls[] = {
	/* exit hooks: listeners removed, fds closed */
	__NR_unlink, __NR_unlinkat, __NR_close,
};
const struct sbx_list vmm_exit_sbx = SBX_SYSCALLS("vmm-exit", vmm_exit_sbx_syscalls);
#else
const struct sbx_list vmm_exit_sbx = { .name = "vmm-exit" };
#endif
