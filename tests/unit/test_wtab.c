/* test_wtab.c: the watch table's two indexes and its subtree renames. */
#include "config.h"

#include "unit.h"
#include "wtab.h"

static void test_lookup(void)
{
	struct wtab t;
	struct watch *a, *b;

	it_wtab_init(&t);
	a = it_wtab_add(&t, 1, "r/", 2, IT_W_DIR, NULL);
	b = it_wtab_add(&t, 2, "r/a/", 4, IT_W_DIR, a);
	CHECK(it_wtab_by_wd(&t, 1) == a);
	CHECK(it_wtab_by_wd(&t, 2) == b);
	CHECK(it_wtab_by_wd(&t, 3) == NULL);
	CHECK(it_wtab_by_path(&t, "r/a/", 4) == b);
	CHECK(it_wtab_by_path(&t, "r/a", 3) == NULL);
	CHECK(b->parent == a && a->child == b);
	CHECK(t.nlive == 2);
	/* killed: gone from the path index, still found by wd */
	it_wtab_kill(&t, b);
	CHECK(it_wtab_by_path(&t, "r/a/", 4) == NULL);
	CHECK(it_wtab_by_wd(&t, 2) == b);
	CHECK(t.nlive == 1 && a->child == NULL);
	it_wtab_free_watch(&t, b);
	CHECK(it_wtab_by_wd(&t, 2) == NULL);
	it_wtab_free(&t);
}

static void test_many(void)
{
	struct wtab t;
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
	struct wtab t;
	struct watch *r, *a, *b, *c, *x;

	it_wtab_init(&t);
	r = it_wtab_add(&t, 1, "r/", 2, IT_W_DIR, NULL);
	a = it_wtab_add(&t, 2, "r/a/", 4, IT_W_DIR, r);
	b = it_wtab_add(&t, 3, "r/a/b/", 6, IT_W_DIR, a);
	c = it_wtab_add(&t, 4, "r/a/b/c/", 8, IT_W_DIR, b);
	x = it_wtab_add(&t, 5, "r/x/", 4, IT_W_DIR, r);
	/* rename a to a2: the whole subtree follows */
	CHECK(it_wtab_rename(&t, a, r, "a2/", 3) == 0);
	CHECK_STR(a->path, "r/a2/");
	CHECK_STR(b->path, "r/a2/b/");
	CHECK_STR(c->path, "r/a2/b/c/");
	CHECK(it_wtab_by_path(&t, "r/a/b/", 6) == NULL);
	CHECK(it_wtab_by_path(&t, "r/a2/b/c/", 9) == c);
	/* move b below x */
	CHECK(it_wtab_rename(&t, b, x, "b/", 2) == 0);
	CHECK_STR(c->path, "r/x/b/c/");
	CHECK(b->parent == x && a->child == NULL && x->child == b);
	/* rename the root: a full new path */
	CHECK(it_wtab_rename(&t, r, NULL, "/abs/r/", 7) == 0);
	CHECK_STR(c->path, "/abs/r/x/b/c/");
	CHECK_STR(a->path, "/abs/r/a2/");
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
	struct wtab t;
	struct watch *r, *a;
	int n = 0;

	it_wtab_init(&t);
	r = it_wtab_add(&t, 1, "r/", 2, IT_W_DIR, NULL);
	a = it_wtab_add(&t, 2, "r/a/", 4, IT_W_DIR, r);
	it_wtab_add(&t, 3, "r/a/b/", 6, IT_W_DIR, a);
	it_wtab_add(&t, 4, "r/c/", 4, IT_W_DIR, r);
	it_wtab_postorder(r, count, &n);
	CHECK(n == 4);
	/* children are kept in the order they were added */
	CHECK_STR(r->child->path, "r/a/");
	CHECK_STR(r->child->sibling->path, "r/c/");
	CHECK(r->last_child == r->child->sibling);
	it_wtab_kill(&t, r->child->sibling);
	CHECK(r->last_child == r->child);
	it_wtab_free(&t);
}

int main(void)
{
	test_lookup();
	test_many();
	test_rename();
	test_postorder();
	return unit_report("test_wtab");
}
