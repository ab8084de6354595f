/* src/vsock/host-unix.h: the host side of vsock ports: UNIX stream sockets the VMM connects to or listens on. */
#ifndef KRUN_VSOCK_HOST_UNIX_H
#define KRUN_VSOCK_HOST_UNIX_H

/*
 * A non-blocking, close-on-exec socket connected to (path) in (*fd).
 * Returns 0 or -errno (-ENAMETOOLONG for a path sockaddr_un cannot hold;
 * -EAGAIN when the listener's backlog is full: the VMM never waits for it).
 */
int vsock_unix_connect(const char *path, int *fd);

/*
 * A non-blocking, close-on-exec socket bound to (path), which must not exist,
 * and listening, in (*fd). Returns 0 or -errno (-EADDRINUSE if it exists).
 */
int vsock_unix_listen(const char *path, int *fd);

#endif
