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
	CHECK(b->parent == it_wtab_index(a) && a->child == it_wtab_index(b));
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

		ok &= w && it_wtab_wd(&t, w) == i && it_wtab_by_wd(&t, i) == w;
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
	CHECK(b->parent == it_wtab_index(x) && a->child == 0 &&
	      x->child == it_wtab_index(b));
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
	CHECK_STR(P(it_wtab_first_child(&t, r)), "r/a/");
	CHECK_STR(P(it_wtab_next_child(&t, r, a)), "r/c/");
	CHECK(it_wtab_next_child(&t, r, it_wtab_next_child(&t, r, a)) == NULL);
	it_wtab_kill(&t, it_wtab_next_child(&t, r, a));
	CHECK(it_wtab_first_child(&t, r) == a && r->child == it_wtab_index(a) &&
	      a->next == it_wtab_index(a) && !it_wtab_next_child(&t, r, a));
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

/* Records past a slab's end: indexes and addresses agree, slot 0 unused. */
static void test_slabs(void)
{
	int ok = 1, n = 3 * (1 << IT_WTAB_SHIFT);
	struct watch *w;
	uint32_t i = 0;

	it_wtab_init(&t);
	for (int k = 1; k <= n; k++) {
		w = it_wtab_add(&t, k, "d/", 2, IT_W_DIR, NULL);
		ok &= w && it_wtab_rec(&t, it_wtab_index(w)) == w &&
		      (it_wtab_index(w) & ((1u << IT_WTAB_SHIFT) - 1)) != 0;
	}
	CHECK(ok);
	for (int k = 0; (w = it_wtab_live(&t, &i)); k++)
		ok &= it_wtab_wd(&t, w) == k + 1 && it_wtab_index(w) == i;
	CHECK(ok && t.nlive == (size_t)n);
	it_wtab_free(&t);
}

/* A name of 64 KiB or more keeps its length out of the record. */
static void test_long_name(void)
{
	static char p[70002];
	struct watch *r, *a;
	size_t len;

	memset(p, 'x', sizeof(p) - 2);
	p[0] = '/';
	p[sizeof(p) - 2] = '/';
	it_wtab_init(&t);
	r = it_wtab_add(&t, 1, p, sizeof(p) - 1, IT_W_DIR, NULL);
	a = it_wtab_add_child(&t, 2, "a", 1, r);
	CHECK(r->namelen == IT_W_LONG);
	CHECK(it_wtab_by_path(&t, p, sizeof(p) - 1) == r);
	CHECK(strlen(it_wtab_path(&t, a, &len)) == sizeof(p) + 1 &&
	      len == sizeof(p) + 1);
	CHECK(it_wtab_child(&t, r, "a", 1) == a);
	CHECK(it_wtab_rename(&t, r, NULL, "/s/", 3) == 0);
	CHECK_STR(P(a), "/s/a/");
	CHECK(it_wtab_by_path(&t, p, sizeof(p) - 1) == NULL);
	CHECK(it_wtab_rename(&t, r, NULL, p, 65535) == 0);
	CHECK(it_wtab_by_path(&t, p, 65535) == r && r->namelen == IT_W_LONG);
	CHECK(it_wtab_by_path(&t, p, 65534) == NULL);
	it_wtab_free(&t);
}

/* Counters live beside the records: many at once, dropped in any order. */
static void test_counts(void)
{
	enum { N = 3000 };
	static struct watch *w[N];
	int ok = 1;

	it_wtab_init(&t);
	for (int k = 0; k < N; k++) {
		w[k] = it_wtab_add(&t, k + 1, "d/", 2, IT_W_DIR, NULL);
		ok &= w[k] && it_wtab_counts(&t, w[k], 0) == NULL;
		it_wtab_counts(&t, w[k], 1)[0] = (unsigned)k;
	}
	CHECK(ok);
	for (int k = 0; k < N; k += 3)
		it_wtab_drop_counts(&t, w[k]);
	for (int k = 1; k < N; k += 3)
		it_wtab_release(&t, w[k], 1);
	CHECK(t.nretired == N / 3);
	for (int k = 0; k < N; k++) {
		unsigned *c = it_wtab_counts(&t, w[k], 0);

		ok &= k % 3 == 0 ? c == NULL : c && c[0] == (unsigned)k;
	}
	CHECK(ok);
	CHECK(strcmp(it_wtab_stable_path(&t, w[2]), "d/") == 0);
	it_wtab_drop_counts(&t, w[2]);
	CHECK(it_wtab_counts(&t, w[2], 0) == NULL);
	CHECK_STR(it_wtab_stable_path(&t, w[2]), "d/");
	it_wtab_free(&t);
}

