/* test_wtab.c: the watch table's two indexes and its subtree renames. */
#include "config.h"

#include "unit.h"
#include "wtab.h"

#include <string.h>

static struct wtab t;

/* The path of w. */
static const char *P(const struct watch *w)
{
	size_t len;

	return it_wtab_path(&t, w, &len);
}

static void test_lookup(void)
{
	struct watch *a, *b;

	it_wtab_init(&t);
	a = it_wtab_add(&t, 1, "r/", 2, IT_W_DIR, NULL);
	b = it_wtab_add(&t, 2, "r/a/", 4, IT_W_DIR, a);
	CHECK(it_wtab_by_wd(&t, 1) == a);
	CHECK(it_wtab_by_wd(&t, 2) == b);
	CHECK(it_wtab_by_wd(&t, 3) == NULL);
	CHECK(it_wtab_by_path(&t, "r/a/", 4) == b);
	CHECK(it_wtab_by_path(&t, "r/a", 3) == NULL);
	CHECK(b->parent == a->self && a->child == b->self);
	CHECK(t.nlive == 2);
	/* killed: gone from the path index, still found by wd */
	it_wtab_kill(&t, b);
	CHECK(it_wtab_by_path(&t, "r/a/", 4) == NULL);
	CHECK(it_wtab_by_wd(&t, 2) == b);
	CHECK(t.nlive == 1 && a->child == 0);
	CHECK_STR(P(b), "r/a/");
	it_wtab_free_watch(&t, b);
	CHECK(it_wtab_by_wd(&t, 2) == NULL);
	it_wtab_free(&t);
}

static void test_many(void)
{
	char path[32];
	int ok = 1;

	it_wtab_init(&t);
	for (int i = 1; i <= 5000; i++) {
		int n = snprintf(path, sizeof(path), "d%d/", i);

		it_wtab_add(&t, i, path, (size_t)n, IT_W_DIR, NULL);
	}
	for (int i = 1; i <= 5000; i++) {
		int n = snprintf(path, sizeof(path), "d%d/", i);
		struct watch *w = it_wtab_by_path(&t, path, (size_t)n);

		ok &= w && w->wd == i && it_wtab_by_wd(&t, i) == w;
	}
	CHECK(ok);
	CHECK(t.nlive == 5000);
	it_wtab_free(&t);
}

static void test_rename(void)
{
	struct watch *r, *a, *b, *c, *x;

	it_wtab_init(&t);
	r = it_wtab_add(&t, 1, "r/", 2, IT_W_DIR, NULL);
	a = it_wtab_add(&t, 2, "r/a/", 4, IT_W_DIR, r);
	b = it_wtab_add(&t, 3, "r/a/b/", 6, IT_W_DIR, a);
	c = it_wtab_add(&t, 4, "r/a/b/c/", 8, IT_W_DIR, b);
	x = it_wtab_add(&t, 5, "r/x/", 4, IT_W_DIR, r);
	/* rename a to a2: the whole subtree follows */
	CHECK(it_wtab_rename(&t, a, r, "a2/", 3) == 0);
	CHECK_STR(P(a), "r/a2/");
	CHECK_STR(P(b), "r/a2/b/");
	CHECK_STR(P(c), "r/a2/b/c/");
	CHECK(it_wtab_by_path(&t, "r/a/b/", 6) == NULL);
	CHECK(it_wtab_by_path(&t, "r/a2/b/c/", 9) == c);
	/* move b below x */
	CHECK(it_wtab_rename(&t, b, x, "b/", 2) == 0);
	CHECK_STR(P(c), "r/x/b/c/");
	CHECK(b->parent == x->self && a->child == 0 && x->child == b->self);
	/* rename the root: a full new path */
	CHECK(it_wtab_rename(&t, r, NULL, "/abs/r/", 7) == 0);
	CHECK_STR(P(c), "/abs/r/x/b/c/");
	CHECK_STR(P(a), "/abs/r/a2/");
	CHECK(it_wtab_by_path(&t, "/abs/r/x/b/", 11) == b);
	it_wtab_free(&t);
}

