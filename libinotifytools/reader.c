/* reader.c: reading events, and keeping the watch table true to the tree. */
#include "config.h"

#include "ctx.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <string.h>
#include <unistd.h>

/* How long a MOVED_FROM waits for its MOVED_TO before it counts as a move
 * out of the tree: the kernel queues both in one rename, microseconds apart. */
#define MOVE_WAIT_MS 5

/* How long a rescan after a queue overflow may wait for the burst that
 * caused it to end: one rescan then covers every overflow of the burst. */
#define RESCAN_DELAY_MS 200

#define EV_SIZE(ev) (sizeof(struct inotify_event) + (ev)->len)

/*
 * Whether the bytes at buf[pos..end) start with a whole event the way the
 * kernel writes them: its name fits, is NUL-terminated, and the next event
 * is aligned. The kernel never breaks this; a corrupt buffer must still not
 * make us read past its end.
 */
static int ev_ok(const char *buf, size_t pos, size_t end)
{
	const struct inotify_event *ev = (const void *)(buf + pos);

	if (end - pos < sizeof(*ev))
		return 0;
	if (ev->len > end - pos - sizeof(*ev) ||
	    ev->len % __alignof__(struct inotify_event))
		return 0;
	return ev->len == 0 || ev->name[ev->len - 1] == '\0';
}

static struct watch *child_watch(struct it_ctx *c, const struct watch *w,
				 const struct inotify_event *ev);

void it_quiet_begin(struct it_ctx *c, unsigned long seq)
{
	if (c->rbase + c->rpos >= c->quiet_until || seq < c->quiet_seq)
		c->quiet_seq = seq;
	c->quiet_until = UINT64_MAX;
}

void it_quiet_end(struct it_ctx *c)
{
	int n = 0;

	if (ioctl(c->fd, FIONREAD, &n) == 0)
		c->quiet_until =
			(c->fan ? it_fan_queue_pos(c) : c->rbase + c->rend) +
			(uint64_t)n;
}

/*
 * Whether ev, queued before a scan of ours ended, is a read of a directory
 * by that scan: it concerns a directory the scan watched.
 */
static int own_read(struct it_ctx *c, const struct watch *w,
		    const struct inotify_event *ev)
{
	const struct watch *cw;

	if (!(ev->mask & IN_ISDIR) ||
	    !(ev->mask & (IN_OPEN | IN_ACCESS | IN_CLOSE_NOWRITE)))
		return 0;
	if (!ev->len)
		return w->seq >= c->quiet_seq;
	cw = child_watch(c, w, ev);
	return cw && cw->seq >= c->quiet_seq;
}

static struct inotify_event *syn_pop(struct it_ctx *c)
{
	struct inotify_event *ev;

	if (c->syn.pos >= c->syn.len) {
		c->syn.pos = c->syn.len = 0;
		return NULL;
	}
	ev = (struct inotify_event *)(void *)(c->syn.data + c->syn.pos);
	c->syn.pos += EV_SIZE(ev);
	return ev;
}

/* Read more events after the first keep bytes of the buffer, waiting up to
 * wait_ms (-1: forever) with sigmask (NULL: unchanged) in force. 1 if read,
 * 0 on timeout, -1 with c->error. */
static int fill(struct it_ctx *c, size_t keep, int wait_ms,
		const sigset_t *sigmask)
{
	struct pollfd p = { .fd = c->fd, .events = POLLIN };
	struct timespec ts = { wait_ms / 1000, (wait_ms % 1000) * 1000000L };
	ssize_t n;
	int r;

	if (c->fd < 0) {
		c->error = EBADF;
		return -1;
	}
	if (c->rsize - keep < sizeof(struct inotify_event) + NAME_MAX + 1)
		return 0;
	if ((r = ppoll(&p, 1, wait_ms < 0 ? NULL : &ts, sigmask)) <= 0) {
		c->error = r < 0 ? errno : 0;
		return r;
	}
	do
		n = read(c->fd, c->rbuf + keep, c->rsize - keep);
	while (n < 0 && errno == EINTR);
	if (n <= 0) {
		c->error = n < 0 ? errno : EIO;
		return -1;
	}
	c->rend = keep + (size_t)n;
	return 1;
}