/* Masks are kept once each; past the table's end, in the extension. */
static void test_masks(void)
{
	enum { N = IT_W_MASK_EXT + 100 };
	static struct watch *w[N];
	int ok = 1;

	it_wtab_init(&t);
	for (int k = 0; k < N; k++) {
		w[k] = it_wtab_add(&t, k + 1, "d/", 2, IT_W_DIR, NULL);
		ok &= w[k] && it_wtab_mask(&t, w[k]) == 0;
		ok &= it_wtab_set_mask(&t, w[k], (uint32_t)k + 1) == 0;
	}
	CHECK(ok);
	CHECK(w[0]->maskid == 1 && w[N - 1]->maskid == IT_W_MASK_EXT);
	CHECK(t.nmasks == IT_W_MASK_EXT);
	for (int k = 0; k < N; k++)
		ok &= it_wtab_mask(&t, w[k]) == (uint32_t)k + 1;
	CHECK(ok);
	/* an extension holding a mask outlives its counters and path */
	it_wtab_counts(&t, w[N - 1], 1)[0] = 7;
	CHECK_STR(it_wtab_stable_path(&t, w[N - 1]), "d/");
	it_wtab_drop_counts(&t, w[N - 1]);
	CHECK(it_wtab_mask(&t, w[N - 1]) == (uint32_t)N);
	CHECK(it_wtab_set_mask(&t, w[N - 1], 5) == 0);
	CHECK(it_wtab_mask(&t, w[N - 1]) == 5 && w[N - 1]->maskid == 5);
	CHECK(it_wtab_set_mask(&t, w[1], 0) == 0 && w[1]->maskid == 0);
	CHECK(it_wtab_mask(&t, w[N - 2]) == (uint32_t)N - 1);
	for (int k = 0; k < N; k++)
		it_wtab_free_watch(&t, w[k]);
	CHECK(t.extmap.n == 0 && t.ncached == 0);
	it_wtab_free(&t);
}

/* Names of about 255 bytes: the length in the record or from strlen. */
static void test_name_lengths(void)
{
	char name[300];
	int ok = 1;
	struct watch *r;

	memset(name, 'n', sizeof(name));
	it_wtab_init(&t);
	r = it_wtab_add(&t, 1, "/r/", 3, IT_W_DIR, NULL);
	for (size_t n = 250; n < 260; n++) {
		struct watch *w = it_wtab_add_child(&t, (int)n, name, n, r);
		size_t len;

		ok &= w && it_wtab_child(&t, r, name, n) == w;
		ok &= it_wtab_child(&t, r, name, n - 1) != w;
		ok &= it_wtab_path(&t, w, &len)[len - 1] == '/' && len == n + 4;
		/* (the arena leaves the '/' out) */
		ok &= w->namelen == (n < IT_W_LONG ? n : IT_W_LONG);
	}
	CHECK(ok);
	it_wtab_free(&t);
}

