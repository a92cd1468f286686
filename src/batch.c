/* batch.c: coalescing events into one record per path for --batch, and
 * pairing renames for %F.  Owns its memory; knows nothing of watches,
 * formats or time: the caller decides when a batch ends and prints it. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>

#include "batch.h"

#define NONE UINT32_MAX

/* What appears a path (CREATE, MOVED_TO) and what takes it away. */
#define APPEARS (IN_CREATE | IN_MOVED_TO)
#define LEAVES (IN_DELETE | IN_MOVED_FROM | IN_DELETE_SELF | IN_MOVE_SELF)

struct batch_entry {
	uint32_t mask, cookie;
	uint32_t off, len, wlen;   /* in the arena, below 4 GiB */
	uint32_t fromoff, fromlen; /* fromoff NONE: no old path */
	unsigned born : 1;	   /* its first event made it appear */
	unsigned alive : 1;	   /* it exists after its last event */
	unsigned gone : 1;	   /* merged into a rename record */
	unsigned overflow : 1;	   /* a Q_OVERFLOW record */
};

/* The hash of entry i's path and the next entry of its chain. */
struct batch_link {
	uint32_t hash, next;
};

/* Make room for need elements of size bytes in *p (cap of them now),
 * doubling; -1 with errno ENOMEM. */
static int grow(void *p, size_t *cap, size_t need, size_t size)
{
	size_t n = *cap ? *cap : 16;
	void *q;

	if (need <= *cap)
		return 0;
	while (n < need)
		n *= 2;
	if (n > SIZE_MAX / size || !(q = realloc(*(void **)p, n * size))) {
		errno = ENOMEM;
		return -1;
	}
	*(void **)p = q;
	*cap = n;
	return 0;
}