static int has_moved_to(const struct it_ctx *c, size_t from, uint32_t cookie)
{
	while (from < c->rend && ev_ok(c->rbuf, from, c->rend)) {
		const struct inotify_event *ev = (const void *)(c->rbuf + from);

		if ((ev->mask & IN_MOVED_TO) && ev->cookie == cookie)
			return 1;
		from += EV_SIZE(ev);
	}
	return 0;
}

/*
 * Whether the MOVED_TO of cookie follows the current event *evp, reading
 * ahead if needed. Reading ahead moves the unread events, and *evp with
 * them, to the start of the buffer.
 */
static int move_pairs(struct it_ctx *c, struct inotify_event **evp,
		      uint32_t cookie)
{
	size_t cur = (size_t)((char *)*evp - c->rbuf);
	size_t scanned = c->rpos;

	if (has_moved_to(c, c->rpos, cookie))
		return 1;
	if (cur > 0) {
		memmove(c->rbuf, c->rbuf + cur, c->rend - cur);
		c->rbase += cur;
		c->rend -= cur;
		c->rpos -= cur;
		scanned -= cur;
		*evp = (struct inotify_event *)(void *)c->rbuf;
	}
	while (fill(c, c->rend, MOVE_WAIT_MS, NULL) > 0) {
		if (has_moved_to(c, scanned, cookie))
			return 1;
		scanned = c->rend;
	}
	c->error = 0;
	return 0;
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

/* The child directory watch that ev (on watch w) names, or NULL. */
static struct watch *child_watch(struct it_ctx *c, const struct watch *w,
				 const struct inotify_event *ev)
{
	return it_wtab_child(&c->tab, w, ev->name, strlen(ev->name));
}

static void moved_from(struct it_ctx *c, struct watch *w,
		       struct inotify_event **evp)
{
	struct watch *cw = child_watch(c, w, *evp);
	struct it_move *m;

	if (!cw || !cw->parent)
		return;
	if ((m = find_move(c, (*evp)->cookie, cw)))
		drop_move(c, m);
	if (move_pairs(c, evp, (*evp)->cookie) && c->nmoves < IT_MAX_MOVES) {
		c->moves[c->nmoves].cookie = (*evp)->cookie;
		c->moves[c->nmoves++].w = cw;
	} else {
		it_unwatch(c, cw);
		cw->flags |= IT_W_MOVED_OUT;
	}
}

/* Whether w is a or lies below it. */
static int within(struct it_ctx *c, const struct watch *w,
		  const struct watch *a)
{
	for (; w; w = w->parent ? it_wtab_at(&c->tab, w->parent) : NULL)
		if (w == a)
			return 1;
	return 0;
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

		drop_move(c, m);
		c->scratch.len = 0;
		/* (into its own subtree: the kernel refuses such a rename) */
		if (within(c, w, mw) || it_buf_put(&c->scratch, ev->name, n) ||
		    it_buf_put(&c->scratch, "/", 1) ||
		    it_wtab_rename(&c->tab, mw, w, c->scratch.data,
				   c->scratch.len) < 0 ||
		    moved_to_excluded(c, mw))
			it_unwatch(c, mw);
	} else if (c->autowatch) {
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

/*
 * Bring the watch table up to date with *evp. Returns 0 to deliver the
 * event, 1 to drop it (it concerns a watch that is gone).
 */
static int maintain(struct it_ctx *c, struct inotify_event **evp)
{
	struct inotify_event *ev = *evp;
	struct watch *w;

	if (ev->wd == -1) {
		if ((ev->mask & IN_Q_OVERFLOW) && c->autowatch && !c->rescan_at)
			c->rescan_at = it_now_ms() + RESCAN_DELAY_MS;
		return 0;
	}
	if (!(w = it_wtab_by_wd(&c->tab, ev->wd)))
		return 1;
	if (w->flags & IT_W_DEAD) {
		if (ev->mask & IN_IGNORED) {
			/* the end of a watch removed through the API is shown,
			 * as upstream shows it (no longer under any name) */
			int show = (w->flags & IT_W_REMOVED) != 0;

			/* (a second IGNORED for the zombie: the kernel sends
			 * one, the zombie is released at the next read) */
			if (w != c->zombie)
				it_wtab_release(&c->tab, w, c->keep_counted);
			return !show;
		}
		/* the move that took it out of the tree, under its old name */
		if ((ev->mask & IN_MOVE_SELF) && (w->flags & IT_W_MOVED_OUT)) {
			w->flags &= ~IT_W_MOVED_OUT;
			return 0;
		}
		return 1;
	}
	if (c->rbase + (uint64_t)((char *)ev - c->rbuf) >= c->quiet_until)
		it_seen_clear(&c->seen);
	else if (own_read(c, w, ev) ||
		 ((ev->mask & IN_CREATE) && ev->len &&
		  it_seen_take(&c->seen, ev->wd, ev->name)))
		return 1;
	if (ev->mask & IN_IGNORED)
		ignored(c, w);
	else if (!ev->len) {
		/* on the watched object itself: nothing below it changed */
	} else if ((ev->mask & (IN_MOVED_FROM | IN_ISDIR)) ==
		   (IN_MOVED_FROM | IN_ISDIR))
		moved_from(c, w, evp);
	else if ((ev->mask & (IN_MOVED_TO | IN_ISDIR)) ==
		 (IN_MOVED_TO | IN_ISDIR))
		moved_to(c, w, ev);
	else if ((ev->mask & (IN_CREATE | IN_ISDIR)) ==
			 (IN_CREATE | IN_ISDIR) &&
		 c->autowatch)
		it_watch_new_dir(c, w, ev->name, 1);
	return 0;
}

/* The next kernel event, maintained; NULL at the deadline or on error. */
static struct inotify_event *next_kernel(struct it_ctx *c, int64_t deadline)
{
	for (;;) {
		struct inotify_event *ev;
		int r;

		if (c->rpos >= c->rend) {
			c->rbase += c->rend;
			c->rpos = c->rend = 0;
			r = 0;
			/* After an overflow, rescan once the burst is over. */
			if (c->rescan_at && it_now_ms() < c->rescan_at)
				r = fill(c, 0, 0, c->sigmask);
			if (r == 0 && c->rescan_at) {
				c->rescan_at = 0;
				it_rescan(c);
			}
			if (r == 0)
				r = fill(c, 0, it_ms_left(deadline),
					 c->sigmask);
			if (r <= 0)
				return NULL;
		}
		if (!ev_ok(c->rbuf, c->rpos, c->rend)) {
			/* not what the kernel writes: drop the rest */
			c->rpos = c->rend;
			continue;
		}
		ev = (struct inotify_event *)(void *)(c->rbuf + c->rpos);
		c->rpos += EV_SIZE(ev);
		if (maintain(c, &ev) == 0)
			return ev;
	}
}

struct inotify_event *it_next_event(struct it_ctx *c, int64_t deadline_ms)
{
	struct inotify_event *ev;

	if (c->zombie) {
		it_wtab_release(&c->tab, c->zombie, c->keep_counted);
		c->zombie = NULL;
	}
	c->error = 0;
	for (;;) {
		if (!(ev = syn_pop(c)) &&
		    !(ev = c->fan ? it_fan_next(c, deadline_ms)
				  : next_kernel(c, deadline_ms))) {
			if (c->fan && !c->error && c->syn.pos < c->syn.len)
				continue;
			return NULL;
		}
		if (c->npats && it_filter_hides(c, ev))
			continue;
		if (c->stats)
			it_stats_record(c, ev);
		return ev;
	}
}
