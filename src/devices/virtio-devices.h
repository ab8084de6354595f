/* src/devices/virtio-devices.h: constructors of the virtio devices; each returns its generic struct vdev. */
#ifndef KRUN_DEVICES_VIRTIO_DEVICES_H
#define KRUN_DEVICES_VIRTIO_DEVICES_H

#include "virtio/virtio.h"

/* virtio-rng: fills buffers from the host's getrandom(). */
int vtrng_create(struct guest_mem *mem, struct vdev **out);

/* virtio-balloon: free page reporting gives reported guest pages back to the host. */
int vtbal_create(struct guest_mem *mem, struct vdev **out);

struct ev_loop;

/* A guest vsock port bridged to a host UNIX socket (krun_add_vsock_port2). */
struct vtsock_port_cfg {
	uint32_t port;
	const char *path;
	bool listen;		/* true: the VMM listens on path, the guest on port */
};

/*
 * virtio-vsock, guest CID 3: guest stream connections to host CID 2 on a
 * non-listen port reach a new connection to its UNIX socket; connections to
 * a listen port's socket become guest connections to that port. Runs entirely
 * on the event-loop thread of (loop). Listening sockets are created here.
 */
int vtsock_create(struct guest_mem *mem, struct ev_loop *loop, const struct vtsock_port_cfg *ports,
		  unsigned nr_ports, struct vdev **out);

/* Stop listening and remove the socket files (at exit, also after a failed start). */
void vtsock_unlink_listeners(struct vdev *dev);

/* Output of a console port goes to the library log, a line at a time. */
#define VTCON_OUT_LOG (-2)

/* One port of a multiport virtio-console. fds are owned by the device from now on. */
struct vtcon_port_cfg {
	const char *name;	/* NULL: unnamed (port 0 of the implicit console) */
	bool console;		/* a terminal: CONSOLE_PORT, becomes hvcN */
	int in_fd;		/* -1: no input */
	int out_fd;		/* -1: discard, VTCON_OUT_LOG: log */
	unsigned short cols, rows; /* terminal size for console ports */
};

/*
 * virtio-console, always multiport (ports announced through the control
 * queues). Runs entirely on the event-loop thread of (loop).
 */
int vtcon_create(struct guest_mem *mem, struct ev_loop *loop,
		 const struct vtcon_port_cfg *ports, unsigned nr_ports, struct vdev **out);

/* Write out whatever the guest queued on transmit queues (used at exit). */
void vtcon_flush(struct vdev *dev);

/* The terminal behind console port (port) changed size. */
void vtcon_resize(struct vdev *dev, unsigned port, unsigned short cols, unsigned short rows);

struct fuse_srv;

struct vtfs_cfg {
	const char *tag;	/* <= 36 bytes */
	const char *root_dir;	/* NULL: virtual-only fs */
	bool read_only;
	uint64_t shm_gpa;	/* DAX window in the guest, shm_size 0: none */
	uint64_t shm_size;
	void *shm_host;		/* host mapping of the window (PROT_NONE until mapped) */
	void (*exit_code)(void *opaque, int32_t code);
	void *opaque;
};

/* virtio-fs backed by our FUSE server, one worker thread per device. */
int vtfs_create(struct guest_mem *mem, const struct vtfs_cfg *cfg, struct vdev **out);

/* The device's FUSE server, to add overlay entries before the guest starts. */
struct fuse_srv *vtfs_server(struct vdev *dev);

struct disk;

/*
 * virtio-blk over (disk), which it owns from now on; (id) is the serial
 * (GET_ID, /sys/block/vdX/serial), cut at 20 bytes. Requests run on a worker
 * thread started at DRIVER_OK.
 */
int vtblk_create(struct guest_mem *mem, struct disk *disk, const char *id, struct vdev **out);

/* At VMM exit: wait for the request in flight, flush and close the disk; no request runs after. */
void vtblk_shutdown(struct vdev *dev);

struct net_backend;

struct vtnet_cfg {
	struct net_backend *backend;	/* owned by the device from now on */
	uint8_t mac[6];
	uint64_t features;		/* VIRTIO_NET_F_* offloads the user allows */
};

/* virtio-net: frames between the guest and (cfg->backend), on the event-loop thread of (loop). */
int vtnet_create(struct guest_mem *mem, struct ev_loop *loop, const struct vtnet_cfg *cfg,
		 struct vdev **out);
/* Log the device's frame counters (info level): where frames went, at exit. */
void vtnet_log_stats(struct vdev *dev);
/* Undo vtnet_create() (tests and fuzzing; the VMM keeps its devices until it exits). */
void vtnet_destroy(struct vdev *dev);

#endif
