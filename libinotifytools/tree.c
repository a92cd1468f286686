/* tree.c: the watch table kept true to the tree; never asks which backend.
 *
 * Directory moves paired by cookie, subtrees moved out, IN_IGNORED, new and
 * recreated directories, rescans after an overflow: for every backend,
 * through backend.h.
 */
#include "config.h"

#include "ctx.h"

#include <string.h>
#include <sys/inotify.h>

/* How long a rescan after a queue overflow may wait for the burst that
 * caused it to end: one rescan then covers every overflow of the burst. */
#define RESCAN_DELAY_MS 200

/* Whether new directories get watches: a whole-filesystem mark needs none. */
static int follows(const struct it_ctx *c)
{
	return c->autowatch && !(c->be->caps & IT_CAP_WHOLE_FS);
}

static struct it_move *find_move(struct it_ctx *c, uint32_t cookie,
				 const struct watch *w)
{
	for (size_t i = 0; i < c->nmoves; i++)
		if (c->moves[i].cookie == cookie || c->moves[i].w == w)
			return &c->moves[i];
	return NULL;
}

static void drop_move(struct it_ctx *c, struct it_move *m)
{
	*m = c->moves[--c->nmoves];
}

static void moved_from(struct it_ctx *c, struct watch *w,
		       struct inotify_event **evp)
{
	uint32_t cookie = (*evp)->cookie;
	struct watch *cw =
		it_wtab_child(&c->tab, w, (*evp)->name, strlen((*evp)->name));
	struct it_move *m;

	if (!cw || !cw->parent)
		return;
	if ((m = find_move(c, cookie, cw)))
		drop_move(c, m);
	if (c->be->pairs(c, evp, cookie) && c->nmoves < IT_MAX_MOVES) {
		c->moves[c->nmoves].cookie = cookie;
		c->moves[c->nmoves++].w = cw;
		return;
	}
	/* moved out of the tree: its MOVE_SELF is still shown */
	if (it_wtab_mask(&c->tab, cw) & IN_MOVE_SELF)
		cw->flags |= IT_W_MOVED_OUT;
	it_unwatch(c, cw);
}

/* Whether the renamed directory w now has a name --exclude prunes. */
static int moved_to_excluded(struct it_ctx *c, const struct watch *w)
{
	size_t len;
	const char *p;

	if (!c->prune)
		return 0;
	p = it_wtab_path(&c->tab, w, &len);
	return it_filter_prunes(c, p, len);
}

static void moved_to(struct it_ctx *c, struct watch *w,
		     const struct inotify_event *ev)
{
	struct it_move *m = find_move(c, ev->cookie, NULL);
	size_t n = strlen(ev->name);

	if (m && m->cookie == ev->cookie) {
		struct watch *mw = m->w;
		unsigned before = it_wtab_depth(&c->tab, mw);

		drop_move(c, m);
		c->scratch.len = 0;
		/* (into its own subtree: the kernel refuses such a rename) */
		if (it_wtab_within(&c->tab, w, mw) ||
		    it_buf_put(&c->scratch, ev->name, n) ||
		    it_buf_put(&c->scratch, "/", 1) ||
		    it_wtab_rename(&c->tab, mw, w, c->scratch.data,
				   c->scratch.len) < 0 ||
		    moved_to_excluded(c, mw))
			it_unwatch(c, mw);
		else
			it_watch_moved(c, mw, before);
	} else if (follows(c)) {
		it_watch_new_dir(c, w, ev->name, 0);
	}
}

static void ignored(struct it_ctx *c, struct watch *w)
{
	struct it_move *m = find_move(c, 0, w);

	if (m && m->w == w)
		drop_move(c, m);
	if (c->zombie)
		it_wtab_release(&c->tab, c->zombie, c->keep_counted);
	it_wtab_kill(&c->tab, w);
	c->zombie = w;
}

