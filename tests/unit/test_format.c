/* test_format.c: --format directives, CSV lines and the snprintf size quirk. */
#include "config.h"

#include <stdlib.h>
#include <sys/inotify.h>

#include "ctx.h"
#include "inotifytools/inotifytools.h"
#include "unit.h"

/* An event as the kernel lays it out, name padded to 16 bytes. */
struct ev {
	struct inotify_event e;
	char name[48];
};

static struct inotify_event *mk(struct ev *b, int wd, uint32_t mask,
				uint32_t cookie, const char *name)
{
	memset(b, 0, sizeof(*b));
	b->e.wd = wd;
	b->e.mask = mask;
	b->e.cookie = cookie;
	if (name) {
		strcpy(b->name, name);
		b->e.len = (uint32_t)((strlen(name) + 16) & ~15u);
	}
	return &b->e;
}

/* Format with c into a fresh growable buffer; the result is static. */
static const char *fmt(struct it_ctx *c, const struct inotify_event *e,
		       const char *f)
{
	static struct it_buf b;
	struct it_out o = { .grow = &b };

	b.len = 0;
	if (it_format(c, &o, e, f) != 0)
		return "(error)";
	it_buf_put(&b, "", 1);
	return b.data;
}

static void test_directives(struct it_ctx *c)
{
	struct ev b;
	struct inotify_event *e = mk(&b, 2, IN_CLOSE_WRITE, 0, "a");

	CHECK_STR(fmt(c, e, "%w %,e %f"), "d/ CLOSE_WRITE,CLOSE a");
	CHECK_STR(fmt(c, e, "[%w|%f|%e|%:e|%;e|%c|%%|%x|%n]"),
		  "[d/|a|CLOSE_WRITE,CLOSE|CLOSE_WRITE:CLOSE|"
		  "CLOSE_WRITE;CLOSE|0|%|%x|\n]");
	CHECK_STR(fmt(c, e, "%%e %ee %we"), "%e CLOSE_WRITE,CLOSEe d/e");
	CHECK_STR(fmt(c, e, "%z%"), "(error)");
	CHECK_STR(fmt(c, e, "%T"), "");
	e = mk(&b, 2, IN_MOVED_FROM, 0x1081, "g");
	CHECK_STR(fmt(c, e, "%c %e"), "1081 MOVED_FROM");
	e = mk(&b, 3, IN_ATTRIB, 0, NULL);
	CHECK_STR(fmt(c, e, "%w %,e %f"), "wf ATTRIB ");
	e = mk(&b, -1, IN_Q_OVERFLOW, 0, NULL);
	CHECK_STR(fmt(c, e, "[%w][%f][%e]"), "[][][Q_OVERFLOW]");
	CHECK_STR(fmt(c, e, ""), "(error)");
}

/* The names of the last mask are kept: a new mask or separator is not
 * served the old text. */
static void test_names_kept(struct it_ctx *c)
{
	struct ev b;
	struct inotify_event *e = mk(&b, 2, IN_ATTRIB, 0, "a");

	CHECK_STR(fmt(c, e, "%e %e"), "ATTRIB ATTRIB");
	e = mk(&b, 2, IN_MODIFY | IN_ISDIR, 0, "a");
	CHECK_STR(fmt(c, e, "%e|%:e|%e"), "MODIFY,ISDIR|MODIFY:ISDIR|"
					  "MODIFY,ISDIR");
	e = mk(&b, 2, IN_ATTRIB, 0, "a");
	CHECK_STR(fmt(c, e, "%:e"), "ATTRIB");
	e = mk(&b, 2, 0, 0, "a");
	CHECK_STR(fmt(c, e, "%:e"), "0x00000000");
}

static void test_nul(struct it_ctx *c)
{
	struct ev b;
	struct it_buf out = { 0 };
	struct it_out o = { .grow = &out };

	CHECK(it_format(c, &o, mk(&b, 2, IN_CREATE, 0, "x1"), "%w%f%0") == 0);
	CHECK(out.len == 5 && !memcmp(out.data, "d/x1\0", 5));
	free(out.data);
}