/* The wd index: pages made and freed as wds come and go. */
static void test_wd_pages(void)
{
	struct watch *a, *b, *c;
	int ok = 1;

	it_wtab_init(&t);
	CHECK(it_wtab_by_wd(&t, 1) == NULL && it_wtab_by_wd(&t, -1) == NULL);
	CHECK(it_wtab_add(&t, -1, "n/", 2, IT_W_DIR, NULL) == NULL);
	a = it_wtab_add(&t, 5000000, "a/", 2, IT_W_DIR, NULL);
	b = it_wtab_add(&t, 0, "b/", 2, IT_W_DIR, NULL);
	CHECK(it_wtab_by_wd(&t, 5000000) == a && it_wtab_by_wd(&t, 0) == b);
	CHECK(it_wtab_by_wd(&t, 4999999) == NULL);
	CHECK(it_wtab_by_wd(&t, 5000001) == NULL);
	CHECK(it_wtab_by_wd(&t, 6000000) == NULL);
	CHECK(t.wdpages[5000000 / IT_WTAB_WDPAGE] != NULL);
	it_wtab_free_watch(&t, a);
	CHECK(it_wtab_by_wd(&t, 5000000) == NULL);
	CHECK(t.wdpages[5000000 / IT_WTAB_WDPAGE] == NULL);
	/* a second record for a wd takes its place in the index */
	c = it_wtab_add(&t, 0, "c/", 2, IT_W_DIR, NULL);
	CHECK(it_wtab_by_wd(&t, 0) == c && t.nall == 1);
	it_wtab_free_watch(&t, b);
	CHECK(it_wtab_by_wd(&t, 0) == c && t.nall == 1);
	it_wtab_free_watch(&t, c);
	CHECK(it_wtab_by_wd(&t, 0) == NULL && t.nall == 0);
	for (int k = 1; k <= 3 * IT_WTAB_WDPAGE; k++)
		ok &= it_wtab_add(&t, k, "d/", 2, IT_W_DIR, NULL) != NULL;
	for (int k = 1; k <= 3 * IT_WTAB_WDPAGE; k += 2)
		it_wtab_free_watch(&t, it_wtab_by_wd(&t, k));
	for (int k = 1; k <= 3 * IT_WTAB_WDPAGE; k++)
		ok &= (it_wtab_by_wd(&t, k) != NULL) == !(k & 1) &&
		      (!(k & 1) ? it_wtab_wd(&t, it_wtab_by_wd(&t, k)) == k
				: 1);
	CHECK(ok);
	for (int k = 2; k <= 3 * IT_WTAB_WDPAGE; k += 2)
		it_wtab_free_watch(&t, it_wtab_by_wd(&t, k));
	for (size_t i = 0; i < t.nwdpages; i++)
		ok &= t.wdpages[i] == NULL;
	CHECK(ok && t.nall == 0 && t.nlive == 0);
	it_wtab_free(&t);
}

/* A page of the wd index stays linear while records come in wd order,
 * across slabs; it turns explicit when one does not, keeping the others. */
static void test_wd_linear(void)
{
	enum { N = 2 * (1 << IT_WTAB_SHIFT) + 7 };
	struct watch *a;
	int ok = 1;

	it_wtab_init(&t);
	for (int k = 1; k <= N; k++)
		ok &= it_wtab_add(&t, k, "d/", 2, IT_W_DIR, NULL) != NULL;
	for (size_t i = 0; i <= N / IT_WTAB_WDPAGE; i++)
		ok &= t.wdpages[i] && !t.wdpages[i]->rec;
	CHECK(ok);
	/* a freed slot reused for a wd out of order */
	it_wtab_free_watch(&t, it_wtab_by_wd(&t, 5));
	a = it_wtab_add(&t, N + 1, "e/", 2, IT_W_DIR, NULL);
	CHECK(a && it_wtab_by_wd(&t, N + 1) == a &&
	      it_wtab_by_wd(&t, 5) == NULL);
	CHECK(t.wdpages[(N + 1) / IT_WTAB_WDPAGE]->rec != NULL);
	/* wds out of order in a new page */
	for (int k = 20 * IT_WTAB_WDPAGE; k > 19 * IT_WTAB_WDPAGE; k -= 2)
		ok &= it_wtab_add(&t, k, "f/", 2, IT_W_DIR, NULL) != NULL;
	for (int k = 1; k <= 20 * IT_WTAB_WDPAGE; k++) {
		struct watch *w = it_wtab_by_wd(&t, k);

		if (k == 5 ||
		    (k > N + 1 && (k <= 19 * IT_WTAB_WDPAGE || k & 1)))
			ok &= w == NULL;
		else
			ok &= w && it_wtab_wd(&t, w) == k;
	}
	CHECK(ok && t.nall == N + IT_WTAB_WDPAGE / 2);
	it_wtab_free(&t);
}

