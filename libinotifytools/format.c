/* format.c: the --format directives, CSV lines and CSV escaping. */
#include "config.h"

#include "ctx.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "inotifytools/inotifytools.h"

const char *it_event_dir(struct it_ctx *c, const struct inotify_event *ev,
			 size_t *len)
{
	const struct watch *w = it_wtab_by_wd(&c->tab, ev->wd);

	if (!w) {
		*len = 0;
		return "";
	}
	return it_wtab_path(&c->tab, w, len);
}

/* Emit n bytes: appended when growing, else as far as the buffer allows. */
static int put(struct it_out *o, const char *s, size_t n)
{
	if (o->grow) {
		if (it_buf_put(o->grow, s, n) < 0)
			return -1;
	} else if (o->len < o->cap) {
		memcpy(o->buf + o->len, s,
		       n < o->cap - o->len ? n : o->cap - o->len);
	}
	o->len += n;
	return 0;
}

static int put_str(struct it_out *o, const char *s)
{
	return put(o, s, strlen(s));
}

static int put_time(struct it_ctx *c, struct it_out *o)
{
	char buf[MAX_STRLEN];
	time_t now;
	struct tm tm;

	if (!c->timefmt)
		return 0;
	now = time(NULL);
	if (!localtime_r(&now, &tm) ||
	    strftime(buf, sizeof(buf) - 1, c->timefmt, &tm) == 0)
		return -1;
	return put_str(o, buf);
}

/* One directive: fmt[*i] is the character after '%'. */
static int directive(struct it_ctx *c, struct it_out *o,
		     const struct inotify_event *ev, const char *fmt, size_t *i)
{
	char ch = fmt[*i], tmp[16];
	size_t len;
	const char *dir;

	switch (ch) {
	case '%':
		return put(o, "%", 1);
	case '0':
		return put(o, "", 1);
	case 'n':
		return put(o, "\n", 1);
	case 'w':
		dir = it_event_dir(c, ev, &len);
		return put(o, dir, len);
	case 'f':
		return put_str(o, ev->len ? ev->name : "");
	case 'c':
		snprintf(tmp, sizeof(tmp), "%x", ev->cookie);
		return put_str(o, tmp);
	case 'e':
		return put_str(o, it_event_names(ev->mask, ',', c->names,
						 sizeof(c->names)));
	case 'T':
		return put_time(c, o) < 0 ? -2 : 0;
	}
	if (fmt[*i + 1] == 'e') {
		++*i;
		return put_str(o, it_event_names(ev->mask, ch, c->names,
						 sizeof(c->names)));
	}
	tmp[0] = '%';
	tmp[1] = ch;
	return put(o, tmp, 2);
}

/*
 * Returns 0, -1 for a format that cannot work (empty or too long), or -2
 * when formatting stopped half-way (a trailing '%', an empty %T).
 */
int it_format(struct it_ctx *c, struct it_out *o,
	      const struct inotify_event *ev, const char *fmt)
{
	size_t flen = strlen(fmt);

	if (flen == 0 || flen > MAX_STRLEN) {
		c->error = flen ? EMSGSIZE : EINVAL;
		return -1;
	}
	for (size_t i = 0; i < flen && (o->grow || o->len < o->stop); i++) {
		int rc;

		if (fmt[i] != '%') {
			rc = put(o, &fmt[i], 1);
		} else if (i + 1 == flen) {
			rc = -2;
		} else {
			i++;
			rc = directive(c, o, ev, fmt, &i);
		}
		if (rc < 0) {
			c->error = rc == -2 ? EINVAL : ENOMEM;
			return rc;
		}
	}
	return 0;
}

int it_csv_escape(struct it_buf *b, const char *s)
{
	size_t n = strlen(s);

	if (!strpbrk(s, "\",\n") && !(n && (s[0] == ' ' || s[n - 1] == ' ')))
		return it_buf_put(b, s, n);
	if (it_buf_put(b, "\"", 1))
		return -1;
	for (const char *q; (q = strchr(s, '"')); s = q + 1)
		if (it_buf_put(b, s, (size_t)(q - s) + 1) ||
		    it_buf_put(b, "\"", 1))
			return -1;
	return it_buf_put(b, s, strlen(s)) || it_buf_put(b, "\"", 1);
}

int it_format_csv(struct it_ctx *c, struct it_buf *b,
		  const struct inotify_event *ev)
{
	size_t len;
	const char *dir = it_event_dir(c, ev, &len);

	if (len && (it_csv_escape(b, dir) || it_buf_put(b, ",", 1)))
		return -1;
	return it_csv_escape(b, it_event_names(ev->mask, ',', c->names,
					       sizeof(c->names))) ||
	       it_buf_put(b, ",", 1) ||
	       it_csv_escape(b, ev->len ? ev->name : "");
}
