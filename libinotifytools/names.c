/* names.c: the followed names (--follow-names); reads no event itself.
 *
 * A name is watched, not an inode. Its root is watched while its path
 * exists; its anchor, a watch of ours on the nearest existing directory
 * above it (the parent once the path exists), sees it, or the next
 * directory on the way to it, appear, go or be replaced. Every change
 * comes down to resolve(), which compares the filesystem with what is
 * watched and moves the root and the anchor to match:
 *
 *   event                                  on       resolve
 *   CREATE, MOVED_TO of the name looked    anchor   yes
 *     for; DELETE, MOVED_FROM of it        anchor   while it is missing
 *   DELETE_SELF, MOVE_SELF, IGNORED,       anchor   yes
 *     UNMOUNT
 *   MOVE_SELF, IGNORED, UNMOUNT            root     yes (DELETE_SELF: its
 *                                                   IGNORED follows)
 *   queue overflow                         -        every name
 *   a root or anchor the tree unwatched    -        that name
 *
 * A root watched anew while monitoring is reported as a CREATE of its name
 * in the anchor, unless the anchor is a watch of the caller's (it sees the
 * kernel's own event). An anchor's events are never delivered. What it
 * must not do: read events, or change what the caller watches otherwise
 * than by the names it was given.
 */
#include "config.h"

#include "ctx.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Rounds of resolve() against a filesystem changing under it. */
#define MAX_TRIES 16
/* The events on a root or anchor that end or move the object it watches. */
#define SELF_EVENTS (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED | IN_UNMOUNT)
#define NAME_EVENTS (IN_CREATE | IN_MOVED_TO | IN_DELETE | IN_MOVED_FROM)

/* Whether wd is the watch of a live record. */
static int alive(const struct it_ctx *c, int wd)
{
	const struct watch *w;

	return wd >= 0 && (w = it_wtab_by_wd(&c->tab, wd)) &&
	       !(w->flags & IT_W_DEAD);
}

/* The directory of f's first n components ("/" or "." for none) in
 * c->npath, or NULL without memory. */
static const char *prefix(struct it_ctx *c, const struct it_name *f, size_t n)
{
	const char *p = f->path;
	size_t len = n ? f->comp[n - 1].end : 1;

	if (!n)
		p = f->path[0] == '/' ? "/" : ".";
	c->npath.len = 0;
	if (it_buf_put(&c->npath, p, len) || it_buf_put(&c->npath, "", 1))
		return NULL;
	return c->npath.data;
}

/* How many of f's components exist, each a directory but the last; with
 * all of them, *st is the object its path names. */
static size_t existing(struct it_ctx *c, const struct it_name *f,
		       struct stat *st)
{
	for (size_t i = 1; i <= f->ncomp; i++) {
		const char *p = prefix(c, f, i);
		int last = i == f->ncomp;

		if (!p ||
		    ((last && (f->mask & IN_DONT_FOLLOW)) ? lstat(p, st)
							  : stat(p, st)) < 0 ||
		    (!last && !S_ISDIR(st->st_mode)))
			return i - 1;
	}
	return f->ncomp;
}

/* Whether an error means the path changed under us: try again. */
static int raced(int err)
{
	return err == ENOENT || err == ENOTDIR || err == ESTALE;
}

/* Whether a name other than f watches wd as its root (or, with anchors,
 * as its anchor). */
static int used(const struct it_ctx *c, const struct it_name *f, int wd,
		int anchors)
{
	for (size_t i = 0; i < c->nfollow; i++)
		if (&c->follow[i] != f &&
		    (c->follow[i].root == wd ||
		     (anchors && c->follow[i].anchor == wd)))
			return 1;
	return 0;
}

/* Unwatch f's former anchor wd, unless it is another name's or the
 * caller's watch too. */
static void release(struct it_ctx *c, const struct it_name *f, int wd)
{
	struct watch *w;

	if (wd < 0 || !(w = it_wtab_by_wd(&c->tab, wd)) ||
	    (w->flags & IT_W_DEAD) || !(w->flags & IT_W_ANCHOR) ||
	    used(c, f, wd, 1))
		return;
	it_unwatch(c, w);
}

/* Put f's anchor on the directory of its first n components: 0, 1 if it
 * is gone meanwhile, -1 if it cannot be watched (c->warn told). */