/* Whether the children of r are exactly the n records of want[], in order,
 * their parent r. */
static int children_are(struct watch *r, struct watch **want, size_t n)
{
	struct watch *c = it_wtab_first_child(&t, r);
	size_t k = 0;

	for (; c && k < n; c = it_wtab_next_child(&t, r, c), k++)
		if (c != want[k] || c->parent != it_wtab_index(r))
			return 0;
	return k == n && !c;
}

/*
 * A family of 20,000 children leaves in an order that walks round its ring
 * (every other child, then the rest from the last), and takes new children
 * meanwhile: the walks stay short once the family is in the map, the order
 * stays the order of arrival, and the map is empty once the family is gone.
 */
static void test_big_family(void)
{
	enum { N = 20000 };
	static struct watch *kid[N + 100], *want[N + 100];
	char name[32];
	struct watch *r;
	size_t n = 0, m, ops = 0;
	int ok = 1;

	it_wtab_init(&t);
	r = it_wtab_add(&t, 1, "r/", 2, IT_W_DIR, NULL);
	for (int i = 0; i < N; i++) {
		int len = snprintf(name, sizeof(name), "d%d", i);

		ok &= (kid[n++] = it_wtab_add_child(&t, i + 2, name,
						    (size_t)len, r)) != NULL;
	}
	CHECK(ok && children_are(r, kid, n));
	/* every other child leaves, the last first; a new child comes each
	 * hundredth */
	for (size_t k = N - 1, extra = 0; k < N; k -= 2, ops++) {
		it_wtab_free_watch(&t, kid[k]);
		kid[k] = NULL;
		if (k % 200 == 1) {
			int len = snprintf(name, sizeof(name), "e%zu", extra);

			kid[n++] = it_wtab_add_child(&t, (int)(N + 2 + extra++),
						     name, (size_t)len, r);
			ok &= kid[n - 1] != NULL;
		}
		if (k < 2)
			break;
	}
	for (size_t k = m = 0; k < n; k++)
		if (kid[k])
			want[m++] = kid[k];
	CHECK(ok && children_are(r, want, m));
	CHECK(t.prev.n == m);
	/* the rest leave from the last to the first */
	while (m) {
		it_wtab_free_watch(&t, want[--m]);
		ops++;
		ok &= children_are(r, want, m) || m % 1000;
	}
	CHECK(ok && r->child == 0 && it_wtab_first_child(&t, r) == NULL);
	/* without the map, these walks would take ~N * N / 4 steps */
	CHECK(t.ring_steps < 64 * ops);
	CHECK(t.prev.n == 0 && t.prev.keys == NULL);
	it_wtab_free(&t);
}

/* A family that never walks far is never put in the map; an orphaned one
 * leaves it. */
static void test_small_family(void)
{
	struct watch *r, *a, *b, *c;

	it_wtab_init(&t);
	r = it_wtab_add(&t, 1, "r/", 2, IT_W_DIR, NULL);
	a = it_wtab_add_child(&t, 2, "a", 1, r);
	b = it_wtab_add_child(&t, 3, "b", 1, r);
	c = it_wtab_add_child(&t, 4, "c", 1, r);
	it_wtab_free_watch(&t, b);
	CHECK(children_are(r, (struct watch *[]){ a, c }, 2) && t.prev.n == 0);
	b = it_wtab_add_child(&t, 5, "b", 1, r);
	CHECK(children_are(r, (struct watch *[]){ a, c, b }, 3));
	it_wtab_rename(&t, c, a, "c/", 2);
	CHECK(children_are(r, (struct watch *[]){ a, b }, 2));
	CHECK(children_are(a, (struct watch *[]){ c }, 1));
	CHECK_STR(P(c), "r/a/c/");
	it_wtab_kill(&t, r);
	CHECK(a->parent == 0 && b->parent == 0 && r->child == 0);
	CHECK_STR(P(b), "r/b/");
	CHECK(t.prev.n == 0 && t.ring_steps <= 2);
	it_wtab_free(&t);
}

/*
 * A record's wd comes from its slab while the wds follow the slots; a
 * record that breaks the run makes the slab keep every wd, and records
 * freed and made again keep theirs.
 */
