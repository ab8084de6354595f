/* src/util/log.h: leveled logging shared by every part of the library (levels match krun_set_log_level). */
#ifndef KRUN_UTIL_LOG_H
#define KRUN_UTIL_LOG_H

#include <stdbool.h>

enum log_level {
	LOG_OFF = 0,
	LOG_ERROR = 1,
	LOG_WARN = 2,
	LOG_INFO = 3,
	LOG_DEBUG = 4,
	LOG_TRACE = 5,
};

/* Configure the sink: (fd) -1 means stderr; (color) 0 auto, 1 always, 2 never. */
void log_configure(int fd, enum log_level level, int color);
enum log_level log_get_level(void);
bool log_enabled(enum log_level level);

/* The fd log lines go to (async-signal-safe). */
int log_sink_fd(void);

void log_msg(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define log_err(...)   log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_trace(...) log_msg(LOG_TRACE, __VA_ARGS__)

/* Log at most once per call site: for anything a guest can trigger repeatedly. */
#define log_warn_once(...)                                                     \
	do {                                                                   \
		static int once_;                                              \
		if (!__atomic_exchange_n(&once_, 1, __ATOMIC_RELAXED))         \
			log_warn(__VA_ARGS__);                                 \
	} while (0)

#endif
