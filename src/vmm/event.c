/* src/vmm/event.c: a small epoll loop; sources live in a fixed table so epoll data is an index, not a pointer. */
#include "vmm/event.h"

#include <errno.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sandbox/lists.h"

int ev_init(struct ev_loop *l)
{
	*l = (struct ev_loop){ 0 };
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	return l->epfd < 0 ? -errno : 0;
}

void ev_fini(struct ev_loop *l)
{
	if (l->epfd >= 0)
		close(l->epfd);
	l->epfd = -1;
}

int ev_add(struct ev_loop *l, int fd, uint32_t events, ev_cb cb, void *opaque)
{
	for (int i = 0; i < EV_MAX_SOURCES; i++) {
		struct epoll_event ev = { .events = events, .data.u32 = i };

		if (l->src[i].used)
			continue;
		if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
			return -errno;
		l->src[i] = (struct ev_source){ .fd = fd, .cb = cb, .opaque = opaque, .used = true };
		return 0;
	}
	return -ENOSPC;
}

static int ev_find(struct ev_loop *l, int fd)
{
	for (int i = 0; i < EV_MAX_SOURCES; i++)
		if (l->src[i].used && l->src[i].fd == fd)
			return i;
	return -1;
}

int ev_mod(struct ev_loop *l, int fd, uint32_t events)
{
	int i = ev_find(l, fd);
	struct epoll_event ev = { .events = events, .data.u32 = i };

	if (i < 0)
		return -ENOENT;
	return epoll_ctl(l->epfd, EPOLL_CTL_MOD, fd, &ev) < 0 ? -errno : 0;
}

int ev_del(struct ev_loop *l, int fd)
{
	int i = ev_find(l, fd);

	if (i < 0)
		return -ENOENT;
	epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
	l->src[i].used = false;
	return 0;
}

void ev_stop(struct ev_loop *l)
{
	l->stop = true;
}

int ev_run(struct ev_loop *l)
{
	struct epoll_event evs[32];

	while (!l->stop) {
		int n = epoll_wait(l->epfd, evs, 32, -1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		for (int i = 0; i < n && !l->stop; i++) {
			struct ev_source *s = &l->src[evs[i].data.u32];

			if (s->used)
				s->cb(s->opaque, s->fd, evs[i].events);
		}
	}
	return 0;
}

/* Sandbox (x86_64): The main thread waits here and reads the eventfds it dispatches. */
#ifdef __x86_64__
static const int ev_sbx_syscalls[] = {
	__NR_epoll_wait, __NR_epoll_pwait, __NR_epoll_ctl,
	/* eventfd and signalfd reads, closing sources */
	__NR_read, __NR_close,
};
const struct sbx_list ev_sbx = SBX_SYSCALLS("event-loop", ev_sbx_syscalls);
#else
const struct sbx_list ev_sbx = { .name = "event-loop" };
#endif