/* An event on w, which is dead: 0 to deliver it, 1 to drop it. */
static int dead(struct it_ctx *c, struct watch *w, struct inotify_event *ev)
{
	if (ev->mask & IN_IGNORED) {
		/* the end of a watch removed through the API is shown, as
		 * upstream shows it (no longer under any name) */
		int show = (w->flags & IT_W_REMOVED) != 0;

		/* (a second IGNORED for the zombie: the kernel sends one,
		 * the zombie is released at the next read) */
		if (w != c->zombie)
			it_wtab_release(&c->tab, w, c->keep_counted);
		return !show;
	}
	/* the move that took it out of the tree, under its old name */
	if ((ev->mask & IN_MOVE_SELF) && (w->flags & IT_W_MOVED_OUT)) {
		w->flags &= ~IT_W_MOVED_OUT;
		ev->mask &= IN_MOVE_SELF | IN_ISDIR;
		return 0;
	}
	return 1;
}

/* What *evp, on the live w, changes below w; moves: the bits of IN_MOVE
 * that are moves of the tree. */
static void follow(struct it_ctx *c, struct watch *w,
		   struct inotify_event **evp, uint32_t moves)
{
	uint32_t mask = (*evp)->mask;

	if (mask & IN_IGNORED) {
		ignored(c, w);
	} else if (!(*evp)->len || !(mask & IN_ISDIR)) {
		/* the watched object itself, or no directory: nothing */
	} else if (mask & moves & IN_MOVED_FROM) {
		moved_from(c, w, evp);
	} else if (mask & IN_CREATE) {
		if (follows(c))
			it_watch_new_dir(c, w, (*evp)->name, 1);
	} else if (mask & moves & IN_MOVED_TO) {
		moved_to(c, w, *evp);
	}
}

/*
 * Bring the watch table up to date with *evp, taken as r says. Returns 0
 * to deliver the event, 1 to drop it (it concerns a watch that is gone,
 * or our own scan caused it).
 */
static int maintain(struct it_ctx *c, struct inotify_event **evp,
		    const struct it_raw *r)
{
	struct inotify_event *ev = *evp;
	struct watch *w;

	if (ev->wd == -1) {
		if ((ev->mask & IN_Q_OVERFLOW) && follows(c) && !c->rescan_at)
			c->rescan_at = it_now_ms() + RESCAN_DELAY_MS;
		return 0;
	}
	if (!(w = it_wtab_by_wd(&c->tab, ev->wd)))
		return 1;
	if (w->flags & IT_W_DEAD)
		return dead(c, w, ev);
	if (it_quiet_echo(c, w, ev, r->pos))
		return 1;
	/* an anchor of names.c: nothing below it is ours */
	if (w->flags & IT_W_ANCHOR) {
		if (ev->mask & IN_IGNORED)
			ignored(c, w);
		return 0;
	}
	follow(c, w, evp, (r->flags & IT_RAW_NOMOVE) ? 0 : IN_MOVE);
	return 0;
}

/*
 * The next event of the backend, NULL at the deadline or on error. After
 * an overflow, the tree is rescanned once the burst is over: when the
 * queue is found empty, or at the latest by c->rescan_at.
 */
static struct inotify_event *take(struct it_ctx *c, int64_t deadline,
				  struct it_raw *r)
{
	const struct it_backend *be = c->be;
	struct inotify_event *ev;
	int rc;

	while (!(ev = be->take(c, r))) {
		rc = 0;
		if (c->rescan_at && it_now_ms() < c->rescan_at)
			rc = be->fill(c, 0);
		if (rc == 0 && c->rescan_at) {
			c->rescan_at = 0;
			it_rescan(c);
		}
		if (rc == 0)
			rc = be->fill(c, deadline);
		if (rc <= 0)
			return NULL;
	}
	c->qtaken = r->end;
	return ev;
}

struct inotify_event *it_tree_next(struct it_ctx *c, int64_t deadline)
{
	struct inotify_event *ev;
	struct it_raw r;

	while ((ev = take(c, deadline, &r))) {
		if (maintain(c, &ev, &r) == 0 && !(r.flags & IT_RAW_HIDDEN)) {
			c->ev_pid = r.pid;
			return ev;
		}
		if (c->syn.pos < c->syn.len) {
			c->error = 0;
			return NULL; /* the synthetic events come first */
		}
	}
	return NULL;
}
