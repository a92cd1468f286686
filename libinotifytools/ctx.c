/* ctx.c: opening and closing a library context; small shared helpers. */
#include "config.h"

#include "ctx.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define READ_SIZE (256 * 1024)

int it_ctx_open(struct it_ctx *c)
{
	return it_ctx_open_backend(c, 0, 0);
}

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

int it_buf_put(struct it_buf *b, const void *p, size_t n)
{
	if (n == 0)
		return 0;
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		char *d;

		while (cap < b->len + n)
			cap *= 2;
		if (!(d = realloc(b->data, cap)))
			return -1;
		b->data = d;
		b->cap = cap;
	}
	memcpy(b->data + b->len, p, n);
	b->len += n;
	return 0;
}

int64_t it_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int it_ms_left(int64_t deadline)
{
	int64_t left;

	if (deadline < 0)
		return -1;
	left = deadline - it_now_ms();
	return left <= 0 ? 0 : left > INT_MAX ? INT_MAX : (int)left;
}
