/* init/config.c: a small, bounded JSON reader that pulls argv/env/cwd out of an OCI or Docker config. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

/* Which config field the value being parsed belongs to, if any. */
enum slot {
	SLOT_NONE,
	SLOT_ARGS,
	SLOT_ENV,
	SLOT_ENTRYPOINT,
	SLOT_CWD,
};

struct parser {
	const char *p;
	const char *end;
	int depth;
	struct krun_config *cfg;
};

static const struct {
	const char *key;
	enum slot slot;
} known_keys[] = {
	{ "args", SLOT_ARGS },
	{ "cmd", SLOT_ARGS },
	{ "env", SLOT_ENV },
	{ "entrypoint", SLOT_ENTRYPOINT },
	{ "workingdir", SLOT_CWD },
	{ "cwd", SLOT_CWD },
};

static int parse_value(struct parser *ps, enum slot slot);

void strvec_free(struct strvec *sv)
{
	size_t i;

	for (i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	sv->v = NULL;
	sv->n = 0;
}

/* Appends (s), taking ownership; keeps the vector NULL-terminated. */
static int strvec_push(struct strvec *sv, char *s)
{
	char **nv;

	if (sv->n >= CONFIG_MAX_ITEMS) {
		free(s);
		return -EINVAL;
	}
	nv = realloc(sv->v, (sv->n + 2) * sizeof(*nv));
	if (!nv) {
		free(s);
		return -ENOMEM;
	}
	nv[sv->n++] = s;
	nv[sv->n] = NULL;
	sv->v = nv;
	return 0;
}

void config_free(struct krun_config *cfg)
{
	strvec_free(&cfg->args);
	strvec_free(&cfg->env);
	strvec_free(&cfg->entrypoint);
	free(cfg->cwd);
	memset(cfg, 0, sizeof(*cfg));
}

static void skip_ws(struct parser *ps)
{
	while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' ||
				   *ps->p == '\n' || *ps->p == '\r'))
		ps->p++;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Reads the 4 hex digits of a \u escape at ps->p. */
static int read_hex4(struct parser *ps, uint32_t *out)
{
	uint32_t v = 0;
	int i, d;

	if (ps->end - ps->p < 4)
		return -EINVAL;
	for (i = 0; i < 4; i++) {
		d = hexval(ps->p[i]);
		if (d < 0)
			return -EINVAL;
		v = (v << 4) | (uint32_t)d;
	}
	ps->p += 4;
	*out = v;
	return 0;
}

static size_t utf8_put(char *o, uint32_t cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | (cp >> 6));
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | (cp >> 12));
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | (cp >> 18));
	o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/*
 * Decodes a \u escape (ps->p is just past the 'u'), joining surrogate pairs.
 * A lone surrogate becomes U+FFFD; U+0000 is refused because the result must
 * be a C string.
 */
static int decode_u_escape(struct parser *ps, uint32_t *cp)
{
	uint32_t lo;
	int ret;

	ret = read_hex4(ps, cp);
	if (ret)
		return ret;
	if (*cp == 0)
		return -EINVAL;
	if (*cp >= 0xdc00 && *cp <= 0xdfff) {
		*cp = 0xfffd;
	} else if (*cp >= 0xd800 && *cp <= 0xdbff) {
		if (ps->end - ps->p >= 6 && ps->p[0] == '\\' && ps->p[1] == 'u') {
			ps->p += 2;
			ret = read_hex4(ps, &lo);
			if (ret)
				return ret;
			if (lo >= 0xdc00 && lo <= 0xdfff) {
				*cp = 0x10000 + ((*cp - 0xd800) << 10) + (lo - 0xdc00);
				return 0;
			}
			/* Not a pair: the second escape is re-read on its own. */
			ps->p -= 6;
		}
		*cp = 0xfffd;
	}
	return 0;
}

/* Decodes one escape (ps->p is just past the backslash) into (o). */
static int decode_escape(struct parser *ps, char *o, size_t *olen)
{
	static const char from[] = "\"\\/bfnrt";
	static const char to[] = "\"\\/\b\f\n\r\t";
	const char *hit;
	uint32_t cp;
	int ret;

	if (ps->p >= ps->end)
		return -EINVAL;
	if (*ps->p == 'u') {
		ps->p++;
		ret = decode_u_escape(ps, &cp);
		if (ret)
			return ret;
		*olen = utf8_put(o, cp);
		return 0;
	}
	hit = memchr(from, *ps->p, sizeof(from) - 1);
	if (!hit)
		return -EINVAL;
	*o = to[hit - from];
	*olen = 1;
	ps->p++;
	return 0;
}