static const char *csv(struct it_ctx *c, const struct inotify_event *e)
{
	static struct it_buf b;

	b.len = 0;
	it_format_csv(c, &b, e);
	it_buf_put(&b, "", 1);
	return b.data;
}

static void test_csv(struct it_ctx *c)
{
	struct ev b;

	CHECK_STR(csv(c, mk(&b, 2, IN_CLOSE_WRITE, 0, "plain")),
		  "d/,\"CLOSE_WRITE,CLOSE\",plain");
	CHECK_STR(csv(c, mk(&b, 2, IN_CREATE | IN_ISDIR, 0, "dd")),
		  "d/,\"CREATE,ISDIR\",dd");
	CHECK_STR(csv(c, mk(&b, 2, IN_OPEN | IN_ISDIR, 0, NULL)),
		  "d/,\"OPEN,ISDIR\",");
	CHECK_STR(csv(c, mk(&b, 3, IN_ATTRIB, 0, NULL)), "wf,ATTRIB,");
	CHECK_STR(csv(c, mk(&b, 2, IN_CREATE, 0, "has\"quote")),
		  "d/,CREATE,\"has\"\"quote\"");
	CHECK_STR(csv(c, mk(&b, 2, IN_CREATE, 0, " lead")),
		  "d/,CREATE,\" lead\"");
	CHECK_STR(csv(c, mk(&b, 2, IN_CREATE, 0, "trail ")),
		  "d/,CREATE,\"trail \"");
	CHECK_STR(csv(c, mk(&b, 2, IN_CREATE, 0, "new\nline")),
		  "d/,CREATE,\"new\nline\"");
	CHECK_STR(csv(c, mk(&b, 2, IN_CREATE, 0, "a,b")), "d/,CREATE,\"a,b\"");
	CHECK_STR(csv(c, mk(&b, -1, IN_Q_OVERFLOW, 0, NULL)), "Q_OVERFLOW,");
}

static void test_escape_long(void)
{
	struct it_buf b = { 0 };
	char s[9000];

	/* far beyond upstream's fixed 4097-byte escape buffer */
	memset(s, '"', sizeof(s) - 1);
	s[sizeof(s) - 1] = '\0';
	CHECK(it_csv_escape(&b, s) == 0);
	CHECK(b.len == 2 * (sizeof(s) - 1) + 2);
	free(b.data);
}

/* The public formatter keeps upstream's size semantics. */
static void test_snprintf(void)
{
	struct nstring out;
	struct ev b;
	struct inotify_event *e = mk(&b, 999, IN_MODIFY, 0, "f");

	memset(&out, 'X', sizeof(out));
	inotifytools_snprintf(&out, 10, e, "Event %e %.e on %w %f %T");
	CHECK(!strncmp(out.buf, "Event MODI", 10));
	CHECK(inotifytools_sprintf(&out, e, "%e %f") == 7);
	CHECK(out.len == 8 && !strcmp(out.buf, "MODIFY f"));
	CHECK(inotifytools_sprintf(&out, e, "") == -1);
	CHECK(inotifytools_error() != 0);
	inotifytools_set_printf_timefmt("%Y");
	CHECK(inotifytools_sprintf(&out, e, "%T") == 3);
	inotifytools_clear_timefmt();
	CHECK(inotifytools_sprintf(&out, e, "[%T]") == 1);
	CHECK(!strcmp(out.buf, "[]"));
}

static const char *json_str(const char *s, size_t n)
{
	static struct it_buf b;

	b.len = 0;
	it_json_escape(&b, s, n);
	it_buf_put(&b, "", 1);
	return b.data;
}

#define JSON(lit) json_str(lit, sizeof(lit) - 1)

