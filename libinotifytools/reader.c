/* reader.c: the events handed out; it reads no descriptor, changes no watch.
 *
 * The synthetic events of our scans first, then the tree's (the followed
 * names brought up to date with them), filtered and counted. */
#include "config.h"

#include "ctx.h"

#include <sys/inotify.h>

#define EV_SIZE(ev) (sizeof(struct inotify_event) + (ev)->len)

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

struct inotify_event *it_next_event(struct it_ctx *c, int64_t deadline_ms)
{
	struct inotify_event *ev;

	if (c->zombie) {
		it_wtab_release(&c->tab, c->zombie, c->keep_counted);
		c->zombie = NULL;
	}
	c->error = 0;
	for (;;) {
		c->ev_pid = 0; /* our scans' events have no process */
		if ((ev = syn_pop(c))) {
			/* ours: the names are up to date with it */
		} else if ((ev = it_tree_next(c, deadline_ms))) {
			if (c->nfollow && it_names_event(c, ev))
				continue;
		} else {
			if (!c->error && c->syn.pos < c->syn.len)
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
