/* format.c: --format, CSV and JSON output; it reads watches, changes none. */
#include "config.h"

#include "ctx.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "inotifytools/inotifytools.h"

/* Emit n bytes: appended when growing, else as far as the buffer allows. */
static int put(struct it_out *o, const char *s, size_t n)
{
	struct it_buf *b = o->grow;

	if (b && n && n <= b->cap - b->len) {
		memcpy(b->data + b->len, s, n); /* room already: no call */
		b->len += n;
	} else if (b) {
		if (it_buf_put(b, s, n) < 0)
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

/* The names of mask joined by sep (never 0), *len its length: kept from
 * the last call, as consecutive events mostly share their mask. */
static const char *names_of(struct it_ctx *c, uint32_t mask, char sep,
			    size_t *len)
{
	if (c->last.sep != sep || c->last.mask != mask) {
		it_event_names(mask, sep, c->last.text, sizeof(c->last.text));
		c->last.len = strlen(c->last.text);
		c->last.mask = mask;
		c->last.sep = sep;
	}
	*len = c->last.len;
	return c->last.text;
}

static int put_names(struct it_ctx *c, struct it_out *o, uint32_t mask,
		     char sep)
{
	size_t n;
	const char *s = names_of(c, mask, sep, &n);

	return put(o, s, n);
}

/*
 * Expand our extension of strftime formats: %N is the nanoseconds of t,
 * %3N, %6N and %9N its first 3, 6 or 9 digits. The result goes to out
 * (cap bytes); -1 if it does not fit.
 */
static int expand_subsec(const char *fmt, long nsec, char *out, size_t cap)
{
	size_t n = 0;

	for (const char *p = fmt; *p; p++) {
		int digits = 0;
		char tmp[16];

		if (p[0] == '%' && p[1] == 'N') {
			digits = 9;
			p += 1;
		} else if (p[0] == '%' && strchr("369", p[1]) && p[1] &&
			   p[2] == 'N') {
			digits = p[1] - '0';
			p += 2;
		}
		if (digits) {
			snprintf(tmp, sizeof(tmp), "%09ld", nsec);
			tmp[digits] = '\0';
		} else {
			/* copy "%%" whole, so that "%%N" stays literal */
			tmp[0] = *p;
			tmp[1] = tmp[0] == '%' && p[1] ? *++p : '\0';
			tmp[2] = '\0';
		}
		for (const char *q = tmp; *q; q++) {
			if (n + 1 >= cap)
				return -1;
			out[n++] = *q;
		}
	}
	out[n] = '\0';
	return 0;
}

int it_strftime(const struct it_ctx *c, const char *fmt, char *buf, size_t cap)
{
	char expanded[MAX_STRLEN];
	struct timespec ts;
	struct tm tm;

	(void)c;
	clock_gettime(CLOCK_REALTIME, &ts);
	if (strstr(fmt, "N")) {
		if (expand_subsec(fmt, ts.tv_nsec, expanded, sizeof(expanded)) <
		    0)
			return -1;
		fmt = expanded;
	}
	if (!localtime_r(&ts.tv_sec, &tm))
		return -1;
	return strftime(buf, cap, fmt, &tm) == 0 ? -1 : 0;
}

static int put_time(struct it_ctx *c, struct it_out *o)
{
	char buf[MAX_STRLEN];

	if (!c->timefmt)
		return 0;
	if (it_strftime(c, c->timefmt, buf, sizeof(buf) - 1) < 0)
		return -1;
	return put_str(o, buf);
}

void it_record_of(struct it_ctx *c, const struct inotify_event *ev,
		  struct it_record *r)
{
	r->mask = ev->mask;
	r->cookie = ev->cookie;
	r->dir = it_wtab_event_dir(&c->tab, ev, &r->dirlen);
	r->name = ev->len ? ev->name : "";
	r->namelen = ev->len ? strlen(ev->name) : 0;
	r->from = NULL;
	r->fromlen = 0;
	r->pid = c->ev_pid;
}

/* One directive: fmt[*i] is the character after '%'. */
static int directive(struct it_ctx *c, struct it_out *o,
		     const struct it_record *r, const char *fmt, size_t *i)
{
	char ch = fmt[*i], tmp[16];

	switch (ch) {
	case '%':
		return put(o, "%", 1);
	case '0':
		return put(o, "", 1);
	case 'n':
		return put(o, "\n", 1);
	case 'w':
		return put(o, r->dir, r->dirlen);
	case 'f':
		return put(o, r->name, r->namelen);
	case 'c':
		snprintf(tmp, sizeof(tmp), "%x", r->cookie);
		return put_str(o, tmp);
	case 'e':
		return put_names(c, o, r->mask, ',');
	case 'T':
		return put_time(c, o) < 0 ? -2 : 0;
	case 'F':
		if (c->fmt_ext)
			return r->from ? put(o, r->from, r->fromlen) : 0;
		break;
	case 'p':
		if (!c->fmt_ext)
			break;
		if (r->pid <= 0)
			return 0;
		snprintf(tmp, sizeof(tmp), "%d", r->pid);
		return put_str(o, tmp);
	}
	if (fmt[*i + 1] == 'e') {
		++*i;
		return put_names(c, o, r->mask, ch);
	}
	tmp[0] = '%';
	tmp[1] = ch;
	return put(o, tmp, 2);
}

int it_format_record(struct it_ctx *c, struct it_out *o,
		     const struct it_record *r, const char *fmt)
{
	size_t flen = strlen(fmt);

	if (flen == 0 || flen > MAX_STRLEN) {
		c->error = flen ? EMSGSIZE : EINVAL;
		return -1;
	}
	for (size_t i = 0; i < flen && (o->grow || o->len < o->stop); i++) {
		int rc;

		if (fmt[i] != '%') {
			/* growing, a run of plain text at once */
			size_t n = 1;

			while (o->grow && i + n < flen && fmt[i + n] != '%')
				n++;

			rc = put(o, &fmt[i], n);
			i += n - 1;
		} else if (i + 1 == flen) {
			rc = -2;
		} else {
			i++;
			rc = directive(c, o, r, fmt, &i);
		}
		if (rc < 0) {
			c->error = rc == -2 ? EINVAL : ENOMEM;
			return rc;
		}
	}
	return 0;
}

int it_format(struct it_ctx *c, struct it_out *o,
	      const struct inotify_event *ev, const char *fmt)
{
	struct it_record r;

	it_record_of(c, ev, &r);
	return it_format_record(c, o, &r, fmt);
}

int it_csv_escape_n(struct it_buf *b, const char *s, size_t n)
{
	const char *q, *end = s + n;

	if (!memchr(s, '"', n) && !memchr(s, ',', n) && !memchr(s, '\n', n) &&
	    !(n && (s[0] == ' ' || s[n - 1] == ' ')))
		return it_buf_put(b, s, n);
	if (it_buf_put(b, "\"", 1))
		return -1;
	for (; (q = memchr(s, '"', (size_t)(end - s))); s = q + 1)
		if (it_buf_put(b, s, (size_t)(q - s) + 1) ||
		    it_buf_put(b, "\"", 1))
			return -1;
	return it_buf_put(b, s, (size_t)(end - s)) || it_buf_put(b, "\"", 1);
}

int it_csv_escape(struct it_buf *b, const char *s)
{
	return it_csv_escape_n(b, s, strlen(s));
}

int it_format_csv_record(struct it_ctx *c, struct it_buf *b,
			 const struct it_record *r)
{
	size_t n;
	const char *names = names_of(c, r->mask, ',', &n);

	if (r->dirlen &&
	    (it_csv_escape_n(b, r->dir, r->dirlen) || it_buf_put(b, ",", 1)))
		return -1;
	return it_csv_escape_n(b, names, n) || it_buf_put(b, ",", 1) ||
	       it_csv_escape_n(b, r->name, r->namelen);
}

int it_format_csv(struct it_ctx *c, struct it_buf *b,
		  const struct inotify_event *ev)
{
	struct it_record r;

	it_record_of(c, ev, &r);
	return it_format_csv_record(c, b, &r);
}

/* Length of the valid UTF-8 sequence at s (n bytes left), 0 if invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	size_t len;
	unsigned lo = 0x80, hi = 0xbf;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4;
	else
		return 0;
	/* no overlong forms, no surrogates, nothing above U+10FFFF */
	if (s[0] == 0xe0)
		lo = 0xa0;
	else if (s[0] == 0xed)
		hi = 0x9f;
	else if (s[0] == 0xf0)
		lo = 0x90;
	else if (s[0] == 0xf4)
		hi = 0x8f;
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

int it_json_escape(struct it_buf *b, const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	char tmp[8];

	if (it_buf_put(b, "\"", 1))
		return -1;
	while (n > 0) {
		size_t run = 0, k;

		/* the longest stretch that needs no escape */
		while (run < n && s[run] >= 0x20 && s[run] != '"' &&
		       s[run] != '\\' && (k = utf8_len(s + run, n - run)))
			run += k;
		if (run) {
			if (it_buf_put(b, s, run))
				return -1;
			s += run;
			n -= run;
			continue;
		}
		switch (s[0]) {
		case '"':
			memcpy(tmp, "\\\"", 3);
			break;
		case '\\':
			memcpy(tmp, "\\\\", 3);
			break;
		case '\n':
			memcpy(tmp, "\\n", 3);
			break;
		case '\t':
			memcpy(tmp, "\\t", 3);
			break;
		case '\r':
			memcpy(tmp, "\\r", 3);
			break;
		default:
			/* a control character, or a byte that is not UTF-8:
			 * U+DC80..U+DCFF for bytes 0x80..0xff, as Python's
			 * "surrogateescape" does, so the bytes can be had back
			 */
			snprintf(tmp, sizeof(tmp), "\\u%04x",
				 s[0] < 0x80 ? s[0] : 0xdc00u | s[0]);
		}
		if (it_buf_put(b, tmp, strlen(tmp)))
			return -1;
		s++;
		n--;
	}
	return it_buf_put(b, "\"", 1);
}

/* ISO 8601 local time with nanoseconds and the UTC offset. */
static int json_time(struct it_buf *b)
{
	struct timespec ts;
	struct tm tm;
	char date[64], zone[8], out[96];

	clock_gettime(CLOCK_REALTIME, &ts);
	if (!localtime_r(&ts.tv_sec, &tm) ||
	    !strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm) ||
	    !strftime(zone, sizeof(zone), "%z", &tm) || strlen(zone) != 5)
		return -1;
	snprintf(out, sizeof(out), "\"%s.%09ld%.3s:%s\"", date, ts.tv_nsec,
		 zone, zone + 3);
	return it_buf_put(b, out, strlen(out));
}

/* The "events" array of a JSON record. */
static int json_events(struct it_ctx *c, struct it_buf *b, uint32_t mask)
{
	size_t n;
	const char *names = names_of(c, mask, ',', &n);

	if (it_buf_put(b, ",\"events\":[", 11))
		return -1;
	for (const char *p = names; p < names + n;) {
		size_t k = strcspn(p, ",");

		if ((p != names && it_buf_put(b, ",", 1)) ||
		    it_json_escape(b, p, k))
			return -1;
		p += k + (p[k] == ',');
	}
	return it_buf_put(b, "]", 1);
}

int it_format_json_record(struct it_ctx *c, struct it_buf *b,
			  const struct it_record *r)
{
	char tmp[64];

	if (it_buf_put(b, "{\"watch\":", 9) ||
	    it_json_escape(b, r->dir, r->dirlen) ||
	    it_buf_put(b, ",\"name\":", 8) ||
	    it_json_escape(b, r->name, r->namelen) ||
	    it_buf_put(b, ",\"path\":", 8))
		return -1;
	/* the path is the two strings together: escape them as one */
	c->scratch.len = 0;
	if (it_buf_put(&c->scratch, r->dir, r->dirlen) ||
	    it_buf_put(&c->scratch, r->name, r->namelen) ||
	    it_json_escape(b, c->scratch.data, c->scratch.len) ||
	    json_events(c, b, r->mask))
		return -1;
	if (r->from && (it_buf_put(b, ",\"from\":", 8) ||
			it_json_escape(b, r->from, r->fromlen)))
		return -1;
	snprintf(tmp, sizeof(tmp), ",\"cookie\":%u,\"isdir\":%s", r->cookie,
		 (r->mask & IN_ISDIR) ? "true" : "false");
	if (it_buf_put(b, tmp, strlen(tmp)))
		return -1;
	if (r->pid > 0) {
		snprintf(tmp, sizeof(tmp), ",\"pid\":%d", r->pid);
		if (it_buf_put(b, tmp, strlen(tmp)))
			return -1;
	}
	return it_buf_put(b, ",\"time\":", 8) || json_time(b) ||
	       it_buf_put(b, "}", 1);
}

int it_format_json(struct it_ctx *c, struct it_buf *b,
		   const struct inotify_event *ev)
{
	struct it_record r;

	it_record_of(c, ev, &r);
	return it_format_json_record(c, b, &r);
}
