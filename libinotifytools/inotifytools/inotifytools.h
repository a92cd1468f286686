/* inotifytools/inotifytools.h: public API of libinotifytools (ABI of 3.22). */
#ifndef INOTIFYTOOLS_INOTIFYTOOLS_H
#define INOTIFYTOOLS_INOTIFYTOOLS_H 1

#include <stddef.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Largest string the formatter produces, and largest accepted format. */
#define MAX_STRLEN 4096

/** Output buffer of inotifytools_sprintf() and inotifytools_snprintf(). */
struct nstring {
	char buf[MAX_STRLEN]; /**< bytes written; not always NUL-terminated */
	unsigned int len;     /**< number of bytes the format produced */
};

struct inotify_event;
struct watch;

/**
 * @file
 * All functions act on one library-wide default context. Functions that
 * return int return 1 on success and 0 on failure unless documented
 * otherwise; the reason of a failure is read with inotifytools_error().
 * The library is not thread-safe.
 */

/** Initialise with inotify; same as inotifytools_init(0, 0, 0). */
int inotifytools_initialize(void);
/**
 * Initialise the library. @p fanotify selects the fanotify backend,
 * @p watch_filesystem marks whole filesystems (fanotify only), @p verbose
 * enables diagnostics on stderr. Returns 1 if initialised (also if it
 * already was), 0 on failure.
 */
int inotifytools_init(int fanotify, int watch_filesystem, int verbose);
/** Release every watch and resource; the library may be initialised again. */
void inotifytools_cleanup(void);

/** Last error, an errno value; 0 when the last call did not fail. */
int inotifytools_error(void);

/**
 * Convert a comma-separated list of event names (case-insensitive) to a
 * mask. Returns 0 if an element is empty, -1 if a name is unknown.
 */
int inotifytools_str_to_event(const char *event);
/** As inotifytools_str_to_event() with separator @p sep (not a letter or _). */
int inotifytools_str_to_event_sep(const char *event, char sep);
/** Names of the events in @p events, comma-separated; static storage. */
char *inotifytools_event_to_str(int events);
/** As inotifytools_event_to_str() with separator @p sep; static storage. */
char *inotifytools_event_to_str_sep(int events, char sep);

/**
 * Rename the watch @p wd to @p filename; the watches below it keep their
 * names (inotifytools_replace_filename() renames a tree).
 */
void inotifytools_set_filename_by_wd(int wd, const char *filename);
/** Rename the watch stored as @p oldname to @p newname, as above. */
void inotifytools_set_filename_by_filename(const char *oldname,
					   const char *newname);
/**
 * Rename every watch whose name starts with @p oldname, replacing that
 * prefix by @p newname. A plain prefix, as upstream: "d/a" also matches
 * "d/ab/"; give directories with their trailing '/'.
 */
void inotifytools_replace_filename(const char *oldname, const char *newname);

/**
 * Watched name of the watch that received @p event; its length is stored in
 * @p dirnamelen. Returns "" for an unknown watch.
 */
const char *inotifytools_dirname_from_event(struct inotify_event *event,
					    size_t *dirnamelen);
/**
 * As inotifytools_dirname_from_event(); also stores the event's own name
 * (or "") in @p eventname.
 */
const char *inotifytools_filename_from_event(struct inotify_event *event,
					     const char **eventname,
					     size_t *dirnamelen);
/**
 * For an event carrying IN_ISDIR, a newly allocated "<watched><name>/"
 * path the caller frees; NULL otherwise.
 */
char *inotifytools_dirpath_from_event(struct inotify_event *event);
/**
 * Stored name of watch @p w, or "" for NULL. The only watches the API hands
 * out are the rows of upstream's private inotifytools_wd_sorted_by_event().
 */
const char *inotifytools_filename_from_watch(struct watch *w);
/** Stored name of watch @p wd, or "" if there is no such watch. */
const char *inotifytools_filename_from_wd(int wd);
/** Watch descriptor stored under exactly @p filename, or -1. */
int inotifytools_wd_from_filename(const char *filename);
/**
 * Remove the watch stored as @p filename (1 if it was not watched), as
 * inotifytools_remove_watch_by_wd().
 */
