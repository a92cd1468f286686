/* wtab.c: the watch table, O(1) by wd and by name; it knows no backend. */
#include "config.h"

#include "wtab.h"
#include "util.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <unistd.h>

#define MIN_BUCKETS 64
/* records per path bucket before the buckets double: chains stay short, as
 * a lookup compares the parent first, and buckets cost 1 to 2 bytes each */
#define LOAD 4
#define SLAB (1u << IT_WTAB_SHIFT)
#define IT_W_IN_WD 0x200u   /* in the wd index */
#define IT_W_IN_PATH 0x400u /* in the path index */
#define IT_W_EXT 0x800u	    /* has an extension, in the extension map */
#define IT_W_SLASH 0x80u    /* the name's trailing '/' is not stored */
#define NAME_GC_MIN (64 * 1024)

_Static_assert(SLAB * sizeof(struct watch) <= IT_WTAB_ALIGN,
	       "a slab fits in its alignment");

static uint32_t key_hash(uint32_t h, uint32_t parent)
{
	h ^= parent * 2654435761u;
	return h ^ (h >> 15);
}

/* w's name in the arena; NUL-terminated only when it is IT_W_LONG bytes or
 * more (name_len() then asks strlen) */
static const char *name_of(const struct wtab *t, const struct watch *w)
{
	return t->names + w->name;
}

/* The bytes a name of len bytes takes in the arena. */
static size_t name_size(size_t len)
{
	return len + (len >= IT_W_LONG ? 1 : 0);
}

/* The length of w's name in the arena. */
static size_t stored_len(const struct wtab *t, const struct watch *w)
{
	return w->namelen < IT_W_LONG ? w->namelen : strlen(name_of(t, w));
}

/* 1 if w's name ends with a '/' the arena leaves out, else 0. */
static size_t slash_of(const struct watch *w)
{
	return (w->flags & IT_W_SLASH) ? 1 : 0;
}

/* The length of w's name. */
static size_t name_len(const struct wtab *t, const struct watch *w)
{
	return stored_len(t, w) + slash_of(w);
}

/* Give w the name stored at off, len bytes, followed by '/' if slash. */
static void set_name(struct watch *w, int64_t off, size_t len, int slash)
{
	w->name = (uint32_t)off;
	w->namelen = (uint16_t)(len < IT_W_LONG ? len : IT_W_LONG);
	w->flags = slash ? w->flags | IT_W_SLASH : w->flags & ~IT_W_SLASH;
}

/* The hash of key (parent, s[0..n) followed by slash if set): a record's
 * place in the path index. */
static uint32_t path_hash(uint32_t parent, const char *s, size_t n, int slash)
{
	uint32_t h = it_hash(IT_HASH_INIT, s, n);

	return key_hash(slash ? it_hash(h, "/", 1) : h, parent);
}

static uint32_t rec_hash(const struct wtab *t, const struct watch *w)
{
	return path_hash(w->parent, name_of(t, w), stored_len(t, w),
			 slash_of(w) != 0);
}

/* The bytes a slab maps: its records, in whole pages. */
static size_t slab_size(void)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);

	return (SLAB * sizeof(struct watch) + page - 1) / page * page;
}

/*
 * Map a slab at a multiple of IT_WTAB_ALIGN, and nothing more: an aligned
 * malloc would take a page before it for its header, and a page is what
 * 170 records take.
 */
