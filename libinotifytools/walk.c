/* walk.c: adding and removing watches, of a path or a tree; reads no event. */
#include "config.h"

#include "ctx.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Errors that mean "this entry is gone or not ours to watch": skip it. */
static int vanished(int err)
{
	return err == ENOENT || err == EACCES || err == ELOOP || err == ENOTDIR;
}

/* Add or find the record of wd; keeps the first name a wd was seen under. */
static struct watch *record(struct it_ctx *c, int wd, const char *path,
			    size_t len, unsigned flags, struct watch *parent,
			    uint32_t mask)
{
	struct watch *w = it_wtab_by_wd(&c->tab, wd);

	if (w && (w->flags & IT_W_DEAD)) {
		it_wtab_release(&c->tab, w, c->keep_counted);
		w = NULL;
	}
	if (!w) {
		if (!(w = it_wtab_add(&c->tab, wd, path, len, flags, parent))) {
			c->error = ENOMEM;
			return NULL;
		}
		it_quiet_made(c, wd);
	}
	if (it_wtab_set_mask(&c->tab, w, mask) < 0) {
		c->error = ENOMEM;
		return NULL;
	}
	return w;
}

/* The record of wd, watching path (len bytes): a directory's with a
 * trailing '/'. */
static struct watch *record_root(struct it_ctx *c, int wd, const char *path,
				 size_t len, unsigned flags, uint32_t mask)
{
	struct watch *w;
	char *name;

	if (!(flags & IT_W_DIR) || (len && path[len - 1] == '/'))
		return record(c, wd, path, len, flags, NULL, mask);
	if (!(name = malloc(len + 2))) {
		c->error = ENOMEM;
		return NULL;
	}
	memcpy(name, path, len);
	memcpy(name + len, "/", 2);
	w = record(c, wd, name, len + 1, flags, NULL, mask);
	free(name);
	return w;
}

/* Put a watch with mask on path (made absolute where the backend needs
 * it, in *abs then, to be freed); its wd, or -1 with c->error. */
static int add_root(struct it_ctx *c, const char **path, char **abs,
		    uint32_t mask)
{
	int wd;

	*abs = NULL;
	if (!c->be) { /* not open */
		c->error = EBADF;
		return -1;
	}
	if ((c->be->caps & IT_CAP_ABSOLUTE) &&
	    !(*path = *abs = it_abspath(*path, (mask & IN_DONT_FOLLOW) != 0))) {
		c->error = errno;
		return -1;
	}
	if ((wd = c->be->add(c, *path, mask)) < 0) {
		c->error = errno;
		free(*abs);
		*abs = NULL;
	}
	return wd;
}

struct watch *it_watch_path(struct it_ctx *c, const char *path, uint32_t mask)
{
	struct stat st;
	unsigned flags = 0;
	struct watch *w;
	char *abs;
	int wd;

	if ((wd = add_root(c, &path, &abs, mask)) < 0)
		return NULL;
	if (((mask & IN_DONT_FOLLOW) ? lstat(path, &st) : stat(path, &st)) ==
		    0 &&
	    S_ISDIR(st.st_mode))
		flags = IT_W_DIR;
	w = record_root(c, wd, path, strlen(path), flags, mask);
	free(abs);
	return w;
}

struct watch *it_watch_anchor(struct it_ctx *c, const char *path, uint32_t mask)
{
	struct watch *w;
	char *abs;
	int wd;