/* Length of the raw string body at (s), up to its closing quote; -1 if unterminated. */
static ptrdiff_t raw_string_len(const char *s, const char *end)
{
	const char *q = s;

	while (q < end && *q != '"')
		q += *q == '\\' ? 2 : 1;
	return q < end ? q - s : -1;
}

/*
 * Parses a string at ps->p (on the opening quote). If (out) is set, stores a
 * malloc'd decoded copy. Decoding never grows the text (the longest output, 4
 * bytes, comes from a 12-byte surrogate pair), so the raw length bounds it.
 */
static int parse_string(struct parser *ps, char **out)
{
	char *buf = NULL, *o = NULL;
	char tmp[4];
	ptrdiff_t raw;
	size_t n;
	int ret;

	ps->p++;
	if (out) {
		raw = raw_string_len(ps->p, ps->end);
		if (raw < 0)
			return -EINVAL;
		buf = malloc((size_t)raw + 1);
		if (!buf)
			return -ENOMEM;
		o = buf;
	}
	for (;;) {
		if (ps->p >= ps->end)
			goto err_inval;
		if (*ps->p == '"')
			break;
		if ((unsigned char)*ps->p < 0x20)
			goto err_inval;
		if (*ps->p != '\\') {
			if (o)
				*o++ = *ps->p;
			ps->p++;
			continue;
		}
		ps->p++;
		ret = decode_escape(ps, tmp, &n);
		if (ret)
			goto err;
		if (o) {
			memcpy(o, tmp, n);
			o += n;
		}
	}
	ps->p++;
	if (out) {
		*o = '\0';
		*out = buf;
	}
	return 0;
err_inval:
	ret = -EINVAL;
err:
	free(buf);
	return ret;
}

static int parse_literal(struct parser *ps, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n))
		return -EINVAL;
	ps->p += n;
	return 0;
}

static bool at_digit(const struct parser *ps)
{
	return ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9';
}

/* Validates a JSON number; its value is never needed. */
static int parse_number(struct parser *ps)
{
	if (ps->p < ps->end && *ps->p == '-')
		ps->p++;
	if (!at_digit(ps))
		return -EINVAL;
	if (*ps->p == '0')
		ps->p++;
	else
		while (at_digit(ps))
			ps->p++;
	if (ps->p < ps->end && *ps->p == '.') {
		ps->p++;
		if (!at_digit(ps))
			return -EINVAL;
		while (at_digit(ps))
			ps->p++;
	}
	if (ps->p < ps->end && (*ps->p == 'e' || *ps->p == 'E')) {
		ps->p++;
		if (ps->p < ps->end && (*ps->p == '+' || *ps->p == '-'))
			ps->p++;
		if (!at_digit(ps))
			return -EINVAL;
		while (at_digit(ps))
			ps->p++;
	}
	return 0;
}

static struct strvec *slot_vec(struct krun_config *cfg, enum slot slot,
			       unsigned int *bit)
{
	switch (slot) {
	case SLOT_ARGS:
		*bit = CONFIG_HAVE_ARGS;
		return &cfg->args;
	case SLOT_ENV:
		*bit = CONFIG_HAVE_ENV;
		return &cfg->env;
	case SLOT_ENTRYPOINT:
		*bit = CONFIG_HAVE_ENTRYPOINT;
		return &cfg->entrypoint;
	default:
		return NULL;
	}
}

/* Consumes ',' or the closing (close); sets *done when the container ends. */
static int next_member(struct parser *ps, char close, bool *done)
{
	skip_ws(ps);
	if (ps->p >= ps->end)
		return -EINVAL;
	if (*ps->p == close) {
		ps->p++;
		*done = true;
		return 0;
	}
	if (*ps->p != ',')
		return -EINVAL;
	ps->p++;
	skip_ws(ps);
	return 0;
}

/* Collects an all-string array into (sv); anything else makes it unusable. */
static int parse_array_items(struct parser *ps, struct strvec *sv, bool *usable)
{
	bool done = false;
	char *s;
	int ret;

	skip_ws(ps);
	if (ps->p < ps->end && *ps->p == ']') {
		ps->p++;
		return 0;
	}
	while (!done) {
		if (sv && *usable && ps->p < ps->end && *ps->p == '"') {
			ret = parse_string(ps, &s);
			if (!ret)
				ret = strvec_push(sv, s);
		} else {
			*usable = false;
			ret = parse_value(ps, SLOT_NONE);
		}
		if (ret)
			return ret;
		ret = next_member(ps, ']', &done);
		if (ret)
			return ret;
	}
	return 0;
}

