/* compat.c: upstream's private rb* calls; copies, never pointers into us.
 *
 * inotifytools_wd_sorted_by_event() and the rb*list() walk over its
 * result: upstream's inotifywatch calls them although upstream's header
 * does not declare them. The result is a sorted copy.
 */
#include "config.h"

#include "compat.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>

#include "ctx.h"

/* The event bit of each counter of struct it_compat_watch (0: total). */
static const uint32_t hit_bits[IT_COMPAT_NHITS] = {
	IN_ACCESS,	  IN_MODIFY, IN_ATTRIB,	     IN_CLOSE_WRITE,
	IN_CLOSE_NOWRITE, IN_OPEN,   IN_MOVED_FROM,  IN_MOVED_TO,
	IN_CREATE,	  IN_DELETE, IN_DELETE_SELF, IN_UNMOUNT,
	IN_MOVE_SELF,	  0,
};

/* Upstream's inotifywatch reads the counters at these offsets (LP64). */
_Static_assert(sizeof(void *) != 8 ||
		       offsetof(struct it_compat_watch, hit) == 0x1c,
	       "struct it_compat_watch has upstream's layout");

struct rbtree {
	size_t n;
	struct it_compat_watch **row; /* sorted */
	struct it_compat_watch *rec;
};

struct rblists {
	const struct rbtree *t;
	size_t next;
};

struct order {
	int hit; /* counter to sort by */
	int descending;
};

static int by_order(const void *a, const void *b, void *arg)
{
	const struct it_compat_watch *x = *(struct it_compat_watch *const *)a;
	const struct it_compat_watch *y = *(struct it_compat_watch *const *)b;
	const struct order *o = arg;
	unsigned cx = x->hit[o->hit], cy = y->hit[o->hit];

	if (cx != cy)
		return (cx < cy) != o->descending ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* The counter sort_event sorts by, with its direction; -1 if none. */
static int order_of(int sort_event, struct order *o)
{
	uint32_t bit;

	o->descending = sort_event < 0;
	bit = sort_event == -1 ? 0
	      : sort_event < 0 ? (uint32_t) - (long)sort_event
			       : (uint32_t)sort_event;
	for (o->hit = 0; o->hit < IT_COMPAT_NHITS; o->hit++)
		if (hit_bits[o->hit] == bit)
			return 0;
	return -1;
}

/* Copy the name and counters of w into u. */
static int copy(struct it_ctx *c, struct watch *w, struct it_compat_watch *u)
{
	size_t len;
	const char *p = it_wtab_path(&c->tab, w, &len);
	const unsigned *counts = it_wtab_counts(&c->tab, w, 0);

	u->fid = NULL;
	u->dirf = -1;
	u->wd = (unsigned long)(long)it_wtab_wd(&c->tab, w);
	u->seq = it_wtab_seq(&c->tab, w);
	for (int i = 0; i < IT_COMPAT_NHITS; i++)
		u->hit[i] =
			counts ? counts[it_event_stat_index(hit_bits[i])] : 0;
	if (!(u->filename = malloc(len + 1)))
		return -1;
	memcpy(u->filename, p, len + 1);
	return 0;
}

struct rbtree *it_compat_sorted(struct it_ctx *c, int sort_event)
{
	size_t n = c->tab.nlive + c->tab.nretired;
	struct watch **all = malloc((n + 1) * sizeof(*all));
	struct rbtree *t = calloc(1, sizeof(*t));
	struct order o;

	c->error = 0;
	if (order_of(sort_event, &o) < 0)
		c->error = EINVAL;
	else if (!all || !t || !(t->rec = calloc(n + 1, sizeof(*t->rec))) ||
		 !(t->row = calloc(n + 1, sizeof(*t->row))))
		c->error = ENOMEM;
	if (!c->error) {
		it_wtab_list(&c->tab, all);
		it_wtab_list_retired(&c->tab, all + c->tab.nlive);
		for (; t->n < n && copy(c, all[t->n], &t->rec[t->n]) == 0;
		     t->n++)
			t->row[t->n] = &t->rec[t->n];
		if (t->n < n)
			c->error = ENOMEM;
		else
			qsort_r(t->row, n, sizeof(*t->row), by_order, &o);
	}
	free(all);
	if (c->error) {
		rbdestroy(t);
		return NULL;
	}
	return t;
}

RBLIST *rbopenlist(const struct rbtree *t)
{
	RBLIST *l;

	if (!t || !(l = malloc(sizeof(*l))))
		return NULL;
	l->t = t;
	l->next = 0;
	return l;
}

const void *rbreadlist(RBLIST *l)
{
	if (!l || l->next >= l->t->n)
		return NULL;
	return l->t->row[l->next++];
}

void rbcloselist(RBLIST *l)
{
	free(l);
}

void rbdestroy(struct rbtree *t)
{
	if (!t)
		return;
	for (size_t i = 0; t->rec && i < t->n; i++)
		free(t->rec[i].filename);
	free(t->rec);
	free(t->row);
	free(t);
}
