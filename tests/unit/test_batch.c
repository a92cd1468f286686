/* test_batch.c: the --batch coalescer and the rename pairing of src/batch.c,
 * fed scripted event sequences. */
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>

#include "batch.h"
#include "unit.h"

/* add: an event on "w" + "f" (w ends at the last '/' of path). */
static void add(struct batch *b, uint32_t mask, uint32_t cookie,
		const char *path)
{
	const char *slash = strrchr(path, '/');
	size_t wlen = slash ? (size_t)(slash - path) + 1 : 0;

	CHECK(batch_add(b, mask, cookie, path, wlen, path + wlen,
			strlen(path) - wlen) == 0);
}

/* dump: the records as "path mask [<from]" lines joined by '|'. */
static const char *dump(const struct batch *b)
{
	static char out[4096];
	struct batch_rec r;
	size_t pos = 0, n = 0;

	out[0] = '\0';
	while (batch_next(b, &pos, &r)) {
		n += (size_t)snprintf(out + n, sizeof(out) - n, "%s%.*s %x",
				      n ? "|" : "", (int)r.len, r.path, r.mask);
		if (r.from)
			n += (size_t)snprintf(out + n, sizeof(out) - n,
					      " <%.*s", (int)r.fromlen, r.from);
	}
	return out;
}

static void test_union_and_order(void)
{
	struct batch b;

	batch_init(&b, 0, 0);
	add(&b, IN_MODIFY, 0, "d/a");
	add(&b, IN_ATTRIB, 0, "d/b");
	add(&b, IN_CLOSE_WRITE, 0, "d/a");
	add(&b, IN_MODIFY, 0, "d/a");
	CHECK(batch_records(&b) == 2);
	CHECK_STR(dump(&b), "d/a a|d/b 4");
	/* the %w part is kept */
	{
		struct batch_rec r;
		size_t pos = 0;

		CHECK(batch_next(&b, &pos, &r) && r.wlen == 2);
	}
	batch_clear(&b);
	CHECK(batch_records(&b) == 0);
	add(&b, IN_ATTRIB, 0, "d/b");
	CHECK_STR(dump(&b), "d/b 4");
	batch_free(&b);
}

static void test_transient(void)
{
	struct batch b;

	batch_init(&b, 0, 0);
	add(&b, IN_CREATE, 0, "d/tmp");
	add(&b, IN_CLOSE_WRITE, 0, "d/tmp");
	add(&b, IN_DELETE, 0, "d/tmp");
	add(&b, IN_DELETE, 0, "d/old"); /* existed before: shown */
	add(&b, IN_CREATE, 0, "d/again");
	add(&b, IN_DELETE, 0, "d/again");
	add(&b, IN_CREATE, 0, "d/again"); /* exists at the end: shown */
	CHECK_STR(dump(&b), "d/old 200|d/again 300");
	batch_free(&b);
	batch_init(&b, 0, 1); /* -e create,delete: keep them */
	add(&b, IN_CREATE, 0, "d/tmp");
	add(&b, IN_DELETE, 0, "d/tmp");
	CHECK_STR(dump(&b), "d/tmp 300");
	batch_free(&b);
}

static void test_renames_plain(void)
{
	struct batch b;

	batch_init(&b, 0, 0);
	add(&b, IN_MOVED_FROM, 7, "d/a");
	add(&b, IN_MOVED_TO, 7, "d/b");
	CHECK_STR(dump(&b), "d/a 40|d/b 80 <d/a");
	batch_clear(&b);
	/* the MOVED_TO in the next batch still finds its MOVED_FROM */
	add(&b, IN_MOVED_FROM, 8, "d/c");
	batch_clear(&b);
	add(&b, IN_MOVED_TO, 8, "d/e");
	CHECK_STR(dump(&b), "d/e 80 <d/c");
	/* an unknown cookie: no old path */
	batch_clear(&b);
	add(&b, IN_MOVED_TO, 99, "d/f");
	CHECK_STR(dump(&b), "d/f 80");
	/* a file made in the batch and renamed: only the new name, no %F */
	batch_clear(&b);
	add(&b, IN_CREATE, 0, "d/x.tmp");
	add(&b, IN_CLOSE_WRITE, 0, "d/x.tmp");
	add(&b, IN_MOVED_FROM, 9, "d/x.tmp");
	add(&b, IN_MOVED_TO, 9, "d/x");
	CHECK_STR(dump(&b), "d/x 80");
	/* a chain a -> b -> c: b came and went, c is still a's */
	batch_clear(&b);
	add(&b, IN_MOVED_FROM, 10, "d/a");
	add(&b, IN_MOVED_TO, 10, "d/b");
	add(&b, IN_MOVED_FROM, 11, "d/b");
	add(&b, IN_MOVED_TO, 11, "d/c");
	CHECK_STR(dump(&b), "d/a 40|d/c 80 <d/a");
	batch_free(&b);
}