static void count(struct watch *w, void *arg)
{
	(void)w;
	++*(int *)arg;
}

static void test_postorder(void)
{
	struct watch *r, *a;
	int n = 0;

	it_wtab_init(&t);
	r = it_wtab_add(&t, 1, "r/", 2, IT_W_DIR, NULL);
	a = it_wtab_add(&t, 2, "r/a/", 4, IT_W_DIR, r);
	it_wtab_add(&t, 3, "r/a/b/", 6, IT_W_DIR, a);
	it_wtab_add(&t, 4, "r/c/", 4, IT_W_DIR, r);
	it_wtab_postorder(&t, r, count, &n);
	CHECK(n == 4);
	/* children are kept in the order they were added */
	CHECK_STR(P(it_wtab_rec(&t, r->child)), "r/a/");
	CHECK_STR(P(it_wtab_rec(&t, it_wtab_rec(&t, r->child)->next)), "r/c/");
	it_wtab_kill(&t, it_wtab_rec(&t, it_wtab_rec(&t, r->child)->next));
	CHECK(it_wtab_at(&t, r->child) == a && a->next == 0 &&
	      a->prev == a->self);
	/* a killed parent leaves its children as roots under their paths */
	it_wtab_kill(&t, a);
	CHECK(it_wtab_by_path(&t, "r/a/b/", 6) != NULL);
	CHECK_STR(P(it_wtab_by_wd(&t, 3)), "r/a/b/");
	CHECK(it_wtab_by_wd(&t, 3)->parent == 0);
	it_wtab_free(&t);
}

/* Records are reused, names compacted, public paths follow renames. */
static void test_churn(void)
{
	struct watch *r, *a, *b;
	const char *pub;
	char name[64];
	int ok = 1;

	it_wtab_init(&t);
	r = it_wtab_add(&t, 1, "/root/", 6, IT_W_DIR, NULL);
	a = it_wtab_add_child(&t, 2, "a", 1, r);
	b = it_wtab_add_child(&t, 3, "b", 1, a);
	pub = it_wtab_stable_path(&t, b);
	CHECK_STR(pub, "/root/a/b/");
	CHECK(it_wtab_child(&t, a, "b", 1) == b);
	CHECK(it_wtab_child(&t, a, "c", 1) == NULL);
	for (int i = 0; i < 20000; i++) {
		int n = snprintf(name, sizeof(name), "renamed-name-%d/", i);

		ok &= it_wtab_rename(&t, a, r, name, (size_t)n) == 0;
	}
	CHECK(ok);
	CHECK(t.namesgarbage < 2 * 65536 + 1024);
	CHECK_STR(it_wtab_stable_path(&t, b), "/root/renamed-name-19999/b/");
	CHECK(it_wtab_by_path(&t, "/root/renamed-name-19999/b/", 27) == b);
	for (int i = 0; i < 10000 && ok; i++) {
		struct watch *w = it_wtab_add_child(&t, 100 + i, "x", 1, b);

		ok &= w && it_wtab_child(&t, b, "x", 1) == w;
		it_wtab_free_watch(&t, w);
	}
	CHECK(ok);
	CHECK(t.nrec < 10);
	it_wtab_free(&t);
}

/* The depth of a record: its ancestors, 0 for a root. */
static void test_depth(void)
{
	struct watch *a, *b, *c;

	it_wtab_init(&t);
	a = it_wtab_add(&t, 1, "r/", 2, IT_W_DIR, NULL);
	b = it_wtab_add_child(&t, 2, "b", 1, a);
	c = it_wtab_add_child(&t, 3, "c", 1, b);
	CHECK(it_wtab_depth(&t, a) == 0);
	CHECK(it_wtab_depth(&t, b) == 1);
	CHECK(it_wtab_depth(&t, c) == 2);
	it_wtab_kill(&t, c);
	CHECK(it_wtab_depth(&t, c) == 0);
	it_wtab_free(&t);
}

int main(void)
{
	test_lookup();
	test_many();
	test_rename();
	test_postorder();
	test_churn();
	test_depth();
	return unit_report("test_wtab");
}
