/* src/api/api-log.c: krun_set_log_level and krun_init_log, on top of util/log. */
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
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

/* Our log target, as env_logger directives name it ("libkrun=debug"). */
#define LOG_TARGET "libkrun"

static bool parse_level(const char *s, size_t len, enum log_level *out)
{
	static const char *const names[] = { "off", "error", "warn", "info", "debug", "trace" };

	for (int i = 0; i <= LOG_TRACE; i++)
		if (strlen(names[i]) == len && !strncasecmp(s, names[i], len)) {
			*out = (enum log_level)i;
			return true;
		}
	return false;
}

/*
 * One env_logger directive, (s, len): "LEVEL", "TARGET" (everything) or
 * "TARGET=LEVEL". Fills the target's length (-1: none, i.e. every target)
 * and level; false for a directive env_logger would skip (bad level).
 */
static bool parse_directive(const char *s, size_t len, long *name_len, enum log_level *level)
{
	const char *eq = memchr(s, '=', len);

	if (!eq) {
		if (parse_level(s, len, level)) {
			*name_len = -1;
			return true;
		}
		*name_len = (long)len;
		*level = LOG_TRACE;
		return true;
	}
	*name_len = eq - s;
	if (eq + 1 == s + len) { /* "target=": everything for that target */
		*level = LOG_TRACE;
		return true;
	}
	return parse_level(eq + 1, (size_t)(s + len - eq - 1), level);
}

/*
 * RUST_LOG with env_logger's syntax ("warn,libkrun=trace"; a "/filter"
 * suffix is accepted and ignored). All our records have the target
 * "libkrun": the directive with the longest name that is a prefix of it
 * wins, the later one on a tie; a set RUST_LOG with no directive for us
 * turns logging off, one with no valid directive at all means "error".
 */
static void env_level(enum log_level *level)
{
	const char *v = getenv("RUST_LOG"), *end, *p;
	long best = -2, name_len;
	enum log_level l;
	bool any = false;

	if (!v)
		return;
	end = strchr(v, '/');
	if (!end)
		end = v + strlen(v);
	for (p = v; p < end;) {
		const char *comma = memchr(p, ',', (size_t)(end - p)), *e = comma ? comma : end;
		const char *a = p, *b = e;

		while (a < b && isspace((unsigned char)*a))
			a++;
		while (b > a && isspace((unsigned char)b[-1]))
			b--;
		p = comma ? comma + 1 : end;
		if (a == b || !parse_directive(a, (size_t)(b - a), &name_len, &l))
			continue;
		any = true;
		if (name_len > (long)strlen(LOG_TARGET) ||
		    (name_len >= 0 && strncmp(LOG_TARGET, a, (size_t)name_len)))
			continue;
		if (name_len >= best) {
			best = name_len;
			*level = l;
		}
	}
	if (!any)
		*level = LOG_ERROR;
	else if (best == -2)
		*level = LOG_OFF;
}

/* RUST_LOG_STYLE: auto, always or never, as env_logger reads it. */
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

/*
 * Upstream builds an env_logger from RUST_LOG (the level is only the default)
 * and RUST_LOG_STYLE. It panics on a second set-up; here each call reconfigures.
 */
KRUN_API int32_t krun_set_log_level(uint32_t level)
{
	enum log_level l = level_clamp(level);
	int color = log_api_color;

	pthread_mutex_lock(&log_api_lock);
	env_level(&l);
	env_style(&color);
	log_configure(log_api_fd, l, color);
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
