/* util.h: the library's leaf helpers; they call no other file of it. */
#ifndef IT_UTIL_H
#define IT_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* A growable byte buffer: synthetic events, formatter output. */
struct it_buf {
	char *data;
	size_t len, cap, pos;
};

/* Append n bytes to b; -1 on allocation failure. */
int it_buf_put(struct it_buf *b, const void *p, size_t n);

/* Append an inotify-shaped event to b, its name (NULL or "": none)
 * NUL-padded to a multiple of the header's size as the kernel pads it;
 * -1 on allocation failure, b then holding part of it. */
int it_buf_put_event(struct it_buf *b, int wd, uint32_t mask, uint32_t cookie,
		     const char *name);

/*
 * The array p (*cap elements of size bytes) with room for need elements:
 * p itself if it has it, else p reallocated to min elements or twice
 * *cap, doubled again until need fits, and *cap updated. NULL without
 * memory (errno ENOMEM), p and *cap left as they were.
 */
void *it_grow(void *p, size_t *cap, size_t need, size_t size, size_t min);

/* The first value of it_hash(). */
#define IT_HASH_INIT 2166136261u

/* FNV-1a of the n bytes at p, continuing from h (IT_HASH_INIT to start). */
uint32_t it_hash(uint32_t h, const void *p, size_t n);

/* Milliseconds of CLOCK_MONOTONIC. */
int64_t it_now_ms(void);

/* Milliseconds from now to deadline (it_now_ms() scale; -1: none, gives -1),
 * 0 once it has passed, at most INT_MAX: a poll timeout. */
int it_ms_left(int64_t deadline);

/* The absolute path of path (malloc'd, NULL with errno); with nofollow, a
 * symbolic link keeps its own name in its resolved directory. */
char *it_abspath(const char *path, int nofollow);

#endif
