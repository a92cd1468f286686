/*
 * fuzz_csv: CSV escaping (it_csv_escape) and CSV event lines
 * (it_format_csv, what inotifywait -c prints).
 *
 * Input: flags (1 byte), mask (4), then "NAME\0WATCHPATH".
 * Checks: a field decodes back to the original string; a line splits into
 * exactly the watched path, the event names and the name.
 */
#include "config.h"

#include "ctx.h"
#include "fuzz.h"

/* Decode one field starting at s[*i] into out; -1 if it is not valid CSV. */
static int field(const char *s, size_t n, size_t *i, struct it_buf *out)
{
	out->len = 0;
	if (*i < n && s[*i] == '"') {
		for (++*i;; ++*i) {
			if (*i >= n)
				return -1;
			if (s[*i] == '"') {
				if (*i + 1 < n && s[*i + 1] == '"') {
					++*i;
				} else {
					++*i;
					break;
				}
			}
			if (it_buf_put(out, &s[*i], 1))
				abort();
		}
	} else {
		for (; *i < n && s[*i] != ','; ++*i) {
			if (s[*i] == '"' || s[*i] == '\n')
				return -1;
			if (it_buf_put(out, &s[*i], 1))
				abort();
		}
	}
	if (*i < n && s[*i] != ',')
		return -1;
	return 0;
}

static void check_field(const struct it_buf *line, size_t *i, const char *want)
{
	struct it_buf f = { 0 };

	FUZZ_ASSERT(field(line->data, line->len, i, &f) == 0);
	FUZZ_ASSERT(f.len == strlen(want));
	FUZZ_ASSERT(f.len == 0 || memcmp(f.data, want, f.len) == 0);
	free(f.data);
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	struct it_ctx c;
	struct it_buf b = { 0 }, line = { 0 };
	struct inotify_event *ev;
	uint8_t flags;
	uint32_t mask;
	char *in, *end, *name, *dir, names[256];
	size_t i = 0;

	fuzz_take(&d, &n, &flags, 1);
	fuzz_take(&d, &n, &mask, sizeof(mask));
	in = fuzz_str(d, n);
	end = in + n;
	name = in;
	dir = fuzz_next(name, end);

	/* one field */
	FUZZ_ASSERT(it_csv_escape(&b, name) == 0);
	check_field(&b, &i, name);
	FUZZ_ASSERT(i == b.len);

	/* one line */
	memset(&c, 0, sizeof(c));
	c.fd = -1;
	it_wtab_init(&c.tab);
	if (!it_wtab_add(&c.tab, 1, dir, strlen(dir), 0, NULL))
		abort();
	ev = fuzz_event(1, mask, 0, flags & 1 ? NULL : name);
	FUZZ_ASSERT(it_format_csv(&c, &line, ev) == 0);
	i = 0;
	if (*dir) {
		check_field(&line, &i, dir);
		FUZZ_ASSERT(i < line.len && line.data[i] == ',');
		i++;
	}
	check_field(&line, &i, it_event_names(mask, ',', names, sizeof(names)));
	FUZZ_ASSERT(i < line.len && line.data[i] == ',');
	i++;
	check_field(&line, &i, flags & 1 ? "" : name);
	FUZZ_ASSERT(i == line.len);

	it_ctx_close(&c);
	free(ev);
	free(b.data);
	free(line.data);
	free(in);
	return 0;
}
