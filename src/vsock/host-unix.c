/* src/vsock/host-unix.c: UNIX stream sockets behind vsock ports (krun_add_vsock_port*). */
#include "vsock/host-unix.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int unix_addr(const char *path, struct sockaddr_un *sa)
{
	size_t len = strlen(path);

	if (!len || len >= sizeof(sa->sun_path))
		return -ENAMETOOLONG;
	*sa = (struct sockaddr_un){ .sun_family = AF_UNIX };
	memcpy(sa->sun_path, path, len + 1);
	return 0;
}

int vsock_unix_connect(const char *path, int *fd)
{
	struct sockaddr_un sa;
	int s, ret = unix_addr(path, &sa);

	if (ret)
		return ret;
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	/* A UNIX connect completes at once or fails (EAGAIN: backlog full); it never waits. */
	if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		ret = -errno;
		close(s);
		return ret;
	}
	*fd = s;
	return 0;
}

int vsock_unix_listen(const char *path, int *fd)
{
	struct sockaddr_un sa;
	int s, ret = unix_addr(path, &sa);

	if (ret)
		return ret;
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	if (bind(s, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(s, 128) < 0) {
		ret = -errno;
		close(s);
		return ret;
	}
	*fd = s;
	return 0;
}
