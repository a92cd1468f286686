/*
 * fuzz_snprintf: the size argument of the public inotifytools_snprintf().
 *
 * Input: size (4 bytes, any int), mask (4), cookie (4), flags (1), then
 * "FORMAT\0NAME\0WATCHPATH". flags: 1 event without a name, 2 event on an
 * unknown watch.
 * Checks: nothing is written past out->buf[size] (the rest of the buffer
 * keeps its filler), an invalid size writes nothing and fails, and what was
 * written is a prefix of the unlimited output.
 */
#include "config.h"

#include "fuzz.h"
#include "inotifytools/inotifytools.h"

#define FILL 0xa5

static int wd = -1;

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	static struct nstring out, ref;
	struct inotify_event *ev;
	uint32_t mask, cookie;
	int32_t size;
	uint8_t flags;
	char *in, *end, *fmt, *name, *dir;
	int rc, rrc;

	if (wd < 0) {
		if (!inotifytools_initialize() ||
		    inotifytools_watch_file("/", IN_DELETE_SELF) != 1)
			abort();
		wd = inotifytools_wd_from_filename("/");
		FUZZ_ASSERT(wd > 0);
	}
	fuzz_take(&d, &n, &size, sizeof(size));
	fuzz_take(&d, &n, &mask, sizeof(mask));
	fuzz_take(&d, &n, &cookie, sizeof(cookie));
	fuzz_take(&d, &n, &flags, sizeof(flags));
	/* mostly sizes that matter, sometimes anything */
	if (!(flags & 0x80))
		size = (int32_t)((uint32_t)size % (MAX_STRLEN + 2)) - 1;
	in = fuzz_str(d, n);
	end = in + n;
	fmt = in;
	name = fuzz_next(fmt, end);
	dir = fuzz_next(name, end);
	inotifytools_set_filename_by_wd(wd, *dir ? dir : "/");
	ev = fuzz_event(flags & 2 ? wd + 1000 : wd, mask, cookie,
			flags & 1 ? NULL : name);

	/* (a format ending in '%' leaves len as it was: upstream's quirk) */
	memset(out.buf, FILL, sizeof(out.buf));
	out.len = 0;
	rc = inotifytools_snprintf(&out, size, ev, fmt);
	if (size < 0 || size > MAX_STRLEN) {
		FUZZ_ASSERT(rc == -1);
		for (size_t i = 0; i < MAX_STRLEN; i++)
			FUZZ_ASSERT((uint8_t)out.buf[i] == FILL);
	} else {
		for (size_t i = (size_t)size + 1; i < MAX_STRLEN; i++)
			FUZZ_ASSERT((uint8_t)out.buf[i] == FILL);
		memset(&ref, 0, sizeof(ref));
		rrc = inotifytools_snprintf(&ref, MAX_STRLEN, ev, fmt);
		size_t pct = 0, flen = strlen(fmt);

		while (pct < flen && fmt[flen - 1 - pct] == '%')
			pct++;
		/* with a trailing '%' the full run leaves ref.len unset */
		if (rc >= 0 && rrc >= 0 && pct % 2 == 0) {
			size_t k = out.len < (unsigned)size ? out.len
							    : (size_t)size;

			FUZZ_ASSERT(out.len <= ref.len);
			FUZZ_ASSERT(k == 0 || memcmp(out.buf, ref.buf, k) == 0);
		}
	}
	free(ev);
	free(in);
	return 0;
}
