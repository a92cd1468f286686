/* api.c: the public inotifytools_* API; no logic of its own, never prints. */
#include "config.h"

#include "compat.h"
#include "ctx.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "inotifytools/inotifytools.h"

static struct it_ctx dflt = { .fd = -1 };

/* The record of wd as the API sees it: not one it removed. */
static struct watch *by_wd(int wd)
{
	struct watch *w = it_wtab_by_wd(&dflt.tab, wd);

	return w && !(w->flags & IT_W_REMOVED) ? w : NULL;
}

/* Give w the name filename; as upstream, its subdirectories keep theirs. */
static void set_name(struct watch *w, const char *filename)
{
	it_wtab_orphan(&dflt.tab, w);
	it_wtab_rename(&dflt.tab, w, NULL, filename, strlen(filename));
}

int inotifytools_initialize(void)
{
	return inotifytools_init(0, 0, 0);
}

/* What may be set before inotifytools_init() and outlives it, as upstream:
 * the regular expressions and whether statistics are on. */
static void keep_settings(struct it_ctx *to, const struct it_ctx *from)
{
	to->pats = from->pats;
	to->npats = from->npats;
	to->nincl = from->nincl;
	to->stats = from->stats;
	to->keep_counted = from->keep_counted;
}

int inotifytools_init(int fanotify, int watch_filesystem, int verbose)
{
	struct it_ctx before = dflt;

	(void)verbose; /* upstream's fanotify debug output: never printed */
	if (dflt.fd >= 0)
		return 1;
	/* (upstream clears the time format) */
	free(dflt.timefmt);
	before.timefmt = NULL;
	if (it_ctx_open_backend(&dflt, fanotify || watch_filesystem,
				watch_filesystem) < 0) {
		int err = dflt.error;

		it_ctx_close(&dflt);
		keep_settings(&dflt, &before);
		dflt.error = err;
		return 0;
	}
	keep_settings(&dflt, &before);
	return 1;
}

void inotifytools_cleanup(void)
{
	it_ctx_close(&dflt);
}

int inotifytools_error(void)
{
	return dflt.error;
}

int inotifytools_str_to_event(const char *event)
{
	return it_event_parse(event, ',');
}

int inotifytools_str_to_event_sep(const char *event, char sep)
{
	return it_event_parse(event, sep);
}

char *inotifytools_event_to_str(int events)
{
	return inotifytools_event_to_str_sep(events, ',');
}

char *inotifytools_event_to_str_sep(int events, char sep)
{
	return it_event_names((uint32_t)events, sep, dflt.names,
			      sizeof(dflt.names));
}

void inotifytools_set_filename_by_wd(int wd, const char *filename)
{
	struct watch *w = by_wd(wd);

	if (w && !(w->flags & IT_W_DEAD) && filename)
		set_name(w, filename);
}

void inotifytools_set_filename_by_filename(const char *oldname,
					   const char *newname)
{
	struct watch *w;

	if (oldname && newname &&
	    (w = it_wtab_by_path(&dflt.tab, oldname, strlen(oldname))))
		set_name(w, newname);
}

/* Whether path starts with the n bytes of prefix (as upstream: no check
 * that the prefix ends at a '/'). */
static int below(const char *path, const char *prefix, size_t n)
{
	return !strncmp(path, prefix, n);
}

/* A malloc'd copy of the path of w, or NULL. */
static char *path_dup(struct watch *w)
{
	size_t len;
	const char *p = it_wtab_path(&dflt.tab, w, &len);
	char *d = malloc(len + 1);

	if (d)
		memcpy(d, p, len + 1);
	return d;
}

void inotifytools_replace_filename(const char *oldname, const char *newname)
{
	size_t n = oldname ? strlen(oldname) : 0, nlive = dflt.tab.nlive,
	       top = 0;
	struct watch **all;

	if (!n || !newname || !(all = malloc((nlive + 1) * sizeof(*all))))
		return;
	it_wtab_list(&dflt.tab, all);
	for (size_t i = 0; i < nlive; i++) {
		struct watch *p = it_wtab_at(&dflt.tab, all[i]->parent);
		size_t len;

		if (below(it_wtab_path(&dflt.tab, all[i], &len), oldname, n) &&
		    !(p && below(it_wtab_path(&dflt.tab, p, &len), oldname, n)))
			all[top++] = all[i];
	}
	for (size_t i = 0; i < top; i++) {
		char *old = path_dup(all[i]), *p;
		size_t rest, len;

		if (!old)
			break;
		rest = strlen(old) - n;
		len = strlen(newname) + rest;
		if (!(p = malloc(len + 1))) {
			free(old);
			break;
		}
		memcpy(p, newname, len - rest);
		memcpy(p + len - rest, old + n, rest + 1);
		it_wtab_rename(&dflt.tab, all[i], NULL, p, len);
		free(p);
		free(old);
	}
	free(all);
}