static struct watch *slab_map(void)
{
	size_t size = slab_size(), span = size + IT_WTAB_ALIGN;
	char *m = mmap(NULL, span, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *a;

	if (m == MAP_FAILED)
		return NULL;
	a = (char *)(((uintptr_t)m + IT_WTAB_ALIGN - 1) & ~(IT_WTAB_ALIGN - 1));
	if (a > m)
		munmap(m, (size_t)(a - m));
	munmap(a + size, (size_t)(m + span - (a + size)));
	return (struct watch *)a;
}

static void slab_unmap(struct watch *s)
{
	munmap(s, slab_size());
}

void it_wtab_init(struct wtab *t)
{
	memset(t, 0, sizeof(*t));
	t->next_seq = 1;
}

void it_wtab_free(struct wtab *t)
{
	for (uint32_t i = 1; i < t->next_ext; i++) {
		free(t->ext[i].counts);
		free(t->ext[i].path);
	}
	free(t->extmap.keys);
	free(t->extmap.vals);
	free(t->prev.keys);
	free(t->prev.vals);
	free(t->masks);
	for (size_t i = 0; i < t->nslabs; i++) {
		slab_unmap(t->slabs[i]);
		free(t->slabinfo[i].wds);
	}
	free(t->slabs);
	free(t->slabinfo);
	free(t->seqs);
	for (size_t i = 0; i < t->nwdpages; i++) {
		if (t->wdpages[i])
			free(t->wdpages[i]->rec);
		free(t->wdpages[i]);
	}
	free(t->wdpages);
	free(t->by_path);
	free(t->names);
	free(t->ext);
	free(t->scratch);
	it_wtab_init(t);
}

/* --- names ---------------------------------------------------------------*/

/* Copy the names still in use into a new arena of at least need bytes. */
static int names_compact(struct wtab *t, size_t need)
{
	size_t used = t->nameslen - t->namesgarbage, cap = 0, len = 0;
	char *p;

	if (!(p = it_grow(NULL, &cap, used + need, 1, 256)))
		return -1;
	for (uint32_t i = 1; i <= t->nrec; i++) {
		struct watch *w = it_wtab_rec(t, i);
		size_t n;

		if (!(w->flags & IT_W_USED))
			continue;
		n = name_size(stored_len(t, w));
		memcpy(p + len, t->names + w->name, n);
		w->name = (uint32_t)len;
		len += n;
	}
	free(t->names);
	t->names = p;
	t->namescap = cap;
	t->nameslen = len;
	t->namesgarbage = 0;
	return 0;
}

/* Store s (n bytes) in the arena; its offset, or -1. */
static int64_t name_put(struct wtab *t, const char *s, size_t n)
{
	/* (room: an empty name too needs an arena to point into) */
	size_t off, size = name_size(n), room = size ? size : 1;

	if (n >= UINT32_MAX / 2) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (t->nameslen + room > t->namescap) {
		if (t->namesgarbage > NAME_GC_MIN &&
		    t->namesgarbage * 2 > t->nameslen) {
			if (names_compact(t, room) < 0)
				return -1;
		} else {
			char *p;

			/* (offsets are 32 bits: an arena of at most 2 GiB) */
			if (t->nameslen + room > (size_t)1 << 31 ||
			    !(p = it_grow(t->names, &t->namescap,
					  t->nameslen + room, 1, 1024))) {
				errno = ENOMEM;
				return -1;
			}
			t->names = p;
		}
	}
	off = t->nameslen;
	memcpy(t->names + off, s, n);
	if (size > n)
		t->names[off + n] = '\0';
	t->nameslen += size;
	return (int64_t)off;
}

/* Store the name s (n bytes) but for a trailing '/', which *slash says
 * whether there was; its offset, or -1. */
static int64_t name_store(struct wtab *t, const char *s, size_t n, int *slash)
{
	*slash = n > 0 && s[n - 1] == '/';
	return name_put(t, s, n - (*slash ? 1 : 0));
}

static void name_drop(struct wtab *t, const struct watch *w)
{
	t->namesgarbage += name_size(stored_len(t, w));
}

/* --- maps --------------------------------------------------------------*/

static size_t map_home(const struct wtab_map *m, uint32_t key)
{
	return (key * 2654435761u) & (m->cap - 1);
}

/* The slot of key in m: where it is, or the empty one where it would go. */
static size_t map_slot(const struct wtab_map *m, uint32_t key)
{
	size_t i = map_home(m, key);

	while (m->keys[i] && m->keys[i] != key)
		i = (i + 1) & (m->cap - 1);
	return i;
}

static int map_put(struct wtab_map *m, uint32_t key, uint32_t val)
{
	size_t i;

	if ((m->n + 1) * 2 > m->cap) {
		struct wtab_map g = { .cap = m->cap ? m->cap * 2 : 64 };

		g.keys = calloc(g.cap, sizeof(*g.keys));
		g.vals = malloc(g.cap * sizeof(*g.vals));
		if (!g.keys || !g.vals) {
			free(g.keys);
			free(g.vals);
			return -1;
		}
		for (size_t k = 0; k < m->cap; k++)
			if (m->keys[k]) {
				i = map_slot(&g, m->keys[k]);
				g.keys[i] = m->keys[k];
				g.vals[i] = m->vals[k];
			}
		g.n = m->n;
		free(m->keys);
		free(m->vals);
		*m = g;
	}
	i = map_slot(m, key);
	m->keys[i] = key;
	m->vals[i] = val;
	m->n++;
	return 0;
}

/* Remove key, which m holds, moving back the entries that probed past it. */
static void map_del(struct wtab_map *m, uint32_t key)
{
	size_t hole = map_slot(m, key), mask = m->cap - 1;

	for (size_t i = (hole + 1) & mask; m->keys[i]; i = (i + 1) & mask) {
		size_t home = map_home(m, m->keys[i]);

		/* keep the entry if its home lies cyclically in (hole, i] */
		if (((i - home) & mask) < ((i - hole) & mask))
			continue;
		m->keys[hole] = m->keys[i];
		m->vals[hole] = m->vals[i];
		hole = i;
	}
	m->keys[hole] = 0;
	m->n--;
}

/* --- indexes -------------------------------------------------------------*/

static int grow(struct wtab *t)
{
	size_t n = t->nbuckets ? t->nbuckets * 2 : MIN_BUCKETS;
	uint32_t *path = calloc(n, sizeof(*path));

	if (!path)
		return -1;
	free(t->by_path);
	t->by_path = path;
	t->nbuckets = n;
	for (uint32_t i = 1; i <= t->nrec; i++) {
		struct watch *w = it_wtab_rec(t, i);
		size_t s;

		if (w->flags & IT_W_IN_PATH) {
			s = rec_hash(t, w) & (n - 1);
			w->next_path = path[s];
			path[s] = i;
		}
	}
	return 0;
}

/* The rank of the record at index i: how many record slots come before
 * it (the slot 0 of each slab is none). */
static int64_t rank_of(uint32_t i)
{
	return (int64_t)i - (i >> IT_WTAB_SHIFT) - 1;
}

/* The index of the record of rank r. */
static uint32_t at_rank(int64_t r)
{
	return (uint32_t)(r + r / (SLAB - 1) + 1);
}

/* The index of the record of the k'th wd of page p (0: none). */
static uint32_t page_get(const struct wtab_wdpage *p, size_t k)
{
	if (p->rec)
		return p->rec[k];
	return (p->used[k / 64] >> (k % 64) & 1) ? at_rank(p->base + (int64_t)k)
						 : 0;
}

/* Make the linear page p explicit. */
static int page_explicit(struct wtab_wdpage *p)
{
	uint32_t *rec = malloc(IT_WTAB_WDPAGE * sizeof(*rec));

	if (!rec)
		return -1;
	for (size_t k = 0; k < IT_WTAB_WDPAGE; k++)
		rec[k] = page_get(p, k);
	p->rec = rec;
	return 0;
}

struct watch *it_wtab_by_wd(const struct wtab *t, int wd)
{
	size_t pg = (size_t)wd / IT_WTAB_WDPAGE;