static void test_rename_records(void)
{
	struct batch b;

	batch_init(&b, 1, 0);
	add(&b, IN_CLOSE_WRITE, 0, "d/a");
	add(&b, IN_MOVED_FROM, 7, "d/a");
	add(&b, IN_MOVED_TO, 7, "d/b");
	CHECK_STR(dump(&b), "d/b 88 <d/a");
	batch_clear(&b);
	/* a chain a -> b -> c is one rename a -> c */
	add(&b, IN_MOVED_FROM, 1, "d/a");
	add(&b, IN_MOVED_TO, 1, "d/b");
	add(&b, IN_MOVED_FROM, 2, "d/b");
	add(&b, IN_MOVED_TO, 2, "d/c");
	CHECK_STR(dump(&b), "d/c 80 <d/a");
	batch_clear(&b);
	/* renamed, then deleted: the old path must still go */
	add(&b, IN_MOVED_FROM, 3, "d/a");
	add(&b, IN_MOVED_TO, 3, "d/b");
	add(&b, IN_DELETE, 0, "d/b");
	CHECK_STR(dump(&b), "d/b 280 <d/a");
	batch_free(&b);
}

static void test_directory_rename(void)
{
	struct batch b;

	batch_init(&b, 1, 0);
	add(&b, IN_CLOSE_WRITE, 0, "r/a/x");
	add(&b, IN_CLOSE_WRITE, 0, "r/a/sub/y");
	add(&b, IN_CLOSE_WRITE, 0, "r/ab"); /* a prefix, not below a/ */
	add(&b, IN_MOVED_FROM | IN_ISDIR, 5, "r/a");
	add(&b, IN_MOVED_TO | IN_ISDIR, 5, "r/bb");
	add(&b, IN_MODIFY, 0, "r/bb/x"); /* coalesces with the rewritten x */
	CHECK_STR(dump(&b), "r/bb/x a|r/bb/sub/y 8|r/ab 8|r/bb 40000080 <r/a");
	{
		struct batch_rec r;
		size_t pos = 0;

		CHECK(batch_next(&b, &pos, &r) && r.wlen == 5); /* "r/bb/" */
		CHECK(batch_next(&b, &pos, &r) &&
		      r.wlen == 9); /* "r/bb/sub/" */
	}
	batch_free(&b);
	/* without rename records nothing is rewritten */
	batch_init(&b, 0, 0);
	add(&b, IN_CLOSE_WRITE, 0, "r/a/x");
	add(&b, IN_MOVED_FROM | IN_ISDIR, 5, "r/a");
	add(&b, IN_MOVED_TO | IN_ISDIR, 5, "r/b");
	CHECK_STR(dump(&b), "r/a/x 8|r/a 40000040|r/b 40000080 <r/a");
	batch_free(&b);
}

static void test_overflow_and_many(void)
{
	struct batch b;
	char p[32];

	batch_init(&b, 0, 0);
	add(&b, IN_MODIFY, 0, "d/a");
	CHECK(batch_add(&b, IN_Q_OVERFLOW, 0, "", 0, "", 0) == 0);
	CHECK(batch_add(&b, IN_Q_OVERFLOW, 0, "", 0, "", 0) == 0);
	CHECK_STR(dump(&b), "d/a 2| 4000| 4000");
	batch_clear(&b);
	for (int i = 0; i < 100000; i++) {
		snprintf(p, sizeof(p), "d/f%d", i % 30000);
		add(&b, IN_MODIFY, 0, p);
	}
	CHECK(batch_records(&b) == 30000);
	/* more renames waiting than slots: the oldest are forgotten */
	batch_clear(&b);
	for (uint32_t c = 1; c <= RENAMES + 10; c++)
		add(&b, IN_MOVED_FROM, c, "d/m");
	add(&b, IN_MOVED_TO, 1, "d/n1");
	add(&b, IN_MOVED_TO, RENAMES + 10, "d/n2");
	CHECK_STR(dump(&b), "d/m 40|d/n1 80|d/n2 80 <d/m");
	batch_free(&b);
}

int main(void)
{
	test_union_and_order();
	test_transient();
	test_renames_plain();
	test_rename_records();
	test_directory_rename();
	test_overflow_and_many();
	return unit_report("test_batch");
}
