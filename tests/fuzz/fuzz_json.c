/*
 * fuzz_json: JSON string escaping (it_json_escape) and JSON event lines
 * (it_format_json, what inotifywait --json prints).
 *
 * Input: mask (4 bytes), then "NAME\0WATCHPATH" (any bytes).
 * Checks: the escaped string is one JSON string of printable characters
 * and valid UTF-8, with no raw control character, and decoding it (with
 * \udc80..\udcff standing for the bytes 0x80..0xff) gives the input back;
 * an event line holds no raw newline and starts and ends as an object.
 */
#include "config.h"

#include "ctx.h"
#include "fuzz.h"

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	return -1;
}

/* Whether s[0..n) is valid UTF-8 (no overlongs, surrogates, > U+10FFFF). */
static int valid_utf8(const unsigned char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		unsigned lo = 0x80, hi = 0xbf;
		size_t len;

		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if (s[i] >= 0xc2 && s[i] <= 0xdf)
			len = 2;
		else if (s[i] >= 0xe0 && s[i] <= 0xef)
			len = 3;
		else if (s[i] >= 0xf0 && s[i] <= 0xf4)
			len = 4;
		else
			return 0;
		if (s[i] == 0xe0)
			lo = 0xa0;
		else if (s[i] == 0xed)
			hi = 0x9f;
		else if (s[i] == 0xf0)
			lo = 0x90;
		else if (s[i] == 0xf4)
			hi = 0x8f;
		if (i + len > n || s[i + 1] < lo || s[i + 1] > hi)
			return 0;
		for (size_t k = 2; k < len; k++)
			if (s[i + k] < 0x80 || s[i + k] > 0xbf)
				return 0;
		i += len;
	}
	return 1;
}

/* Decode the JSON string at s[0..n) (quotes included) into out. */
static void decode(const char *s, size_t n, struct it_buf *out)
{
	FUZZ_ASSERT(n >= 2 && s[0] == '"' && s[n - 1] == '"');
	for (size_t i = 1; i < n - 1; i++) {
		unsigned char ch = (unsigned char)s[i];
		char b;

		FUZZ_ASSERT(ch >= 0x20 && ch != '"');
		if (ch != '\\') {
			b = (char)ch;
		} else {
			FUZZ_ASSERT(i + 1 < n - 1);
			switch (s[++i]) {
			case '"':
			case '\\':
				b = s[i];
				break;
			case 'n':
				b = '\n';
				break;
			case 't':
				b = '\t';
				break;
			case 'r':
				b = '\r';
				break;
			case 'u': {
				unsigned v = 0;

				FUZZ_ASSERT(i + 4 < n - 1);
				for (int k = 1; k <= 4; k++) {
					int h = hexval(s[i + k]);

					FUZZ_ASSERT(h >= 0);
					v = v * 16 + (unsigned)h;
				}
				i += 4;
				/* control characters, or a raw byte */
				FUZZ_ASSERT(v < 0x20 ||
					    (v >= 0xdc80 && v <= 0xdcff));
				b = (char)(v & 0xff);
				break;
			}
			default:
				FUZZ_ASSERT(!"unexpected escape");
			}
		}
		if (it_buf_put(out, &b, 1))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	struct it_ctx c;
	struct it_buf b = { 0 }, dec = { 0 };
	struct inotify_event *ev;
	uint32_t mask;
	char *in, *end, *name, *dir;
	size_t namelen;

	fuzz_take(&d, &n, &mask, sizeof(mask));
	in = fuzz_str(d, n);
	end = in + n;
	name = in;
	dir = fuzz_next(name, end);

	/* one string, NULs included: the whole input after the mask */
	FUZZ_ASSERT(it_json_escape(&b, in, n) == 0);
	FUZZ_ASSERT(valid_utf8((const unsigned char *)b.data, b.len));
	decode(b.data, b.len, &dec);
	FUZZ_ASSERT(dec.len == n && (n == 0 || !memcmp(dec.data, in, n)));

	/* one event line */
	memset(&c, 0, sizeof(c));
	c.fd = -1;
	it_wtab_init(&c.tab);
	namelen = strlen(name);
	ev = fuzz_event(1, mask, 7, namelen ? name : NULL);
	if (*dir && it_wtab_add(&c.tab, 1, dir, strlen(dir), 0, NULL)) {
		b.len = 0;
		FUZZ_ASSERT(it_format_json(&c, &b, ev) == 0);
		FUZZ_ASSERT(b.len >= 2 && b.data[0] == '{' &&
			    b.data[b.len - 1] == '}');
		FUZZ_ASSERT(!memchr(b.data, '\n', b.len));
		FUZZ_ASSERT(valid_utf8((const unsigned char *)b.data, b.len));
	}
	free(ev);
	it_ctx_close(&c);
	free(b.data);
	free(dec.data);
	free(in);
	return 0;
}
