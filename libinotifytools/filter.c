/* filter.c: hiding events by a regular expression on their path. */
#include "config.h"

#include "ctx.h"

#include <errno.h>
#include <string.h>

int it_filter_set(struct it_ctx *c, const char *pattern, int cflags, int invert)
{
	if (c->have_regex)
		regfree(&c->regex);
	c->have_regex = 0;
	if (!pattern)
		return 0;
	if (regcomp(&c->regex, pattern, cflags | REG_NOSUB) != 0) {
		c->error = EINVAL;
		return -1;
	}
	c->have_regex = 1;
	c->invert = invert;
	return 0;
}

int it_filter_hides(struct it_ctx *c, const struct inotify_event *ev)
{
	size_t dirlen;
	const char *dir = it_event_dir(c, ev, &dirlen);
	const char *name = ev->len ? ev->name : "";
	int match;

	c->scratch.len = 0;
	if (it_buf_put(&c->scratch, dir, dirlen) ||
	    it_buf_put(&c->scratch, name, strlen(name) + 1))
		return 0;
	match = regexec(&c->regex, c->scratch.data, 0, NULL, 0) == 0;
	return c->invert ? !match : match;
}
