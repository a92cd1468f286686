/* wtab.h: the watch table, one record per watch; it knows no backend. */
#ifndef IT_WTAB_H
#define IT_WTAB_H

#include <stddef.h>
#include <stdint.h>

#include "events.h"

struct inotify_event;

/* Flags of a watch record. */
/* a directory: its path ends with '/' */
#define IT_W_DIR 0x1u
/* removed; freed when the IN_IGNORED that ends its watch arrives */
#define IT_W_DEAD 0x2u
/* dead because it was moved out of the tree: its MOVE_SELF is still shown */
#define IT_W_MOVED_OUT 0x4u
/* out of both indexes, kept for its counters */
#define IT_W_RETIRED 0x8u
/* removed through the public API: unknown to its lookups */
#define IT_W_REMOVED 0x10u
/* --follow-names: a watch of our own on the nearest existing directory
 * above a followed name; its events are for names.c, never delivered */
#define IT_W_ANCHOR 0x20u
/* --follow-names: the root or the anchor of a followed name */
#define IT_W_NAMED 0x40u
/* internal: the slot holds a record */
#define IT_W_USED 0x100u

/*
 * A watch: a compact record in the table's slabs, at a stable address.
 * Records refer to each other by index (0: none). A record stores only its
 * own name: for a root the whole path it was watched under, for a directory
 * found below a parent "<name>/"; the path is the parent's path followed by
 * the name, built on demand by it_wtab_path(). A record that leaves the
 * tree (removed, or its parent removed) keeps its full path as its name.
 * Renaming a directory changes one record, whatever its subtree.
 * A record's wd is its slab's: see struct wtab_slab. Its sequence number
 * (the order of ties in statistics) is the table's, if it keeps them.
 */
struct watch {
	uint32_t name;	      /* offset of the name in the name arena */
	unsigned namelen : 8; /* its length; IT_W_LONG: longer, ask strlen */
	unsigned flags : 12;  /* IT_W_* */
	unsigned maskid : 12; /* the mask: see it_wtab_mask() */
	uint32_t parent;      /* 0 for a root */
	uint32_t child;	      /* the last child directory: see below */
	uint32_t next;	      /* the next child of the parent; the last's:
				 the first (the children are a ring) */
	uint32_t next_path;   /* hash chain by (parent, name); the free or
				 retired list */
};

_Static_assert(sizeof(struct watch) == 24, "a record is 24 bytes");

/* namelen of a name of IT_W_LONG bytes or more */
#define IT_W_LONG 0xffu
/* maskid of a mask kept in the record's extension: the table is full */
#define IT_W_MASK_EXT 0xfffu

#define IT_WTAB_SHIFT 12 /* records per slab: 1 << IT_WTAB_SHIFT */
/* Slabs start at a multiple of this, larger than a slab; the slot 0 of a
 * slab is no record: its name field holds the slab's number. */
#define IT_WTAB_ALIGN ((uintptr_t)1 << 18)

/* What few records need: statistics, a path handed out by the public API. */
struct watch_ext {
	unsigned *counts; /* IT_NSTATS counters, or NULL */
	char *path;	  /* materialised path, or NULL */
	uint32_t next_free;
	uint32_t mask; /* with maskid IT_W_MASK_EXT */
};

#define IT_WTAB_WDPAGE 1024

/*
 * One page of the wd index. Linear while its wds' records follow each
 * other as the wds do (records made as the kernel hands out wds): the
 * record of the page's k'th wd is then the (base + k)'th record, and a bit
 * says whether it has one. Explicit (rec) once a record does not fit.
 */
struct wtab_wdpage {
	uint32_t n;    /* records in it */
	uint32_t *rec; /* explicit: record index by wd (0: none); or NULL */
	int64_t base;  /* linear: the rank of the record of wd 0 */
	uint64_t used[IT_WTAB_WDPAGE / 64]; /* linear: the wds it has */
};

/* A map of record indexes to numbers: open addressing, key 0 empty. */
struct wtab_map {
	uint32_t *keys, *vals; /* key 0: empty */
	size_t cap, n;	       /* cap: a power of two, or 0 */
};

/*
 * What a slab knows of its records' wds. While they follow their slots as
 * the kernel's wds follow each other (records made as wds are handed out),
 * the record in slot i has the wd wd0 + i; once one does not, every slot's
 * wd is in wds.
 */
struct wtab_slab {
	int *wds;    /* SLAB wds by slot, or NULL */
	int64_t wd0; /* with wds NULL: the wd of slot 0 */
	int has_wd0; /* wd0 is set (a record of the slab has a wd) */
};

