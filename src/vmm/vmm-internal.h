/* src/vmm/vmm-internal.h: state of a running VMM shared by the builder, the devices table and exit handling. */
#ifndef KRUN_VMM_VMM_INTERNAL_H
#define KRUN_VMM_VMM_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "vmm/cmdline.h"
#include "vmm/vm.h"

struct krun_config;
struct vdev;
struct fuse_srv;

#define VMM_MAX_EXIT_HOOKS 16
#define VMM_MAX_OWNED_FDS 256

/* The kernel as it will sit in guest memory. */
struct kernel_image {
	void *host;		/* bundle/raw image mapped as guest memory, or NULL (ELF, loaded later) */
	uint64_t load_addr;	/* guest-physical start of the image */
	uint64_t size;		/* bytes at load_addr covered by (host) */
	uint64_t entry;		/* guest-physical 64-bit entry */
	int elf_fd;		/* open ELF vmlinux to load into RAM, or -1 */
};

struct vmm {
	struct vm vm;
	bool vm_created;		/* vm holds KVM fds that must be closed on failure */
	struct krun_config *cfg;
	struct kernel_image kernel;
	uint64_t ram_below_gap_end;	/* first byte past the RAM below the MMIO gap */
	uint64_t ram_above_4g;		/* bytes of RAM from 4 GiB */
	uint64_t shm_next;		/* next free guest address for shared-memory windows */
	unsigned next_mmio_slot;	/* virtio-mmio slots handed out so far */
	struct cmdline devices;		/* virtio_mmio.device= tokens */
	struct fuse_srv *root_srv;	/* FUSE server of the "/dev/root" virtio-fs, or NULL */
	void (*exit_hooks[VMM_MAX_EXIT_HOOKS])(void *);
	void *exit_hook_args[VMM_MAX_EXIT_HOOKS];
	int nr_exit_hooks;
	int owned_fds[VMM_MAX_OWNED_FDS];	/* closed if the VM fails to start */
	int nr_owned_fds;
};

/* Remember (fd) so a failed start closes it; returns (fd) for chaining (-1 stays -1). */
int vmm_own_fd(struct vmm *v, int fd);

/* Run (fn)(arg) right before the process exits (terminal restore, flushes). */
int vmm_at_exit(struct vmm *v, void (*fn)(void *), void *arg);

/* Create every device of (v->cfg) in upstream's attach order. 0 or -errno. */
int vmm_create_devices(struct vmm *v);

/* The virtio-vsock device, if the configuration asks for one (src/vmm/vsock-attach.c). */
int vmm_create_vsock(struct vmm *v);

/* Put (dev) on the next virtio-mmio slot with its ioeventfds and irqfd. 0 or -errno. */
int vmm_attach_virtio(struct vmm *v, struct vdev *dev);

/* The implicit console and every configured virtio-console, in order. */
int vmm_create_consoles(struct vmm *v);

/* A virtio-blk device per configured disk, in add order (vda, vdb, ...). */
int vmm_create_disks(struct vmm *v);

/* The NICs: krun_add_net_*, the legacy passt/gvproxy one, or the implicit built-in network. */
int vmm_create_nets(struct vmm *v);

/* If the VM never starts, the caller gets the signals the consoles took back. */
void vmm_unblock_signals(void);

/* A guest-physical range for a shared-memory window (DAX) of (size) bytes. */
int vmm_alloc_shm(struct vmm *v, uint64_t size, uint64_t *gpa);

#endif