	if (wd < 0 || pg >= t->nwdpages || !t->wdpages[pg])
		return NULL;
	return it_wtab_at(t, page_get(t->wdpages[pg], wd % IT_WTAB_WDPAGE));
}

/* The page of wd (new ones linear, starting with rank r), or NULL. */
static struct wtab_wdpage *wd_page(struct wtab *t, int wd, int64_t r)
{
	size_t pg = (size_t)wd / IT_WTAB_WDPAGE, n = t->nwdpages;
	struct wtab_wdpage **v, *p;

	if (pg >= n) {
		if (!(v = it_grow(t->wdpages, &t->nwdpages, pg + 1, sizeof(*v),
				  16)))
			return NULL;
		memset(v + n, 0, (t->nwdpages - n) * sizeof(*v));
		t->wdpages = v;
	}
	if (!(p = t->wdpages[pg]) &&
	    (p = t->wdpages[pg] = calloc(1, sizeof(*p))))
		p->base = r - wd % IT_WTAB_WDPAGE;
	return p;
}

/* Enter w in the wd index; a record it held for w->wd leaves it. */
static int wd_index_add(struct wtab *t, struct watch *w)
{
	int wd = it_wtab_wd(t, w);
	size_t k = (size_t)wd % IT_WTAB_WDPAGE;
	int64_t r = rank_of(it_wtab_index(w));
	struct wtab_wdpage *p = wd_page(t, wd, r);
	uint32_t old;

	if (!p || (!p->rec && r != p->base + (int64_t)k && page_explicit(p)))
		return -1;
	if ((old = page_get(p, k))) {
		it_wtab_rec(t, old)->flags &= ~IT_W_IN_WD;
		t->nall--;
	} else {
		p->n++;
	}
	if (p->rec)
		p->rec[k] = it_wtab_index(w);
	else
		p->used[k / 64] |= (uint64_t)1 << (k % 64);
	w->flags |= IT_W_IN_WD;
	t->nall++;
	return 0;
}

static void wd_index_del(struct wtab *t, struct watch *w)
{
	int wd = it_wtab_wd(t, w);
	size_t pg = (size_t)wd / IT_WTAB_WDPAGE,
	       k = (size_t)wd % IT_WTAB_WDPAGE;
	struct wtab_wdpage *p = t->wdpages[pg];

	w->flags &= ~IT_W_IN_WD;
	t->nall--;
	if (p->rec)
		p->rec[k] = 0;
	else
		p->used[k / 64] &= ~((uint64_t)1 << (k % 64));
	if (!--p->n) {
		free(p->rec);
		free(p);
		t->wdpages[pg] = NULL;
	}
}

/* Live record of key (parent, s[0..n) followed by slash if set). */
static struct watch *find_key(const struct wtab *t, uint32_t parent,
			      const char *s, size_t n, int slash)
{
	/* the key without one trailing '/', as records store it */
	unsigned sl = slash || (n && s[n - 1] == '/') ? IT_W_SLASH : 0;
	size_t core = slash || !sl ? n : n - 1;
	uint32_t h;

	if (!t->nbuckets)
		return NULL;
	h = path_hash(parent, s, n, slash);
	for (uint32_t i = t->by_path[h & (t->nbuckets - 1)]; i;) {
		struct watch *w = it_wtab_rec(t, i);

		if (w->parent == parent && (w->flags & IT_W_SLASH) == sl &&
		    (core < IT_W_LONG ? w->namelen == core
				      : stored_len(t, w) == core) &&
		    !memcmp(name_of(t, w), s, core))
			return w;
		i = w->next_path;
	}
	return NULL;
}

struct watch *it_wtab_child(const struct wtab *t, const struct watch *w,
			    const char *name, size_t len)
{
	return find_key(t, it_wtab_index(w), name, len, 1);
}

void it_wtab_prefetch_child(const struct wtab *t, const struct watch *w,
			    const char *name, size_t len)
{
	if (t->nbuckets)
		__builtin_prefetch(
			&t->by_path[path_hash(it_wtab_index(w), name, len, 1) &
				    (t->nbuckets - 1)]);
}

struct watch *it_wtab_by_path(const struct wtab *t, const char *path,
			      size_t len)
{
	struct watch *w = find_key(t, 0, path, len, 0);
	size_t i;

	if (w || len < 2 || path[len - 1] != '/' || path[len - 2] == '/')
		return w;
	/* "<parent's path><name>/" */
	for (i = len - 1; i > 0 && path[i - 1] != '/'; i--)
		;
	if (i == 0 || !(w = it_wtab_by_path(t, path, i)))
		return NULL;
	return find_key(t, it_wtab_index(w), path + i, len - i, 0);
}

static void path_index_add(struct wtab *t, struct watch *w)
{
	size_t slot = rec_hash(t, w) & (t->nbuckets - 1);

	w->next_path = t->by_path[slot];
	t->by_path[slot] = it_wtab_index(w);
	w->flags |= IT_W_IN_PATH;
}

static void path_index_del(struct wtab *t, struct watch *w)
{
	uint32_t *pp;

	if (!(w->flags & IT_W_IN_PATH))
		return;
	pp = &t->by_path[rec_hash(t, w) & (t->nbuckets - 1)];
	while (*pp && *pp != it_wtab_index(w))
		pp = &it_wtab_rec(t, *pp)->next_path;
	if (*pp)
		*pp = w->next_path;
	w->next_path = 0;
	w->flags &= ~IT_W_IN_PATH;
}

/* --- tree ----------------------------------------------------------------*/

/*
 * The children of a record are a ring through their next fields, and its
 * child field names the last of them, so that the first is the last's
 * next: a child is appended in O(1), in the order the children came. A
 * child leaving the ring needs the one before it, found by walking round
 * from the last; a walk of more than RING_WALK steps puts the whole family
 * in t->prev (record -> the child before it), which its links and unlinks
 * keep from then on, in O(1). A family is there when its last child is.
 * Without memory for that, the family walks again: slower, never wrong.
 */
#define RING_WALK 32

/* The entry of i in t->prev (the child before it), or NULL. */
static uint32_t *prev_of(const struct wtab *t, uint32_t i)
{
	size_t s;

	if (!t->prev.n || t->prev.keys[s = map_slot(&t->prev, i)] != i)
		return NULL;
	return &t->prev.vals[s];
}

/* Set the entry of i, which the map may hold already, to before. */
static int prev_set(struct wtab *t, uint32_t i, uint32_t before)
{
	uint32_t *v = prev_of(t, i);

	if (v) {
		*v = before;
		return 0;
	}
	return map_put(&t->prev, i, before);
}

/* Drop the entry of i if the map has one; free the map once empty. */
static void prev_drop(struct wtab *t, uint32_t i)
{
	if (!prev_of(t, i))
		return;
	map_del(&t->prev, i);
	if (!t->prev.n) {
		free(t->prev.keys);
		free(t->prev.vals);
		memset(&t->prev, 0, sizeof(t->prev));
	}
}

/* Take the family of p out of t->prev. */
static void family_forget(struct wtab *t, struct watch *p)
{
	uint32_t i = p->child;

	do {
		prev_drop(t, i);
		i = it_wtab_rec(t, i)->next;
	} while (i != p->child);
}

/* Put the family of p in t->prev. */
static void family_remember(struct wtab *t, struct watch *p)
{
	uint32_t i = p->child, next;

	do {
		next = it_wtab_rec(t, i)->next;
		if (prev_set(t, next, i) < 0) {
			family_forget(t, p);
			return;
		}
		i = next;
	} while (i != p->child);
}

/* The child of p before its child i (a ring of more than one). */
static uint32_t ring_before(struct wtab *t, struct watch *p, uint32_t i)
{
	const uint32_t *v = prev_of(t, i);
	uint32_t j = p->child;
	size_t steps = 0;

	if (v)
		return *v;
	while (it_wtab_rec(t, j)->next != i) {
		j = it_wtab_rec(t, j)->next;
		steps++;
	}
	t->ring_steps += steps;
	if (steps > RING_WALK)
		family_remember(t, p);
	return j;
}

static void tree_unlink(struct wtab *t, struct watch *w)
{
	struct watch *p = it_wtab_at(t, w->parent);
	uint32_t i = it_wtab_index(w), before;

	if (!p)
		return;
	if (w->next == i) {
		p->child = 0;
	} else {
		before = ring_before(t, p, i);
		it_wtab_rec(t, before)->next = w->next;
		if (p->child == i)
			p->child = before;
		/* (the next is there too: its entry changes in place) */
		if (prev_of(t, i))
			prev_set(t, w->next, before);
	}
	prev_drop(t, i);
	w->parent = w->next = 0;
}

/* Append w to parent's children, keeping the order in which they came. */
static void tree_link(struct wtab *t, struct watch *w, struct watch *parent)
{
	uint32_t i = it_wtab_index(w), last = parent->child;
	struct watch *l;

	w->parent = it_wtab_index(parent);
	parent->child = i;
	if (!last) {
		w->next = i;
		return;
	}
	l = it_wtab_rec(t, last);
	w->next = l->next;
	l->next = i;
	if (prev_of(t, last) &&
	    (prev_set(t, i, last) < 0 || prev_set(t, w->next, i) < 0))
		family_forget(t, parent);
}

/* --- paths ---------------------------------------------------------------*/

const char *it_wtab_path(struct wtab *t, const struct watch *w, size_t *len)
{
	size_t n = 0;
	char *p;

	if (w == t->scratch_w && t->gen == t->scratch_gen) {
		*len = t->scratchlen;
		return t->scratch;
	}
	for (const struct watch *x = w; x; x = it_wtab_at(t, x->parent))
		n += name_len(t, x);
	if (!(p = it_grow(t->scratch, &t->scratchcap, n + 1, 1, 256))) {
		*len = 0;
		return "";
	}
	t->scratch = p;
	t->scratch[n] = '\0';
	t->scratchlen = n;
	for (const struct watch *x = w; x; x = it_wtab_at(t, x->parent)) {
		size_t k = stored_len(t, x);

		n -= k + slash_of(x);
		memcpy(t->scratch + n, name_of(t, x), k);
		if (slash_of(x))
			t->scratch[n + k] = '/';
	}
	t->scratch_w = w;
	t->scratch_gen = t->gen;
	*len = t->scratchlen;
	return t->scratch;
}

/* Make w's name its full path, before it leaves the tree. */
static void freeze(struct wtab *t, struct watch *w)
{
	size_t len;
	const char *p;
	int64_t off;
	int slash;

	if (!w->parent)
		return;
	p = it_wtab_path(t, w, &len);
	if ((off = name_store(t, p, len, &slash)) < 0)
		return;
	name_drop(t, w);
	set_name(w, off, len - (size_t)slash, slash);
}

/* --- extensions ----------------------------------------------------------*/

static struct watch_ext *ext_of(struct wtab *t, struct watch *w, int create)
{
	struct watch_ext *e;
	uint32_t i;