struct wtab {
	struct watch **slabs;
	struct wtab_slab *slabinfo; /* by slab */
	size_t nslabs;
	uint32_t nrec; /* slots used so far, index 0 excluded */
	uint32_t free; /* free slots, linked by next_path */
	/* wd -> record index: pages of IT_WTAB_WDPAGE wds, freed when empty
	 * (the kernel's wds are small, increasing integers) */
	struct wtab_wdpage **wdpages;
	size_t nwdpages;
	uint32_t *by_path;
	size_t nbuckets; /* power of two */
	size_t nall;	 /* records in the wd index, dead ones included */
	size_t nlive;	 /* records in the path index */
	unsigned long next_seq;
	/* sequence numbers by record index (see it_wtab_seq()): NULL, or
	 * seqcap of them; none kept with no_seq set before the first record */
	uint32_t *seqs;
	size_t seqcap;
	int no_seq;
	/* it_wtab_number_later(): numbered by the tree's shape when needed;
	 * the records made before have wds up to lazy_wd */
	int seq_lazy, lazy_wd;
	int max_wd; /* the highest wd a record was made with */
	/* name arena */
	char *names;
	size_t nameslen, namescap, namesgarbage;
	/* extensions */
	struct watch_ext *ext;
	struct wtab_map extmap; /* records with an extension -> its slot */
	/* the records of the families that outgrew a walk round their ring ->
	 * the child before them in it (see tree_unlink) */
	struct wtab_map prev;
	size_t ring_steps; /* steps walked round rings: for the tests */
	/* the masks records have, each once (maskid 0: mask 0) */
	uint32_t *masks;
	size_t nmasks, maskscap;
	uint32_t lastmaskid;
	uint32_t next_ext, extfree; /* slots used, free list */
	size_t extcap;		    /* slots allocated */
	size_t ncached;		    /* public paths materialised */
	/* retired records, linked by next_path */
	uint32_t retired;
	size_t nretired;
	/* it_wtab_path() result */
	char *scratch;
	size_t scratchcap, scratchlen;
	const struct watch *scratch_w;
	unsigned long gen, scratch_gen;
};

/* The record at index i, which is not 0. */
static inline struct watch *it_wtab_rec(const struct wtab *t, uint32_t i)
{
	return &t->slabs[i >> IT_WTAB_SHIFT][i & ((1u << IT_WTAB_SHIFT) - 1)];
}

/* The record at index i (0: NULL). */
static inline struct watch *it_wtab_at(const struct wtab *t, uint32_t i)
{
	return i ? &t->slabs[i >> IT_WTAB_SHIFT]
			    [i & ((1u << IT_WTAB_SHIFT) - 1)]
		 : NULL;
}

/* The index of the record w, found from its address. */
static inline uint32_t it_wtab_index(const struct watch *w)
{
	const struct watch *s =
		(const struct watch *)((uintptr_t)w & ~(IT_WTAB_ALIGN - 1));

	return s->name << IT_WTAB_SHIFT | (uint32_t)(w - s);
}

/* The sequence number of w: the order in which records were made (or as
 * it_wtab_set_seq() renumbered them); 0 in a table that keeps none. */
static inline uint32_t it_wtab_seq(const struct wtab *t, const struct watch *w)
{
	return t->seqs ? t->seqs[it_wtab_index(w)] : 0;
}

/* Give w the sequence number seq, in a table that keeps them. */
static inline void it_wtab_set_seq(struct wtab *t, struct watch *w,
				   uint32_t seq)
{
	if (t->seqs)
		t->seqs[it_wtab_index(w)] = seq;
}

/*
 * Number the records later, as they are now: the trees of the roots in
 * the order of their wds, each tree's records children first (upstream's
 * order of watches, so of its wds), then the records made from now on in
 * the order of their wds. Until the tree changes shape (a record killed,
 * moved or orphaned) or it_wtab_number() is called, nothing is stored.
 */
void it_wtab_number_later(struct wtab *t);
/* Number them now (see it_wtab_number_later()); -1 without memory. */
int it_wtab_number(struct wtab *t);

/* The wd of the record w. */
static inline int it_wtab_wd(const struct wtab *t, const struct watch *w)
{
	uint32_t i = it_wtab_index(w), slot = i & ((1u << IT_WTAB_SHIFT) - 1);
	const struct wtab_slab *s = &t->slabinfo[i >> IT_WTAB_SHIFT];

	return s->wds ? s->wds[slot] : (int)(s->wd0 + slot);
}

/* The first child directory of w, or NULL. */
static inline struct watch *it_wtab_first_child(const struct wtab *t,
						const struct watch *w)
{
	return w->child ? it_wtab_rec(t, it_wtab_rec(t, w->child)->next) : NULL;
}

