/* ctx.h: the context and the library's internal interface, called one way.
 *
 * Each line of files calls only the lines below it (no cycle: checked by
 * tests/unit/callgraph.sh on the objects):
 *
 *   api.c                               the public API
 *   ctx.c  reader.c                     open, close; the events handed out
 *   tree.c  names.c  stats.c            the tree upkeep; followed names;
 *                                       counters
 *   walk.c                              adding and removing watches
 *   seen.c  filter.c  format.c  compat.c
 *   inotify.c  fanotify.c               the backends (backend.h, c->be)
 *   wtab.c  events.c                    the watch table; the event table
 *   util.c                              leaf helpers
 */
#ifndef IT_CTX_H
#define IT_CTX_H

#include <regex.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/inotify.h>

#include "backend.h"
#include "events.h"
#include "util.h"
#include "wtab.h"

/* One entry of struct it_seen. */
struct it_seen_entry {
	int wd; /* 0: free slot, -1: removed */
	uint32_t hash;
	size_t name; /* offset in names */
};

/* A set of (wd, name): what a scan reported, so that the kernel's own
 * CREATE for the same entry, queued during the scan, is not shown twice. */
struct it_seen {
	struct it_seen_entry *slot;
	size_t nslots, n;
	struct it_buf names;
};

/* One --exclude or --include regular expression. */
struct it_pattern {
	regex_t re;
	int include;
};

/* A directory move seen as MOVED_FROM whose MOVED_TO is still to come. */
struct it_move {
	uint32_t cookie;
	struct watch *w;
};

#define IT_MAX_MOVES 64

/* A component of a followed name: path[start..end). */
struct it_comp {
	size_t start, end;
};

/*
 * A name watched by --follow-names (names.c): its root watched when the
 * path exists, and an anchor, a watch on the nearest existing directory
 * above it, that sees it appear (or be replaced) and go.
 */
struct it_name {
	char *path; /* as given */
	struct it_comp *comp;
	size_t ncomp;
	size_t level; /* the anchor is the directory of comp[0..level) */
	uint32_t mask;
	int tree;		  /* -r: the root's tree is watched */
	const char *const *excl;  /* for the tree (the caller's list) */
	int root, anchor;	  /* their wds, -1: none */
	unsigned long rdev, rino; /* the object the root watches */
};

struct it_ctx {
	int fd;			     /* the backend's descriptor, -1: closed */
	const struct it_backend *be; /* chosen at open */
	void *be_data;		     /* the backend's own state */
	int error;		     /* what inotifytools_error() returns */
	struct wtab tab;

	/* the backend's read buffer */
	char *rbuf; /* aligned for struct inotify_event */
	size_t rsize, rpos, rend;
	uint64_t rbase;		 /* queue position of rbuf[0] (inotify) */
	const sigset_t *sigmask; /* signal mask while waiting, or NULL */

	/* tree.c */
	uint64_t qtaken; /* where the events taken so far end */
	struct it_move moves[IT_MAX_MOVES];
	size_t nmoves;
	int64_t rescan_at;    /* after an overflow: rescan by then (0: none) */
	struct watch *zombie; /* its IGNORED is out: freed at the next read */

	/* seen.c */
	uint64_t quiet_until; /* our own scans' events end here */
	long quiet_wd;	      /* watches our scans made: wds from here */
	struct it_seen seen;  /* CREATEs our scans reported */

	/* walk.c */
	struct it_buf syn; /* synthetic events, served first (reader.c) */
	int walk_chdir;	   /* walks may change directory (one thread only) */

	/* walk.c, tree.c: watch directories as they appear (-m -r) */
	int autowatch;
	uint32_t automask; /* kernel mask for new watches */
	void (*warn)(void *arg, const char *path, int err);
	void *warn_arg;
	/* walk.c, tree.c: the levels of directories watched in a tree, its
	 * root the first (--max-depth N: N + 1); 0: all */
	unsigned levels;

	/* names.c: --follow-names */
	struct it_name *follow;
	size_t nfollow;
	unsigned long follow_gen; /* c->tab.gen when last checked */
	struct it_buf npath;	  /* a prefix of a name being built */

	/* filter: an event is hidden unless it matches one of the include
	 * patterns (if there are any), and hidden if it matches an exclude one
	 */
	struct it_pattern *pats;
	size_t npats, nincl;
	int prune; /* directories an exclude pattern matches: no watch */
	struct it_buf scratch; /* a string being built: "%w%f", a new name */

	/* formatter */
	char *timefmt;
	int fmt_ext;	 /* the tools' directives too: %F, %p */
	int ev_pid;	 /* the pid of the event delivered last, or 0 */
	char names[256]; /* inotifytools_event_to_str() result */
	struct {	 /* the formatter's names of the mask printed last */
		char text[256];
		size_t len;
		uint32_t mask;
		char sep; /* 0: none yet */
	} last;

