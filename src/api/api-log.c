/* src/api/api-log.c: krun_set_log_level and krun_init_log, on top of util/log. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <strings.h>

#include "libkrun.h"
#include "util/log.h"

/* The sink settings survive a later krun_set_log_level, which only changes the level. */
static pthread_mutex_t log_api_lock = PTHREAD_MUTEX_INITIALIZER;
static int log_api_fd = -1;
static int log_api_color = KRUN_LOG_STYLE_AUTO;

static enum log_level level_clamp(uint32_t level)
{
	return level > LOG_TRACE ? LOG_TRACE : (enum log_level)level;
}

/* RUST_LOG as upstream's env_logger reads it, limited to a bare level name. */
static void env_level(enum log_level *level)
{
	static const char *const names[] = { "off", "error", "warn", "info", "debug", "trace" };
	const char *v = getenv("RUST_LOG");

	if (!v)
		return;
	for (int i = 0; i <= LOG_TRACE; i++)
		if (!strcasecmp(v, names[i]))
			*level = (enum log_level)i;
}

static void env_style(int *color)
{
	const char *v = getenv("RUST_LOG_STYLE");

	if (!v)
		return;
	if (!strcasecmp(v, "always"))
		*color = KRUN_LOG_STYLE_ALWAYS;
	else if (!strcasecmp(v, "never"))
		*color = KRUN_LOG_STYLE_NEVER;
	else if (!strcasecmp(v, "auto"))
		*color = KRUN_LOG_STYLE_AUTO;
}

/* Upstream panics on a second logger set-up; here each call simply reconfigures. */
KRUN_API int32_t krun_set_log_level(uint32_t level)
{
	enum log_level l = level_clamp(level);

	pthread_mutex_lock(&log_api_lock);
	env_level(&l);
	log_configure(log_api_fd, l, log_api_color);
	pthread_mutex_unlock(&log_api_lock);
	return 0;
}

KRUN_API int32_t krun_init_log(int target_fd, uint32_t level, uint32_t style, uint32_t options)
{
	enum log_level l = level_clamp(level);
	int color = (int)style;

	/* fd 0 is stdin, never a log sink; below -1 is no fd at all. */
	if (target_fd == 0 || target_fd < KRUN_LOG_TARGET_DEFAULT)
		return -EINVAL;
	if (style > KRUN_LOG_STYLE_NEVER || (options & ~(uint32_t)KRUN_LOG_OPTION_NO_ENV))
		return -EINVAL;
	pthread_mutex_lock(&log_api_lock);
	if (!(options & KRUN_LOG_OPTION_NO_ENV)) {
		env_level(&l);
		env_style(&color);
	}
	/*
	 * A previously given fd is not closed: another thread may be writing a
	 * line to it right now, and a closed number could be reused under it.
	 */
	log_api_fd = target_fd;
	log_api_color = color;
	log_configure(target_fd, l, color);
	pthread_mutex_unlock(&log_api_lock);
	return 0;
}
