/* src/api/config.h: a VM configuration as plain data, filled by the krun_* calls and handed to the VMM by krun_start_enter. */
#ifndef KRUN_API_CONFIG_H
#define KRUN_API_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * Which optional devices the VMM provides. An API call for a feature set to 0
 * validates its arguments like upstream, then returns -ENOTSUP without
 * storing anything, so callers learn early that the VM would lack it. The
 * storing code is already written: when the VMM gains a device, flip its bit
 * here and krun_has_feature() follows.
 */
#define CFG_HAVE_BLK		1	/* virtio-blk: krun_add_disk*, set_root/data_disk, remount */
#define CFG_HAVE_NET		1	/* virtio-net: krun_add_net_*, passt_fd, gvproxy */
#define CFG_HAVE_VSOCK		1	/* virtio-vsock: add_vsock*, port_map (TSI bits: -ENOTSUP) */
#define CFG_HAVE_SPLIT_IRQCHIP	1	/* userspace IOAPIC */

/* Defaults when krun_set_vm_config is never called (upstream machine_config). */
#define CFG_DEFAULT_VCPUS	1
#define CFG_DEFAULT_RAM_MIB	128
/* DAX window krun_set_root gives the root virtio-fs. */
#define CFG_ROOT_SHM_SIZE	(1ull << 29)
/* virtio-fs tags live in a 36-byte config field. */
#define CFG_FS_TAG_MAX		36
/* Upstream scans NULL-terminated string arrays up to this many entries. */
#define CFG_MAX_ARGS		4096
#define CFG_MAX_DISPLAYS	16

/* A NULL-terminated, heap-owned string vector (argv/envp shaped); n excludes the NULL. */
struct cfg_strv {
	char **v;
	size_t n;
};

/* A virtual file or directory served from memory inside a virtio-fs (krun_fs_add_overlay_*). */
struct cfg_overlay {
	bool is_dir;
	char *path;		/* relative to the fs root, no leading '/', e.g. "a/b" */
	const uint8_t *data;	/* files: caller's memory, NOT copied; must outlive the VM */
	size_t len;		/* files: bytes at data */
	uint32_t mode;		/* full st_mode as given (S_IFREG/S_IFDIR added if missing) */
	bool one_shot;		/* files: visible to exactly one LOOKUP, then gone */
};

/* One virtio-fs device, in the order added (krun_set_root, krun_add_virtiofs*). */
struct cfg_fs {
	char *tag;		/* <= CFG_FS_TAG_MAX bytes, unique in the VM */
	char *path;		/* host directory; NULL => virtual-only fs (overlays only) */
	uint64_t shm_size;	/* DAX window bytes as given (0 = none); VMM page-rounds */
	bool read_only;
	/*
	 * Serve the embedded init as one-shot "/init.krun" (mode 0755). Decided when
	 * the fs is added: tag == "/dev/root" and krun_disable_implicit_init was not
	 * called before.
	 */
	bool inject_init;
	struct cfg_overlay *overlays;
	size_t nr_overlays;
};

/* One block device (krun_add_disk*, or the legacy root/data disks). */
struct cfg_disk {
	char *block_id;		/* "root"/"data" for the legacy calls */
	char *path;
	uint32_t format;	/* KRUN_DISK_FORMAT_* */
	bool read_only;
	bool direct_io;
	uint32_t sync_mode;	/* KRUN_SYNC_* */
};

enum cfg_net_kind {
	CFG_NET_UNIXSTREAM,	/* passt / socket_vmnet: 4-byte BE length framing */
	CFG_NET_UNIXGRAM,	/* gvproxy / vmnet-helper: one frame per datagram */
	CFG_NET_TAP,
};

/* One virtio-net device, in add order (eth0, eth1, ...). */
struct cfg_net {
	enum cfg_net_kind kind;
	char *path;		/* socket path or tap name; NULL when fd is used */
	int fd;			/* connected socket (not owned until start), or -1 */
	uint8_t mac[6];
	uint32_t features;	/* NET_FEATURE_* */
	uint32_t flags;		/* NET_FLAG_* */
};

/* A host-side UNIX socket bridged to a guest vsock port. */
struct cfg_vsock_port {
	uint32_t port;
	char *path;
	bool listen;		/* true: VMM listens on path, guest listens on port */
};

/* TSI port forward: host_port on the host reaches guest_port in the guest. */
struct cfg_port_map {
	uint16_t host_port;
	uint16_t guest_port;
};

/* A named port of a multiport virtio-console. fds are the caller's (dup at start). */
struct cfg_console_port {
	char *name;
	bool tty;		/* krun_add_console_port_tty: in = out = tty fd */
	int in_fd;		/* -1 = no input */
	int out_fd;		/* -1 = output discarded */
};

enum cfg_console_kind {
	CFG_CONSOLE_DEFAULT,	/* auto-configured like the implicit console (ref §10) */
	CFG_CONSOLE_MULTIPORT,	/* explicit, empty until ports are added */
};

/* An extra virtio-console device (hvc1.. when the implicit hvc0 exists). */
struct cfg_console {
	enum cfg_console_kind kind;
	int in_fd, out_fd, err_fd;		/* DEFAULT: caller's fds, -1 = none */
	struct cfg_console_port *ports;		/* MULTIPORT */
	size_t nr_ports;
};

