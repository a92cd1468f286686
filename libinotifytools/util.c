/* util.c: buffers, growth, hashing, clocks, paths; it calls no other file. */
#include "config.h"

#include "util.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>

int it_buf_put(struct it_buf *b, const void *p, size_t n)
{
	char *d;

	if (n == 0)
		return 0;
	if (b->len + n > b->cap) {
		if (!(d = it_grow(b->data, &b->cap, b->len + n, 1, 256)))
			return -1;
		b->data = d;
	}
	memcpy(b->data + b->len, p, n);
	b->len += n;
	return 0;
}

int it_buf_put_event(struct it_buf *b, int wd, uint32_t mask, uint32_t cookie,
		     const char *name)
{
	static const char zeros[sizeof(struct inotify_event)];
	size_t n = name && *name ? strlen(name) + 1 : 0;
	size_t len = (n + sizeof(struct inotify_event) - 1) &
		     ~(sizeof(struct inotify_event) - 1);
	struct inotify_event ev = {
		.wd = wd, .mask = mask, .cookie = cookie, .len = (uint32_t)len
	};

	if (it_buf_put(b, &ev, sizeof(ev)) || it_buf_put(b, name, n) ||
	    it_buf_put(b, zeros, len - n))
		return -1;
	return 0;
}

void *it_grow(void *p, size_t *cap, size_t need, size_t size, size_t min)
{
	size_t n = *cap ? *cap : min;
	void *v;

	if (need <= *cap)
		return p;
	while (n < need && n <= SIZE_MAX / 2)
		n *= 2;
	if (n < need || n > SIZE_MAX / size || !(v = realloc(p, n * size))) {
		errno = ENOMEM;
		return NULL;
	}
	*cap = n;
	return v;
}

uint32_t it_hash(uint32_t h, const void *p, size_t n)
{
	const unsigned char *s = p;

	while (n--)
		h = (h ^ *s++) * 16777619u;
	return h;
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

char *it_abspath(const char *path, int nofollow)
{
	const char *slash = strrchr(path, '/'), *base;
	struct stat st;
	char *dir, *p;
	size_t n;

	if (!nofollow || lstat(path, &st) < 0 || !S_ISLNK(st.st_mode))
		return realpath(path, NULL);
	/* -P on a symbolic link: resolve its directory, keep its name */
	if (!slash) {
		dir = realpath(".", NULL);
	} else if (slash == path) {
		dir = strdup("/");
	} else {
		char *d = strndup(path, (size_t)(slash - path));

		dir = d ? realpath(d, NULL) : NULL;
		free(d);
	}
	if (!dir)
		return NULL;
	base = slash ? slash + 1 : path;
	n = strlen(dir);
	if ((p = malloc(n + strlen(base) + 2)))
		sprintf(p, "%s%s%s", dir, dir[n - 1] == '/' ? "" : "/", base);
	free(dir);
	return p;
}