const char *inotifytools_dirname_from_event(struct inotify_event *event,
					    size_t *dirnamelen)
{
	struct watch *w = by_wd(event->wd);
	const char *dir = w ? it_wtab_stable_path(&dflt.tab, w) : "";

	if (dirnamelen)
		*dirnamelen = strlen(dir);
	return dir;
}

const char *inotifytools_filename_from_event(struct inotify_event *event,
					     const char **eventname,
					     size_t *dirnamelen)
{
	if (eventname)
		*eventname = event->len ? event->name : "";
	return inotifytools_dirname_from_event(event, dirnamelen);
}

char *inotifytools_dirpath_from_event(struct inotify_event *event)
{
	const char *name;
	size_t len, n;
	const char *dir = inotifytools_filename_from_event(event, &name, &len);
	char *p;

	if (!(event->mask & IN_ISDIR))
		return NULL;
	n = strlen(name);
	if (!(p = malloc(len + n + 2)))
		return NULL;
	memcpy(p, dir, len);
	memcpy(p + len, name, n);
	memcpy(p + len + n, "/", 2);
	return p;
}

/* The only struct watch the API hands out is a row of
 * inotifytools_wd_sorted_by_event(), in upstream's layout. */
const char *inotifytools_filename_from_watch(struct watch *w)
{
	const struct it_compat_watch *u = (const void *)w;

	return u ? u->filename : "";
}

struct rbtree *inotifytools_wd_sorted_by_event(int sort_event)
{
	return it_compat_sorted(&dflt, sort_event);
}

const char *inotifytools_filename_from_wd(int wd)
{
	struct watch *w = by_wd(wd);

	return w ? it_wtab_stable_path(&dflt.tab, w) : "";
}

int inotifytools_wd_from_filename(const char *filename)
{
	struct watch *w;

	if (!filename)
		return -1;
	w = it_wtab_by_path(&dflt.tab, filename, strlen(filename));
	return w ? it_wtab_wd(&dflt.tab, w) : -1;
}

int inotifytools_remove_watch_by_wd(int wd)
{
	struct watch *w = by_wd(wd);

	dflt.error = 0;
	if (!w || (w->flags & IT_W_DEAD))
		return 1;
	if (dflt.be->rm(&dflt, w) < 0) {
		dflt.error = errno;
		return 0;
	}
	/* Gone for the API at once, as upstream; the record waits for the
	 * IN_IGNORED of its watch (inotify sends one), which is delivered
	 * (with no name) as upstream does, and is then freed, not kept for
	 * statistics. */
	it_wtab_kill(&dflt.tab, w);
	it_wtab_drop_counts(&dflt.tab, w);
	w->flags |= IT_W_REMOVED;
	return 1;
}

int inotifytools_remove_watch_by_filename(const char *filename)
{
	int wd = inotifytools_wd_from_filename(filename);

	return wd < 0 ? 1 : inotifytools_remove_watch_by_wd(wd);
}

int inotifytools_watch_file(const char *filename, int events)
{
	const char *names[] = { filename, NULL };

	return inotifytools_watch_files(names, events);
}

int inotifytools_watch_files(const char *filenames[], int events)
{
	dflt.error = 0;
	for (; filenames && *filenames; filenames++)
		if (!it_watch_path(&dflt, *filenames, (uint32_t)events))
			return 0;
	return 1;
}

int inotifytools_watch_recursively(const char *path, int events)
{
	return inotifytools_watch_recursively_with_exclude(path, events, NULL);
}

static void renumber_one(struct watch *w, void *arg)
{
	(void)arg;
	it_wtab_set_seq(&dflt.tab, w, (uint32_t)dflt.tab.next_seq++);
}

/*
 * Upstream watches a tree children first, so its wds (which order the
 * ties of inotifytools_wd_sorted_by_event()) go up that way: number the
 * new tree so. Our walk watches each directory before its children.
 */
static void renumber_tree(const char *path)
{
	size_t n = strlen(path);
	struct watch *w = it_wtab_by_path(&dflt.tab, path, n);
	char *dir;

	if (!w && n && path[n - 1] != '/' && (dir = malloc(n + 2))) {
		memcpy(dir, path, n);
		memcpy(dir + n, "/", 2);
		w = it_wtab_by_path(&dflt.tab, dir, n + 1);
		free(dir);
	}
	if (w)
		it_wtab_postorder(&dflt.tab, w, renumber_one, NULL);
}

