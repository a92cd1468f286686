/* walk.c: adding watches, one path or a whole tree, and removing subtrees. */
#include "config.h"

#include "ctx.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Errors that mean "this entry is gone or not ours to watch": skip it. */
static int vanished(int err)
{
	return err == ENOENT || err == EACCES || err == ELOOP || err == ENOTDIR;
}

/* Add a watch or a fanotify mark: the backend's wd, or -1 with errno. */
static int add_watch(struct it_ctx *c, const char *path, uint32_t mask)
{
	int wd;

	if (!c->fan)
		return inotify_add_watch(c->fd, path, mask);
	if ((wd = it_fan_add(c, path, mask)) < 0)
		errno = c->error;
	return wd;
}

/* Add or find the record of wd; keeps the first name a wd was seen under. */
static struct watch *record(struct it_ctx *c, int wd, const char *path,
			    size_t len, unsigned flags, struct watch *parent,
			    uint32_t mask)
{
	struct watch *w = it_wtab_by_wd(&c->tab, wd);

	if (w && (w->flags & IT_W_DEAD)) {
		it_release(c, w);
		w = NULL;
	}
	if (!w && !(w = it_wtab_add(&c->tab, wd, path, len, flags, parent))) {
		c->error = ENOMEM;
		return NULL;
	}
	w->mask = mask;
	return w;
}

struct watch *it_watch_path(struct it_ctx *c, const char *path, uint32_t mask)
{
	struct stat st;
	size_t len = strlen(path);
	unsigned flags = 0;
	struct watch *w;
	char *name, *abs = NULL;
	int wd;

	/* fanotify reports absolute paths: record them so */
	if (c->fan && !(path = abs = it_fan_abspath(
				path, (mask & IN_DONT_FOLLOW) != 0))) {
		c->error = errno;
		return NULL;
	}
	len = strlen(path);
	if ((wd = add_watch(c, path, mask)) < 0) {
		c->error = errno;
		free(abs);
		return NULL;
	}
	if (((mask & IN_DONT_FOLLOW) ? lstat(path, &st) : stat(path, &st)) ==
		    0 &&
	    S_ISDIR(st.st_mode))
		flags = IT_W_DIR;
	if (!flags || (len && path[len - 1] == '/')) {
		w = record(c, wd, path, len, flags, NULL, mask);
	} else if (!(name = malloc(len + 2))) {
		c->error = ENOMEM;
		w = NULL;
	} else {
		memcpy(name, path, len);
		memcpy(name + len, "/", 2);
		w = record(c, wd, name, len + 1, flags, NULL, mask);
		free(name);
	}
	free(abs);
	return w;
}

static int excluded(const char *path, size_t len, const char *const *excl)
{
	for (; excl && *excl; excl++) {
		size_t n = strlen(*excl);

		while (n > 1 && (*excl)[n - 1] == '/')
			n--;
		if (n == len - 1 && !memcmp(*excl, path, n))
			return 1;
	}
	return 0;
}

static int queue_event(struct it_ctx *c, int wd, uint32_t mask,
		       const char *name)
{
	size_t n = strlen(name) + 1;
	size_t len = (n + sizeof(struct inotify_event) - 1) &
		     ~(sizeof(struct inotify_event) - 1);
	struct inotify_event ev = { .wd = wd,
				    .mask = mask,
				    .len = (uint32_t)len };
	static const char zeros[sizeof(struct inotify_event)];

	return it_buf_put(&c->syn, &ev, sizeof(ev)) ||
	       it_buf_put(&c->syn, name, n) ||
	       it_buf_put(&c->syn, zeros, len - n) ||
	       it_seen_add(&c->seen, wd, name);
}

/* A list of watches. */
struct wlist {
	struct watch **v;
	size_t n, cap;
};

/*
 * A walk in progress. Watches it adds leave out the quiet events until the
 * walk is over, so that its own reads of directories fill no queue.
 */
struct walk {
	struct wlist todo; /* directories still to list */
	struct wlist made; /* watches added without the quiet events */
	uint32_t quiet;
	char *path;
	size_t pathcap;
	int lenient; /* a walk while monitoring: see skip() */
};