int inotifytools_remove_watch_by_filename(const char *filename);
/**
 * Remove watch @p wd (1 if it was not watched). It is gone at once: its
 * name, wd and statistics are no longer found. The kernel's IN_IGNORED
 * for it is still delivered, with no name.
 */
int inotifytools_remove_watch_by_wd(int wd);

/** Watch one file or directory for @p events. */
int inotifytools_watch_file(const char *filename, int events);
/** Watch every name of the NULL-terminated list @p filenames. */
int inotifytools_watch_files(const char *filenames[], int events);
/** Watch @p path and every directory below it. */
int inotifytools_watch_recursively(const char *path, int events);
/**
 * As inotifytools_watch_recursively(), skipping the directories named in
 * the NULL-terminated list @p exclude_list (with or without trailing /).
 */
int inotifytools_watch_recursively_with_exclude(const char *path, int events,
						const char **exclude_list);

/**
 * Hide events whose path ("%w%f") matches the extended regular expression
 * @p pattern, compiled with regcomp() @p flags; NULL removes it.
 */
int inotifytools_ignore_events_by_regex(const char *pattern, int flags);
/** Hide events whose path does not match @p pattern; NULL removes it. */
int inotifytools_ignore_events_by_inverted_regex(const char *pattern,
						 int flags);

/**
 * Wait for the next event: @p timeout seconds, or forever when @p timeout
 * is 0 or negative. Returns NULL on timeout (error 0) or failure. The
 * event stays valid until the next call.
 */
struct inotify_event *inotifytools_next_event(long timeout);
/**
 * As inotifytools_next_event(); @p timeout < 0 blocks, 0 polls, > 0 waits
 * that many seconds. @p num_events is accepted for compatibility.
 */
struct inotify_event *inotifytools_next_events(long timeout, int num_events);

/** Start (or reset) counting events per watch and in total. */
void inotifytools_initialize_stats(void);
/** Count of @p event (one event bit, or 0 for all) on @p wd; -1 if none. */
int inotifytools_get_stat_by_wd(int wd, int event);
/** Count of @p event (one event bit, or 0 for all) over every watch. */
int inotifytools_get_stat_total(int event);
/** As inotifytools_get_stat_by_wd() for the watch named @p filename. */
int inotifytools_get_stat_by_filename(const char *filename, int event);
/** Number of watches in place. */
int inotifytools_get_num_watches(void);

/** Print @p event to stdout using format @p fmt; returns bytes written. */
int inotifytools_printf(struct inotify_event *event, const char *fmt);
/** Print @p event to @p file using format @p fmt; returns bytes written. */
int inotifytools_fprintf(FILE *file, struct inotify_event *event,
			 const char *fmt);
/** Format @p event into @p out (at most MAX_STRLEN bytes). */
int inotifytools_sprintf(struct nstring *out, struct inotify_event *event,
			 const char *fmt);
/**
 * Format @p event into @p out, starting no new directive once size - 1
 * bytes are used (the last one may run past). Returns out->len - 1, or -1
 * on an invalid format or @p size outside 0..MAX_STRLEN. The output is
 * NUL-terminated if it ends before @p size; no byte past it is written.
 */
int inotifytools_snprintf(struct nstring *out, int size,
			  struct inotify_event *event, const char *fmt);
/** strftime(3) format used by %T; NULL clears it. The string is copied. */
void inotifytools_set_printf_timefmt(const char *fmt);
/** Forget the %T format. */
void inotifytools_clear_timefmt(void);

/** Value of /proc/sys/fs/inotify/max_user_watches, or -1. */
int inotifytools_get_max_user_watches(void);
/** Value of /proc/sys/fs/inotify/max_user_instances, or -1. */
int inotifytools_get_max_user_instances(void);
/** Value of /proc/sys/fs/inotify/max_queued_events, or -1. */
int inotifytools_get_max_queued_events(void);

#ifdef __cplusplus
}
#endif

#endif /* INOTIFYTOOLS_INOTIFYTOOLS_H */
