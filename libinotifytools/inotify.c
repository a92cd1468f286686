/* inotify.c: the inotify backend; it follows no tree (tree.c does).
 *
 * One kernel watch per path; events are handed out as the kernel writes
 * them. */
#include "config.h"

#include "ctx.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <unistd.h>

/* How long a MOVED_FROM waits for its MOVED_TO before it counts as a move
 * out of the tree: the kernel queues both in one rename, microseconds apart. */
#define MOVE_WAIT_MS 5

#define EV_SIZE(ev) (sizeof(struct inotify_event) + (ev)->len)

static int in_open(struct it_ctx *c)
{
	if ((c->fd = inotify_init1(IN_CLOEXEC)) < 0) {
		c->error = errno;
		return -1;
	}
	return 0;
}

static void in_close(struct it_ctx *c)
{
	(void)c;
}

static int in_add(struct it_ctx *c, const char *path, uint32_t mask)
{
	return inotify_add_watch(c->fd, path, mask);
}

static int in_rm(struct it_ctx *c, struct watch *w)
{
	return inotify_rm_watch(c->fd, it_wtab_wd(&c->tab, w));
}

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

/* Read more events after the first keep bytes of the buffer, waiting up to
 * wait_ms (-1: forever) with sigmask (NULL: unchanged) in force. 1 if read,
 * 0 on timeout, -1 with c->error. */
static int read_at(struct it_ctx *c, size_t keep, int wait_ms,
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

static int in_fill(struct it_ctx *c, int64_t deadline)
{
	c->rbase += c->rend;
	c->rpos = c->rend = 0;
	return read_at(c, 0, it_ms_left(deadline), c->sigmask);
}

static struct inotify_event *in_take(struct it_ctx *c, struct it_raw *r)
{
	struct inotify_event *ev;

	/* what is not as the kernel writes it: dropped, with the rest */
	if (c->rpos < c->rend && !ev_ok(c->rbuf, c->rpos, c->rend))
		c->rpos = c->rend;
	if (c->rpos >= c->rend)
		return NULL;
	ev = (struct inotify_event *)(void *)(c->rbuf + c->rpos);
	r->pos = c->rbase + c->rpos;
	c->rpos += EV_SIZE(ev);
	r->end = c->rbase + c->rpos;
	r->flags = 0;
	r->pid = 0; /* inotify does not say */
	return ev;
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

/* Reading ahead moves the unread events, and *evp with them, to the start
 * of the buffer. */
static int in_pairs(struct it_ctx *c, struct inotify_event **evp,
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
	while (read_at(c, c->rend, MOVE_WAIT_MS, NULL) > 0) {
		if (has_moved_to(c, scanned, cookie))
			return 1;
		scanned = c->rend;
	}
	c->error = 0;
	return 0;
}

static uint64_t in_queue_end(struct it_ctx *c)
{
	int n = 0;

	if (ioctl(c->fd, FIONREAD, &n) < 0)
		return UINT64_MAX;
	return c->rbase + c->rend + (uint64_t)n;
}

static const char *in_hint(const struct it_ctx *c, int err)
{
	(void)c;
	(void)err;
	return NULL;
}

const struct it_backend it_backend_inotify = {
	.caps = IT_CAP_ECHO,
	.open = in_open,
	.close = in_close,
	.add = in_add,
	.remask = in_add,
	.rm = in_rm,
	.fill = in_fill,
	.take = in_take,
	.pairs = in_pairs,
	.queue_end = in_queue_end,
	.msg_limit =
		"Failed to watch %s; upper limit on inotify watches reached!\n",
	.msg_limit_hint = "Please increase the amount of inotify watches "
			  "allowed per user via "
			  "`/proc/sys/fs/inotify/max_user_watches'.\n",
	.hint = in_hint,
};
