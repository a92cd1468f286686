/* compat.h: upstream's private symbols for its tools; not in the API.
 *
 * Exported from the shared library for Debian's inotifywatch, declared here
 * only: upstream's public header does not have them either. */
#ifndef IT_COMPAT_H
#define IT_COMPAT_H

#include <stddef.h>

/* Counters of struct it_compat_watch, in upstream's order. */
#define IT_COMPAT_NHITS 14

/*
 * Upstream's struct watch, whose fields its inotifywatch reads directly: a
 * copy of one watch's name and counters, as inotifytools_wd_sorted_by_event()
 * hands them out. hit[] are access, modify, attrib, close_write,
 * close_nowrite, open, moved_from, moved_to, create, delete, delete_self,
 * unmount, move_self and the total.
 */
struct it_compat_watch {
	void *fid; /* upstream's fanotify handle: always NULL */
	char *filename;
	unsigned long wd;
	int dirf; /* upstream's fanotify directory fd: always -1 */
	unsigned hit[IT_COMPAT_NHITS];
	/* ours, past upstream's fields: the order of ties */
	unsigned seq;
};

/* The copies, sorted (the "tree" of upstream's API). */
struct rbtree;
/* A walk over them. */
typedef struct rblists RBLIST;

/*
 * Every watch of the default context sorted by one counter: sort_event a
 * single event bit sorts ascending by it, 0 by the total; its negation
 * sorts descending, -1 descending by the total (as upstream). Ties in the
 * order upstream would have given the watches their wds. NULL with
 * inotifytools_error() set if sort_event is no counter or on allocation
 * failure; free with rbdestroy().
 */
struct rbtree *inotifytools_wd_sorted_by_event(int sort_event);
struct it_ctx;
/* inotifytools_wd_sorted_by_event() for context c. */
struct rbtree *it_compat_sorted(struct it_ctx *c, int sort_event);
/* Start a walk over t (NULL: NULL). */
RBLIST *rbopenlist(const struct rbtree *t);
/* The next struct it_compat_watch of the walk, NULL at the end. */
const void *rbreadlist(RBLIST *l);
/* End a walk. */
void rbcloselist(RBLIST *l);
/* Free t and its copies. */
void rbdestroy(struct rbtree *t);

#endif
