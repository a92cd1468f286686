/*
 * fuzz_reader: the event-buffer walker of the inotify backend and tree.c's
 * upkeep (maintain, the MOVED_FROM/MOVED_TO pairing) fed with random
 * kernel-style buffers.
 *
 * Input: flags (1 byte), then the bytes of one read() of an inotify
 * descriptor. The context has no descriptor (fd -1): the buffer is all
 * there is, and watching new directories fails (their paths do not exist).
 * Its watch table is a small tree under /nonexistent-it-fuzz: wd 1 the
 * root, 2 a/, 3 a/b/, 4 c/, and 5 a file watched on its own.
 * flags: 1 -r (watch new directories), 2 statistics, 4 keep counted
 * watches, 8 a regex filter, 16 inverted, 32 inside a scan's quiet window.
 * Every event handed out is formatted, as inotifywait would.
 */
#include "config.h"

#include "ctx.h"
#include "fuzz.h"

#include <regex.h>

#define ROOT "/nonexistent-it-fuzz/"

static struct watch *add(struct it_ctx *c, int wd, const char *path,
			 unsigned flags, struct watch *parent)
{
	struct watch *w =
		it_wtab_add(&c->tab, wd, path, strlen(path), flags, parent);

	if (!w || it_wtab_set_mask(&c->tab, w, IN_ALL_EVENTS) < 0)
		abort();
	return w;
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	struct it_ctx c;
	struct it_buf out = { 0 };
	struct inotify_event *ev;
	struct watch *root, *a;
	uint8_t flags;
	int i;

	fuzz_take(&d, &n, &flags, 1);
	memset(&c, 0, sizeof(c));
	c.fd = -1;
	c.be = &it_backend_inotify;
	it_wtab_init(&c.tab);
	c.rsize = (n + 4096) / 4096 * 4096;
	c.rbuf = aligned_alloc(__alignof__(struct inotify_event), c.rsize);
	if (!c.rbuf)
		abort();
	memcpy(c.rbuf, d, n);
	c.rend = n;

	root = add(&c, 1, ROOT, IT_W_DIR, NULL);
	a = add(&c, 2, ROOT "a/", IT_W_DIR, root);
	add(&c, 3, ROOT "a/b/", IT_W_DIR, a);
	add(&c, 4, ROOT "c/", IT_W_DIR, root);
	add(&c, 5, ROOT "file", 0, NULL);
	c.autowatch = flags & 1;
	c.automask = IN_ALL_EVENTS;
	if (flags & 2)
		it_stats_reset(&c);
	c.keep_counted = (flags & 4) != 0;
	if ((flags & 8) &&
	    it_filter_set(&c, "a/|x", REG_EXTENDED, (flags & 16) != 0) < 0)
		abort();
	if (flags & 32) {
		c.quiet_until = UINT64_MAX;
		c.quiet_wd = 0;
		it_seen_add(&c.seen, 1, "x");
	}

	for (i = 0; i < 100000 && (ev = it_next_event(&c, 0)); i++) {
		struct it_out o = { .grow = &out };

		out.len = 0;
		FUZZ_ASSERT(it_format(&c, &o, ev, "%w%f %e %c") == 0);
		out.len = 0;
		FUZZ_ASSERT(it_format_csv(&c, &out, ev) == 0);
		if (flags & 2)
			it_stats_get(&c, it_wtab_by_wd(&c.tab, ev->wd), 0);
	}
	free(out.data);
	it_ctx_close(&c);
	return 0;
}