	/* statistics */
	int stats;
	unsigned totals[IT_NSTATS];
	int keep_counted; /* retire, not free, counted watches */
};

/* seen.c */
/* Start a scan of directories: their reads by us are not events; wd is
 * the first of the watches the scan makes (the kernel's wds go up). */
void it_quiet_begin(struct it_ctx *c, long wd);
/* A scan made a record for wd: a wd the kernel handed out before (a
 * directory watched again) belongs to the scan too. */
void it_quiet_made(struct it_ctx *c, int wd);
/* End a scan: the events it caused are all queued by now. */
void it_quiet_end(struct it_ctx *c);
/* Whether ev on the live w, taken at queue position pos, is an echo of a
 * scan of ours (a read of a directory it watched, a CREATE it reported). */
int it_quiet_echo(struct it_ctx *c, const struct watch *w,
		  const struct inotify_event *ev, uint64_t pos);
/* Remember that a CREATE of name in wd was reported; -1 without memory. */
int it_seen_add(struct it_seen *s, int wd, const char *name);
/* Whether a CREATE of name in wd was reported, forgetting it if so. */
int it_seen_take(struct it_seen *s, int wd, const char *name);
/* Forget everything. */
void it_seen_clear(struct it_seen *s);
/* Free the set. */
void it_seen_free(struct it_seen *s);

/* ctx.c */
/* Open c with inotify, or fanotify marking directories or (filesystem)
 * whole filesystems; -1 with c->error set on failure. */
int it_ctx_open_backend(struct it_ctx *c, int fanotify, int filesystem);
/* Release everything c holds; c may be opened again. */
void it_ctx_close(struct it_ctx *c);

/* walk.c */
/* Watch one path; directories (after following links unless IN_DONT_FOLLOW)
 * are stored with a trailing '/'. Returns the record or NULL with c->error. */
struct watch *it_watch_path(struct it_ctx *c, const char *path, uint32_t mask);
/* Watch path and every directory below it except the paths of excl
 * (NULL-terminated, trailing '/' optional). 0 or -1 with c->error. */
int it_watch_tree(struct it_ctx *c, const char *path, uint32_t mask,
		  const char *const *excl);
/* Watch the new directory name inside w, and below it; with synth, queue a
 * CREATE event for everything already inside. Failures go to c->warn. */
void it_watch_new_dir(struct it_ctx *c, struct watch *w, const char *name,
		      int synth);
/* Watch every directory below the live watches that is not watched yet. */
void it_rescan(struct it_ctx *c);
/* The directory w moved within its tree from the depth before (see
 * it_wtab_depth()): with c->levels, unwatch what is now too deep, watch
 * what came within reach. */
void it_watch_moved(struct it_ctx *c, struct watch *w, unsigned before);
/* Remove the watch w and its whole subtree. */
void it_unwatch(struct it_ctx *c, struct watch *w);
/* The absolute path of path as c records it (malloc'd) where the backend
 * needs absolute paths, NULL where it records path as given (or on
 * failure): what @ exclusions must be compared with. */
char *it_watch_abspath(const struct it_ctx *c, const char *path, int nofollow);

/* Watch path as a root, and with tree the directories below it but excl
 * (as it_watch_tree()); later: 0 at setup, else (a root that appeared
 * while monitoring) failures below it go to c->warn, and with 2 (it was
 * created, not moved in) what is inside is reported as created. Its
 * record, or NULL with c->error. */
struct watch *it_watch_root(struct it_ctx *c, const char *path, uint32_t mask,
			    const char *const *excl, int tree, int later);
/* Add mask to the watch of the directory path for names.c: its record, the
 * one already watching it or a new one flagged IT_W_ANCHOR; NULL with
 * c->error. */
struct watch *it_watch_anchor(struct it_ctx *c, const char *path,
			      uint32_t mask);

/* names.c */
/* The events a followed name needs on its root and anchor. */
#define IT_NAME_MASK                                                           \
	(IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE |                 \
	 IN_DELETE_SELF | IN_MOVE_SELF)
/* Follow path by name: watched now with mask (and its tree with tree, but
 * excl, which must outlive c) if it exists, else when it appears, and
 * again whenever it is replaced. 0, or -1 with c->error if it exists but
 * cannot be watched. */
int it_names_add(struct it_ctx *c, const char *path, uint32_t mask, int tree,
		 const char *const *excl);
/* Bring the followed names up to date with ev, just taken from the tree:
 * 1 if ev is hidden (an anchor's), 0 to deliver it. May queue synthetic
 * events (a name that appeared is reported as created in its anchor). */
