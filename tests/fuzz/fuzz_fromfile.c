/*
 * fuzz_fromfile: the contents of a --fromfile list.
 *
 * Input: the file. Checks: every line (without its newline) that is not
 * empty, "@" or cut short by a NUL becomes exactly one watch or @ entry,
 * in order; nothing else does.
 */
#include "config.h"

#include "cli.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	struct cli_opts o;
	FILE *f;
	size_t np = 0, ns = 0;

	if (n == 0)
		return 0;
	memset(&o, 0, sizeof(o));
	f = fmemopen((void *)(uintptr_t)d, n, "r");
	if (!f)
		abort();
	FUZZ_ASSERT(cli_read_list(&o, f) == 0);
	fclose(f);

	/* the expected entries, line by line */
	for (size_t i = 0; i < n;) {
		const uint8_t *nl = memchr(d + i, '\n', n - i);
		size_t len = nl ? (size_t)(nl - (d + i)) : n - i;
		const char *line = (const char *)d + i;
		size_t slen = strnlen(line, len);

		if (slen > 0 && line[0] == '@') {
			if (slen > 1) {
				FUZZ_ASSERT(ns < o.skip.n);
				FUZZ_ASSERT(strlen(o.skip.v[ns]) == slen - 1);
				FUZZ_ASSERT(!memcmp(o.skip.v[ns], line + 1,
						    slen - 1));
				ns++;
			}
		} else if (slen > 0) {
			FUZZ_ASSERT(np < o.paths.n);
			FUZZ_ASSERT(strlen(o.paths.v[np]) == slen);
			FUZZ_ASSERT(!memcmp(o.paths.v[np], line, slen));
			np++;
		}
		i += len + 1;
	}
	FUZZ_ASSERT(np == o.paths.n && ns == o.skip.n);
	strv_free(&o.paths);
	strv_free(&o.skip);
	return 0;
}