int inotifytools_watch_recursively_with_exclude(const char *path, int events,
						const char **exclude_list)
{
	dflt.error = 0;
	if (it_watch_tree(&dflt, path, (uint32_t)events, exclude_list) < 0)
		return 0;
	renumber_tree(path);
	return 1;
}

int inotifytools_ignore_events_by_regex(const char *pattern, int flags)
{
	dflt.error = 0;
	return it_filter_set(&dflt, pattern, flags, 0) == 0;
}

int inotifytools_ignore_events_by_inverted_regex(const char *pattern, int flags)
{
	dflt.error = 0;
	return it_filter_set(&dflt, pattern, flags, 1) == 0;
}

struct inotify_event *inotifytools_next_event(long timeout)
{
	return inotifytools_next_events(timeout > 0 ? timeout : -1, 1);
}

struct inotify_event *inotifytools_next_events(long timeout, int num_events)
{
	int64_t deadline = timeout < 0 ? -1 : it_now_ms() + timeout * 1000;

	(void)num_events;
	if (dflt.fd < 0) {
		dflt.error = EBADF;
		return NULL;
	}
	return it_next_event(&dflt, deadline);
}

void inotifytools_initialize_stats(void)
{
	it_stats_reset(&dflt);
	/* upstream never frees a record: deleted watches keep their rows */
	dflt.keep_counted = 1;
}

int inotifytools_get_stat_by_wd(int wd, int event)
{
	struct watch *w = by_wd(wd);

	return w ? it_stats_get(&dflt, w, (uint32_t)event) : -1;
}

int inotifytools_get_stat_total(int event)
{
	return it_stats_get(&dflt, NULL, (uint32_t)event);
}

int inotifytools_get_stat_by_filename(const char *filename, int event)
{
	return inotifytools_get_stat_by_wd(
		inotifytools_wd_from_filename(filename), event);
}

int inotifytools_get_num_watches(void)
{
	return (int)dflt.tab.nlive;
}

int inotifytools_printf(struct inotify_event *event, const char *fmt)
{
	return inotifytools_fprintf(stdout, event, fmt);
}

int inotifytools_fprintf(FILE *file, struct inotify_event *event,
			 const char *fmt)
{
	struct nstring out;
	int rc;

	out.len = 0;
	rc = inotifytools_sprintf(&out, event, fmt);
	if (rc != -1)
		fwrite(out.buf, 1, out.len < MAX_STRLEN ? out.len : MAX_STRLEN,
		       file);
	return rc;
}

int inotifytools_sprintf(struct nstring *out, struct inotify_event *event,
			 const char *fmt)
{
	return inotifytools_snprintf(out, MAX_STRLEN, event, fmt);
}

int inotifytools_snprintf(struct nstring *out, int size,
			  struct inotify_event *event, const char *fmt)
{
	struct it_out o = { .buf = out->buf };
	int rc;

	dflt.error = 0;
	if (size < 0 && fmt)
		out->len = 0; /* as upstream */
	if (!fmt || size > MAX_STRLEN || size < 0) {
		dflt.error = fmt ? EMSGSIZE : EINVAL;
		return -1;
	}
	o.cap = (size_t)size;
	o.stop = size > 0 ? (size_t)size - 1 : 0;
	rc = it_format(&dflt, &o, event, fmt);
	if (rc == -1)
		return -1;
	/* NUL-terminated when it fits in size, as upstream: no byte past size
	 * is written. After a trailing '%' (-2) len is not updated. */
	if (o.len < o.cap)
		out->buf[o.len] = '\0';
	if (rc == -2)
		return (int)o.len;
	out->len = (unsigned)o.len;
	return (int)o.len - 1;
}

void inotifytools_set_printf_timefmt(const char *fmt)
{
	inotifytools_clear_timefmt();
	if (fmt)
		dflt.timefmt = strdup(fmt);
}

void inotifytools_clear_timefmt(void)
{
	free(dflt.timefmt);
	dflt.timefmt = NULL;
}

static int read_proc(const char *name)
{
	char path[64], buf[32];
	FILE *f;
	int v = -1;

	snprintf(path, sizeof(path), "/proc/sys/fs/inotify/%s", name);
	if (!(f = fopen(path, "re")))
		return -1;
	if (fgets(buf, sizeof(buf), f))
		v = atoi(buf);
	fclose(f);
	return v;
}

int inotifytools_get_max_user_watches(void)
{
	return read_proc("max_user_watches");
}

int inotifytools_get_max_user_instances(void)
{
	return read_proc("max_user_instances");
}

int inotifytools_get_max_queued_events(void)
{
	return read_proc("max_queued_events");
}
