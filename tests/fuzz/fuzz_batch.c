/*
 * fuzz_batch: the --batch coalescer and rename pairing (src/batch.c).
 *
 * Input: a flags byte (bit 0: rename records, bit 1: keep transient paths),
 * then ops of 3 bytes: an event selector, a cookie (0..15), a path selector
 * (one of a few paths that nest and share prefixes, so that renames of
 * directories rewrite what lies below them); selector 255 ends the batch.
 * Checks: no path is printed twice in a batch; batch_records() counts what
 * batch_next() hands out; every old path (%F) was a MOVED_FROM path; without
 * rename records and with transient paths kept, every path added is printed
 * exactly once.
 */
#include <sys/inotify.h>

#include "batch.h"
#include "fuzz.h"

static const char *const paths[] = { "r/a",   "r/a/x",	 "r/a/s/y", "r/ab",
				     "r/b",   "r/b/x",	 "r/c",	    "r/a/s",
				     "r/b/s", "r/c/x/y", "",	    "r/" };
#define NPATHS (sizeof(paths) / sizeof(paths[0]))

static const uint32_t events[] = {
	IN_CREATE,     IN_DELETE,     IN_MODIFY,  IN_CLOSE_WRITE,
	IN_MOVED_FROM, IN_MOVED_TO,   IN_ATTRIB,  IN_DELETE_SELF,
	IN_MOVE_SELF,  IN_Q_OVERFLOW, IN_IGNORED, IN_OPEN,
};
#define NEVENTS (sizeof(events) / sizeof(events[0]))

/* The records of b: no path twice, counts agree, old paths were moved. */
static void check(struct batch *b, const unsigned char *added,
		  const unsigned char *movedfrom, int exact)
{
	unsigned char printed[NPATHS] = { 0 };
	struct batch_rec r;
	size_t pos = 0, n = 0;

	while (batch_next(b, &pos, &r)) {
		size_t k;

		n++;
		if (r.mask & IN_Q_OVERFLOW)
			continue;
		for (k = 0; k < NPATHS; k++)
			if (strlen(paths[k]) == r.len &&
			    !memcmp(paths[k], r.path, r.len))
				break;
		FUZZ_ASSERT(k < NPATHS || !exact);
		if (k < NPATHS) {
			FUZZ_ASSERT(!printed[k]);
			printed[k] = 1;
		}
		FUZZ_ASSERT(r.wlen <= r.len);
		if (r.from) {
			size_t j;

			for (j = 0; j < NPATHS; j++)
				if (movedfrom[j] &&
				    strlen(paths[j]) == r.fromlen &&
				    !memcmp(paths[j], r.from, r.fromlen))
					break;
			FUZZ_ASSERT(j < NPATHS || !exact);
		}
	}
	FUZZ_ASSERT(n == batch_records(b));
	for (size_t k = 0; exact && k < NPATHS; k++)
		FUZZ_ASSERT(printed[k] == added[k]);
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	unsigned char added[NPATHS] = { 0 }, movedfrom[NPATHS] = { 0 };
	uint8_t flags, op[3];
	struct batch b;
	int exact;

	fuzz_take(&d, &n, &flags, 1);
	batch_init(&b, flags & 1, (flags >> 1) & 1);
	exact = !(flags & 1) && (flags & 2);
	while (n >= 3) {
		const char *p, *slash;
		uint32_t mask;
		size_t k, wlen;

		fuzz_take(&d, &n, op, 3);
		if (op[0] == 255) {
			check(&b, added, movedfrom, exact);
			batch_clear(&b);
			memset(added, 0, sizeof(added));
			continue;
		}
		mask = events[op[0] % NEVENTS] | (op[0] & 0x80 ? IN_ISDIR : 0);
		k = op[2] % NPATHS;
		p = paths[k];
		slash = strrchr(p, '/');
		wlen = slash ? (size_t)(slash - p) + 1 : 0;
		if (batch_add(&b, mask, op[1] % 16, p, wlen, p + wlen,
			      strlen(p) - wlen) < 0)
			continue;
		if (!(mask & IN_Q_OVERFLOW))
			added[k] = 1;
		if (mask & IN_MOVED_FROM)
			movedfrom[k] = 1;
	}
	check(&b, added, movedfrom, exact);
	batch_free(&b);
	return 0;
}
