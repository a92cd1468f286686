/* wtab.c: watch records with O(1) lookups by wd and by path. */
#include "config.h"

#include "wtab.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define MIN_BUCKETS 64

static uint32_t hash_path(const char *s, size_t n)
{
	uint32_t h = 2166136261u;

	while (n--)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

static size_t wd_slot(const struct wtab *t, int wd)
{
	return ((uint32_t)wd * 2654435761u) & (t->nbuckets - 1);
}

void it_wtab_init(struct wtab *t)
{
	memset(t, 0, sizeof(*t));
	t->next_seq = 1;
}

void it_wtab_free(struct wtab *t)
{
	for (size_t i = 0; i < t->nbuckets; i++) {
		struct watch *w, *next;

		for (w = t->by_wd[i]; w; w = next) {
			next = w->next_wd;
			free(w->path);
			free(w->counts);
			free(w);
		}
	}
	free(t->by_wd);
	free(t->by_path);
	it_wtab_init(t);
}

static int grow(struct wtab *t)
{
	size_t n = t->nbuckets ? t->nbuckets * 2 : MIN_BUCKETS;
	struct watch **wd = calloc(n, sizeof(*wd));
	struct watch **path = calloc(n, sizeof(*path));

	if (!wd || !path) {
		free(wd);
		free(path);
		return -1;
	}
	for (size_t i = 0; i < t->nbuckets; i++) {
		struct watch *w, *next;

		for (w = t->by_wd[i]; w; w = next) {
			next = w->next_wd;
			w->next_wd =
				wd[((uint32_t)w->wd * 2654435761u) & (n - 1)];
			wd[((uint32_t)w->wd * 2654435761u) & (n - 1)] = w;
		}
		for (w = t->by_path[i]; w; w = next) {
			next = w->next_path;
			w->next_path = path[w->hash & (n - 1)];
			path[w->hash & (n - 1)] = w;
		}
	}
	free(t->by_wd);
	free(t->by_path);
	t->by_wd = wd;
	t->by_path = path;
	t->nbuckets = n;
	return 0;
}

struct watch *it_wtab_by_wd(const struct wtab *t, int wd)
{
	if (!t->nbuckets)
		return NULL;
	for (struct watch *w = t->by_wd[wd_slot(t, wd)]; w; w = w->next_wd)
		if (w->wd == wd)
			return w;
	return NULL;
}

struct watch *it_wtab_by_path(const struct wtab *t, const char *path,
			      size_t len)
{
	uint32_t h;

	if (!t->nbuckets)
		return NULL;
	h = hash_path(path, len);
	for (struct watch *w = t->by_path[h & (t->nbuckets - 1)]; w;
	     w = w->next_path)
		if (w->hash == h && w->len == len &&
		    !memcmp(w->path, path, len))
			return w;
	return NULL;
}

static void path_index_add(struct wtab *t, struct watch *w)
{
	size_t slot;

	w->hash = hash_path(w->path, w->len);
	slot = w->hash & (t->nbuckets - 1);
	w->next_path = t->by_path[slot];
	t->by_path[slot] = w;
}

static void path_index_del(struct wtab *t, struct watch *w)
{
	struct watch **pp = &t->by_path[w->hash & (t->nbuckets - 1)];

	while (*pp && *pp != w)
		pp = &(*pp)->next_path;
	if (*pp)
		*pp = w->next_path;
}

static void tree_unlink(struct watch *w)
{
	struct watch *p = w->parent;

	if (p && p->last_child == w)
		p->last_child =
			w->pprev == &p->child
				? NULL
				: (struct watch *)((char *)w->pprev -
						   offsetof(struct watch,
							    sibling));
	if (w->pprev) {
		*w->pprev = w->sibling;
		if (w->sibling)
			w->sibling->pprev = w->pprev;
	}
	w->pprev = NULL;
	w->sibling = NULL;
	w->parent = NULL;
}

/* Append w to parent's children, keeping the order in which they came. */
static void tree_link(struct watch *w, struct watch *parent)
{
	struct watch **pp = parent->last_child ? &parent->last_child->sibling
					       : &parent->child;

	*pp = w;
	parent->last_child = w;
	w->pprev = pp;
	w->sibling = NULL;
	w->parent = parent;
}

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
	struct watch *w;
	size_t slot;

	if (t->nall >= t->nbuckets && grow(t) < 0)
		return NULL;
	if (!(w = calloc(1, sizeof(*w))) || !(w->path = malloc(len + 1))) {
		free(w);
		errno = ENOMEM;
		return NULL;
	}
	memcpy(w->path, path, len);
	w->path[len] = '\0';
	w->len = len;
	w->name_off = parent ? parent->len : last_component(path, len);
	w->wd = wd;
	w->flags = flags;
	w->seq = t->next_seq++;
	slot = wd_slot(t, wd);
	w->next_wd = t->by_wd[slot];
	t->by_wd[slot] = w;
	path_index_add(t, w);
	if (parent)
		tree_link(w, parent);
	t->nall++;
	t->nlive++;
	return w;
}