#define QUIET_EVENTS (IN_OPEN | IN_ACCESS | IN_CLOSE_NOWRITE)

static int wlist_push(struct wlist *l, struct watch *w)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		struct watch **v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return -1;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = w;
	return 0;
}

static void walk_free(struct walk *k)
{
	free(k->todo.v);
	free(k->made.v);
	free(k->path);
}

/* Put "<w->path><name>/" in k->path; returns its length or 0. */
static size_t child_path(struct walk *k, const struct watch *w,
			 const char *name)
{
	size_t n = strlen(name), len = w->len + n + 1;

	if (len + 1 > k->pathcap) {
		char *p = realloc(k->path, len + 1);

		if (!p)
			return 0;
		k->path = p;
		k->pathcap = len + 1;
	}
	memcpy(k->path, w->path, w->len);
	memcpy(k->path + w->len, name, n);
	memcpy(k->path + w->len + n, "/", 2);
	return len;
}

static int is_dir(int dfd, const struct dirent *d)
{
	struct stat st;

	if (d->d_type != DT_UNKNOWN)
		return d->d_type == DT_DIR;
	return fstatat(dfd, d->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	       S_ISDIR(st.st_mode);
}

/*
 * Whether a walk while monitoring goes on after failing on path with err:
 * yes, with a warning naming path, unless the failure will repeat for
 * every directory (no more watches or memory). The initial setup stops at
 * the first failure, as upstream's does.
 */
static int skip(struct it_ctx *c, const struct walk *k, const char *path,
		int err)
{
	if (!k->lenient || err == ENOSPC || err == ENOMEM)
		return 0;
	if (c->warn)
		c->warn(c->warn_arg, path, err);
	return 1;
}

/* Watch one subdirectory found in w; 0 if done or skipped, -1 on error. */
static int walk_child(struct it_ctx *c, struct walk *k, struct watch *w,
		      const char *name, uint32_t mask, const char *const *excl,
		      int synth)
{
	size_t len = child_path(k, w, name);
	struct watch *cw;
	int wd;

	if (!len) {
		c->error = ENOMEM;
		return -1;
	}
	if (excluded(k->path, len, excl))
		return 0;
	if (it_filter_prunes(c, k->path, len)) {
		if (synth && queue_event(c, w->wd, IN_CREATE | IN_ISDIR, name))
			return c->error = ENOMEM, -1;
		return 0;
	}
	wd = add_watch(c, k->path,
		       (mask & ~k->quiet) | IN_ONLYDIR | IN_DONT_FOLLOW);
	if (wd < 0) {
		if (vanished(errno) || skip(c, k, k->path, errno))
			return 0;
		c->error = errno;
		return -1;
	}
	if (synth && queue_event(c, w->wd, IN_CREATE | IN_ISDIR, name) < 0) {
		c->error = ENOMEM;
		return -1;
	}
	if (!(cw = record(c, wd, k->path, len, IT_W_DIR, w, mask)))
		return -1;
	if (wlist_push(&k->todo, cw) < 0 ||
	    (k->quiet && wlist_push(&k->made, cw) < 0)) {
		c->error = ENOMEM;
		return -1;
	}
	return 0;
}

/* List the directory of w, watching its subdirectories. */
static int walk_dir(struct it_ctx *c, struct walk *k, struct watch *w,
		    uint32_t mask, const char *const *excl, int synth)
{
	struct dirent *d;
	int fd, rc = 0;
	DIR *dir;

	fd = open(w->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 && errno == ELOOP && !w->parent)
		fd = open(w->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || !(dir = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		if (w->parent &&
		    (vanished(errno) || skip(c, k, w->path, errno)))
			return 0;
		c->error = errno;
		return -1;
	}
	while (rc == 0 && (d = readdir(dir))) {
		if (d->d_name[0] == '.' &&
		    (!d->d_name[1] || (d->d_name[1] == '.' && !d->d_name[2])))
			continue;
		if (is_dir(fd, d))
			rc = walk_child(c, k, w, d->d_name, mask, excl, synth);
		else if (synth && queue_event(c, w->wd, IN_CREATE, d->d_name))
			rc = -1, c->error = ENOMEM;
	}
	closedir(dir);
	return rc;
}

/* Give the watches a walk made their full mask. */
static void unquiet(struct it_ctx *c, const struct walk *k, uint32_t mask)
{
	if (!(mask & k->quiet))
		return;
	for (size_t i = 0; i < k->made.n; i++)
		add_watch(c, k->made.v[i]->path,
			  mask | IN_ONLYDIR | IN_DONT_FOLLOW);
}

static int walk(struct it_ctx *c, struct watch *top, uint32_t mask,
		const char *const *excl, int synth, int lenient)
{
	/* fanotify drops our own events by pid: no need to quiet */
	struct walk k = { .quiet = c->fan ? 0 : QUIET_EVENTS,
			  .lenient = lenient };
	int rc = wlist_push(&k.todo, top);

	/* Opening each child would show on top's watch too: quiet it first. */
	if ((mask & k.quiet) && wlist_push(&k.made, top) == 0)
		add_watch(c, top->path,
			  (mask & ~k.quiet) | IN_ONLYDIR | IN_DONT_FOLLOW);
	it_quiet_begin(c, top->seq);
	while (rc == 0 && k.todo.n > 0) {
		struct watch *w = k.todo.v[--k.todo.n];

		rc = walk_dir(c, &k, w, mask, excl, synth);
	}
	unquiet(c, &k, mask);
	it_quiet_end(c);
	if (rc < 0 && c->error == 0)
		c->error = ENOMEM;
	walk_free(&k);
	return rc;
}

int it_watch_tree(struct it_ctx *c, const char *path, uint32_t mask,
		  const char *const *excl)
{
	struct stat st;
	struct watch *w;

	if (stat(path, &st) < 0) {
		c->error = errno;
		return -1;
	}
	if (!(w = it_watch_path(c, path, mask)))
		return -1;
	if (!S_ISDIR(st.st_mode) || it_fan_filesystem(c))
		return 0; /* -S: the filesystem mark covers the tree */
	return walk(c, w, mask, excl, 0, 0);
}

void it_watch_new_dir(struct it_ctx *c, struct watch *w, const char *name,
		      int synth)
{
	struct walk k = { .quiet = c->fan ? 0 : QUIET_EVENTS };
	struct watch *cw;

	if (!child_path(&k, w, name) ||
	    it_wtab_by_path(&c->tab, k.path, strlen(k.path))) {
		free(k.path);
		return;
	}
	if (walk_child(c, &k, w, name, c->automask, NULL, 0) < 0) {
		if (c->warn)
			c->warn(c->warn_arg, k.path ? k.path : name, c->error);
	} else if (k.todo.n == 1) {
		cw = k.todo.v[0];
		if (walk(c, cw, c->automask, NULL, synth, 1) < 0 && c->warn)
			c->warn(c->warn_arg, cw->path, c->error);
		unquiet(c, &k, c->automask);
	}
	walk_free(&k);
}

void it_rescan(struct it_ctx *c)
{
	struct watch **all = malloc((c->tab.nlive + 1) * sizeof(*all));
	size_t n = c->tab.nlive;

	if (!all)
		return;
	it_wtab_list(&c->tab, all);
	it_quiet_begin(c, 0);
	for (size_t i = 0; i < n; i++)
		if (!all[i]->parent && (all[i]->flags & IT_W_DIR) &&
		    walk(c, all[i], c->automask, NULL, 0, 1) < 0 && c->warn)
			c->warn(c->warn_arg, all[i]->path, c->error);
	free(all);
}

static void unwatch_one(struct watch *w, void *arg)
{
	struct it_ctx *c = arg;

	if (c->fan)
		it_fan_rm(c, w);
	else
		inotify_rm_watch(c->fd, w->wd);
	it_wtab_kill(&c->tab, w);
}

int it_unwatch(struct it_ctx *c, struct watch *w)
{
	it_wtab_postorder(w, unwatch_one, c);
	return 0;
}
