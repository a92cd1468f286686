/*
 * fuzz_events: event-name lists (-e, inotifytools_str_to_event_sep) and
 * event-name output (inotifytools_event_to_str_sep).
 *
 * Input: sep (1 byte), a mask (4), an output size (1), then the list.
 * Checks: the public and internal parsers agree; a parsed mask prints as
 * names that parse back to (at least) the same bits; names are written into
 * a buffer of exactly the given size without overrunning it.
 */
#include "config.h"

#include "ctx.h"
#include "fuzz.h"
#include "inotifytools/inotifytools.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	uint8_t sep, osize;
	uint32_t mask;
	char *list, *buf, names[256];
	int m, back;

	fuzz_take(&d, &n, &sep, 1);
	fuzz_take(&d, &n, &mask, sizeof(mask));
	fuzz_take(&d, &n, &osize, 1);
	list = fuzz_str(d, n);

	m = it_event_parse(list, (char)sep);
	FUZZ_ASSERT(m == inotifytools_str_to_event_sep(list, (char)sep));
	if (sep == ',')
		FUZZ_ASSERT(m == inotifytools_str_to_event(list));
	if (m > 0 && sep) {
		it_event_names((uint32_t)m, (char)sep, names, sizeof(names));
		back = it_event_parse(names, (char)sep);
		FUZZ_ASSERT(back > 0 && (back & m) == m);
	}

	/* any mask, into a buffer of any size >= 1 */
	buf = malloc((size_t)osize + 1);
	it_event_names(mask, (char)sep, buf, (size_t)osize + 1);
	FUZZ_ASSERT(strlen(buf) <= osize);
	free(buf);
	it_event_names(mask, (char)sep, names, sizeof(names));
	FUZZ_ASSERT(strlen(names) < sizeof(names));
	inotifytools_event_to_str_sep((int)mask, (char)sep);

	free(list);
	return 0;
}