static void test_slab_wds(void)
{
	enum { N = 3 * (1 << IT_WTAB_SHIFT) };
	static struct watch *w[N + 1];
	int ok = 1;

	it_wtab_init(&t);
	for (int k = 1; k <= N; k++)
		ok &= (w[k] = it_wtab_add(&t, k + 100, "d/", 2, IT_W_DIR,
					  NULL)) != NULL;
	CHECK(ok && t.nslabs == 4);
	for (size_t s = 0; s < t.nslabs; s++)
		ok &= t.slabinfo[s].wds == NULL;
	CHECK(ok);
	/* free one of the second slab and make a record of another wd */
	it_wtab_free_watch(&t, w[5000]);
	w[5000] = it_wtab_add(&t, 7, "e/", 2, IT_W_DIR, NULL);
	CHECK(w[5000] && it_wtab_wd(&t, w[5000]) == 7);
	CHECK(t.slabinfo[1].wds != NULL && t.slabinfo[0].wds == NULL);
	for (int k = 1; k <= N; k++) {
		int want = k == 5000 ? 7 : k + 100;

		ok &= it_wtab_wd(&t, w[k]) == want &&
		      it_wtab_by_wd(&t, want) == w[k];
	}
	CHECK(ok && it_wtab_by_wd(&t, 5100) == NULL);
	it_wtab_free(&t);
}

/*
 * Numbered later: nothing is stored until the tree changes shape; then the
 * records are numbered as they stood: roots by wd, each tree children
 * first, the records made after the call after them by wd.
 */
static void test_number_later(void)
{
	struct watch *r, *a, *b, *c, *s, *n;

	it_wtab_init(&t);
	t.no_seq = 1;
	r = it_wtab_add(&t, 1, "r/", 2, IT_W_DIR, NULL);
	a = it_wtab_add_child(&t, 2, "a", 1, r);
	b = it_wtab_add_child(&t, 3, "b", 1, a);
	c = it_wtab_add_child(&t, 4, "c", 1, r);
	s = it_wtab_add(&t, 5, "s/", 2, IT_W_DIR, NULL);
	CHECK(t.seqs == NULL);
	it_wtab_number_later(&t);
	n = it_wtab_add_child(&t, 9, "n", 1, s);
	/* a new record and a rename in place change no shape */
	CHECK(it_wtab_rename(&t, c, r, "c2/", 3) == 0);
	CHECK(t.seqs == NULL && it_wtab_seq(&t, n) == 0);
	/* a move does: numbered as before it */
	CHECK(it_wtab_rename(&t, b, r, "b/", 2) == 0);
	CHECK(t.seqs != NULL && !t.seq_lazy);
	CHECK(it_wtab_seq(&t, b) == 1 && it_wtab_seq(&t, a) == 2 &&
	      it_wtab_seq(&t, c) == 3 && it_wtab_seq(&t, r) == 4 &&
	      it_wtab_seq(&t, s) == 5);
	CHECK(it_wtab_seq(&t, n) == 6 + 9 - 5);
	/* records made from then on come last */
	CHECK(it_wtab_seq(&t, it_wtab_add_child(&t, 10, "m", 1, r)) >
	      it_wtab_seq(&t, n));
	it_wtab_free(&t);

	/* a kill numbers the tree too, and it_wtab_number() does at once */
	it_wtab_init(&t);
	t.no_seq = 1;
	r = it_wtab_add(&t, 1, "r/", 2, IT_W_DIR, NULL);
	a = it_wtab_add_child(&t, 2, "a", 1, r);
	it_wtab_number_later(&t);
	it_wtab_kill(&t, a);
	CHECK(it_wtab_seq(&t, a) == 1 && it_wtab_seq(&t, r) == 2);
	CHECK(it_wtab_number(&t) == 0 && it_wtab_seq(&t, a) == 1);
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
	test_slabs();
	test_long_name();
	test_counts();
	test_masks();
	test_name_lengths();
	test_wd_pages();
	test_wd_linear();
	test_big_family();
	test_small_family();
	test_slab_wds();
	test_number_later();
	return unit_report("test_wtab");
}