	if (w->flags & IT_W_EXT)
		return &t->ext[t->extmap.vals[map_slot(&t->extmap,
						       it_wtab_index(w))]];
	if (!create)
		return NULL;
	if (t->extfree) {
		i = t->extfree;
		t->extfree = t->ext[i].next_free;
	} else {
		i = t->next_ext ? t->next_ext : 1;
		if (!(e = it_grow(t->ext, &t->extcap, (size_t)i + 1, sizeof(*e),
				  64)))
			return NULL;
		t->ext = e;
		t->next_ext = i + 1;
	}
	if (map_put(&t->extmap, it_wtab_index(w), i) < 0) {
		t->ext[i].next_free = t->extfree;
		t->extfree = i;
		return NULL;
	}
	t->ext[i].counts = NULL;
	t->ext[i].path = NULL;
	w->flags |= IT_W_EXT;
	return &t->ext[i];
}

static void ext_release(struct wtab *t, struct watch *w)
{
	struct watch_ext *e = ext_of(t, w, 0);

	if (!e || e->counts || e->path || w->maskid == IT_W_MASK_EXT)
		return;
	e->next_free = t->extfree;
	t->extfree = (uint32_t)(e - t->ext);
	map_del(&t->extmap, it_wtab_index(w));
	w->flags &= ~IT_W_EXT;
}

static void uncache(struct watch *w, void *arg)
{
	struct wtab *t = arg;
	struct watch_ext *e = ext_of(t, w, 0);

	if (e && e->path) {
		free(e->path);
		e->path = NULL;
		t->ncached--;
		ext_release(t, w);
	}
}

const char *it_wtab_stable_path(struct wtab *t, struct watch *w)
{
	struct watch_ext *e = ext_of(t, w, 1);
	const char *p;
	size_t len;

	if (!e)
		return "";
	if (!e->path) {
		p = it_wtab_path(t, w, &len);
		if (!(e->path = malloc(len + 1))) {
			ext_release(t, w);
			return "";
		}
		memcpy(e->path, p, len + 1);
		t->ncached++;
	}
	return e->path;
}

unsigned *it_wtab_counts(struct wtab *t, struct watch *w, int create)
{
	struct watch_ext *e = ext_of(t, w, create);

	if (!e)
		return NULL;
	if (!e->counts && create &&
	    !(e->counts = calloc(IT_NSTATS, sizeof(*e->counts))))
		ext_release(t, w);
	return e->counts;
}

void it_wtab_drop_counts(struct wtab *t, struct watch *w)
{
	struct watch_ext *e = ext_of(t, w, 0);

	if (e && e->counts) {
		free(e->counts);
		e->counts = NULL;
		ext_release(t, w);
	}
}

/* --- masks ---------------------------------------------------------------*/

uint32_t it_wtab_mask(const struct wtab *t, const struct watch *w)
{
	if (w->maskid == IT_W_MASK_EXT)
		return t->ext[t->extmap.vals[map_slot(&t->extmap,
						      it_wtab_index(w))]]
			.mask;
	return w->maskid ? t->masks[w->maskid] : 0;
}

/* The id of mask in the table, added if new; IT_W_MASK_EXT if full. */
static uint32_t mask_id(struct wtab *t, uint32_t mask)
{
	uint32_t *p;

	if (!mask)
		return 0;
	if (t->lastmaskid && t->masks[t->lastmaskid] == mask)
		return t->lastmaskid;
	for (uint32_t i = 1; i < t->nmasks; i++)
		if (t->masks[i] == mask)
			return t->lastmaskid = i;
	if (t->nmasks >= IT_W_MASK_EXT ||
	    !(p = it_grow(t->masks, &t->maskscap, t->nmasks ? t->nmasks + 1 : 2,
			  sizeof(*p), 16)))
		return IT_W_MASK_EXT;
	t->masks = p;
	if (!t->nmasks)
		t->masks[t->nmasks++] = 0;
	t->masks[t->nmasks] = mask;
	return t->lastmaskid = (uint32_t)t->nmasks++;
}

int it_wtab_set_mask(struct wtab *t, struct watch *w, uint32_t mask)
{
	uint32_t id = mask_id(t, mask);
	struct watch_ext *e;

	if (id == IT_W_MASK_EXT) {
		if (!(e = ext_of(t, w, 1))) {
			errno = ENOMEM;
			return -1;
		}
		e->mask = mask;
	}
	w->maskid = id & IT_W_MASK_EXT;
	if (id != IT_W_MASK_EXT)
		ext_release(t, w);
	return 0;
}

/* --- records -------------------------------------------------------------*/

/* Make room for the record at index i, which starts a new slab. */
static int new_slab(struct wtab *t)
{
	struct watch **s = realloc(t->slabs, (t->nslabs + 1) * sizeof(*s));
	struct wtab_slab *si;
	struct watch *p;

	if (!s)
		return -1;
	t->slabs = s;
	if (!(si = realloc(t->slabinfo, (t->nslabs + 1) * sizeof(*si))))
		return -1;
	t->slabinfo = si;
	memset(&si[t->nslabs], 0, sizeof(*si));
	if (!(p = slab_map()))
		return -1;
	s[t->nslabs] = p; /* (zeroed) */
	p->name = (uint32_t)t->nslabs;
	t->nslabs++;
	return 0;
}

static struct watch *new_record(struct wtab *t)
{
	uint32_t i;
	struct watch *w;

