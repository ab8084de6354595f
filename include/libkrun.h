/* include/libkrun.h: the public C API of libkrun (ABI-compatible with upstream libkrun 1.19, libkrun.so.1). */
#ifndef _LIBKRUN_H
#define _LIBKRUN_H

#ifdef __cplusplus
extern "C" {
#endif

#include <inttypes.h>
#include <stddef.h>
#include <stdbool.h>
#include <unistd.h>

/*
 * Conventions for every function below:
 *  - int32_t results are 0 (or a non-negative id/count) on success and a
 *    negative errno on failure; docs/errors.md lists which errno means what.
 *  - A ctx_id that krun_create_ctx never returned, or that was already freed
 *    or consumed by krun_start_enter, yields -ENOENT.
 *  - Strings are NUL-terminated and must be valid UTF-8 (-EINVAL otherwise).
 *    String arrays end with a NULL entry; at most 4096 entries are read.
 *  - Strings and arrays are copied; the caller may free them after the call.
 *    File descriptors stay the caller's until krun_start_enter.
 *  - Functions for devices this build does not provide return -ENOTSUP
 *    (see krun_has_feature and docs/api.md).
 */
#if defined(__GNUC__) && !defined(KRUN_API)
#define KRUN_API __attribute__((visibility("default")))
#elif !defined(KRUN_API)
#define KRUN_API
#endif

/* ---- Logging ------------------------------------------------------------ */

/*
 * Set how much the library logs: 0 off, 1 error, 2 warn, 3 info, 4 debug,
 * 5 and above trace. May be called again to change the level.
 */
KRUN_API int32_t krun_set_log_level(uint32_t level);

#define KRUN_LOG_TARGET_DEFAULT -1

#define KRUN_LOG_LEVEL_OFF 0
#define KRUN_LOG_LEVEL_ERROR 1
#define KRUN_LOG_LEVEL_WARN 2
#define KRUN_LOG_LEVEL_INFO 3
#define KRUN_LOG_LEVEL_DEBUG 4
#define KRUN_LOG_LEVEL_TRACE 5

#define KRUN_LOG_STYLE_AUTO 0
#define KRUN_LOG_STYLE_ALWAYS 1
#define KRUN_LOG_STYLE_NEVER 2

#define KRUN_LOG_OPTION_NO_ENV 1

/*
 * Set up logging in one call.
 *  target_fd: KRUN_LOG_TARGET_DEFAULT (stderr), 1, 2, or any other open fd,
 *             which the library then owns. 0 and values below -1 are -EINVAL.
 *             A regular file as target can slow the VM down.
 *  level:     KRUN_LOG_LEVEL_* (larger values mean trace).
 *  style:     KRUN_LOG_STYLE_* (colours); anything else is -EINVAL.
 *  options:   0 or KRUN_LOG_OPTION_NO_ENV; other bits are -EINVAL.
 */
KRUN_API int32_t krun_init_log(int target_fd, uint32_t level, uint32_t style, uint32_t options);

/* ---- Contexts ----------------------------------------------------------- */

/*
 * Create an empty VM configuration and return its id (>= 0). Ids are never
 * reused. The first call also looks for libkrunfw.so.5, so call it before
 * chroot/pivot_root if the bundled kernel is wanted.
 */
KRUN_API int32_t krun_create_ctx();

/* Discard a configuration that will not be started. */
KRUN_API int32_t krun_free_ctx(uint32_t ctx_id);

/* vCPU count and guest RAM in MiB; both must be non-zero. Defaults: 1 and 128. */
KRUN_API int32_t krun_set_vm_config(uint32_t ctx_id, uint8_t num_vcpus, uint32_t ram_mib);

/* ---- Filesystems and disks ---------------------------------------------- */

/* The virtio-fs tag the guest kernel mounts as its root filesystem. */
#define KRUN_FS_ROOT_TAG "/dev/root"

/*
 * Share the host directory root_path as the guest's root filesystem, with a
 * 512 MiB DAX window; /init.krun is served from memory inside it unless
 * krun_disable_implicit_init was called first.
 */
KRUN_API int32_t krun_set_root(uint32_t ctx_id, const char *root_path);

/* DEPRECATED (use krun_add_disk): raw image as block device "root". */
KRUN_API int32_t krun_set_root_disk(uint32_t ctx_id, const char *disk_path);

/* DEPRECATED (use krun_add_disk): raw image as block device "data". */
KRUN_API int32_t krun_set_data_disk(uint32_t ctx_id, const char *disk_path);

/*
 * Add a raw disk image as a virtio-blk device named block_id (vda, vdb, ...
 * in the order added). Cannot be mixed with the deprecated calls above.
 */
KRUN_API int32_t krun_add_disk(uint32_t ctx_id, const char *block_id, const char *disk_path, bool read_only);

#define KRUN_DISK_FORMAT_RAW 0
#define KRUN_DISK_FORMAT_QCOW2 1
/* VMDK: FLAT and ZERO extents only, no delta links. */
#define KRUN_DISK_FORMAT_VMDK 2

/*
 * Like krun_add_disk with an explicit KRUN_DISK_FORMAT_*. Only pass a non-raw
 * format for trusted images: such images can name other host files, and a
 * guest that could write a raw image can forge one. Never probe a format.
 */
KRUN_API int32_t krun_add_disk2(uint32_t ctx_id,
				const char *block_id,
				const char *disk_path,
				uint32_t disk_format,
				bool read_only);

/* Flush policies for krun_add_disk3. */
/* Flush requests are ignored: data may be lost on a host crash. */
#define KRUN_SYNC_NONE 0
/* Flush requests are honoured (on Linux identical to KRUN_SYNC_FULL). */
#define KRUN_SYNC_RELAXED 1
/* Flush requests reach stable storage. */
#define KRUN_SYNC_FULL 2

/* Like krun_add_disk2, plus O_DIRECT access and a KRUN_SYNC_* policy. */
KRUN_API int32_t krun_add_disk3(uint32_t ctx_id,
				const char *block_id,
				const char *disk_path,
				uint32_t disk_format,
				bool read_only,
				bool direct_io,
				uint32_t sync_mode);

/* Not supported any more: always -EINVAL. */
KRUN_API int32_t krun_set_mapped_volumes(uint32_t ctx_id, const char *const mapped_volumes[]);

/* Share host directory c_path with the guest under c_tag (no DAX window). */
KRUN_API int32_t krun_add_virtiofs(uint32_t ctx_id,
				   const char *c_tag,
				   const char *c_path);

/* As krun_add_virtiofs with a DAX window of shm_size bytes. */
KRUN_API int32_t krun_add_virtiofs2(uint32_t ctx_id,
				    const char *c_tag,
				    const char *c_path,
				    uint64_t shm_size);

/*
 * As krun_add_virtiofs2, optionally read-only. c_tag (at most 36 bytes) is
 * required; c_path NULL makes a filesystem holding only overlay entries.
 */
KRUN_API int32_t krun_add_virtiofs3(uint32_t ctx_id,
				    const char *c_tag,
				    const char *c_path,
				    uint64_t shm_size,
				    bool read_only);

/* ---- Networking ---------------------------------------------------------- */

/* Send the "VFKT" magic after connecting (gvproxy in vfkit mode). */
#define NET_FLAG_VFKIT (1 << 0)
/* Let the guest init configure the interface by DHCP. */
#define NET_FLAG_DHCP_CLIENT (1 << 1)

/* TSI (transparent socket impersonation) bits for krun_add_vsock. */
#define KRUN_TSI_HIJACK_INET  (1 << 0)
#define KRUN_TSI_HIJACK_UNIX  (1 << 1)

/* virtio-net feature bits (values of uapi/linux/virtio_net.h; unparenthesized as upstream). */
#define NET_FEATURE_CSUM 1 << 0
#define NET_FEATURE_GUEST_CSUM 1 << 1
#define NET_FEATURE_GUEST_TSO4 1 << 7
#define NET_FEATURE_GUEST_TSO6 1 << 8
#define NET_FEATURE_GUEST_UFO 1 << 10
#define NET_FEATURE_HOST_TSO4 1 << 11
#define NET_FEATURE_HOST_TSO6 1 << 12
#define NET_FEATURE_HOST_UFO 1 << 14

/* The features of the legacy krun_set_passt_fd / krun_set_gvproxy_path NIC. */
#define COMPAT_NET_FEATURES NET_FEATURE_CSUM | NET_FEATURE_GUEST_CSUM | \
			    NET_FEATURE_GUEST_TSO4 | NET_FEATURE_GUEST_UFO | \
			    NET_FEATURE_HOST_TSO4 | NET_FEATURE_HOST_UFO

/*
 * Add a virtio-net device backed by a stream socket speaking 4-byte
 * length-prefixed frames (passt, socket_vmnet). Give either c_path (to
 * connect to) or an already connected fd (then c_path must be NULL), not both.
 * c_mac points to 6 bytes. Interfaces are eth0, eth1, ... in the order
 * added; adding any turns the implicit TSI networking off.
 */
KRUN_API int32_t krun_add_net_unixstream(uint32_t ctx_id,
					 const char *c_path,
					 int fd,
					 uint8_t *const c_mac,
					 uint32_t features,
					 uint32_t flags);

/*
 * As krun_add_net_unixstream for datagram sockets, one frame per datagram
 * (gvproxy, vmnet-helper). NET_FLAG_VFKIT applies when c_path is used.
 */
KRUN_API int32_t krun_add_net_unixgram(uint32_t ctx_id,
				       const char *c_path,
				       int fd,
				       uint8_t *const c_mac,
				       uint32_t features,
				       uint32_t flags);

/* Add a virtio-net device on the host tap interface c_tap_name. */
KRUN_API int32_t krun_add_net_tap(uint32_t ctx_id,
				  char *c_tap_name,
				  uint8_t *const c_mac,
				  uint32_t features,
				  uint32_t flags);

/* DEPRECATED (use krun_add_net_unixstream): single NIC on a passt socket fd. */
KRUN_API int32_t krun_set_passt_fd(uint32_t ctx_id, int fd);

/* DEPRECATED (use krun_add_net_unixgram): single NIC on gvproxy's vfkit socket. */
KRUN_API int32_t krun_set_gvproxy_path(uint32_t ctx_id, char *c_path);

/* MAC address (6 bytes) of the NIC made by the two deprecated calls above. */
KRUN_API int32_t krun_set_net_mac(uint32_t ctx_id, uint8_t *const c_mac);

/*
 * TSI port forwards, entries "host_port:guest_port". NULL means expose every
 * port the guest listens on; an empty array means expose none. Inside the
 * guest, a forwarded service is reached through its host_port too. Not
 * available with virtio-net devices (use the proxy's own port forwarding).
 */
KRUN_API int32_t krun_set_port_map(uint32_t ctx_id, const char *const port_map[]);

/* ---- GPU, display, input, sound ------------------------------------------ */

/* virglrenderer flags (values of virglrenderer's own header; unparenthesized as upstream). */
#define VIRGLRENDERER_USE_EGL 1 << 0
#define VIRGLRENDERER_THREAD_SYNC 1 << 1
#define VIRGLRENDERER_USE_GLX 1 << 2
#define VIRGLRENDERER_USE_SURFACELESS 1 << 3
#define VIRGLRENDERER_USE_GLES 1 << 4
#define VIRGLRENDERER_USE_EXTERNAL_BLOB 1 << 5
#define VIRGLRENDERER_VENUS 1 << 6
#define VIRGLRENDERER_NO_VIRGL 1 << 7
#define VIRGLRENDERER_USE_ASYNC_FENCE_CB 1 << 8
#define VIRGLRENDERER_RENDER_SERVER 1 << 9
#define VIRGLRENDERER_DRM 1 << 10

/* Add a virtio-gpu device rendering through virglrenderer with these flags. */
KRUN_API int32_t krun_set_gpu_options(uint32_t ctx_id, uint32_t virgl_flags);

/* As krun_set_gpu_options with an explicit host window (guest vRAM) size in bytes. */
KRUN_API int32_t krun_set_gpu_options2(uint32_t ctx_id,
				       uint32_t virgl_flags,
				       uint64_t shm_size);

/* Most displays one GPU can drive (the virtio-gpu scanout limit). */
#define KRUN_MAX_DISPLAYS 16

/*
 * Add a width x height display; returns its id (0..KRUN_MAX_DISPLAYS-1).
 * Output also needs a backend (krun_set_display_backend).
 */
KRUN_API int32_t krun_add_display(uint32_t ctx_id, uint32_t width, uint32_t height);

/* Report this EDID for the display instead of a generated one (size/rate/dpi then ignored). */
KRUN_API int32_t krun_display_set_edid(uint32_t ctx_id, uint32_t display_id, const uint8_t *edid_blob, size_t blob_size);

/* DPI reported to the guest for the display. */
KRUN_API int32_t krun_display_set_dpi(uint32_t ctx_id, uint32_t display_id, uint32_t dpi);

/* Physical size in millimetres reported to the guest for the display. */
KRUN_API int32_t krun_display_set_physical_size(uint32_t ctx_id, uint32_t display_id, uint16_t width_mm, uint16_t height_mm);

/* Refresh rate in Hz reported to the guest for the display. */
KRUN_API int32_t krun_display_set_refresh_rate(uint32_t ctx_id, uint32_t display_id, uint32_t refresh_rate);

/* Use the struct krun_display_backend (libkrun_display.h) at display_backend; pass its sizeof. */
KRUN_API int32_t krun_set_display_backend(uint32_t ctx_id, const void *display_backend, size_t backend_size);

/*
 * Add a virtio-input device from a struct krun_input_config and a struct
 * krun_input_event_provider (libkrun_input.h), each with its sizeof.
 */
KRUN_API int krun_add_input_device(uint32_t ctx_id, const void *config_backend, size_t config_backend_size,
				   const void *events_backend, size_t events_backend_size);

/* Add a virtio-input device passing through the host evdev device open at input_fd. */
KRUN_API int krun_add_input_device_fd(uint32_t ctx_id, int input_fd);

/* Request a virtio-snd device (recorded only: no sound device exists). */
KRUN_API int32_t krun_set_snd_device(uint32_t ctx_id, bool enable);

/* vhost-user device types (virtio device ids), for krun_add_vhost_user_device. */
#define KRUN_VIRTIO_DEVICE_CONSOLE 3
#define KRUN_VIRTIO_DEVICE_RNG 4
#define KRUN_VIRTIO_DEVICE_RTC 17
#define KRUN_VIRTIO_DEVICE_INPUT 18
#define KRUN_VIRTIO_DEVICE_VSOCK 19
#define KRUN_VIRTIO_DEVICE_SND 25
#define KRUN_VIRTIO_DEVICE_CAN 36

/*
 * Attach a device served by an external vhost-user backend on socket_path
 * (newer than 1.19 upstream; this build has no vhost-user: -ENOTSUP).
 */
KRUN_API int32_t krun_add_vhost_user_device(uint32_t ctx_id,
					    uint32_t device_type,
					    const char *socket_path,
					    const char *name,
					    uint16_t num_queues,
					    const uint16_t *queue_sizes);

/* ---- The guest workload ------------------------------------------------- */

/*
 * Resource limits set by the guest init before running the workload, entries
 * "RESOURCE=CUR:MAX" with RESOURCE the numeric RLIMIT_* id (e.g. "7=1024:2048").
 */
KRUN_API int32_t krun_set_rlimits(uint32_t ctx_id, const char *const rlimits[]);

/* SMBIOS OEM strings (recorded; x86_64 guests get no SMBIOS tables). */
KRUN_API int32_t krun_set_smbios_oem_strings(uint32_t ctx_id, const char *const oem_strings[]);

/* Working directory of the workload, a path inside the guest. */
KRUN_API int32_t krun_set_workdir(uint32_t ctx_id,
				  const char *workdir_path);

/*
 * The program the guest init runs (a guest path), its arguments (argv
 * WITHOUT argv[0]; may be NULL) and its environment ("K=V" entries; NULL
 * means a copy of this process's environment when the VM starts). Arguments
 * and environment travel on the kernel command line, which is small: pass
 * large ones through a config file instead.
 */
KRUN_API int32_t krun_set_exec(uint32_t ctx_id,
			       const char *exec_path,
			       const char *const argv[],
			       const char *const envp[]);

/* Boot this firmware image (a host path) instead of a kernel. */
KRUN_API int32_t krun_set_firmware(uint32_t ctx_id, const char *firmware_path);

#define KRUN_KERNEL_FORMAT_RAW 0
#define KRUN_KERNEL_FORMAT_ELF 1
#define KRUN_KERNEL_FORMAT_PE_GZ 2
#define KRUN_KERNEL_FORMAT_IMAGE_BZ2 3
#define KRUN_KERNEL_FORMAT_IMAGE_GZ 4
#define KRUN_KERNEL_FORMAT_IMAGE_ZSTD 5

/*
 * Boot the kernel at kernel_path (KRUN_KERNEL_FORMAT_*) instead of the one in
 * libkrunfw, with an optional initramfs. A non-NULL cmdline replaces the
 * default leading part of the command line (including init=/init.krun).
 */
KRUN_API int32_t krun_set_kernel(uint32_t ctx_id,
				 const char *kernel_path,
				 uint32_t kernel_format,
				 const char *initramfs,
				 const char *cmdline);

/* Replace the workload environment ("K=V" entries; NULL = copy of ours at start). */
KRUN_API int32_t krun_set_env(uint32_t ctx_id, const char *const envp[]);

/* Confidential-computing (SEV/TDX) configuration file; only in TEE builds. */
KRUN_API int32_t krun_set_tee_config_file(uint32_t ctx_id, const char *filepath);

/* ---- vsock ----------------------------------------------------------------- */

/* Guest connections to host vsock port are forwarded to the UNIX socket c_filepath. */
KRUN_API int32_t krun_add_vsock_port(uint32_t ctx_id,
				     uint32_t port,
				     const char *c_filepath);

/*
 * As krun_add_vsock_port; with listen true the direction flips: the library
 * listens on c_filepath (which must not exist) and connects each client to
 * the guest's vsock port.
 */
KRUN_API int32_t krun_add_vsock_port2(uint32_t ctx_id,
				      uint32_t port,
				      const char *c_filepath,
				      bool listen);

/*
 * Add the (single) vsock device explicitly with KRUN_TSI_* bits (0 = plain
 * vsock). Requires krun_disable_implicit_vsock first.
 */
KRUN_API int32_t krun_add_vsock(uint32_t ctx_id, uint32_t tsi_features);

/* An fd that asks the guest to shut down when written (not on Linux x86_64: -EINVAL). */
KRUN_API int32_t krun_get_shutdown_eventfd(uint32_t ctx_id);

/* ---- Consoles ---------------------------------------------------------------- */

/*
 * Make the implicit console read nothing and write to the file c_filepath
 * (created or truncated). Has no effect on explicitly added consoles.
 */
KRUN_API int32_t krun_set_console_output(uint32_t ctx_id, const char *c_filepath);

/* Switch to this uid right before the VM is built (after disks etc. are opened). */
KRUN_API int32_t krun_setuid(uint32_t ctx_id, uid_t uid);

/* Switch to this gid right before the VM is built (before the uid switch). */
KRUN_API int32_t krun_setgid(uint32_t ctx_id, gid_t gid);

/* ---- Machine ------------------------------------------------------------------ */

/* Offer hardware virtualization to the guest if the host supports nesting. */
KRUN_API int32_t krun_set_nested_virt(uint32_t ctx_id, bool enabled);

/* 1 if the host KVM allows nested virtualization, 0 if not, <0 on error. */
KRUN_API int32_t krun_check_nested_virt(void);

/* Feature ids for krun_has_feature. */
#define KRUN_FEATURE_NET 0
#define KRUN_FEATURE_BLK 1
#define KRUN_FEATURE_GPU 2
#define KRUN_FEATURE_SND 3
#define KRUN_FEATURE_INPUT 4
#define KRUN_FEATURE_EFI 5
#define KRUN_FEATURE_TEE 6
#define KRUN_FEATURE_AMD_SEV 7
#define KRUN_FEATURE_INTEL_TDX 8
#define KRUN_FEATURE_AWS_NITRO 9
#define KRUN_FEATURE_VIRGL_RESOURCE_MAP2 10
#define KRUN_FEATURE_INIT_BLOB 11

/* 1 if this build provides the KRUN_FEATURE_* feature, 0 if not, -EINVAL if unknown. */
KRUN_API int32_t krun_has_feature(uint64_t feature);

/* Largest vCPU count KVM accepts for one VM, or <0 on error. */
KRUN_API int32_t krun_get_max_vcpus(void);

/* Emulate the IOAPIC in userspace (split irqchip) instead of in KVM. */
KRUN_API int32_t krun_split_irqchip(uint32_t ctx_id, bool enable);

/*
 * Implicit devices are a convenience of the 1.x API; callers that want an
 * exact device set should turn them off with the krun_disable_implicit_*
 * calls below.
 */

/* Create no implicit console (hvc0); add consoles explicitly instead. */
KRUN_API int32_t krun_disable_implicit_console(uint32_t ctx_id);

/* Do not serve /init.krun in the root filesystem. Call before krun_set_root. */
KRUN_API int32_t krun_disable_implicit_init(uint32_t ctx_id);

/*
 * The init binary this library serves as /init.krun: static data valid for
 * the life of the process, for callers that install it themselves.
 */
KRUN_API int32_t krun_get_default_init(const uint8_t **data_out, size_t *len_out);

/*
 * Add a read-only file held in memory to the virtio-fs tagged fs_tag. data is
 * NOT copied and must stay valid while the VM runs. path is relative to the
 * fs root and may go through directories made by krun_fs_add_overlay_dir
 * ("etc/hostname"); mode is a full st_mode (e.g. 0100644). A one_shot file
 * can be looked up once only. Errors: -ENOENT (no such tag or parent),
 * -ENOTDIR (a parent is a file), -EEXIST (path taken), -EINVAL.
 */
KRUN_API int32_t krun_fs_add_overlay_file(uint32_t ctx_id, const char *fs_tag,
					  const char *path, const uint8_t *data,
					  size_t data_len, uint32_t mode, bool one_shot);

/* Add an empty read-only directory (e.g. a mount point) to the virtio-fs fs_tag. */
KRUN_API int32_t krun_fs_add_overlay_dir(uint32_t ctx_id, const char *fs_tag,
					 const char *path, uint32_t mode);

/* Create no vsock device at all (no TSI, no vsock ports). */
KRUN_API int32_t krun_disable_implicit_vsock(uint32_t ctx_id);

/* Put console=<console_id> on the kernel command line instead of console=hvc0. */
KRUN_API int32_t krun_set_kernel_console(uint32_t ctx_id, const char *console_id);

/*
 * Add a virtio-console set up like the implicit one from three fds (-1 =
 * none): port 0 is the terminal if any fd is a tty, and each non-tty fd gets
 * its own port ("krun-stdin"/"krun-stdout"/"krun-stderr") that the guest init
 * redirects to. hvc1, hvc2, ... when the implicit console exists.
 */
KRUN_API int32_t krun_add_virtio_console_default(uint32_t ctx_id,
						 int input_fd,
						 int output_fd,
						 int err_fd);

/* Add a 16550 serial port (COM1, COM2, ... in the order added) on these fds. */
KRUN_API int32_t krun_add_serial_console_default(uint32_t ctx_id,
						 int input_fd,
						 int output_fd);

/* Add an empty multiport virtio-console; returns its console_id (>= 0) for the port calls. */
KRUN_API int32_t krun_add_virtio_console_multiport(uint32_t ctx_id);

/* Add a console port (resizable terminal) on tty_fd to multiport console console_id. */
KRUN_API int32_t krun_add_console_port_tty(uint32_t ctx_id,
					   uint32_t console_id,
					   const char *name,
					   int tty_fd);

/* Add a plain data port (input_fd feeds the guest, output_fd receives; -1 = none). */
KRUN_API int32_t krun_add_console_port_inout(uint32_t ctx_id,
					     uint32_t console_id,
					     const char *name,
					     int input_fd,
					     int output_fd);

/*
 * Boot from a block device: the guest init starts from a small in-memory root
 * filesystem, mounts device (e.g. "/dev/vda1") with fstype ("auto"/NULL =
 * probe) and options (may be NULL), and switches root to it.
 */
KRUN_API int32_t krun_set_root_disk_remount(uint32_t ctx_id, const char *device, const char *fstype, const char *options);

/*
 * Build and run the VM configured in ctx_id, which is consumed whether or not
 * this succeeds. Takes over the terminal on stdin/stdout. Returns only on an
 * error before the guest runs; otherwise the process exits with the guest
 * workload's status when the VM stops. Status codes set by the guest init:
 * 125 it could not set up the environment, 126 the program could not be
 * executed, 127 the program was not found.
 */
KRUN_API int32_t krun_start_enter(uint32_t ctx_id);

#ifdef __cplusplus
}
#endif

#endif /* _LIBKRUN_H */
