/* backend.h: the interface every backend fills; nothing above asks which.
 *
 * Each backend (inotify.c, fanotify.c) fills one struct it_backend, which
 * ctx.c chooses at open; the rest of the library knows only what it can
 * do (caps), never which one it is.
 */
#ifndef IT_BACKEND_H
#define IT_BACKEND_H

#include <stdint.h>

struct inotify_event;
struct it_ctx;
struct watch;

/* What a backend can do, or needs (struct it_backend.caps). */
#define IT_CAP_ECHO 0x1u     /* it reports our own reads of directories */
#define IT_CAP_ABSOLUTE 0x2u /* it needs absolute paths: record them so */
#define IT_CAP_WHOLE_FS 0x4u /* a mark covers its whole filesystem */
#define IT_CAP_QUIET 0x8u    /* our own reads cost it: walks mark quietly */

/* What take() says of an event (struct it_raw.flags). */
#define IT_RAW_HIDDEN 0x1u /* for the tree of watches only: not delivered */
#define IT_RAW_NOMOVE 0x2u /* its MOVED_FROM/MOVED_TO are no tree moves */

/* Where an event was in the kernel's queue, in the unit of queue_end(). */
struct it_raw {
	uint64_t pos;	/* where it starts */
	uint64_t end;	/* where the events taken so far end */
	unsigned flags; /* IT_RAW_* */
	int pid;	/* the process that caused it, 0 if not known */
};

/*
 * A backend. Every function takes the context it serves: c->fd is its
 * descriptor, c->be_data its own state, c->rbuf its read buffer. Events
 * come inotify-shaped (struct inotify_event, wd being the one add()
 * gave), with the IN_IGNORED that ends a watch as inotify sends it.
 */
struct it_backend {
	unsigned caps; /* IT_CAP_* */
	/* Open c->fd and the backend's state; -1 with c->error. */
	int (*open)(struct it_ctx *c);
	/* Free the backend's state (not c->fd). */
	void (*close)(struct it_ctx *c);
	/* Watch path with the inotify mask (IN_ONLYDIR, IN_DONT_FOLLOW
	 * included); its wd, or -1 with errno. Watching an object again
	 * gives the same wd and its new mask. */
	int (*add)(struct it_ctx *c, const char *path, uint32_t mask);
	/* The same for the directory open as fd, which a walk opens to list
	 * it anyway: no path to look up. NULL: a walk adds by name (then
	 * before it opens the directory). */
	int (*add_fd)(struct it_ctx *c, int fd, uint32_t mask);
	/* Give the directory at path, watched already, the mask (a walk
	 * ending its quiet); -1 with errno. */
	int (*remask)(struct it_ctx *c, const char *path, uint32_t mask);
	/* With on, stop reporting the events our own reads of directories
	 * cause (OPEN, ACCESS, CLOSE_NOWRITE) on every object it marks,
	 * until called again without; -1 if it cannot (a walk then marks
	 * each directory quietly first). NULL: it cannot. */
	int (*hush)(struct it_ctx *c, int on);
	/* Remove the watch of w; -1 with errno. A w flagged IT_W_MOVED_OUT
	 * still gets the MOVE_SELF that took it out of the tree. */
	int (*rm)(struct it_ctx *c, struct watch *w);
	/* Wait until deadline (it_now_ms() scale, -1: none; passed: no
	 * wait) for events and read them: 1, 0 at the deadline (c->error
	 * 0), -1 with c->error (EINTR on a signal of c->sigmask). Only
	 * once take() has returned NULL. */
	int (*fill)(struct it_ctx *c, int64_t deadline);
	/* The next event read, described in *r; NULL when all are taken.
	 * It stays valid until the next call of take(), fill() or pairs(). */
	struct inotify_event *(*take)(struct it_ctx *c, struct it_raw *r);
	/* Whether the MOVED_TO of cookie follows the event *ev just taken,
	 * waiting a little for it; *ev may move. */
	int (*pairs)(struct it_ctx *c, struct inotify_event **ev,
		     uint32_t cookie);
	/* Where the events queued by now end (FIONREAD), UINT64_MAX if the
	 * kernel does not say. */
	uint64_t (*queue_end)(struct it_ctx *c);
	/* Upstream's words for a failure to watch PATH (printf formats of
	 * PATH): when the kernel's limit is reached (ENOSPC), msg_limit and
	 * msg_limit_hint instead of the error; */
	const char *msg_limit, *msg_limit_hint;
	/* else, after the error err, the line hint() gives, if not NULL. */
	const char *(*hint)(const struct it_ctx *c, int err);
};

/* inotify.c */
extern const struct it_backend it_backend_inotify;
/* fanotify.c: a mark per directory, or (_fs) per filesystem. */
extern const struct it_backend it_backend_fanotify;
extern const struct it_backend it_backend_fanotify_fs;

#endif