	/* (IN_MASK_ADD: a watch of the caller's there keeps its events) */
	if ((wd = add_root(c, &path, &abs, mask | IN_ONLYDIR | IN_MASK_ADD)) <
	    0)
		return NULL;
	w = it_wtab_by_wd(&c->tab, wd);
	if (!w || (w->flags & IT_W_DEAD))
		w = record_root(c, wd, path, strlen(path),
				IT_W_DIR | IT_W_ANCHOR, mask);
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

/* Queue a synthetic event of name (not empty) in wd, and remember that it
 * was reported; -1 without memory. */
static int queue_event(struct it_ctx *c, int wd, uint32_t mask,
		       const char *name)
{
	return it_buf_put_event(&c->syn, wd, mask, 0, name) ||
	       it_seen_add(&c->seen, wd, name);
}

/* What getdents64 fills in. */
struct dent64 {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

#define DENTS_SIZE (32 * 1024)
/* Directories listed through their parent's descriptor, at most this deep
 * below where a walk starts; deeper ones are listed afterwards by path. */
#define FD_DEPTH 48
#define QUIET_EVENTS (IN_OPEN | IN_ACCESS | IN_CLOSE_NOWRITE)

/* A subdirectory found by a walk, and the name it was found under. */
struct kid {
	struct watch *w; /* NULL: not watched (yet, with add_fd) */
	size_t name;	 /* offset in knames */
};

/* A list of watches. */
struct wlist {
	struct watch **v;
	size_t n, cap;
};

/*
 * A walk in progress, depth first. A directory is watched before it is
 * listed (nothing created meanwhile can be missed), without the quiet
 * events: our own opening, reading and closing of it and of its children
 * must not fill the queue. It gets its full mask once its subtree is done.
 * With may_chdir (the tools: one thread), the walk works in each
 * directory it lists so that watches are added by name, not by a long
 * path, and goes back to where it was when done.
 */
struct walk {
	uint32_t mask, quiet;
	const char *const *excl;
	int synth;
	int may_chdir; /* the walk may work in the directories it lists */
	int cwd;       /* where it was, or -1 */
	int moved;     /* the current directory is not cwd */
	unsigned long nchdir; /* changes of directory so far */
	struct kid *kids;     /* children of the directories being listed */
	size_t nkids, kidscap;
	struct it_buf knames; /* their names */
	struct wlist deep;    /* directories left for later, quiet */
	char *path;	      /* path of the directory being listed */
	size_t len, cap;
	char *bufs[FD_DEPTH + 1]; /* a getdents64 buffer per depth */
	int lenient;		  /* a walk while monitoring: see skip() */
};

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

static int wlist_push(struct wlist *l, struct watch *w)
{
	struct watch **v = it_grow(l->v, &l->cap, l->n + 1, sizeof(*v), 64);

	if (!v)
		return -1;
	l->v = v;
	l->v[l->n++] = w;
	return 0;
}

/* Back to where the walk started. */
static void home(struct walk *k)
{
	if (k->moved && fchdir(k->cwd) == 0)
		k->moved = 0;
}

static void walk_init(struct it_ctx *c, struct walk *k, uint32_t mask,
		      const char *const *excl, int synth, int lenient)
{
	memset(k, 0, sizeof(*k));
	k->mask = mask;
	/* quiet for a backend that reports our own reads, or pays for them */
	k->quiet =
		(c->be->caps & (IT_CAP_ECHO | IT_CAP_QUIET)) ? QUIET_EVENTS : 0;
	k->lenient = lenient;
	k->excl = excl;
	k->synth = synth;
	k->may_chdir = c->walk_chdir;
	k->cwd = -1;
}

/* Work in the directory open as fd; 1 if done. */
static int go(struct walk *k, int fd)
{
	if (!k->may_chdir)
		return 0;
	if (k->cwd < 0 &&
	    (k->cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0) {
		k->may_chdir = 0;
		return 0;
	}
	if (fchdir(fd) < 0)
		return 0;
	k->moved = 1;
	k->nchdir++;
	return 1;
}

static void walk_free(struct walk *k)
{
	home(k);
	if (k->cwd >= 0)
		close(k->cwd);
	free(k->kids);
	free(k->knames.data);
	free(k->deep.v);
	free(k->path);
	for (size_t i = 0; i <= FD_DEPTH; i++)
		free(k->bufs[i]);
}

/* Make k->path s (n bytes) from offset at on; -1 without memory. */
static int path_put(struct walk *k, size_t at, const char *s, size_t n)
{
	char *p = it_grow(k->path, &k->cap, at + n + 2, 1, 256);

	if (!p)
		return -1;
	k->path = p;
	memcpy(k->path + at, s, n);
	k->len = at + n;
	k->path[k->len] = '\0';
	return 0;
}

/* k->path = the path of w. */
static int path_of(struct it_ctx *c, struct walk *k, const struct watch *w)
{
	size_t len;
	const char *p = it_wtab_path(&c->tab, w, &len);

	return path_put(k, 0, p, len);
}

/* Give the directory at k->path its full mask. */
static void unquiet(struct it_ctx *c, const struct walk *k)
{
	if (k->mask & k->quiet)
		c->be->remask(c, k->path,
			      k->mask | IN_ONLYDIR | IN_DONT_FOLLOW);
}

/* Add or find the record of wd, a subdirectory name of w. */
static struct watch *record_child(struct it_ctx *c, int wd, const char *name,
				  size_t len, struct watch *w, uint32_t mask)
{
	struct watch *cw = it_wtab_by_wd(&c->tab, wd);

	if (cw && (cw->flags & IT_W_DEAD)) {
		it_wtab_release(&c->tab, cw, c->keep_counted);
		cw = NULL;
	}
	if (cw && it_wtab_child(&c->tab, w, name, len) != cw &&
	    !it_wtab_within(&c->tab, w, cw)) {
		/* known under another name (a move we did not see, during
		 * an overflow): it is here now */
		char *nb = malloc(len + 2);

		if (nb) {
			memcpy(nb, name, len);
			memcpy(nb + len, "/", 2);
			it_wtab_rename(&c->tab, cw, w, nb, len + 1);
			free(nb);
		}
	}
	if (!cw) {
		if (!(cw = it_wtab_add_child(&c->tab, wd, name, len, w))) {
			c->error = ENOMEM;
			return NULL;
		}
		it_quiet_made(c, wd);
	}
	if (it_wtab_set_mask(&c->tab, cw, mask) < 0) {
		c->error = ENOMEM;
		return NULL;
	}
	return cw;
}

static int is_dir(int dfd, const struct dent64 *d)
{
	struct stat st;

	if (d->d_type != DT_UNKNOWN)
		return d->d_type == DT_DIR;
	return fstatat(dfd, d->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	       S_ISDIR(st.st_mode);
}

static int kid_push(struct walk *k, struct watch *w, const char *name, size_t n)
{
	struct kid *v =
		it_grow(k->kids, &k->kidscap, k->nkids + 1, sizeof(*v), 64);

	if (!v)
		return -1;
	k->kids = v;
	k->kids[k->nkids].w = w;
	k->kids[k->nkids++].name = k->knames.len;
	return it_buf_put(&k->knames, name, n + 1);
}

/* Whether a walk works in the directory it lists, and since when; whether
 * its subdirectories are too deep to watch (c->levels). */
struct here {
	int in;		     /* the current directory is the one listed */
	unsigned long since; /* k->nchdir when it became so */
	int deep;	     /* its subdirectories are not watched */
};

/* Whether the subdirectories of w lie deeper than c->levels allows. */
static int too_deep(const struct it_ctx *c, const struct watch *w)
{
	return c->levels && it_wtab_depth(&c->tab, w) + 2 > c->levels;
}

/*
 * Watch (quiet) the subdirectory name of w, w being open as fd and k->path
 * its path, and push its record on k->kids; with synth, report it as
 * created. 0 if done or skipped, -1.
 */
static int add_child(struct it_ctx *c, struct walk *k, struct watch *w, int fd,
		     const char *name, struct here *h)
{
	size_t base = k->len, n = strlen(name);
	struct watch *cw;
	int wd, rc = 0;

	if (path_put(k, base, name, n) < 0 || path_put(k, k->len, "/", 1) < 0) {
		c->error = ENOMEM;
		return -1;
	}
	if (excluded(k->path, k->len, k->excl))
		goto out;
	/* not watched, but an entry all the same */
	if (h->deep || it_filter_prunes(c, k->path, k->len)) {
		if (k->synth && queue_event(c, it_wtab_wd(&c->tab, w),
					    IN_CREATE | IN_ISDIR, name) < 0) {
			c->error = ENOMEM;
			rc = -1;
		}
		goto out;
	}
	if (c->be->add_fd) { /* watched once open, by descend() */
		if ((k->synth && queue_event(c, it_wtab_wd(&c->tab, w),
					     IN_CREATE | IN_ISDIR, name) < 0) ||
		    kid_push(k, NULL, name, n) < 0) {
			c->error = ENOMEM;
			rc = -1;
		}
		goto out;
	}
	if (!h->in && (h->in = go(k, fd)))
		h->since = k->nchdir;
	it_wtab_prefetch_child(&c->tab, w, name, n);
	wd = c->be->add(c, h->in ? name : k->path,
			(k->mask & ~k->quiet) | IN_ONLYDIR | IN_DONT_FOLLOW);
	if (wd < 0) {
		if (!vanished(errno) && !skip(c, k, k->path, errno)) {
			c->error = errno;
			rc = -1;
		}
		goto out;
	}
	if (k->synth && queue_event(c, it_wtab_wd(&c->tab, w),
				    IN_CREATE | IN_ISDIR, name) < 0) {
		c->error = ENOMEM;
		rc = -1;
		goto out;
	}
	if (!(cw = record_child(c, wd, name, n, w, k->mask)) ||
	    kid_push(k, cw, name, n) < 0) {
		c->error = ENOMEM;
		rc = -1;
	}
out:
	k->len = base;
	k->path[base] = '\0';
	return rc;
}

static int walk_dir(struct it_ctx *c, struct walk *k, struct watch *w, int fd,
		    size_t depth);

/* Read the entries of w, open as fd, k->path being its path: watch its
 * subdirectories, report the others with k->synth; 0, or -1 with c->error. */
static int list_dir(struct it_ctx *c, struct walk *k, struct watch *w, int fd,
		    char *buf, struct here *h)
{
	int rc = 0;

	while (rc == 0) {
		long n = syscall(SYS_getdents64, fd, buf, DENTS_SIZE);

		if (n <= 0) {
			if (n < 0 &&
			    !(w->parent && (vanished(errno) ||
					    skip(c, k, k->path, errno)))) {
				c->error = errno;
				return -1;
			}
			return 0;
		}
		for (long off = 0; rc == 0 && off < n;) {
			const struct dent64 *d = (const void *)(buf + off);
			const char *name = d->d_name;

			off += d->d_reclen;
			if (name[0] == '.' &&
			    (!name[1] || (name[1] == '.' && !name[2])))
				continue;
			if (is_dir(fd, d))
				rc = add_child(c, k, w, fd, name, h);
			else if (k->synth &&
				 queue_event(c, it_wtab_wd(&c->tab, w),
					     IN_CREATE, name)) {
				c->error = ENOMEM;
				rc = -1;
			}
		}
	}
	return rc;
}

/*
 * Watch (quiet) the subdirectory of w open as cfd, k->kids[i], k->path
 * being its path: its record, or NULL (c->error set, or 0: skipped).
 */
static struct watch *watch_open(struct it_ctx *c, struct walk *k,
				struct watch *w, int cfd, size_t i)
{
	const char *name = k->knames.data + k->kids[i].name;
	size_t len = k->len, n = strlen(name);
	struct watch *cw = NULL;
	int wd;

	it_wtab_prefetch_child(&c->tab, w, name, n);
	wd = c->be->add_fd(c, cfd,
			   (k->mask & ~k->quiet) | IN_ONLYDIR | IN_DONT_FOLLOW);

	c->error = 0;
	if (wd >= 0) {
		cw = record_child(c, wd, name, n, w, k->mask);
	} else if (path_put(k, len, "/", 1) < 0) {
		c->error = ENOMEM;
	} else if (!vanished(errno) && !skip(c, k, k->path, errno)) {
		c->error = errno;
	}
	k->len = len;
	k->path[len] = '\0';
	return k->kids[i].w = cw;
}

/*
 * List each subdirectory of w pushed from k->kids[first] on, w open as fd
 * and k->path[0..base) its path (with add_fd, watch each first); past
 * FD_DEPTH, leave them to walk_deep() (their kid no longer names them).
 */
static int descend(struct it_ctx *c, struct walk *k, struct watch *w, int fd,
		   size_t first, size_t base, size_t depth)
{
	int rc = 0;

	for (size_t i = first; rc == 0 && i < k->nkids; i++) {
		struct watch *cw = k->kids[i].w;
		const char *name = k->knames.data + k->kids[i].name;
		int cfd = -1;

		if (path_put(k, base, name, strlen(name)) < 0) {
			c->error = ENOMEM;
			return -1;
		}
		if (!cw || depth < FD_DEPTH) {
			cfd = openat(fd, k->path + base,
				     O_RDONLY | O_DIRECTORY | O_CLOEXEC |
					     O_NOFOLLOW);
			if (cfd < 0) {
				if (!vanished(errno) &&
				    !skip(c, k, k->path, errno)) {
					c->error = errno;
					rc = -1;
				}
				continue;
			}
		}
		if (!cw && !(cw = watch_open(c, k, w, cfd, i))) {
			close(cfd);
			rc = c->error ? -1 : 0;
			continue;
		}
		if (depth >= FD_DEPTH) {
			if (cfd >= 0)
				close(cfd);
			k->kids[i].w = NULL;
			if (wlist_push(&k->deep, cw) < 0) {
				c->error = ENOMEM;
				rc = -1;
			}
			continue;
		}
		path_put(k, k->len, "/", 1);
		rc = walk_dir(c, k, cw, cfd, depth + 1);
		close(cfd);
	}
	return rc;
}

/* The subtrees of the subdirectories pushed from k->kids[first] on are
 * done: give them their full mask. here: the walk works in their parent. */
static void unquiet_kids(struct it_ctx *c, struct walk *k, int fd, size_t first,
			 size_t base, int here)
{
	for (size_t i = first; (k->mask & k->quiet) && i < k->nkids; i++) {
		const char *name = k->knames.data + k->kids[i].name;

		if (!k->kids[i].w || path_put(k, base, name, strlen(name)) < 0)
			continue;
		if (!here)
			here = go(k, fd);
		c->be->remask(c, here ? k->path + base : k->path,
			      k->mask | IN_ONLYDIR | IN_DONT_FOLLOW);
	}
}

/*
 * List w, open as fd, k->path being its path: watch its subdirectories,
 * then list each of them, then give them their full mask (even after an
 * error).
 */
static int walk_dir(struct it_ctx *c, struct walk *k, struct watch *w, int fd,
		    size_t depth)
{
	size_t first = k->nkids, base = k->len, names = k->knames.len;
	struct here h = { 0, 0, too_deep(c, w) };
	int rc;

	if (!k->bufs[depth] && !(k->bufs[depth] = malloc(DENTS_SIZE))) {
		c->error = ENOMEM;
		return -1;
	}
	rc = list_dir(c, k, w, fd, k->bufs[depth], &h);
	if (rc == 0)
		rc = descend(c, k, w, fd, first, base, depth);
	unquiet_kids(c, k, fd, first, base, h.in && k->nchdir == h.since);
	k->nkids = first;
	k->knames.len = names;
	k->len = base;
	k->path[base] = '\0';
	return rc;
}

/* Open the directory of w, at k->path. */
static int open_dir(struct it_ctx *c, const struct walk *k,
		    const struct watch *w)
{
	int fd = open(k->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0 && errno == ELOOP && !w->parent)
		fd = open(k->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 &&
	    !(w->parent && (vanished(errno) || skip(c, k, k->path, errno))))
		c->error = errno;
	return fd;
}

/* List the directories left for later, and below them. */
static int walk_deep(struct it_ctx *c, struct walk *k)
{
	int rc = 0;

	while (rc == 0 && k->deep.n > 0) {
		struct watch *w = k->deep.v[--k->deep.n];
		int fd;

		home(k);
		if (path_of(c, k, w) < 0) {
			c->error = ENOMEM;
			return -1;
		}
		if ((fd = open_dir(c, k, w)) >= 0) {
			rc = walk_dir(c, k, w, fd, 0);
			close(fd);
		} else if (c->error) {
			rc = -1;
		}
		home(k);
		if (path_of(c, k, w) == 0)
			unquiet(c, k);
	}
	return rc;
}

static int walk(struct it_ctx *c, struct watch *top, uint32_t mask,
		const char *const *excl, int synth, int lenient)
{
	struct walk k;
	int rc = -1, fd, hushed;

	walk_init(c, &k, mask, excl, synth, lenient);
	if (path_of(c, &k, top) < 0) {
		walk_free(&k);
		c->error = ENOMEM;
		return -1;
	}
	/* The setup (not lenient: nothing is reported yet) may be quieted
	 * by the backend at once: each directory is then marked only once. */
	hushed = (mask & k.quiet) && !lenient && c->be->hush &&
		 c->be->hush(c, 1) == 0;
	if (hushed)
		k.quiet = 0;
	/* Opening each child would show on top's watch too: quiet it first. */
	if (mask & k.quiet)
		c->be->add(c, k.path,
			   (mask & ~k.quiet) | IN_ONLYDIR | IN_DONT_FOLLOW);
	it_quiet_begin(c, it_wtab_wd(&c->tab, top));
	c->error = 0;
	if ((fd = open_dir(c, &k, top)) >= 0) {
		rc = walk_dir(c, &k, top, fd, 0);
		close(fd);
	} else if (!c->error) {
		rc = 0;
	}
	home(&k);
	if (rc == 0)
		rc = walk_deep(c, &k);
	if (path_of(c, &k, top) == 0)
		unquiet(c, &k);
	it_quiet_end(c);
	if (rc < 0 && c->error == 0)
		c->error = ENOMEM;
	walk_free(&k);
	if (hushed)
		c->be->hush(c, 0);
	return rc;
}

struct watch *it_watch_root(struct it_ctx *c, const char *path, uint32_t mask,
			    const char *const *excl, int tree, int later)
{
	struct stat st;
	struct watch *w;

	if (tree && stat(path, &st) < 0) {
		c->error = errno;
		return NULL;
	}
	if (!(w = it_watch_path(c, path, mask)))
		return NULL;
	if (!tree || !S_ISDIR(st.st_mode) || (c->be->caps & IT_CAP_WHOLE_FS))
		return w; /* (a whole-filesystem mark covers the tree) */
	return walk(c, w, mask, excl, later > 1, later > 0) < 0 ? NULL : w;
}

int it_watch_tree(struct it_ctx *c, const char *path, uint32_t mask,
		  const char *const *excl)
{
	return it_watch_root(c, path, mask, excl, 1, 0) ? 0 : -1;
}

/* Watch the new directory name in w, k->path being w's path, and below. */
static int new_dir(struct it_ctx *c, struct walk *k, struct watch *w,
		   const char *name, size_t n)
{
	struct watch *cw;
	int wd, fd, rc = 0;

	if (path_put(k, k->len, name, n) < 0 ||
	    path_put(k, k->len, "/", 1) < 0) {
		c->error = ENOMEM;
		return -1;
	}
	if (too_deep(c, w) || it_filter_prunes(c, k->path, k->len))
		return 0;
	wd = c->be->add(c, k->path,
			(k->mask & ~k->quiet) | IN_ONLYDIR | IN_DONT_FOLLOW);
	if (wd < 0) {
		if (vanished(errno))
			return 0;
		c->error = errno;
		return -1;
	}
	if (!(cw = record_child(c, wd, name, n, w, k->mask)))
		return -1;
	fd = open(k->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (fd >= 0) {
		rc = walk_dir(c, k, cw, fd, 0);
		close(fd);
	} else if (!vanished(errno) && !skip(c, k, k->path, errno)) {
		c->error = errno;
		rc = -1;
	}
	home(k);
	if (rc == 0)
		rc = walk_deep(c, k);
	home(k);
	if (path_of(c, k, cw) == 0)
		unquiet(c, k);
	return rc;
}

void it_watch_new_dir(struct it_ctx *c, struct watch *w, const char *name,
		      int synth)
{
	struct walk k;
	size_t n = strlen(name);

	walk_init(c, &k, c->automask, NULL, synth, 1);
	if (it_wtab_child(&c->tab, w, name, n) || path_of(c, &k, w) < 0) {
		walk_free(&k);
		return;
	}
	/* our opening of it shows on w: the new watch's wd says so */
	it_quiet_begin(c, (long)c->tab.max_wd + 1);
	c->error = 0;
	if (new_dir(c, &k, w, name, n) < 0 && c->warn) {
		if (path_of(c, &k, w) == 0 &&
		    path_put(&k, k.len, name, n) == 0 &&
		    path_put(&k, k.len, "/", 1) == 0)
			c->warn(c->warn_arg, k.path, c->error);
		else
			c->warn(c->warn_arg, name, c->error);
	}
	it_quiet_end(c);
	walk_free(&k);
}

void it_rescan(struct it_ctx *c)
{
	struct watch **roots = NULL, *w, **v;
	size_t n = 0, cap = 0;
	uint32_t i = 0;

	while ((w = it_wtab_live(&c->tab, &i))) {
		if (w->parent || !(w->flags & IT_W_DIR) ||
		    (w->flags & IT_W_ANCHOR))
			continue;
		if (!(v = it_grow(roots, &cap, n + 1, sizeof(*v), 16))) {
			free(roots);
			return;
		}
		roots = v;
		roots[n++] = w;
	}
	it_quiet_begin(c, 0);
	for (size_t k = 0; k < n; k++)
		if (walk(c, roots[k], c->automask, NULL, 0, 1) < 0 && c->warn) {
			size_t len;

			c->warn(c->warn_arg,
				it_wtab_path(&c->tab, roots[k], &len),
				c->error);
		}
	free(roots);
}

/* Unwatch the subdirectories of w (depth d) that lie too deep. */
static void prune_deep(struct it_ctx *c, struct watch *w, unsigned d)
{
	struct watch *cw = it_wtab_first_child(&c->tab, w), *next;

	for (; cw; cw = next) {
		next = it_wtab_next_child(&c->tab, w, cw);
		if (d + 2 > c->levels)
			it_unwatch(c, cw);
		else
			prune_deep(c, cw, d + 1);
	}
}

void it_watch_moved(struct it_ctx *c, struct watch *w, unsigned before)
{
	unsigned d;
	size_t len;

	if (!c->levels)
		return;
	d = it_wtab_depth(&c->tab, w);
	if (d + 1 > c->levels) {
		it_unwatch(c, w);
	} else if (d > before) {
		prune_deep(c, w, d);
	} else if (d < before && c->autowatch) {
		it_quiet_begin(c, 0);
		if (walk(c, w, c->automask, NULL, 0, 1) < 0 && c->warn)
			c->warn(c->warn_arg, it_wtab_path(&c->tab, w, &len),
				c->error);
	}
}

static void unwatch_one(struct watch *w, void *arg)
{
	struct it_ctx *c = arg;

	c->be->rm(c, w);
	it_wtab_kill(&c->tab, w);
}

void it_unwatch(struct it_ctx *c, struct watch *w)
{
	it_wtab_postorder(&c->tab, w, unwatch_one, c);
}

char *it_watch_abspath(const struct it_ctx *c, const char *path, int nofollow)
{
	return (c->be->caps & IT_CAP_ABSOLUTE) ? it_abspath(path, nofollow)
					       : NULL;
}
