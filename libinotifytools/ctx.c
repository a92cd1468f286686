/* ctx.c: opening and closing a context; the only file that names a backend. */
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
	c->fd = -1;
	it_wtab_init(&c->tab);
	c->be = !fanotify    ? &it_backend_inotify
		: filesystem ? &it_backend_fanotify_fs
			     : &it_backend_fanotify;
	if (c->be->open(c) < 0)
		return -1;
	c->rsize = READ_SIZE;
	c->rbuf = aligned_alloc(__alignof__(struct inotify_event), c->rsize);
	if (!c->rbuf) {
		c->be->close(c);
		close(c->fd);
		c->fd = -1;
		c->error = ENOMEM;
		return -1;
	}
	return 0;
}

void it_ctx_close(struct it_ctx *c)
{
	if (c->be)
		c->be->close(c);
	if (c->fd >= 0)
		close(c->fd);
	it_names_free(c);
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