static int set_anchor(struct it_ctx *c, struct it_name *f, size_t n)
{
	const char *p = prefix(c, f, n);
	struct watch *w;
	int old = f->anchor;

	/* (watched again: the same wd while it is the same directory) */
	if (!p || !(w = it_watch_anchor(c, p, IT_NAME_MASK))) {
		if (p && raced(c->error))
			return 1;
		if (c->warn)
			c->warn(c->warn_arg, p ? p : f->path, c->error);
		return -1;
	}
	w->flags |= IT_W_NAMED;
	f->anchor = it_wtab_wd(&c->tab, w);
	f->level = n;
	if (old != f->anchor)
		release(c, f, old);
	return 0;
}

/* Unwatch f's root (and its tree), if it still has one and it is no
 * other name's root; a name anchored on it is resolved again then. */
static void drop_root(struct it_ctx *c, struct it_name *f)
{
	int wd = f->root;
	struct watch *w;

	f->root = -1;
	if (wd < 0 || !(w = it_wtab_by_wd(&c->tab, wd)) ||
	    (w->flags & IT_W_DEAD) || used(c, f, wd, 0))
		return;
	it_unwatch(c, w);
}

/* Queue the CREATE of f's name, the object st, in its anchor; -1 without
 * memory. */
static int announce(struct it_ctx *c, const struct it_name *f,
		    const struct stat *st)
{
	const struct it_comp *last = &f->comp[f->ncomp - 1];

	c->npath.len = 0;
	if (it_buf_put(&c->npath, f->path + last->start,
		       last->end - last->start) ||
	    it_buf_put(&c->npath, "", 1))
		return -1;
	return it_buf_put_event(&c->syn, f->anchor,
				IN_CREATE |
					(S_ISDIR(st->st_mode) ? IN_ISDIR : 0),
				0, c->npath.data);
}

/*
 * Watch f's root, the object *st; later: it appeared while monitoring,
 * and is reported (as it_watch_root(): 2 if it may have been created,
 * not moved in, and what is inside may be new too). 0 if done, 1 if it
 * changed meanwhile (to be resolved again), -1 if it cannot be watched
 * (c->warn told, when later).
 */
static int watch_root(struct it_ctx *c, struct it_name *f,
		      const struct stat *st, int later)
{
	const struct watch *a = it_wtab_by_wd(&c->tab, f->anchor);
	size_t mark = c->syn.len;
	struct watch *w;
	struct stat now;

	/* first, so that it comes before what a walk finds inside */
	if (later && a && (a->flags & IT_W_ANCHOR) && announce(c, f, st) < 0)
		return -1;
	if (!(w = it_watch_root(c, f->path, f->mask, f->excl, f->tree,
				later))) {
		c->syn.len = mark;
		if (raced(c->error))
			return 1;
		if (later && c->warn)
			c->warn(c->warn_arg, f->path, c->error);
		return -1;
	}
	w->flags = (w->flags & ~IT_W_ANCHOR) | IT_W_NAMED;
	f->root = it_wtab_wd(&c->tab, w);
	f->rdev = st->st_dev;
	f->rino = st->st_ino;
	return existing(c, f, &now) == f->ncomp && now.st_dev == st->st_dev &&
			       now.st_ino == st->st_ino
		       ? 0
		       : 1;
}

/* Whether f's root watches the object st. */
static int watches(const struct it_ctx *c, const struct it_name *f,
		   const struct stat *st)
{
	return alive(c, f->root) && f->rdev == st->st_dev &&
	       f->rino == st->st_ino;
}

/* Bring f up to date with the filesystem: its root watched if its path
 * exists, its anchor on the directory above, or else on the nearest
 * existing directory. later: as watch_root() (a MOVED_TO: 1). */
static void resolve(struct it_ctx *c, struct it_name *f, int later)
{
	struct stat st;
	int rc;

	for (int tries = 0; tries < MAX_TRIES; tries++) {
		size_t n = existing(c, f, &st);

		if (n == f->ncomp) {
			if ((rc = set_anchor(c, f, n - 1)) != 0) {
				if (rc < 0)
					return;
				continue;
			}
			if (watches(c, f, &st))
				return;
			drop_root(c, f);
			if (watch_root(c, f, &st, later) <= 0)
				return;
			continue;
		}
		drop_root(c, f);
		if ((rc = set_anchor(c, f, n)) < 0)
			return;
		/* what appeared before the anchor was in place */
		if (rc == 0 && existing(c, f, &st) == n)
			return;
	}
}