	if (t->free) {
		i = t->free;
		t->free = it_wtab_rec(t, i)->next_path;
	} else {
		if (t->nrec >= UINT32_MAX - 2)
			return NULL;
		i = t->nrec + 1;
		if ((i & (SLAB - 1)) == 0)
			i++; /* the slot 0 of a slab */
		if ((i >> IT_WTAB_SHIFT) >= t->nslabs && new_slab(t) < 0)
			return NULL;
		t->nrec = i;
	}
	w = it_wtab_rec(t, i);
	memset(w, 0, sizeof(*w));
	w->flags = IT_W_USED;
	return w;
}

static void free_record(struct wtab *t, struct watch *w)
{
	t->gen++;
	w->flags = 0;
	w->next_path = t->free;
	t->free = it_wtab_index(w);
}

/* Give the record w the wd wd; -1 without memory. */
static int set_wd(struct wtab *t, struct watch *w, int wd)
{
	uint32_t i = it_wtab_index(w), slot = i & (SLAB - 1);
	struct wtab_slab *s = &t->slabinfo[i >> IT_WTAB_SHIFT];
	const struct watch *slab = t->slabs[i >> IT_WTAB_SHIFT];

	if (!s->wds && !s->has_wd0) {
		s->wd0 = (int64_t)wd - slot;
		s->has_wd0 = 1;
	}
	if (!s->wds && s->wd0 + slot != wd) {
		if (!(s->wds = malloc(SLAB * sizeof(*s->wds))))
			return -1;
		/* (slot 0 is no record: its flags are 0) */
		for (uint32_t k = 0; k < SLAB; k++)
			s->wds[k] = (slab[k].flags & IT_W_USED) && k != slot
					    ? (int)(s->wd0 + k)
					    : -1;
	}
	if (s->wds)
		s->wds[slot] = wd;
	if (wd > t->max_wd)
		t->max_wd = wd;
	return 0;
}

/* Give w the next sequence number, if t keeps them; -1 without memory. */
static int set_seq(struct wtab *t, struct watch *w)
{
	size_t i = it_wtab_index(w);
	uint32_t *p;

	if (t->no_seq)
		return 0;
	if (i >= t->seqcap) {
		if (!(p = it_grow(t->seqs, &t->seqcap, i + 1, sizeof(*p),
				  SLAB)))
			return -1;
		t->seqs = p;
	}
	t->seqs[i] = (uint32_t)t->next_seq++;
	return 0;
}

static struct watch *add(struct wtab *t, int wd, const char *name, size_t n,
			 int slash, unsigned flags, struct watch *parent)
{
	struct watch *w;
	int64_t off;
	int sl = 1;

	if (wd < 0) {
		errno = EINVAL;
		return NULL;
	}
	if ((t->nall >= LOAD * t->nbuckets && grow(t) < 0) ||
	    !(w = new_record(t))) {
		errno = ENOMEM;
		return NULL;
	}
	/* with slash, name is all stored, and the '/' left out */
	if ((off = slash ? name_put(t, name, n) : name_store(t, name, n, &sl)) <
	    0) {
		free_record(t, w);
		errno = ENOMEM;
		return NULL;
	}
	set_name(w, off, slash ? n : n - (size_t)sl, sl);
	if (set_seq(t, w) < 0 || set_wd(t, w, wd) < 0 ||
	    wd_index_add(t, w) < 0) {
		name_drop(t, w);
		free_record(t, w);
		errno = ENOMEM;
		return NULL;
	}
	w->flags |= flags & ~(IT_W_USED | IT_W_IN_WD | IT_W_IN_PATH | IT_W_EXT |
			      IT_W_SLASH);
	if (parent)
		tree_link(t, w, parent);
	path_index_add(t, w);
	t->nlive++;
	return w;
}

/* Where the last component of path starts (trailing '/' belong to it). */
static size_t last_component(const char *path, size_t len)
{
	size_t end = len;

	while (end > 1 && path[end - 1] == '/')
		end--;
	while (end > 0 && path[end - 1] != '/')
		end--;
	return end;
}

struct watch *it_wtab_add(struct wtab *t, int wd, const char *path, size_t len,
			  unsigned flags, struct watch *parent)
{
	size_t off = parent ? last_component(path, len) : 0;

	return add(t, wd, path + off, len - off, 0, flags, parent);
}

struct watch *it_wtab_add_child(struct wtab *t, int wd, const char *name,
				size_t len, struct watch *parent)
{
	return add(t, wd, name, len, 1, IT_W_DIR, parent);
}

/* --- sequence numbers ----------------------------------------------------*/

void it_wtab_number_later(struct wtab *t)
{
	free(t->seqs);
	t->seqs = NULL;
	t->seqcap = 0;
	t->no_seq = 1;
	t->seq_lazy = 1;
	t->lazy_wd = t->max_wd;
}

static void number_one(struct watch *w, void *arg)
{
	struct wtab *t = arg;

	if (it_wtab_wd(t, w) <= t->lazy_wd)
		t->seqs[it_wtab_index(w)] = (uint32_t)t->next_seq++;
}

static const struct wtab *by_wd_tab; /* for by_wd() */

static int by_wd(const void *a, const void *b)
{
	int x = it_wtab_wd(by_wd_tab, *(struct watch *const *)a);
	int y = it_wtab_wd(by_wd_tab, *(struct watch *const *)b);

	return x < y ? -1 : x > y;
}

int it_wtab_number(struct wtab *t)
{
	struct watch **roots, *w;
	size_t n = 0;
	uint32_t i = 0;
	unsigned long base;

	if (!t->seq_lazy)
		return 0;
	t->seq_lazy = 0;
	t->next_seq = 1;
	roots = malloc((t->nlive + 1) * sizeof(*roots));
	t->seqcap = (size_t)t->nrec + 1;
	if (!roots || !(t->seqs = calloc(t->seqcap, sizeof(*t->seqs)))) {
		/* ties stay in the order of the records' slots */
		free(roots);
		t->seqcap = 0;
		return -1;
	}
	t->no_seq = 0;
	while ((w = it_wtab_live(t, &i)))
		if (!w->parent)
			roots[n++] = w;
	by_wd_tab = t;
	qsort(roots, n, sizeof(*roots), by_wd);
	for (size_t k = 0; k < n; k++)
		it_wtab_postorder(t, roots[k], number_one, t);
	free(roots);
	/* the records made since, and those out of the tree, after them */
	base = t->next_seq;
	for (i = 1; i <= t->nrec; i++) {
		int wd;

		w = it_wtab_rec(t, i);
		if ((w->flags & IT_W_USED) &&
		    (wd = it_wtab_wd(t, w)) > t->lazy_wd)
			t->seqs[i] =
				(uint32_t)(base + (unsigned)(wd - t->lazy_wd));
		else if ((w->flags & IT_W_USED) && !t->seqs[i])
			t->seqs[i] = (uint32_t)base;
	}
	t->next_seq = base + (unsigned)(t->max_wd - t->lazy_wd) + 1;
	return 0;
}

void it_wtab_orphan(struct wtab *t, struct watch *w)
{
	struct watch *c;

	if (w->child)
		it_wtab_number(t);
	t->gen++;
	while ((c = it_wtab_first_child(t, w))) {
		path_index_del(t, c);
		freeze(t, c);
		tree_unlink(t, c);
		path_index_add(t, c);
	}
}

void it_wtab_kill(struct wtab *t, struct watch *w)
{
	if (w->flags & IT_W_DEAD)
		return;
	it_wtab_number(t);
	t->gen++;
	path_index_del(t, w);
	it_wtab_orphan(t, w);
	freeze(t, w);
	tree_unlink(t, w);
	w->flags |= IT_W_DEAD;
	t->nlive--;
}

void it_wtab_detach(struct wtab *t, struct watch *w)
{
	it_wtab_kill(t, w);
	if (w->flags & IT_W_IN_WD)
		wd_index_del(t, w);
}

unsigned it_wtab_depth(const struct wtab *t, const struct watch *w)
{
	unsigned d = 0;

	while ((w = it_wtab_at(t, w->parent)))
		d++;
	return d;
}

void it_wtab_retire(struct wtab *t, struct watch *w)
{
	it_wtab_detach(t, w);
	w->flags |= IT_W_RETIRED;
	w->next_path = t->retired;
	t->retired = it_wtab_index(w);
	t->nretired++;
}

void it_wtab_free_watch(struct wtab *t, struct watch *w)
{
	struct watch_ext *e;

	it_wtab_detach(t, w);
	if ((e = ext_of(t, w, 0))) {
		if (e->path)
			t->ncached--;
		free(e->path);
		free(e->counts);
		e->path = NULL;
		e->counts = NULL;
		w->maskid = 0;
		ext_release(t, w);
	}
	name_drop(t, w);
	free_record(t, w);
}

int it_wtab_rename(struct wtab *t, struct watch *w, struct watch *newparent,
		   const char *newname, size_t newlen)
{
	int64_t off;
	int slash;

	if (w->flags & IT_W_DEAD)
		return 0;
	if (newparent != it_wtab_at(t, w->parent))
		it_wtab_number(t);
	if ((off = name_store(t, newname, newlen, &slash)) < 0)
		return -1;
	t->gen++;
	if (t->ncached)
		it_wtab_postorder(t, w, uncache, t);
	path_index_del(t, w);
	if (newparent != it_wtab_at(t, w->parent)) {
		tree_unlink(t, w);
		if (newparent)
			tree_link(t, w, newparent);
	}
	name_drop(t, w);
	set_name(w, off, newlen - (size_t)slash, slash);
	path_index_add(t, w);
	return 0;
}

int it_wtab_within(const struct wtab *t, const struct watch *w,
		   const struct watch *a)
{
	for (; w; w = it_wtab_at(t, w->parent))
		if (w == a)
			return 1;
	return 0;
}

void it_wtab_postorder(struct wtab *t, struct watch *w,
		       void (*fn)(struct watch *, void *), void *arg)
{
	struct watch *c = it_wtab_first_child(t, w), *next;

	for (; c; c = next) {
		next = it_wtab_next_child(t, w, c);
		it_wtab_postorder(t, c, fn, arg);
	}
	fn(w, arg);
}

void it_wtab_list(const struct wtab *t, struct watch **out)
{
	size_t n = 0;

	for (uint32_t i = 1; i <= t->nrec; i++) {
		struct watch *w = it_wtab_rec(t, i);

		if (w->flags & IT_W_IN_PATH)
			out[n++] = w;
	}
}

struct watch *it_wtab_live(const struct wtab *t, uint32_t *i)
{
	while (*i < t->nrec) {
		struct watch *w = it_wtab_rec(t, ++*i);

		if (w->flags & IT_W_IN_PATH)
			return w;
	}
	return NULL;
}

void it_wtab_release(struct wtab *t, struct watch *w, int keep_counted)
{
	if (keep_counted && it_wtab_counts(t, w, 0))
		it_wtab_retire(t, w);
	else
		it_wtab_free_watch(t, w);
}

const char *it_wtab_event_dir(struct wtab *t, const struct inotify_event *ev,
			      size_t *len)
{
	const struct watch *w = it_wtab_by_wd(t, ev->wd);

	if (!w) {
		*len = 0;
		return "";
	}
	return it_wtab_path(t, w, len);
}

void it_wtab_list_retired(const struct wtab *t, struct watch **out)
{
	size_t n = 0;

	for (uint32_t i = t->retired; i; i = it_wtab_rec(t, i)->next_path)
		out[n++] = it_wtab_rec(t, i);
}
