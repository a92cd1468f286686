/* ctx.c: opening and closing a library context. */
#include "config.h"

#include "ctx.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define READ_SIZE (256 * 1024)

int it_ctx_open_backend(struct it_ctx *c, int fanotify, int filesystem)
{
	memset(c, 0, sizeof(*c));
	it_wtab_init(&c->tab);
	if (fanotify) {
		if (it_fan_open(c, filesystem) < 0)
			return -1;
	} else if ((c->fd = inotify_init1(IN_CLOEXEC)) < 0) {
		c->error = errno;
		return -1;
	}
	c->rsize = READ_SIZE;
	c->rbuf = aligned_alloc(__alignof__(struct inotify_event), c->rsize);
	if (!c->rbuf) {
		it_fan_close(c);
		close(c->fd);
		c->fd = -1;
		c->error = ENOMEM;
		return -1;
	}
	return 0;
}

void it_ctx_close(struct it_ctx *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	it_fan_close(c);
	it_wtab_free(&c->tab);
	it_filter_clear(c);
	free(c->rbuf);
	free(c->syn.data);
	free(c->scratch.data);
	it_seen_free(&c->seen);
	free(c->timefmt);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}
