/*
 * fuzz_format: --format strings (it_format) and CSV lines (it_format_csv)
 * against random events.
 *
 * Input: mask (4 bytes), cookie (4), flags (1), cap (2), then
 * "FORMAT\0NAME\0WATCHPATH". flags: 1 event without a name, 2 event on an
 * unknown watch, 4 a %T format is set, 8 that format is empty.
 * Checks: growing and fixed-size output agree on what both hold; the
 * fixed-size output never writes past cap (the buffer is exactly cap bytes).
 */
#include "config.h"

#include "ctx.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	struct it_ctx c;
	struct it_buf full = { 0 }, csv = { 0 };
	struct it_out grow = { .grow = &full }, fixed = { 0 };
	struct inotify_event *ev;
	uint32_t mask, cookie;
	uint8_t flags;
	uint16_t cap;
	char *in, *end, *fmt, *name, *dir, *buf;
	int rc, rc2;

	fuzz_take(&d, &n, &mask, sizeof(mask));
	fuzz_take(&d, &n, &cookie, sizeof(cookie));
	fuzz_take(&d, &n, &flags, sizeof(flags));
	fuzz_take(&d, &n, &cap, sizeof(cap));
	cap %= 4200;
	in = fuzz_str(d, n);
	end = in + n;
	fmt = in;
	name = fuzz_next(fmt, end);
	dir = fuzz_next(name, end);

	memset(&c, 0, sizeof(c));
	c.fd = -1;
	it_wtab_init(&c.tab);
	if (!it_wtab_add(&c.tab, 1, dir, strlen(dir), 0, NULL))
		abort();
	if (flags & 4)
		c.timefmt = strdup(flags & 8 ? "" : "%Y-%m-%dT%H:%M:%S");
	ev = fuzz_event(flags & 2 ? 7 : 1, mask, cookie,
			flags & 1 ? NULL : name);

	rc = it_format(&c, &grow, ev, fmt);
	FUZZ_ASSERT(rc != 0 || grow.len == full.len);

	buf = malloc(cap ? cap : 1);
	fixed.buf = buf;
	fixed.cap = cap;
	fixed.stop = cap ? cap - 1u : 0;
	rc2 = it_format(&c, &fixed, ev, fmt);
	/* a bad format fails whatever the size; formatting that stops
	 * half-way (-2) may not get that far in a small buffer */
	FUZZ_ASSERT((rc == -1) == (rc2 == -1));
	FUZZ_ASSERT(rc == rc2 || rc == -2 || (flags & 4));
	if (rc != -1 && rc2 == 0 && !(flags & 4)) {
		size_t k = fixed.len < cap ? fixed.len : cap;

		FUZZ_ASSERT(fixed.len <= full.len);
		FUZZ_ASSERT(k == 0 || memcmp(buf, full.data, k) == 0);
	}

	FUZZ_ASSERT(it_format_csv(&c, &csv, ev) == 0);

	free(buf);
	free(full.data);
	free(csv.data);
	free(ev);
	free(in);
	it_ctx_close(&c);
	return 0;
}