/* FNV-1a of the n bytes of s. */
static uint32_t hash(const char *s, size_t n)
{
	uint32_t h = 2166136261u;

	while (n--)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

int renames_note(struct renames *r, uint32_t cookie, const char *w, size_t wlen,
		 const char *f, size_t flen)
{
	struct rename_slot *s = &r->slot[r->next];
	char *p = malloc(wlen + flen + 1);

	if (!p)
		return -1;
	r->next = (r->next + 1) % RENAMES;
	free(s->path);
	memcpy(p, w, wlen);
	memcpy(p + wlen, f, flen);
	p[wlen + flen] = '\0';
	*s = (struct rename_slot){
		.cookie = cookie, .path = p, .len = wlen + flen, .entry = NONE
	};
	return 0;
}

struct rename_slot *renames_find(struct renames *r, uint32_t cookie)
{
	for (size_t i = 0; cookie && i < RENAMES; i++)
		if (r->slot[i].cookie == cookie)
			return &r->slot[i];
	return NULL;
}

void renames_free(struct renames *r)
{
	for (size_t i = 0; i < RENAMES; i++)
		free(r->slot[i].path);
	memset(r, 0, sizeof(*r));
}

void batch_init(struct batch *b, int rename_records, int keep_transient)
{
	memset(b, 0, sizeof(*b));
	b->rename_records = rename_records;
	b->keep_transient = keep_transient;
}

void batch_free(struct batch *b)
{
	free(b->e);
	free(b->link);
	free(b->head);
	free(b->arena);
	free(b->lastw);
	renames_free(&b->renames);
	memset(b, 0, sizeof(*b));
}

/* Append a + c to the arena; their offset in *off, or -1 (out of memory,
 * or 4 GiB of paths: the entries keep 32-bit offsets). */
static int put(struct batch *b, const char *a, size_t alen, const char *c,
	       size_t clen, size_t *off)
{
	if (b->alen + alen + clen + 1 >= NONE) {
		errno = ENOMEM;
		return -1;
	}
	if (grow(&b->arena, &b->acap, b->alen + alen + clen + 1, 1) < 0)
		return -1;
	*off = b->alen;
	memcpy(b->arena + b->alen, a, alen);
	memcpy(b->arena + b->alen + alen, c, clen);
	b->alen += alen + clen;
	b->arena[b->alen++] = '\0';
	return 0;
}

static void link_entry(struct batch *b, uint32_t i)
{
	uint32_t *h = &b->head[b->link[i].hash & (b->nhead - 1)];

	b->link[i].next = *h;
	*h = i;
}

static void unlink_entry(struct batch *b, uint32_t i)
{
	uint32_t *p = &b->head[b->link[i].hash & (b->nhead - 1)];

	while (*p != i)
		p = &b->link[*p].next;
	*p = b->link[i].next;
}

/* Twice as many chains once there are more entries than chains. */
static int rehash(struct batch *b)
{
	size_t n = b->nhead ? b->nhead * 2 : 64;
	uint32_t *h = malloc(n * sizeof(*h));

	if (!h)
		return -1;
	free(b->head);
	b->head = h;
	b->nhead = n;
	memset(h, 0xff, n * sizeof(*h));
	for (uint32_t i = 0; i < b->n; i++)
		if (!b->e[i].gone && !b->e[i].overflow)
			link_entry(b, i);
	return 0;
}

/* The entry of the path w + f, or NONE. */
static uint32_t lookup(const struct batch *b, const char *w, size_t wlen,
		       const char *f, size_t flen, uint32_t h)
{
	uint32_t i = b->nhead ? b->head[h & (b->nhead - 1)] : NONE;

	for (; i != NONE; i = b->link[i].next) {
		const char *p;

		if (b->link[i].hash != h || b->e[i].len != wlen + flen)
			continue;
		p = b->arena + b->e[i].off;
		if (!memcmp(p, w, wlen) && !memcmp(p + wlen, f, flen))
			break;
	}
	return i;
}

/* Room for one more entry and its link. */
static int grow_entries(struct batch *b)
{
	if (grow(&b->e, &b->cap, b->n + 1, sizeof(*b->e)) < 0 ||
	    grow(&b->link, &b->lcap, b->n + 1, sizeof(*b->link)) < 0)
		return -1;
	return 0;
}

/* A new entry for w + f (not in the chains when overflow); NONE if out of
 * memory. */
static uint32_t add_entry(struct batch *b, const char *w, size_t wlen,
			  const char *f, size_t flen, uint32_t h, int overflow)
{
	struct batch_entry *e;
	size_t off;

	if (b->n >= NONE - 1 || (b->n >= b->nhead && rehash(b) < 0) ||
	    grow_entries(b) < 0 || put(b, w, wlen, f, flen, &off) < 0)
		return NONE;
	e = &b->e[b->n];
	*e = (struct batch_entry){ .off = (uint32_t)off,
				   .len = (uint32_t)(wlen + flen),
				   .wlen = (uint32_t)wlen,
				   .fromoff = NONE,
				   .overflow = overflow };
	b->link[b->n].hash = h;
	if (!overflow)
		link_entry(b, (uint32_t)b->n);
	b->live++;
	return (uint32_t)b->n++;
}

/* The hash of w, kept from the last call: the events of a batch mostly
 * come from few directories. */
static uint32_t hash_dir(struct batch *b, const char *w, size_t wlen)
{
	uint32_t h;

	if (b->lastw && wlen == b->lastwlen && !memcmp(w, b->lastw, wlen))
		return b->lastwhash;
	h = hash(w, wlen);
	if (grow(&b->lastw, &b->lastwcap, wlen + 1, 1) == 0) {
		memcpy(b->lastw, w, wlen);
		b->lastwlen = wlen;
		b->lastwhash = h;
	}
	return h;
}

/* The entry of w + f, made if new; NONE if out of memory. */
static uint32_t entry_of(struct batch *b, const char *w, size_t wlen,
			 const char *f, size_t flen)
{
	uint32_t h = hash_dir(b, w, wlen);
	uint32_t i;

	for (size_t k = 0; k < flen; k++) /* continue over f */
		h = (h ^ (unsigned char)f[k]) * 16777619u;
	if ((i = lookup(b, w, wlen, f, flen, h)) != NONE)
		return i;
	return add_entry(b, w, wlen, f, flen, h, 0);
}

/* Entry later (now at the path of entry keep) merges into keep: later
 * holds the newer state of the path. */
static void merge(struct batch *b, uint32_t keep, uint32_t later)
{
	struct batch_entry *k = &b->e[keep], *l = &b->e[later];

	k->mask |= l->mask;
	k->born = k->born && l->born;
	k->alive = l->alive;
	if (l->fromoff != NONE) {
		k->fromoff = l->fromoff;
		k->fromlen = l->fromlen;
	}
	l->gone = 1;
	b->live--;
}

/* Entry i now has the path at off (len bytes, its %w part wlen): re-keyed,
 * and merged with an entry that had that path already (the earlier one of
 * the two stays in place). */
static void rekey(struct batch *b, uint32_t i, size_t off, size_t len,
		  size_t wlen)
{
	struct batch_entry *e = &b->e[i];
	const char *p = b->arena + off;
	uint32_t h = hash(p, len), j;

	unlink_entry(b, i);
	j = lookup(b, p, wlen, p + wlen, len - wlen, h);
	e->off = (uint32_t)off;
	e->len = (uint32_t)len;
	e->wlen = (uint32_t)wlen;
	b->link[i].hash = h;
	if (j == NONE) {
		link_entry(b, i);
	} else if (j < i) {
		merge(b, j, i);
	} else {
		b->e[j].alive = e->alive; /* i's state is the newer one */
		merge(b, i, j);
		e->alive = b->e[j].alive;
		unlink_entry(b, j);
		link_entry(b, i);
	}
}

/* Entries below the directory renamed from the entry src to dst carry its
 * new path (rename records only). */
static int rewrite_below(struct batch *b, uint32_t src, uint32_t dst)
{
	size_t olen = b->e[src].len, nlen = b->e[dst].len;

	for (uint32_t i = 0; i < b->n; i++) {
		struct batch_entry *e = &b->e[i];
		size_t off;

		if (e->gone || e->overflow || e->len <= olen ||
		    b->arena[e->off + olen] != '/' ||
		    memcmp(b->arena + e->off, b->arena + b->e[src].off, olen))
			continue;
		/* room first: put() may move the arena */
		if (grow(&b->arena, &b->acap, b->alen + nlen + e->len + 1, 1) <
			    0 ||
		    put(b, b->arena + b->e[dst].off, nlen,
			b->arena + e->off + olen, e->len - olen, &off) < 0)
			return -1;
		rekey(b, i, off, e->len - olen + nlen,
		      e->wlen >= olen ? e->wlen - olen + nlen : e->wlen);
	}
	return 0;
}

/* The MOVED_TO (mask) on entry i, its first event in the batch if first,
 * completes the rename of slot s. */
static int paired(struct batch *b, uint32_t i, struct rename_slot *s,
		  uint32_t mask, int first)
{
	struct batch_entry *e = &b->e[i];
	uint32_t src = s->entry;
	size_t off;

	s->cookie = 0;
	if (s->born)
		return 0; /* it never existed outside this batch: a creation */
	if (src != NONE && b->e[src].fromoff != NONE) {
		e->fromoff = b->e[src].fromoff; /* a chain of renames */
		e->fromlen = b->e[src].fromlen;
	} else if (put(b, s->path, s->len, "", 0, &off) < 0) {
		return -1;
	} else {
		e->fromoff = (uint32_t)off;
		e->fromlen = (uint32_t)s->len;
	}
	if (!b->rename_records || src == NONE || b->e[src].gone)
		return 0;
	e->mask |= b->e[src].mask & ~(uint32_t)(IN_MOVED_FROM | IN_MOVE_SELF);
	/* the record is of what existed at the old path before the batch */
	if (first)
		e->born = 0;
	b->e[src].gone = 1;
	b->live--;
	unlink_entry(b, src);
	return mask & IN_ISDIR ? rewrite_below(b, src, i) : 0;
}

int batch_add(struct batch *b, uint32_t mask, uint32_t cookie, const char *w,
	      size_t wlen, const char *f, size_t flen)
{
	struct batch_entry *e;
	struct rename_slot *s;
	uint32_t i;
	int first;

	if (mask & IN_Q_OVERFLOW) {
		if ((i = add_entry(b, "", 0, "", 0, 0, 1)) == NONE)
			return -1;
		b->e[i].mask = mask;
		return 0;
	}
	if ((i = entry_of(b, w, wlen, f, flen)) == NONE)
		return -1;
	e = &b->e[i];
	first = e->mask == 0;
	e->mask |= mask;
	e->cookie = mask & (IN_MOVED_FROM | IN_MOVED_TO) ? cookie : e->cookie;
	if (first)
		e->born = !!(mask & APPEARS);
	if (mask & APPEARS)
		e->alive = 1;
	if (mask & LEAVES)
		e->alive = 0;
	if ((mask & IN_MOVED_FROM) && cookie) {
		if (renames_note(&b->renames, cookie, w, wlen, f, flen) < 0 ||
		    !(s = renames_find(&b->renames, cookie)))
			return -1;
		s->entry = i;
		/* a path that appeared by the rename of an older one holds
		 * something older: its next rename is one too (a chain) */
		s->born = e->born && e->fromoff == NONE;
	}
	if ((mask & IN_MOVED_TO) && (s = renames_find(&b->renames, cookie)))
		return paired(b, i, s, mask, first);
	return 0;
}

/* Whether entry e is printed. */
static int shown(const struct batch *b, const struct batch_entry *e)
{
	return !e->gone && (b->keep_transient || !e->born || e->alive);
}

size_t batch_records(const struct batch *b)
{
	size_t n = 0;

	for (size_t i = 0; i < b->n; i++)
		n += shown(b, &b->e[i]);
	return n;
}

int batch_next(const struct batch *b, size_t *pos, struct batch_rec *r)
{
	while (*pos < b->n) {
		const struct batch_entry *e = &b->e[(*pos)++];

		if (!shown(b, e))
			continue;
		*r = (struct batch_rec){
			.mask = e->mask,
			.cookie = e->cookie,
			.path = b->arena + e->off,
			.wlen = e->wlen,
			.len = e->len,
			.from = e->fromoff == NONE ? NULL
						   : b->arena + e->fromoff,
			.fromlen = e->fromoff == NONE ? 0 : e->fromlen,
		};
		return 1;
	}
	return 0;
}

void batch_clear(struct batch *b)
{
	b->n = b->alen = b->live = 0;
	if (b->head)
		memset(b->head, 0xff, b->nhead * sizeof(*b->head));
	for (size_t i = 0; i < RENAMES; i++) {
		b->renames.slot[i].entry = NONE;
		b->renames.slot[i].born = 0;
	}
}
