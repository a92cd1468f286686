/*
 * test_reader: the inotify backend's event-buffer walker and the tree
 * upkeep on buffers no kernel writes (what fuzz_reader found), without an
 * inotify descriptor: the buffer is put where a read() would have put it.
 */
#include "config.h"

#include "ctx.h"
#include "unit.h"

#include <errno.h>
#include <stdlib.h>

#define ROOT "/nonexistent-it-test/"

static struct it_ctx c;
static size_t fill_len;

static void start(void)
{
	memset(&c, 0, sizeof(c));
	c.fd = -1;
	c.be = &it_backend_inotify;
	it_wtab_init(&c.tab);
	c.rsize = 4096;
	c.rbuf = aligned_alloc(__alignof__(struct inotify_event), c.rsize);
	fill_len = 0;
	struct watch *root =
		it_wtab_add(&c.tab, 1, ROOT, strlen(ROOT), IT_W_DIR, NULL);
	it_wtab_add(&c.tab, 2, ROOT "a/", strlen(ROOT "a/"), IT_W_DIR, root);
}

/* Append an event; len is what the header says, name what follows. */
static void put(int wd, uint32_t mask, uint32_t cookie, uint32_t len,
		const char *name, size_t namebytes)
{
	struct inotify_event ev = { wd, mask, cookie, len };

	memcpy(c.rbuf + fill_len, &ev, sizeof(ev));
	fill_len += sizeof(ev);
	memset(c.rbuf + fill_len, 0, namebytes);
	if (name)
		memcpy(c.rbuf + fill_len, name, strlen(name));
	fill_len += namebytes;
	c.rend = fill_len;
}

/* Events handed out until the buffer is used up. */
static int drain(void)
{
	int n = 0;

	while (it_next_event(&c, 0))
		n++;
	CHECK(c.error == EBADF); /* no descriptor to read more from */
	return n;
}

static void test_malformed(void)
{
	/* a whole event, then a header cut short */
	start();
	put(1, IN_CREATE, 0, 16, "f", 16);
	put(1, IN_CREATE, 0, 0, NULL, 0);
	c.rend -= 4;
	CHECK(drain() == 1);
	it_ctx_close(&c);

	/* a name longer than the buffer */
	start();
	put(1, IN_MODIFY, 0, 16, "f", 16);
	put(1, IN_CREATE, 0, 4000, "g", 16);
	CHECK(drain() == 1);
	it_ctx_close(&c);

	/* a name without its NUL, and a misaligned length */
	start();
	put(1, IN_CREATE, 0, 4, "abcd", 4);
	CHECK(drain() == 0);
	it_ctx_close(&c);
	start();
	put(1, IN_CREATE, 0, 3, "ab", 3);
	CHECK(drain() == 0);
	it_ctx_close(&c);
}

static void test_impossible(void)
{
	/* a directory event without a name changes nothing */
	start();
	put(1, IN_MOVED_FROM | IN_ISDIR, 7, 0, NULL, 0);
	put(1, IN_CREATE | IN_ISDIR, 0, 0, NULL, 0);
	CHECK(drain() == 2);
	CHECK(c.tab.nlive == 2);
	it_ctx_close(&c);

	/* a directory moved into itself: dropped from the table */
	start();
	put(1, IN_MOVED_FROM | IN_ISDIR, 5, 16, "a", 16);
	put(2, IN_MOVED_TO | IN_ISDIR, 5, 16, "a2", 16);
	put(2, IN_CREATE, 0, 16, "x", 16);
	CHECK(drain() == 2);
	CHECK(it_wtab_by_path(&c.tab, ROOT "a/", strlen(ROOT "a/")) == NULL);
	it_ctx_close(&c);

	/* IGNORED twice for one watch, and with MOVE_SELF */
	start();
	put(2, IN_IGNORED, 0, 0, NULL, 0);
	put(2, IN_IGNORED | IN_MOVE_SELF, 0, 0, NULL, 0);
	put(2, IN_IGNORED, 0, 0, NULL, 0);
	CHECK(drain() == 1);
	it_ctx_close(&c);
}

/* --max-depth: a directory moved deeper loses the watches now too deep. */
static void test_depth(void)
{
	struct watch *root, *b, *a;

	for (unsigned levels = 2; levels <= 3; levels++) {
		start();
		c.levels = levels;
		root = it_wtab_by_wd(&c.tab, 1);
		a = it_wtab_by_wd(&c.tab, 2);
		b = it_wtab_add_child(&c.tab, 3, "b", 1, root);
		it_wtab_add_child(&c.tab, 4, "x", 1, a);
		put(1, IN_MOVED_FROM | IN_ISDIR, 9, 16, "a", 16);
		put(3, IN_MOVED_TO | IN_ISDIR, 9, 16, "a", 16);
		CHECK(drain() == 2);
		CHECK(it_wtab_by_path(&c.tab, ROOT "b/a/x/",
				      strlen(ROOT "b/a/x/")) == NULL);
		/* at depth 2: watched with 3 levels, not with 2 */
		CHECK((it_wtab_by_path(&c.tab, ROOT "b/a/",
				       strlen(ROOT "b/a/")) != NULL) ==
		      (levels == 3));
		CHECK(it_wtab_child(&c.tab, root, "b", 1) == b);
		CHECK(c.tab.nlive == (levels == 3 ? 3 : 2));
		it_ctx_close(&c);
	}
}

int main(void)
{
	test_malformed();
	test_impossible();
	test_depth();
	return unit_report("test_reader");
}