static int parse_array(struct parser *ps, enum slot slot)
{
	struct strvec tmp = { 0 };
	unsigned int bit = 0;
	struct strvec *dst = slot_vec(ps->cfg, slot, &bit);
	bool usable = dst && !(ps->cfg->found & bit);
	int ret;

	ps->p++;
	ret = parse_array_items(ps, usable ? &tmp : NULL, &usable);
	if (ret || !usable) {
		strvec_free(&tmp);
		return ret;
	}
	if (!tmp.v) {
		/* An empty array still counts as set: "args": [] is a choice. */
		tmp.v = calloc(1, sizeof(char *));
		if (!tmp.v)
			return -ENOMEM;
	}
	*dst = tmp;
	ps->cfg->found |= bit;
	return 0;
}

static enum slot key_slot(const char *key)
{
	size_t i;

	for (i = 0; i < sizeof(known_keys) / sizeof(known_keys[0]); i++)
		if (!strcasecmp(key, known_keys[i].key))
			return known_keys[i].slot;
	return SLOT_NONE;
}

static int parse_member(struct parser *ps)
{
	char *key;
	enum slot slot;
	int ret;

	if (ps->p >= ps->end || *ps->p != '"')
		return -EINVAL;
	ret = parse_string(ps, &key);
	if (ret)
		return ret;
	slot = key_slot(key);
	free(key);
	skip_ws(ps);
	if (ps->p >= ps->end || *ps->p != ':')
		return -EINVAL;
	ps->p++;
	return parse_value(ps, slot);
}

static int parse_object(struct parser *ps)
{
	bool done = false;
	int ret;

	ps->p++;
	skip_ws(ps);
	if (ps->p < ps->end && *ps->p == '}') {
		ps->p++;
		return 0;
	}
	while (!done) {
		ret = parse_member(ps);
		if (ret)
			return ret;
		ret = next_member(ps, '}', &done);
		if (ret)
			return ret;
	}
	return 0;
}

static int parse_cwd(struct parser *ps)
{
	char *s;
	int ret;

	if (ps->cfg->found & CONFIG_HAVE_CWD)
		return parse_string(ps, NULL);
	ret = parse_string(ps, &s);
	if (ret)
		return ret;
	ps->cfg->cwd = s;
	ps->cfg->found |= CONFIG_HAVE_CWD;
	return 0;
}

static int parse_value(struct parser *ps, enum slot slot)
{
	int ret;

	skip_ws(ps);
	if (ps->p >= ps->end)
		return -EINVAL;
	switch (*ps->p) {
	case '{':
	case '[':
		if (++ps->depth > CONFIG_MAX_DEPTH)
			return -EINVAL;
		ret = *ps->p == '{' ? parse_object(ps) : parse_array(ps, slot);
		ps->depth--;
		return ret;
	case '"':
		return slot == SLOT_CWD ? parse_cwd(ps) : parse_string(ps, NULL);
	case 't':
		return parse_literal(ps, "true");
	case 'f':
		return parse_literal(ps, "false");
	case 'n':
		return parse_literal(ps, "null");
	default:
		return parse_number(ps);
	}
}

int config_parse(const char *buf, size_t len, struct krun_config *cfg)
{
	struct parser ps = { .p = buf, .end = buf + len, .cfg = cfg };
	int ret;

	ret = parse_value(&ps, SLOT_NONE);
	if (!ret) {
		skip_ws(&ps);
		if (ps.p != ps.end)
			ret = -EINVAL;
	}
	if (ret)
		config_free(cfg);
	return ret;
}

/* Reads at most CONFIG_MAX_BYTES from (fd) into a malloc'd buffer. */
static int read_all(int fd, char **out, size_t *len)
{
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap), *nb;
	ssize_t r;

	if (!buf)
		return -ENOMEM;
	for (;;) {
		if (n == cap) {
			if (cap >= CONFIG_MAX_BYTES) {
				free(buf);
				return -EFBIG;
			}
			cap *= 2;
			nb = realloc(buf, cap);
			if (!nb) {
				free(buf);
				return -ENOMEM;
			}
			buf = nb;
		}
		r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			r = -errno;
			free(buf);
			return (int)r;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	*out = buf;
	*len = n;
	return 0;
}

int config_load(const char *path, struct krun_config *cfg)
{
	size_t len = 0;
	char *buf = NULL;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = read_all(fd, &buf, &len);
	close(fd);
	if (ret)
		return ret;
	ret = config_parse(buf, len, cfg);
	free(buf);
	return ret;
}