/* Whether ev (on a record of a name) may change what f watches. */
static int concerns(const struct it_name *f, const struct inotify_event *ev)
{
	const struct it_comp *k = &f->comp[f->level];
	size_t n = k->end - k->start;

	if (ev->wd == f->root && (ev->mask & SELF_EVENTS & ~IN_DELETE_SELF))
		return 1;
	if (ev->wd != f->anchor)
		return 0;
	if (!ev->len)
		return (ev->mask & SELF_EVENTS) != 0;
	/* a watched root goes when its own watch says so */
	if (!(ev->mask & NAME_EVENTS) ||
	    (f->root >= 0 && !(ev->mask & (IN_CREATE | IN_MOVED_TO))))
		return 0;
	return strnlen(ev->name, ev->len) == n &&
	       !memcmp(ev->name, f->path + k->start, n);
}

/* Resolve the names whose root or anchor the tree unwatched. */
static void revalidate(struct it_ctx *c)
{
	for (int round = 0; round < MAX_TRIES && c->follow_gen != c->tab.gen;
	     round++) {
		c->follow_gen = c->tab.gen;
		for (size_t i = 0; i < c->nfollow; i++) {
			struct it_name *f = &c->follow[i];

			if ((f->root >= 0 && !alive(c, f->root)) ||
			    !alive(c, f->anchor))
				resolve(c, f, 2);
		}
	}
}

int it_names_event(struct it_ctx *c, const struct inotify_event *ev)
{
	const struct watch *w =
		ev->wd >= 0 ? it_wtab_by_wd(&c->tab, ev->wd) : NULL;
	int hide = w && (w->flags & IT_W_ANCHOR);

	if (ev->mask & IN_Q_OVERFLOW) {
		for (size_t i = 0; i < c->nfollow; i++)
			resolve(c, &c->follow[i], 2);
	} else if (w && (w->flags & IT_W_NAMED)) {
		for (size_t i = 0; i < c->nfollow; i++)
			if (concerns(&c->follow[i], ev))
				resolve(c, &c->follow[i],
					(ev->mask & IN_MOVED_TO) ? 1 : 2);
	}
	revalidate(c);
	return hide;
}

/* f's components, at its path's slashes; -1 without memory. */
static int split(struct it_name *f)
{
	size_t cap = 0, i = 0;

	while (f->path[i]) {
		struct it_comp *v;
		size_t start;

		while (f->path[i] == '/')
			i++;
		if (!f->path[i])
			break;
		start = i;
		while (f->path[i] && f->path[i] != '/')
			i++;
		if (!(v = it_grow(f->comp, &cap, f->ncomp + 1, sizeof(*v), 8)))
			return -1;
		f->comp = v;
		f->comp[f->ncomp++] = (struct it_comp){ start, i };
	}
	return 0;
}

/* A new name for path in c->follow (not counted yet); NULL without
 * memory. */
static struct it_name *new_name(struct it_ctx *c, const char *path,
				uint32_t mask, int tree,
				const char *const *excl)
{
	struct it_name *v = realloc(c->follow, (c->nfollow + 1) * sizeof(*v));
	struct it_name *f;

	if (!v)
		return NULL;
	c->follow = v;
	f = &c->follow[c->nfollow];
	*f = (struct it_name){ .mask = mask | IN_MOVE_SELF,
			       .tree = tree,
			       .excl = excl,
			       .root = -1,
			       .anchor = -1 };
	if ((f->path = strdup(path)) && split(f) == 0)
		return f;
	free(f->path);
	free(f->comp);
	return NULL;
}

int it_names_add(struct it_ctx *c, const char *path, uint32_t mask, int tree,
		 const char *const *excl)
{
	struct it_name *f = new_name(c, path, mask, tree, excl);
	struct watch *w;
	struct stat st;

	if (!f) {
		c->error = ENOMEM;
		return -1;
	}
	if (f->ncomp == 0 || existing(c, f, &st) == f->ncomp) {
		/* there: watched now, its failures the caller's */
		w = it_watch_root(c, path, f->mask, excl, tree, 0);
		if (!w || f->ncomp == 0) {
			free(f->path);
			free(f->comp);
			return w ? 0 : -1;
		}
		w->flags = (w->flags & ~IT_W_ANCHOR) | IT_W_NAMED;
		f->root = it_wtab_wd(&c->tab, w);
		f->rdev = st.st_dev;
		f->rino = st.st_ino;
	}
	c->nfollow++;
	resolve(c, f, 0);
	c->follow_gen = c->tab.gen;
	return 0;
}

void it_names_free(struct it_ctx *c)
{
	for (size_t i = 0; i < c->nfollow; i++) {
		free(c->follow[i].path);
		free(c->follow[i].comp);
	}
	free(c->follow);
	free(c->npath.data);
	c->follow = NULL;
	c->nfollow = 0;
	c->npath = (struct it_buf){ 0 };
}
