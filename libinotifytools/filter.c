/* filter.c: hiding events by regexes on their paths; it changes no watch. */
#include "config.h"

#include "ctx.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void it_filter_clear(struct it_ctx *c)
{
	for (size_t i = 0; i < c->npats; i++)
		regfree(&c->pats[i].re);
	free(c->pats);
	c->pats = NULL;
	c->npats = c->nincl = 0;
}

int it_filter_add(struct it_ctx *c, const char *pattern, int cflags,
		  int include)
{
	struct it_pattern *p;

	if (!(p = realloc(c->pats, (c->npats + 1) * sizeof(*p)))) {
		c->error = ENOMEM;
		return -1;
	}
	c->pats = p;
	p += c->npats;
	if (regcomp(&p->re, pattern, cflags | REG_NOSUB) != 0) {
		c->error = EINVAL;
		return -1;
	}
	p->include = include;
	c->npats++;
	c->nincl += include != 0;
	return 0;
}

int it_filter_set(struct it_ctx *c, const char *pattern, int cflags, int invert)
{
	it_filter_clear(c);
	return pattern ? it_filter_add(c, pattern, cflags, invert) : 0;
}

/* Whether s matches any pattern of the kind include. */
static int any_match(const struct it_ctx *c, const char *s, int include)
{
	for (size_t i = 0; i < c->npats; i++)
		if (!c->pats[i].include == !include &&
		    regexec(&c->pats[i].re, s, 0, NULL, 0) == 0)
			return 1;
	return 0;
}

int it_filter_hides(struct it_ctx *c, const struct inotify_event *ev)
{
	size_t dirlen;
	const char *dir = it_wtab_event_dir(&c->tab, ev, &dirlen);
	const char *name = ev->len ? ev->name : "";

	c->scratch.len = 0;
	if (it_buf_put(&c->scratch, dir, dirlen) ||
	    it_buf_put(&c->scratch, name, strlen(name) + 1))
		return 0;
	if (c->nincl && !any_match(c, c->scratch.data, 1))
		return 1;
	return c->npats > c->nincl && any_match(c, c->scratch.data, 0);
}

int it_filter_prunes(struct it_ctx *c, const char *path, size_t len)
{
	char *s;
	int hit;

	if (!c->prune || c->npats == c->nincl || !len || path[len - 1] != '/')
		return 0;
	if (!(s = malloc(len + 1)))
		return 0;
	memcpy(s, path, len);
	s[len] = '\0';
	hit = any_match(c, s, 0);
	if (!hit) {
		s[len - 1] = '\0';
		hit = any_match(c, s, 0);
	}
	free(s);
	return hit;
}