/* A legacy 16550 UART (COM1..COM4 in add order). */
struct cfg_serial {
	int in_fd;		/* -1 = none */
	int out_fd;		/* -1 = none */
};

/*
 * Everything krun_start_enter needs. All strings/arrays are heap copies owned
 * here; fds are the caller's as given (the VMM dups what it keeps). The API
 * frees the whole struct after vmm_start_enter returns.
 */
struct krun_config {
	/* Machine. */
	unsigned int vcpus;		/* 1..255 */
	uint32_t ram_mib;		/* > 0 */
	bool nested_virt;		/* expose VMX/SVM if the host has it */
	bool split_irqchip;

	/* Filesystems. */
	struct cfg_fs *fs;
	size_t nr_fs;
	bool implicit_init_disabled;	/* krun_disable_implicit_init was called */

	/* Workload: travels to the guest init on the kernel command line (ref §4.4). */
	char *exec_path;		/* KRUN_INIT=; NULL = init's default */
	struct cfg_strv argv;		/* after "--"; excludes argv[0]; n may be 0 */
	bool env_set;			/* false => use the host environ at start time */
	struct cfg_strv env;		/* "K=V" entries when env_set */
	char *workdir;			/* KRUN_WORKDIR=; NULL = none */
	char *rlimits;			/* KRUN_RLIMITS= value "6=4096:8192,..."; NULL = none */
	bool has_uid, has_gid;		/* setgid/setuid right before building the VM */
	uid_t uid;
	gid_t gid;

	/* Kernel. kernel_path NULL => libkrunfw's bundled kernel (krunfw_kernel()). */
	char *kernel_path;
	uint32_t kernel_format;		/* KRUN_KERNEL_FORMAT_* */
	char *initramfs_path;		/* NULL = none */
	char *kernel_cmdline;		/* NULL = default prolog; else replaces it */
	char *kernel_console;		/* NULL = "hvc0"; krun_set_kernel_console value */
	struct cfg_strv smbios_oem;	/* stored only: x86 writes no SMBIOS */

	/* Consoles. */
	bool implicit_console_disabled;
	char *console_output;		/* implicit console writes here (created/truncated) */
	struct cfg_console *consoles;	/* extra virtio-consoles, console_id = index */
	size_t nr_consoles;
	struct cfg_serial *serials;
	size_t nr_serials;

	/* Storage (only filled when CFG_HAVE_BLK). */
	struct cfg_disk *disks;
	size_t nr_disks;
	bool legacy_disks;		/* set_root_disk/set_data_disk used: excludes add_disk* */
	char *remount_device;		/* krun_set_root_disk_remount: KRUN_BLOCK_ROOT_* */
	char *remount_fstype;
	char *remount_options;

	/* Network (only filled when CFG_HAVE_NET). */
	struct cfg_net *nets;
	size_t nr_nets;
	int legacy_passt_fd;		/* -1 = none */
	char *legacy_gvproxy_path;	/* NULL = none */
	bool legacy_mac_set;
	uint8_t legacy_mac[6];

	/* vsock / TSI (only filled when CFG_HAVE_VSOCK). */
	bool implicit_vsock_disabled;
	bool vsock_explicit;		/* krun_add_vsock called */
	uint32_t tsi_features;		/* KRUN_TSI_* for the explicit vsock */
	struct cfg_vsock_port *vsock_ports;
	size_t nr_vsock_ports;
	bool port_map_set;
	struct cfg_port_map *port_map;
	size_t nr_port_map;

	bool snd_enabled;		/* stored only: upstream v1.19 has no sound device */
	uint32_t gpu_virgl_flags;	/* stored only: no virtio-gpu yet */
	uint64_t gpu_shm_size;		/* stored only; 0 = krun_set_gpu_options's default */
};

/* Fill (cfg) with the defaults of a fresh context. */
void cfg_init(struct krun_config *cfg);

/* Free everything (cfg) owns (never closes caller fds) and re-init it. */
void cfg_free(struct krun_config *cfg);

/* The virtio-fs with (tag), or NULL. */
struct cfg_fs *cfg_find_fs(const struct krun_config *cfg, const char *tag);

/* The environment for the guest: cfg->env.v when env_set, else the host environ now. */
char *const *cfg_env(const struct krun_config *cfg);

/*
 * Helpers shared by the API files. Strings must be valid UTF-8 (upstream
 * rejects anything else with -EINVAL).
 */
bool cfg_utf8_valid(const char *s);
/* Heap copy of a valid UTF-8 string: 0, -EINVAL (NULL/invalid), -ENOMEM. */
int cfg_strdup(char **out, const char *s);
/*
 * Copy a NULL-terminated array (at most CFG_MAX_ARGS entries read; a longer
 * array is cut there like upstream). NULL array => empty vector.
 * 0, -EINVAL (an entry is not UTF-8), -ENOMEM.
 */
int cfg_strv_copy(struct cfg_strv *out, const char *const *arr);
void cfg_strv_free(struct cfg_strv *sv);

#endif
