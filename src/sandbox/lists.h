/* src/sandbox/lists.h: every allow-list of the VMM and the file that defines it (next to the code that makes those syscalls). */
#ifndef KRUN_SANDBOX_LISTS_H
#define KRUN_SANDBOX_LISTS_H

#include "sandbox/sandbox.h"

extern const struct sbx_list vcpu_sbx;		/* src/vmm/vcpu.c: KVM_RUN, PIO/MMIO handlers */
extern const struct sbx_list ioapic_sbx;	/* src/devices/ioapic.c: GSI routes (vCPU) */
extern const struct sbx_list serial_sbx;	/* src/devices/serial.c: port input (vCPU) */
extern const struct sbx_list ev_sbx;		/* src/vmm/event.c: the epoll loop (main) */
extern const struct sbx_list vmm_exit_sbx;	/* src/vmm/vmm.c: exit hooks (main) */
extern const struct sbx_list console_sbx;	/* src/devices/virtio-console.c (main) */
extern const struct sbx_list vsock_sbx;		/* src/devices/virtio-vsock.c (main) */
extern const struct sbx_list rng_sbx;		/* src/devices/virtio-rng.c (main) */
extern const struct sbx_list net_io_sbx;	/* src/devices/virtio-net.c: backends' I/O (main) */
extern const struct sbx_list net_tap_sbx;	/* src/net/net-tap.c: offloads at DRIVER_OK (vCPU) */
extern const struct sbx_list net_slirp_sbx;	/* src/net/net-slirp.c: the libslirp thread */
extern const struct sbx_list disk_sbx;		/* src/disk/disk.c: raw and qcow2 I/O */
extern const struct sbx_list vtblk_sbx;		/* src/devices/virtio-blk.c: the worker's wakeups */
extern const struct sbx_list fuse_srv_sbx;	/* src/fuse/server.c: the passthrough server */
extern const struct sbx_list vtfs_sbx;		/* src/devices/virtio-fs.c: the worker's wakeups */

#endif
