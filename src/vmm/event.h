/* src/vmm/event.h: the VMM's epoll event loop (main thread): ioeventfds, console input, exit. */
#ifndef KRUN_VMM_EVENT_H
#define KRUN_VMM_EVENT_H

#include <stdbool.h>
#include <stdint.h>

#define EV_MAX_SOURCES 128

typedef void (*ev_cb)(void *opaque, int fd, uint32_t events);

struct ev_source {
	int fd;
	ev_cb cb;
	void *opaque;
	bool used;
};

struct ev_loop {
	int epfd;
	bool stop;
	struct ev_source src[EV_MAX_SOURCES];
};

int ev_init(struct ev_loop *l);
void ev_fini(struct ev_loop *l);

/* Watch (fd) for (events) (EPOLLIN...); (cb) runs on the loop thread. 0 or -errno. */
int ev_add(struct ev_loop *l, int fd, uint32_t events, ev_cb cb, void *opaque);
int ev_mod(struct ev_loop *l, int fd, uint32_t events);
int ev_del(struct ev_loop *l, int fd);

/* Run until ev_stop() is called from a callback. 0 or -errno. */
int ev_run(struct ev_loop *l);
void ev_stop(struct ev_loop *l);

#endif
