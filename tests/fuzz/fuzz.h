/* fuzz.h: helpers shared by the libFuzzer targets of tests/fuzz. */
#ifndef IT_FUZZ_H
#define IT_FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A property of the code under test failed: stop so that libFuzzer keeps
 * the input. */
#define FUZZ_ASSERT(cond)                                                      \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "%s:%d: assertion failed: %s\n",       \
				__FILE__, __LINE__, #cond);                    \
			abort();                                               \
		}                                                              \
	} while (0)

/* Consume the first n bytes of *d (zero-filled past the end). */
static inline void fuzz_take(const uint8_t **d, size_t *n, void *out,
			     size_t want)
{
	size_t k = *n < want ? *n : want;

	memset(out, 0, want);
	memcpy(out, *d, k);
	*d += k;
	*n -= k;
}

/* A NUL-terminated copy of the rest of the input. */
static inline char *fuzz_str(const uint8_t *d, size_t n)
{
	char *s = malloc(n + 1);

	if (!s)
		abort();
	memcpy(s, d, n);
	s[n] = '\0';
	return s;
}

/* The string after the next NUL of s (within end), or "" past the end. */
static inline char *fuzz_next(char *s, char *end)
{
	size_t n = strlen(s);

	return s + n < end ? s + n + 1 : end;
}

/* An event as the kernel writes it: name NUL-padded to a multiple of 16
 * bytes, len 0 when name is NULL. Free with free(). */
static inline struct inotify_event *
fuzz_event(int wd, uint32_t mask, uint32_t cookie, const char *name)
{
	size_t n = name ? strlen(name) : 0;
	size_t len = name ? (n + 16) / 16 * 16 : 0;
	struct inotify_event *ev = calloc(1, sizeof(*ev) + len);

	if (!ev)
		abort();
	ev->wd = wd;
	ev->mask = mask;
	ev->cookie = cookie;
	ev->len = (uint32_t)len;
	if (name)
		memcpy(ev->name, name, n);
	return ev;
}

#endif