static void test_json_escape(void)
{
	CHECK_STR(JSON(""), "\"\"");
	CHECK_STR(JSON("plain/name.c"), "\"plain/name.c\"");
	CHECK_STR(JSON("q\"b\\s"), "\"q\\\"b\\\\s\"");
	CHECK_STR(JSON("\n\t\r\x01\x1f\x7f"),
		  "\"\\n\\t\\r\\u0001\\u001f\x7f\"");
	CHECK_STR(JSON("a\0b"), "\"a\\u0000b\"");
	/* valid UTF-8 of every length, and the edges of the ranges */
	CHECK_STR(JSON("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"),
		  "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"");
	CHECK_STR(JSON("\xc2\x80\xdf\xbf\xe0\xa0\x80\xed\x9f\xbf\xee\x80\x80"
		       "\xf4\x8f\xbf\xbf"),
		  "\"\xc2\x80\xdf\xbf\xe0\xa0\x80\xed\x9f\xbf\xee\x80\x80"
		  "\xf4\x8f\xbf\xbf\"");
	/* invalid: lone bytes, overlongs, surrogates, above U+10FFFF,
	 * truncated sequences */
	CHECK_STR(JSON("\xff\x80"), "\"\\udcff\\udc80\"");
	CHECK_STR(JSON("\xc0\xaf"), "\"\\udcc0\\udcaf\"");
	CHECK_STR(JSON("\xe0\x9f\xbf"), "\"\\udce0\\udc9f\\udcbf\"");
	CHECK_STR(JSON("\xed\xa0\x80"), "\"\\udced\\udca0\\udc80\"");
	CHECK_STR(JSON("\xf4\x90\x80\x80"), "\"\\udcf4\\udc90\\udc80\\udc80\"");
	CHECK_STR(JSON("\xf5\x80"), "\"\\udcf5\\udc80\"");
	CHECK_STR(JSON("a\xe2\x82"), "\"a\\udce2\\udc82\"");
	CHECK_STR(JSON("\xe2\x82z"), "\"\\udce2\\udc82z\"");
}

static void test_json_event(struct it_ctx *c)
{
	struct it_buf b = { 0 };
	struct ev e;
	const char *want = "{\"watch\":\"d/\",\"name\":\"n\\\"m\",\"path\":"
			   "\"d/n\\\"m\",\"events\":[\"MOVED_TO\",\"ISDIR\"],"
			   "\"cookie\":7,\"isdir\":true,\"time\":\"";

	CHECK(it_format_json(c, &b,
			     mk(&e, 2, IN_MOVED_TO | IN_ISDIR, 7, "n\"m")) ==
	      0);
	it_buf_put(&b, "", 1);
	CHECK(!strncmp(b.data, want, strlen(want)));
	/* ...T12:34:56.123456789+hh:mm"} */
	CHECK(b.len - 1 == strlen(want) + 35 + 2);
	CHECK(b.data[b.len - 2] == '}' && b.data[strlen(want) + 19] == '.');
	free(b.data);
}

static void test_subsec(struct it_ctx *c)
{
	char buf[128];

	CHECK(it_strftime(c, "%N|%3N|%6N|%9N|%%N|%%%N|", buf, sizeof(buf)) ==
	      0);
	/* 9|3|6|9 digits, literal %N, % then 9 digits */
	CHECK(strlen(buf) == 9 + 1 + 3 + 1 + 6 + 1 + 9 + 1 + 2 + 1 + 10 + 1);
	CHECK(!strncmp(buf, buf + 9 + 1 + 3 + 1 + 6 + 1, 9));
	CHECK(!strncmp(buf, buf + 10, 3) && !strncmp(buf, buf + 14, 6));
	CHECK(!strncmp(buf + 9 + 1 + 3 + 1 + 6 + 1 + 9, "|%N|%", 5));
	CHECK(!strncmp(buf, buf + strlen(buf) - 10, 9));
	CHECK(it_strftime(c, "", buf, sizeof(buf)) == -1);
	CHECK(it_strftime(c, "%Y", buf, sizeof(buf)) == 0 && strlen(buf) == 4);
}

int main(void)
{
	struct it_ctx c = { .fd = -1 };
	struct watch *d;

	it_wtab_init(&c.tab);
	d = it_wtab_add(&c.tab, 2, "d/", 2, IT_W_DIR, NULL);
	it_wtab_add(&c.tab, 3, "wf", 2, 0, NULL);
	(void)d;
	test_directives(&c);
	test_names_kept(&c);
	test_nul(&c);
	test_csv(&c);
	test_escape_long();
	test_snprintf();
	test_json_escape();
	test_json_event(&c);
	test_subsec(&c);
	it_ctx_close(&c);
	return unit_report("test_format");
}