void it_wtab_kill(struct wtab *t, struct watch *w)
{
	if (w->flags & IT_W_DEAD)
		return;
	path_index_del(t, w);
	while (w->child)
		tree_unlink(w->child);
	tree_unlink(w);
	w->flags |= IT_W_DEAD;
	t->nlive--;
}

void it_wtab_detach(struct wtab *t, struct watch *w)
{
	struct watch **pp = &t->by_wd[wd_slot(t, w->wd)];

	it_wtab_kill(t, w);
	while (*pp && *pp != w)
		pp = &(*pp)->next_wd;
	if (*pp)
		*pp = w->next_wd;
	w->next_wd = NULL;
	t->nall--;
}

void it_wtab_free_watch(struct wtab *t, struct watch *w)
{
	it_wtab_detach(t, w);
	free(w->path);
	free(w->counts);
	free(w);
}

/* Rebuild w->path from its parent's path and its own last component. */
static int repath(struct wtab *t, struct watch *w, const char *name,
		  size_t namelen)
{
	size_t plen = w->parent->len;
	char *p = malloc(plen + namelen + 1);

	if (!p)
		return -1;
	memcpy(p, w->parent->path, plen);
	memcpy(p + plen, name, namelen);
	p[plen + namelen] = '\0';
	path_index_del(t, w);
	free(w->path);
	w->path = p;
	w->len = plen + namelen;
	w->name_off = plen;
	path_index_add(t, w);
	return 0;
}

/* Rewrite the paths below w, whose own path is already right. */
static int repath_children(struct wtab *t, struct watch *w)
{
	for (struct watch *c = w->child; c; c = c->sibling) {
		char *old = c->path;
		size_t off = c->name_off;

		c->path = NULL;
		if (repath(t, c, old + off, strlen(old + off)) < 0) {
			c->path = old;
			return -1;
		}
		free(old);
		if (repath_children(t, c) < 0)
			return -1;
	}
	return 0;
}

int it_wtab_rename(struct wtab *t, struct watch *w, struct watch *newparent,
		   const char *newname, size_t newlen)
{
	if (w->flags & IT_W_DEAD)
		return 0;
	if (newparent && newparent != w->parent) {
		tree_unlink(w);
		tree_link(w, newparent);
	} else if (!newparent) {
		tree_unlink(w);
	}
	if (newparent) {
		if (repath(t, w, newname, newlen) < 0)
			return -1;
	} else {
		char *p = malloc(newlen + 1);

		if (!p)
			return -1;
		memcpy(p, newname, newlen);
		p[newlen] = '\0';
		path_index_del(t, w);
		free(w->path);
		w->path = p;
		w->len = newlen;
		w->name_off = last_component(p, newlen);
		path_index_add(t, w);
	}
	return repath_children(t, w);
}

void it_wtab_postorder(struct watch *w, void (*fn)(struct watch *, void *),
		       void *arg)
{
	struct watch *c = w->child;

	while (c) {
		struct watch *next = c->sibling;

		it_wtab_postorder(c, fn, arg);
		c = next;
	}
	fn(w, arg);
}

void it_wtab_list(const struct wtab *t, struct watch **out)
{
	size_t n = 0;

	for (size_t i = 0; i < t->nbuckets; i++)
		for (struct watch *w = t->by_path[i]; w; w = w->next_path)
			out[n++] = w;
}