/* The child directory of w after its child c, or NULL. */
static inline struct watch *it_wtab_next_child(const struct wtab *t,
					       const struct watch *w,
					       const struct watch *c)
{
	return it_wtab_index(c) == w->child ? NULL : it_wtab_rec(t, c->next);
}

/* Make t an empty table. */
void it_wtab_init(struct wtab *t);
/* Free every record. */
void it_wtab_free(struct wtab *t);
/* Record found by wd (dead ones included), or NULL. */
struct watch *it_wtab_by_wd(const struct wtab *t, int wd);
/* Live record whose path is exactly path, or NULL. */
struct watch *it_wtab_by_path(const struct wtab *t, const char *path,
			      size_t len);
/* Live child directory of w named name (without the '/'), or NULL. */
struct watch *it_wtab_child(const struct wtab *t, const struct watch *w,
			    const char *name, size_t len);
/*
 * Insert a live record for wd (>= 0) named path below parent (may be NULL).
 * With a parent, path is the parent's path followed by "<name>/" and only
 * the name is stored. A record that had wd is no longer found by it.
 * Returns NULL with errno set on allocation failure.
 */
struct watch *it_wtab_add(struct wtab *t, int wd, const char *path, size_t len,
			  unsigned flags, struct watch *parent);
/* The same with only the name (no '/') of a child directory of parent. */
struct watch *it_wtab_add_child(struct wtab *t, int wd, const char *name,
				size_t len, struct watch *parent);
/* Start loading the path index slot that it_wtab_child() and
 * it_wtab_add_child() of name below w will touch: a caller about to make a
 * syscall first has the cache miss of a large table paid meanwhile. */
void it_wtab_prefetch_child(const struct wtab *t, const struct watch *w,
			    const char *name, size_t len);
/* Make the children of w roots under their full paths. */
void it_wtab_orphan(struct wtab *t, struct watch *w);
/* Drop w from the path index and the tree; it stays findable by wd. */
void it_wtab_kill(struct wtab *t, struct watch *w);
/* Remove w from both indexes without freeing it. */
void it_wtab_detach(struct wtab *t, struct watch *w);
/* Detach w and keep it on the retired list (for its counters). */
void it_wtab_retire(struct wtab *t, struct watch *w);
/* Remove w from both indexes and free it; its children become roots. */
void it_wtab_free_watch(struct wtab *t, struct watch *w);
/*
 * Give w the name newname below newparent (NULL: make it a root with the
 * full path newname); its subtree follows.
 */
int it_wtab_rename(struct wtab *t, struct watch *w, struct watch *newparent,
		   const char *newname, size_t newlen);
/* How many records w lies below: 0 for a root. */
unsigned it_wtab_depth(const struct wtab *t, const struct watch *w);
/* Whether w is a, or lies below a. */
int it_wtab_within(const struct wtab *t, const struct watch *w,
		   const struct watch *a);
/* Call fn on every record of w's subtree, children before their parent. */
void it_wtab_postorder(struct wtab *t, struct watch *w,
		       void (*fn)(struct watch *, void *), void *arg);
/* Fill out[] with every live record (t->nlive entries). */
void it_wtab_list(const struct wtab *t, struct watch **out);
/* The next live record after index *i (start with 0), or NULL at the end. */
struct watch *it_wtab_live(const struct wtab *t, uint32_t *i);
/* Fill out[] with every retired record (t->nretired entries). */
void it_wtab_list_retired(const struct wtab *t, struct watch **out);
/* Free w, whose watch has ended, or with keep_counted retire it if it has
 * counters: statistics outlive their watches. */
void it_wtab_release(struct wtab *t, struct watch *w, int keep_counted);
/* The path of the watch of ev (%w) and its length, as it_wtab_path(); ""
 * if ev's wd is unknown. */
const char *it_wtab_event_dir(struct wtab *t, const struct inotify_event *ev,
			      size_t *len);

/*
 * The path of w and its length, in a buffer of the table valid until the
 * next call or change of the table; "" (length 0) without memory.
 */
const char *it_wtab_path(struct wtab *t, const struct watch *w, size_t *len);
/* The path of w in a buffer that stays valid until w is renamed or freed. */
const char *it_wtab_stable_path(struct wtab *t, struct watch *w);
/* The event mask w was watched with. */
uint32_t it_wtab_mask(const struct wtab *t, const struct watch *w);
/* Set it; -1 with errno set on allocation failure. */
int it_wtab_set_mask(struct wtab *t, struct watch *w, uint32_t mask);
/* The counters of w (created with create), or NULL. */
unsigned *it_wtab_counts(struct wtab *t, struct watch *w, int create);
/* Drop the counters of w. */
void it_wtab_drop_counts(struct wtab *t, struct watch *w);

#endif