int it_names_event(struct it_ctx *c, const struct inotify_event *ev);
/* Forget the followed names. */
void it_names_free(struct it_ctx *c);

/* tree.c */
/* The next event of the backend to hand out, the watch table brought up
 * to date with it; NULL at the deadline (deadline_ms as it_next_event()),
 * on error, or with c->error 0 when synthetic events are to go first. */
struct inotify_event *it_tree_next(struct it_ctx *c, int64_t deadline_ms);

/* reader.c */
/* Next event before deadline_ms (it_now_ms() scale; -1: none). NULL with
 * c->error 0 on timeout, or the errno of a failure (EINTR on a signal).
 * The event stays valid until the next call. */
struct inotify_event *it_next_event(struct it_ctx *c, int64_t deadline_ms);

/* filter.c */
/* Make pattern the only path filter (NULL: none); -1 with c->error. */
int it_filter_set(struct it_ctx *c, const char *pattern, int cflags,
		  int invert);
/* Add an exclude (or include) pattern; -1 with c->error (EINVAL: bad). */
int it_filter_add(struct it_ctx *c, const char *pattern, int cflags,
		  int include);
/* Drop every pattern. */
void it_filter_clear(struct it_ctx *c);
/* With c->prune, whether the directory path (ending in '/') is excluded,
 * its name with or without the final '/' matching an exclude pattern. */
int it_filter_prunes(struct it_ctx *c, const char *path, size_t len);
/* Whether ev is hidden by the filter. */
int it_filter_hides(struct it_ctx *c, const struct inotify_event *ev);

/* stats.c */
/* Count ev on its watch and in the totals. */
void it_stats_record(struct it_ctx *c, const struct inotify_event *ev);
/* Counter of event (one bit, or 0 for total) on w; -1 if not counted. */
int it_stats_get(struct it_ctx *c, struct watch *w, uint32_t event);
/* Reset all counters and start counting. */
void it_stats_reset(struct it_ctx *c);

/* format.c */
/* How the formatter limits its output. */
struct it_out {
	char *buf;
	size_t len;	     /* bytes the format produced (may pass cap) */
	size_t cap;	     /* bytes buf holds */
	size_t stop;	     /* start no directive once len >= stop */
	struct it_buf *grow; /* if set, buf grows instead of truncating */
};
/* An event as the formatters print it, its names resolved: from the
 * watch table for an event just read (it_record_of), or given by the
 * caller (inotifywait --batch). */
struct it_record {
	uint32_t mask, cookie;
	const char *dir; /* %w, dirlen bytes */
	size_t dirlen;
	const char *name; /* %f, namelen bytes */
	size_t namelen;
	const char *from; /* %F: the old path of a rename, or NULL */
	size_t fromlen;
	int pid; /* %p: the process that caused it, or 0 if unknown */
};
/* Fill r for ev, the event it_next_event() returned last. */
void it_record_of(struct it_ctx *c, const struct inotify_event *ev,
		  struct it_record *r);
/* Format r with fmt into out; -1 with c->error on a bad format, -2 when it
 * stopped half-way (a trailing '%', an empty %T).  %F and %p are only
 * directives with c->fmt_ext (the tools), else printed as they are. */
int it_format_record(struct it_ctx *c, struct it_out *out,
		     const struct it_record *r, const char *fmt);
/* it_format_record() of ev. */
int it_format(struct it_ctx *c, struct it_out *out,
	      const struct inotify_event *ev, const char *fmt);
/* Append r as a CSV line (without newline) to b. */
int it_format_csv_record(struct it_ctx *c, struct it_buf *b,
			 const struct it_record *r);
/* it_format_csv_record() of ev. */
int it_format_csv(struct it_ctx *c, struct it_buf *b,
		  const struct inotify_event *ev);
/* Append r as a JSON object (without newline) to b: "from" when it has an
 * old path, "pid" when the pid is known. */
int it_format_json_record(struct it_ctx *c, struct it_buf *b,
			  const struct it_record *r);
/* it_format_json_record() of ev. */
int it_format_json(struct it_ctx *c, struct it_buf *b,
		   const struct inotify_event *ev);
/* Append the n bytes of s to b as a JSON string: invalid UTF-8 bytes
 * 0x80..0xff become \udc80..\udcff. */
int it_json_escape(struct it_buf *b, const char *s, size_t n);
/* strftime of the current local time, with %N (and %3N, %6N, %9N) for
 * the fraction of the second; -1 if the result is empty or too long. */
int it_strftime(const struct it_ctx *c, const char *fmt, char *buf, size_t cap);
/* Append s CSV-escaped to b. */
int it_csv_escape(struct it_buf *b, const char *s);
/* Append the n bytes of s CSV-escaped to b. */
int it_csv_escape_n(struct it_buf *b, const char *s, size_t n);

#endif
