/* wtab.h: the watch table, one record per watch indexed by wd and by path. */
#ifndef IT_WTAB_H
#define IT_WTAB_H

#include <stddef.h>
#include <stdint.h>

#include "events.h"

/* Flags of a watch record. */
#define IT_W_DIR 0x1u /* a directory: its path ends with '/' */
#define IT_W_DEAD                                                              \
	0x2u /* removed; freed when the kernel's IN_IGNORED arrives            \
	      */
#define IT_W_MOVED_OUT                                                         \
	0x4u /* dead because it was moved out of the tree: its MOVE_SELF is    \
	      * still reported */

/*
 * A watch. Directories found by a recursive walk are linked to their parent
 * so that a rename or removal touches exactly the subtree it concerns.
 */
struct watch {
	int wd;
	uint32_t mask;
	unsigned flags;
	unsigned long seq;		   /* order for ties in statistics */
	char *path;			   /* stored name: what %w prints */
	size_t len;			   /* strlen(path) */
	size_t name_off;		   /* where the last component starts */
	uint32_t hash;			   /* hash of path */
	struct watch *parent;		   /* NULL for a root watch */
	struct watch *child;		   /* first child directory */
	struct watch *last_child;	   /* last one, for appending */
	struct watch *sibling;		   /* next child of the same parent */
	struct watch **pprev;		   /* link that points at this record */
	struct watch *next_wd, *next_path; /* hash chains */
	unsigned *counts;		   /* IT_NSTATS counters, or NULL */
};

struct wtab {
	struct watch **by_wd, **by_path;
	size_t nbuckets; /* power of two, for both indexes */
	size_t nall;	 /* records, dead ones included */
	size_t nlive;	 /* records in the path index */
	unsigned long next_seq;
};

void it_wtab_init(struct wtab *t);
/* Free every record. */
void it_wtab_free(struct wtab *t);
/* Record found by wd (dead ones included), or NULL. */
struct watch *it_wtab_by_wd(const struct wtab *t, int wd);
/* Live record stored under exactly path, or NULL. */
struct watch *it_wtab_by_path(const struct wtab *t, const char *path,
			      size_t len);
/*
 * Insert a live record for wd named path (copied) below parent (may be
 * NULL); returns NULL with errno set on allocation failure.
 */
struct watch *it_wtab_add(struct wtab *t, int wd, const char *path, size_t len,
			  unsigned flags, struct watch *parent);
/* Drop w from the path index and the tree; it stays findable by wd. */
void it_wtab_kill(struct wtab *t, struct watch *w);
/* Remove w from both indexes without freeing it. */
void it_wtab_detach(struct wtab *t, struct watch *w);
/* Remove w from both indexes and free it; its children become roots. */
void it_wtab_free_watch(struct wtab *t, struct watch *w);
/*
 * Give w the name newname below newparent (NULL: keep it a root with the
 * full path newname) and rewrite the paths of its whole subtree.
 */
int it_wtab_rename(struct wtab *t, struct watch *w, struct watch *newparent,
		   const char *newname, size_t newlen);
/* Call fn on every record of w's subtree, children before their parent. */
void it_wtab_postorder(struct watch *w, void (*fn)(struct watch *, void *),
		       void *arg);
/* Fill out[] with every live record (t->nlive entries). */
void it_wtab_list(const struct wtab *t, struct watch **out);

#endif
