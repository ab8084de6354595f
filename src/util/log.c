/* src/util/log.c: the log sink. Default: errors only, to stderr, as upstream's env_logger default. */
#include "util/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int log_fd = -1;
static enum log_level log_level = LOG_ERROR;
static int log_color;

static const char *const level_names[] = {
	[LOG_ERROR] = "ERROR", [LOG_WARN] = "WARN", [LOG_INFO] = "INFO",
	[LOG_DEBUG] = "DEBUG", [LOG_TRACE] = "TRACE",
};

/* env_logger's level colors (SGR codes), used when the style asks for color. */
static const char *const level_colors[] = {
	[LOG_ERROR] = "31", [LOG_WARN] = "33", [LOG_INFO] = "32",
	[LOG_DEBUG] = "34", [LOG_TRACE] = "36",
};

/* (color) 0 = auto: only when the sink is a terminal. */
static bool use_color(int fd)
{
	return log_color == 1 || (log_color == 0 && isatty(fd));
}

void log_configure(int fd, enum log_level level, int color)
{
	log_fd = fd;
	log_level = level > LOG_TRACE ? LOG_TRACE : level;
	log_color = color;
}

enum log_level log_get_level(void)
{
	return log_level;
}

bool log_enabled(enum log_level level)
{
	return level != LOG_OFF && level <= log_level;
}

int log_sink_fd(void)
{
	return log_fd < 0 ? STDERR_FILENO : log_fd;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	char buf[1024];
	int fd = log_fd < 0 ? STDERR_FILENO : log_fd;
	struct timespec ts;
	va_list ap;
	int n, m;

	if (!log_enabled(level))
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	if (use_color(fd))
		n = snprintf(buf, sizeof(buf), "[%lld.%03ld \033[%sm%s\033[0m libkrun] ",
			     (long long)ts.tv_sec, ts.tv_nsec / 1000000, level_colors[level],
			     level_names[level]);
	else
		n = snprintf(buf, sizeof(buf), "[%lld.%03ld %s libkrun] ",
			     (long long)ts.tv_sec, ts.tv_nsec / 1000000, level_names[level]);
	va_start(ap, fmt);
	m = vsnprintf(buf + n, sizeof(buf) - n - 1, fmt, ap);
	va_end(ap);
	n += m < 0 ? 0 : (m >= (int)sizeof(buf) - n - 1 ? (int)sizeof(buf) - n - 2 : m);
	buf[n++] = '\n';
	/* One write per line so lines from several threads never interleave. */
	if (write(fd, buf, n) < 0)
		return;
}
