/* seen.c: the echoes of our own scans, told apart; it changes no watch.
 *
 * What a scan read (while it is queued: the quiet window), and the entries
 * it reported as created: the kernel's copies are dropped. */
#include "config.h"

#include "ctx.h"

#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>

static uint32_t hash_name(int wd, const char *name)
{
	return it_hash(IT_HASH_INIT ^ (uint32_t)wd, name, strlen(name));
}

static struct it_seen_entry *find(struct it_seen *s, int wd, uint32_t h,
				  const char *name)
{
	size_t mask = s->nslots - 1;

	for (size_t i = h & mask;; i = (i + 1) & mask) {
		struct it_seen_entry *e = &s->slot[i];

		if (e->wd == 0)
			return e;
		if (e->wd == wd && e->hash == h &&
		    !strcmp(s->names.data + e->name, name))
			return e;
	}
}

static int grow(struct it_seen *s)
{
	size_t n = s->nslots ? s->nslots * 2 : 64;
	struct it_seen_entry *old = s->slot, *e;
	size_t oldn = s->nslots;

	if (!(s->slot = calloc(n, sizeof(*s->slot)))) {
		s->slot = old;
		return -1;
	}
	s->nslots = n;
	s->n = 0;
	for (size_t i = 0; i < oldn; i++) {
		if (old[i].wd <= 0)
			continue;
		s->n++;
		e = find(s, old[i].wd, old[i].hash,
			 s->names.data + old[i].name);
		*e = old[i];
	}
	free(old);
	return 0;
}

int it_seen_add(struct it_seen *s, int wd, const char *name)
{
	uint32_t h = hash_name(wd, name);
	struct it_seen_entry *e;
	size_t off = s->names.len;

	if ((s->n + 1) * 2 > s->nslots && grow(s) < 0)
		return -1;
	e = find(s, wd, h, name);
	if (e->wd)
		return 0;
	if (it_buf_put(&s->names, name, strlen(name) + 1) < 0)
		return -1;
	e->wd = wd;
	e->hash = h;
	e->name = off;
	s->n++;
	return 0;
}

int it_seen_take(struct it_seen *s, int wd, const char *name)
{
	struct it_seen_entry *e;

	if (s->n == 0)
		return 0;
	e = find(s, wd, hash_name(wd, name), name);
	if (!e->wd)
		return 0;
	/* A tombstone: wd -1 never matches a real watch and keeps probing. */
	e->wd = -1;
	return 1;
}

void it_seen_clear(struct it_seen *s)
{
	if (s->n == 0)
		return;
	memset(s->slot, 0, s->nslots * sizeof(*s->slot));
	s->n = 0;
	s->names.len = 0;
}

void it_seen_free(struct it_seen *s)
{
	free(s->slot);
	free(s->names.data);
	memset(s, 0, sizeof(*s));
}

void it_quiet_begin(struct it_ctx *c, long wd)
{
	if (c->qtaken >= c->quiet_until || wd < c->quiet_wd)
		c->quiet_wd = wd;
	c->quiet_until = UINT64_MAX;
}

void it_quiet_made(struct it_ctx *c, int wd)
{
	if (c->qtaken < c->quiet_until && wd < c->quiet_wd)
		c->quiet_wd = wd;
}

void it_quiet_end(struct it_ctx *c)
{
	c->quiet_until = c->be->queue_end(c);
}

/*
 * Whether ev on w, queued before a scan of ours ended, is a read of a
 * directory by that scan: it concerns a directory the scan watched.
 */
static int own_read(struct it_ctx *c, const struct watch *w,
		    const struct inotify_event *ev)
{
	const struct watch *cw;

	if (!(ev->mask & IN_ISDIR) ||
	    !(ev->mask & (IN_OPEN | IN_ACCESS | IN_CLOSE_NOWRITE)))
		return 0;
	if (!ev->len)
		return it_wtab_wd(&c->tab, w) >= c->quiet_wd;
	cw = it_wtab_child(&c->tab, w, ev->name, strlen(ev->name));
	return cw && it_wtab_wd(&c->tab, cw) >= c->quiet_wd;
}

int it_quiet_echo(struct it_ctx *c, const struct watch *w,
		  const struct inotify_event *ev, uint64_t pos)
{
	if (pos >= c->quiet_until) {
		it_seen_clear(&c->seen);
		return 0;
	}
	if ((c->be->caps & IT_CAP_ECHO) && own_read(c, w, ev))
		return 1;
	return (ev->mask & IN_CREATE) && ev->len &&
	       it_seen_take(&c->seen, ev->wd, ev->name);
}
