/*
 * fanotify.c: the fanotify backend. Marks directories (-F) or whole
 * filesystems (-S) and turns each fanotify event into the inotify-shaped
 * record the rest of the library consumes, with a pseudo watch descriptor
 * per marked or resolved directory.
 */
#include "config.h"

#include "ctx.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fanotify.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#ifndef AT_HANDLE_FID
#define AT_HANDLE_FID 0x200
#endif
#ifndef FAN_RENAME
#define FAN_RENAME 0x10000000
#endif
#ifndef FAN_EVENT_INFO_TYPE_OLD_DFID_NAME
#define FAN_EVENT_INFO_TYPE_OLD_DFID_NAME 10
#define FAN_EVENT_INFO_TYPE_NEW_DFID_NAME 12
#endif

/* Events fanotify reports that have an inotify counterpart. */
#define FAN_USER_EVENTS                                                        \
	(IN_ACCESS | IN_MODIFY | IN_ATTRIB | IN_CLOSE | IN_OPEN | IN_MOVE |    \
	 IN_CREATE | IN_DELETE | IN_DELETE_SELF | IN_MOVE_SELF)

#define MAX_HANDLE 128 /* MAX_HANDLE_SZ of the kernel */
#define KEY_MAX (sizeof(fsid_t) + sizeof(int) + MAX_HANDLE)

/* A marked or resolved object: its file handle and its pseudo wd. */
struct fobj {
	struct fobj *next; /* hash chain */
	uint32_t hash;
	int wd;
	int root; /* -S: a path given, not a resolved directory */
	size_t klen;
	unsigned char key[]; /* fsid, handle type, handle bytes */
};

/* A filesystem met: how to open handles on it. */
struct ffs {
	int mnt_id;
	fsid_t fsid;
	int fd;	    /* a descriptor on the filesystem, for open_by_handle_at */
	int marked; /* -S: the filesystem mark is in place */
};

struct it_fan {
	int filesystem; /* -S */
	int can_rename; /* the kernel reports FAN_RENAME */
	pid_t pid;
	uint32_t fsmask; /* -S: the mask of every resolved directory */
	int next_wd;
	struct fobj **bucket;
	size_t nbuckets, nobj;
	struct fobj **bywd; /* indexed by wd */
	size_t nbywd;
	struct ffs *fs;
	size_t nfs;
	/* Queue positions in FIONREAD's unit: fanotify counts only the
	 * metadata of each event there, FAN_EVENT_METADATA_LEN bytes. */
	uint64_t qpos; /* of the next event to translate */
	uint64_t qend; /* after the last event read from the kernel */
	int *pending;  /* wds whose IN_IGNORED is due */
	size_t npending, cappending;
	struct it_buf out; /* the event handed out */
};

/* ------------------------------------------------------------------ */
/* the handle table                                                    */

static struct fobj *obj_find(const struct it_fan *f, const unsigned char *key,
			     size_t klen)
{
	uint32_t h;

	if (!f->nbuckets)
		return NULL;
	h = it_hash(IT_HASH_INIT, key, klen);
	for (struct fobj *o = f->bucket[h & (f->nbuckets - 1)]; o; o = o->next)
		if (o->hash == h && o->klen == klen &&
		    !memcmp(o->key, key, klen))
			return o;
	return NULL;
}

static int obj_grow(struct it_fan *f)
{
	size_t n = f->nbuckets ? f->nbuckets * 2 : 256;
	struct fobj **b = calloc(n, sizeof(*b));

	if (!b)
		return -1;
	for (size_t i = 0; i < f->nbuckets; i++) {
		struct fobj *o, *next;

		for (o = f->bucket[i]; o; o = next) {
			next = o->next;
			o->next = b[o->hash & (n - 1)];
			b[o->hash & (n - 1)] = o;
		}
	}
	free(f->bucket);
	f->bucket = b;
	f->nbuckets = n;
	return 0;
}

/* A new object with a fresh wd; NULL on allocation failure. */
static struct fobj *obj_add(struct it_fan *f, const unsigned char *key,
			    size_t klen)
{
	struct fobj *o;
	int wd = f->next_wd;

	if (f->nobj >= f->nbuckets && obj_grow(f) < 0)
		return NULL;
	if ((size_t)wd >= f->nbywd) {
		size_t n = f->nbywd;
		struct fobj **v = it_grow(f->bywd, &f->nbywd, (size_t)wd + 1,
					  sizeof(*v), 256);

		if (!v)
			return NULL;
		memset(v + n, 0, (f->nbywd - n) * sizeof(*v));
		f->bywd = v;
	}
	if (!(o = malloc(sizeof(*o) + klen)))
		return NULL;
	memcpy(o->key, key, klen);
	o->klen = klen;
	o->hash = it_hash(IT_HASH_INIT, key, klen);
	o->wd = wd;
	o->root = 0;
	o->next = f->bucket[o->hash & (f->nbuckets - 1)];
	f->bucket[o->hash & (f->nbuckets - 1)] = o;
	f->bywd[wd] = o;
	f->next_wd++;
	f->nobj++;
	return o;
}

static struct fobj *obj_by_wd(const struct it_fan *f, int wd)
{
	return wd > 0 && (size_t)wd < f->nbywd ? f->bywd[wd] : NULL;
}

static void obj_del(struct it_fan *f, struct fobj *o)
{
	struct fobj **pp = &f->bucket[o->hash & (f->nbuckets - 1)];

	while (*pp && *pp != o)
		pp = &(*pp)->next;
	if (*pp)
		*pp = o->next;
	f->bywd[o->wd] = NULL;
	f->nobj--;
	free(o);
}

/* ------------------------------------------------------------------ */
/* filesystems and handles                                             */

static struct ffs *fs_by_mnt(struct it_fan *f, int mnt_id)
{
	for (size_t i = 0; i < f->nfs; i++)
		if (f->fs[i].mnt_id == mnt_id)
			return &f->fs[i];
	return NULL;
}

static struct ffs *fs_by_fsid(struct it_fan *f, const void *fsid)
{
	for (size_t i = 0; i < f->nfs; i++)
		if (f->fs[i].fd >= 0 &&
		    !memcmp(&f->fs[i].fsid, fsid, sizeof(fsid_t)))
			return &f->fs[i];
	return NULL;
}

/* The mount id of path, or -1. */
static long long mount_of(const char *path)
{
	struct statx sx;

	if (statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, STATX_MNT_ID, &sx) < 0 ||
	    !(sx.stx_mask & STATX_MNT_ID))
		return -1;
	return (long long)sx.stx_mnt_id;
}

/*
 * A descriptor on the root of the mount holding path (absolute), for
 * open_by_handle_at(). Not on path itself: holding a watched directory
 * open would delay its DELETE_SELF until the descriptor is closed.
 */
static int open_mount_root(const char *path)
{
	long long id = mount_of(path);
	char *p = strdup(path), *slash;
	int fd;

	if (!p)
		return -1;
	while (id >= 0 && (slash = strrchr(p, '/')) && slash != p) {
		*slash = '\0';
		if (mount_of(p) != id) {
			*slash = '/';
			break;
		}
	}
	if (id >= 0 && p[0] == '/' && !strchr(p + 1, '/') &&
	    mount_of("/") == id)
		p[1] = '\0';
	/* open_by_handle_at() takes no O_PATH descriptor: try a real one */
	fd = open(p, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		fd = open(p, O_PATH | O_CLOEXEC);
	free(p);
	return fd;
}

/* The filesystem of path (mount mnt_id), met for the first time or not. */
static struct ffs *fs_get(struct it_fan *f, const char *path, int mnt_id)
{
	struct ffs *s = fs_by_mnt(f, mnt_id), *v;
	struct statfs sf;
	int fd;

	if (s)
		return s;
	if ((fd = open_mount_root(path)) < 0 || fstatfs(fd, &sf) < 0) {
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	if (!(v = realloc(f->fs, (f->nfs + 1) * sizeof(*v)))) {
		close(fd);
		errno = ENOMEM;
		return NULL;
	}
	f->fs = v;
	s = &f->fs[f->nfs++];
	memset(s, 0, sizeof(*s));
	s->mnt_id = mnt_id;
	memcpy(&s->fsid, &sf.f_fsid, sizeof(fsid_t));
	s->fd = fd;
	return s;
}

/*
 * The key of path's object, as fanotify reports it, in key[KEY_MAX]; its
 * length, or 0 with errno set. *fsp gets the filesystem.
 */
static size_t path_key(struct it_fan *f, const char *path, int nofollow,
		       unsigned char *key, struct ffs **fsp)
{
	union {
		struct file_handle fh;
		unsigned char b[sizeof(struct file_handle) + MAX_HANDLE];
	} u;
	int flags = nofollow ? 0 : AT_SYMLINK_FOLLOW, mnt_id;
	static int no_fid_flag;
	struct ffs *s;

	u.fh.handle_bytes = MAX_HANDLE;
	if (no_fid_flag || name_to_handle_at(AT_FDCWD, path, &u.fh, &mnt_id,
					     flags | AT_HANDLE_FID) < 0) {
		if (!no_fid_flag && errno != EINVAL)
			return 0;
		no_fid_flag = 1;
		u.fh.handle_bytes = MAX_HANDLE;
		if (name_to_handle_at(AT_FDCWD, path, &u.fh, &mnt_id, flags) <
		    0)
			return 0;
	}
	if (!(s = fs_get(f, path, mnt_id)))
		return 0;
	*fsp = s;
	memcpy(key, &s->fsid, sizeof(fsid_t));
	memcpy(key + sizeof(fsid_t), &u.fh.handle_type, sizeof(int));
	memcpy(key + sizeof(fsid_t) + sizeof(int), u.fh.f_handle,
	       u.fh.handle_bytes);
	return sizeof(fsid_t) + sizeof(int) + u.fh.handle_bytes;
}

/* Open the object of key with flags; -1 if it cannot be. */
static int key_open(struct it_fan *f, const unsigned char *key, size_t klen,
		    int flags)
{
	union {
		struct file_handle fh;
		unsigned char b[sizeof(struct file_handle) + MAX_HANDLE];
	} u;
	struct ffs *s = fs_by_fsid(f, key);
	size_t n = klen - sizeof(fsid_t) - sizeof(int);

	if (!s || n > MAX_HANDLE)
		return -1;
	u.fh.handle_bytes = (unsigned)n;
	memcpy(&u.fh.handle_type, key + sizeof(fsid_t), sizeof(int));
	memcpy(u.fh.f_handle, key + sizeof(fsid_t) + sizeof(int), n);
	return open_by_handle_at(s->fd, &u.fh, flags | O_CLOEXEC);
}

/* ------------------------------------------------------------------ */
/* opening, marking, unmarking                                         */

int it_fan_open(struct it_ctx *c, int filesystem)
{
	struct it_fan *f = calloc(1, sizeof(*f));
	unsigned base = FAN_CLASS_NOTIF | FAN_CLOEXEC | FAN_NONBLOCK;

	if (!f) {
		c->error = ENOMEM;
		return -1;
	}
	c->fd = fanotify_init(base | FAN_REPORT_DFID_NAME | FAN_REPORT_FID,
			      O_RDONLY | O_LARGEFILE);
	if (c->fd < 0) {
		c->error = errno;
		free(f);
		return -1;
	}
	f->filesystem = filesystem;
	f->can_rename = 1;
	f->pid = getpid();
	f->next_wd = 1;
	c->fan = f;
	return 0;
}

void it_fan_close(struct it_ctx *c)
{
	struct it_fan *f = c->fan;

	if (!f)
		return;
	for (size_t i = 0; i < f->nbuckets; i++) {
		struct fobj *o, *next;

		for (o = f->bucket[i]; o; o = next) {
			next = o->next;
			free(o);
		}
	}
	for (size_t i = 0; i < f->nfs; i++)
		if (f->fs[i].fd >= 0)
			close(f->fs[i].fd);
	free(f->bucket);
	free(f->bywd);
	free(f->fs);
	free(f->pending);
	free(f->out.data);
	free(f);
	c->fan = NULL;
}

int it_fan_filesystem(const struct it_ctx *c)
{
	return c->fan && c->fan->filesystem;
}

/*
 * The fanotify mask of a mark for an inotify mask: a watch always learns
 * of its own deletion (for its IN_IGNORED); a directory also of its
 * children and of renames, to follow its tree.
 */
static uint64_t fan_mask(const struct it_fan *f, uint32_t mask, int dir)
{
	uint64_t m = (mask & FAN_USER_EVENTS) | FAN_ONDIR | FAN_DELETE_SELF;

	if (dir)
		m |= FAN_EVENT_ON_CHILD | (f->can_rename ? FAN_RENAME : 0);
	return m;
}

/* Every bit a mark of ours may hold. */
static uint64_t all_bits(const struct it_fan *f)
{
	return fan_mask(f, FAN_USER_EVENTS, 1);
}

/* The path a record prints (%w): the only place that reads it. */
static const char *wpath(struct it_ctx *c, const struct watch *w, size_t *len)
{
	return it_wtab_path(&c->tab, w, len);
}

int it_fan_add(struct it_ctx *c, const char *path, uint32_t mask)
{
	struct it_fan *f = c->fan;
	unsigned char key[KEY_MAX];
	int nofollow = (mask & IN_DONT_FOLLOW) != 0, dir, rc;
	unsigned flags = FAN_MARK_ADD;
	struct ffs *s = NULL;
	struct fobj *o;
	struct stat st;
	size_t klen;

	if (!(klen = path_key(f, path, nofollow, key, &s))) {
		c->error = errno;
		return -1;
	}
	if (mask & IN_ONLYDIR)
		dir = 1;
	else
		dir = (nofollow ? lstat(path, &st) : stat(path, &st)) == 0 &&
		      S_ISDIR(st.st_mode);
	if (nofollow)
		flags |= FAN_MARK_DONT_FOLLOW;
	if (mask & IN_ONLYDIR)
		flags |= FAN_MARK_ONLYDIR;
	for (;;) {
		if (f->filesystem && s->marked)
			rc = 0;
		else if (f->filesystem)
			rc = fanotify_mark(
				c->fd, flags | FAN_MARK_FILESYSTEM,
				(mask & FAN_USER_EVENTS) | FAN_ONDIR |
					(f->can_rename ? FAN_RENAME : 0),
				AT_FDCWD, path);
		else
			rc = fanotify_mark(c->fd, flags, fan_mask(f, mask, dir),
					   AT_FDCWD, path);
		if (rc == 0 || errno != EINVAL || !f->can_rename)
			break;
		f->can_rename = 0; /* before 5.17: no FAN_RENAME */
	}
	if (rc < 0) {
		c->error = errno;
		return -1;
	}
	if (f->filesystem) {
		s->marked = 1;
		f->fsmask = mask;
	}
	if (!(o = obj_find(f, key, klen)) && !(o = obj_add(f, key, klen))) {
		c->error = ENOMEM;
		return -1;
	}
	o->root = 1;
	return o->wd;
}

/* Remove the kernel mark of w (if it can still be found) and forget it. */
int it_fan_rm(struct it_ctx *c, struct watch *w)
{
	struct it_fan *f = c->fan;
	struct fobj *o = obj_by_wd(f, w->wd);
	unsigned char key[KEY_MAX];
	char proc[64];
	struct ffs *s;
	size_t len;
	int fd, rc = 0;

	if (!o)
		return 0;
	if (!f->filesystem) {
		/* fanotify_mark() takes no O_PATH descriptor, but its
		 * /proc/self/fd link: the object wherever it is now */
		if ((fd = key_open(f, o->key, o->klen, O_PATH)) >= 0) {
			snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
			rc = fanotify_mark(c->fd, FAN_MARK_REMOVE, all_bits(f),
					   AT_FDCWD, proc);
			close(fd);
		} else {
			/* no handle decoding (unprivileged): by path, if the
			 * path still names the marked object */
			const char *p = wpath(c, w, &len);

			(void)len;
			if (path_key(f, p, 1, key, &s) == o->klen &&
			    !memcmp(key, o->key, o->klen))
				rc = fanotify_mark(c->fd, FAN_MARK_REMOVE,
						   all_bits(f), AT_FDCWD, p);
		}
		if (rc < 0 && errno == ENOENT)
			rc = 0;
	}
	if (!(w->flags & IT_W_MOVED_OUT))
		obj_del(f, o);
	return rc;
}

char *it_fan_abspath(const char *path, int nofollow)
{
	return it_abspath(path, nofollow);
}

/* ------------------------------------------------------------------ */
/* reading                                                             */

/* Build the event handed out; NULL without memory. */
static struct inotify_event *make_event(struct it_fan *f, int wd, uint32_t mask,
					const char *name)
{
	size_t n = name && *name ? strlen(name) + 1 : 0;
	size_t len = (n + sizeof(struct inotify_event) - 1) &
		     ~(sizeof(struct inotify_event) - 1);
	struct inotify_event ev = { .wd = wd,
				    .mask = mask,
				    .len = (uint32_t)len };

	f->out.len = 0;
	if (it_buf_put(&f->out, &ev, sizeof(ev)) ||
	    (len &&
	     (it_buf_put(&f->out, name, n) ||
	      it_buf_put(&f->out, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", len - n))))
		return NULL;
	return (struct inotify_event *)(void *)f->out.data;
}

/* Queue an event to be handed out after the current one. */
static void queue_event(struct it_ctx *c, int wd, uint32_t mask)
{
	struct inotify_event ev = { .wd = wd, .mask = mask };

	it_buf_put(&c->syn, &ev, sizeof(ev));
}

/* The record of a key, dead or alive; NULL if unknown. */
static struct watch *lookup(struct it_ctx *c, const unsigned char *key,
			    size_t klen)
{
	struct fobj *o = klen ? obj_find(c->fan, key, klen) : NULL;

	return o ? it_wtab_by_wd(&c->tab, o->wd) : NULL;
}

static struct watch *live(struct watch *w)
{
	return w && !(w->flags & IT_W_DEAD) ? w : NULL;
}

/* Release the previous zombie and make w the next one. */
static void bury(struct it_ctx *c, struct watch *w)
{
	if (c->zombie && c->zombie != w)
		it_wtab_release(&c->tab, c->zombie, c->keep_counted);
	c->zombie = w;
}

/* -S: the directory (or file) of key, resolved through its file handle. */
static struct watch *resolve(struct it_ctx *c, const unsigned char *key,
			     size_t klen)
{
	struct it_fan *f = c->fan;
	char proc[64], buf[PATH_MAX + 2];
	struct watch *w;
	struct fobj *o;
	struct stat st;
	ssize_t n;
	int fd, deleted = 0, dir;

	if (!klen || (fd = key_open(f, key, klen, O_PATH)) < 0)
		return NULL;
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	n = readlink(proc, buf, PATH_MAX);
	dir = fstat(fd, &st) == 0 && S_ISDIR(st.st_mode);
	close(fd);
	if (n <= 0 || buf[0] != '/')
		return NULL;
	buf[n] = '\0';
	if (n > 10 && !strcmp(buf + n - 10, " (deleted)")) {
		n -= 10;
		deleted = 1;
	}
	if (dir && buf[n - 1] != '/')
		buf[n++] = '/';
	buf[n] = '\0';
	if (!(o = obj_add(f, key, klen)))
		return NULL;
	/* a file (a self event of it) prints as a watched file does */
	if (!(w = it_wtab_add(&c->tab, o->wd, buf, (size_t)n,
			      dir ? IT_W_DIR : 0, NULL))) {
		obj_del(f, o);
		return NULL;
	}
	w->mask = f->fsmask;
	if (deleted) { /* good for this event only */
		obj_del(f, o);
		it_wtab_kill(&c->tab, w);
		bury(c, w);
	}
	return w;
}

/* The child directory record "<w><name>/", or NULL. */
static struct watch *child(struct it_ctx *c, const struct watch *w,
			   const char *name)
{
	size_t len;
	const char *p = wpath(c, w, &len);

	c->scratch.len = 0;
	if (it_buf_put(&c->scratch, p, len) ||
	    it_buf_put(&c->scratch, name, strlen(name)) ||
	    it_buf_put(&c->scratch, "/", 1))
		return NULL;
	return live(it_wtab_by_path(&c->tab, c->scratch.data, c->scratch.len));
}

/* A key and a name as read from an event's information records. */
struct where {
	unsigned char key[KEY_MAX];
	size_t klen; /* 0: absent */
	const char *name;
};

static void info_key(const struct fanotify_event_info_header *h,
		     struct where *to)
{
	const struct fanotify_event_info_fid *fi = (const void *)h;
	const struct file_handle *fh = (const void *)fi->handle;
	size_t room = h->len, fixed = sizeof(*fi) + sizeof(*fh);

	if (room < fixed || fh->handle_bytes > MAX_HANDLE ||
	    fh->handle_bytes > room - fixed)
		return;
	memcpy(to->key, &fi->fsid, sizeof(fsid_t));
	memcpy(to->key + sizeof(fsid_t), &fh->handle_type, sizeof(int));
	memcpy(to->key + sizeof(fsid_t) + sizeof(int), fh->f_handle,
	       fh->handle_bytes);
	to->klen = sizeof(fsid_t) + sizeof(int) + fh->handle_bytes;
	if (h->info_type != FAN_EVENT_INFO_TYPE_FID &&
	    h->info_type != FAN_EVENT_INFO_TYPE_DFID &&
	    fixed + fh->handle_bytes < room &&
	    memchr(fh->f_handle + fh->handle_bytes, '\0',
		   room - fixed - fh->handle_bytes))
		to->name = (const char *)fh->f_handle + fh->handle_bytes;
}

/* FAN_RENAME of a directory: keep the tree of watches true. */
static void renamed(struct it_ctx *c, const struct where *from,
		    const struct where *to)
{
	struct it_fan *f = c->fan;
	struct watch *op, *np, *cw;

	if (f->filesystem) { /* resolved paths below may be stale now */
		for (size_t i = 1; i < f->nbywd; i++) {
			struct fobj *o = f->bywd[i];
			struct watch *w;

			if (!o || o->root)
				continue;
			w = it_wtab_by_wd(&c->tab, o->wd);
			obj_del(f, o);
			if (w && w != c->zombie) {
				it_wtab_kill(&c->tab, w);
				it_wtab_release(&c->tab, w, c->keep_counted);
			}
		}
		return;
	}
	/* the kernel leaves out the side that no mark of ours watches */
	op = from->name ? live(lookup(c, from->key, from->klen)) : NULL;
	np = to->name ? live(lookup(c, to->key, to->klen)) : NULL;
	cw = op ? child(c, op, from->name) : NULL;
	if (cw && np) {
		c->scratch.len = 0;
		if (it_buf_put(&c->scratch, to->name, strlen(to->name)) ||
		    it_buf_put(&c->scratch, "/", 1) ||
		    it_wtab_rename(&c->tab, cw, np, c->scratch.data,
				   c->scratch.len) < 0)
			it_unwatch(c, cw);
	} else if (cw) { /* moved out of the tree */
		if (cw->mask & IN_MOVE_SELF)
			cw->flags |= IT_W_MOVED_OUT;
		it_unwatch(c, cw);
	} else if (np && !from->klen && c->autowatch) { /* moved in */
		it_watch_new_dir(c, np, to->name, 0);
	}
}

/* A directory, or a watched file, died: its record goes, as on IN_IGNORED. */
static void died(struct it_ctx *c, struct watch *w)
{
	struct it_fan *f = c->fan;
	struct fobj *o = obj_by_wd(f, w->wd);
	int *v;

	if (f->filesystem) {
		if (o && o->root)
			return; /* the filesystem mark stays */
		if (o)
			obj_del(f, o);
		it_wtab_kill(&c->tab, w);
		bury(c, w);
		return;
	}
	if (o)
		obj_del(f, o);
	it_wtab_kill(&c->tab, w);
	if (!(v = it_grow(f->pending, &f->cappending, f->npending + 1,
			  sizeof(*v), 16)))
		return;
	f->pending = v;
	f->pending[f->npending++] = w->wd;
}

/*
 * The inotify-shaped event for the fanotify event at raw (its metadata
 * copied to m), at queue position pos (see qpos), after bringing the
 * watches up to date; NULL if it is not delivered.
 */
static struct inotify_event *translate(struct it_ctx *c,
				       const struct fanotify_event_metadata *m,
				       const char *raw, uint64_t pos)
{
	struct it_fan *f = c->fan;
	struct where d = { .klen = 0 }, fid = { .klen = 0 },
		     from = { .klen = 0 }, to = { .klen = 0 };
	const char *p = raw + m->metadata_len, *end = raw + m->event_len;
	uint32_t mask = (uint32_t)m->mask, out;
	struct watch *w, *wf = NULL;
	const char *name;

	if (m->fd >= 0)
		close(m->fd);
	if (mask & FAN_Q_OVERFLOW) {
		if (c->autowatch && !f->filesystem)
			it_rescan(c);
		return make_event(f, -1, IN_Q_OVERFLOW, NULL);
	}
	if (m->pid == f->pid)
		return NULL; /* our own reads of directories */
	while (p + sizeof(struct fanotify_event_info_header) <= end) {
		const struct fanotify_event_info_header *h = (const void *)p;

		if (h->len < sizeof(*h) || h->len > end - p)
			break;
		switch (h->info_type) {
		case FAN_EVENT_INFO_TYPE_FID:
			info_key(h, &fid);
			break;
		case FAN_EVENT_INFO_TYPE_DFID_NAME:
		case FAN_EVENT_INFO_TYPE_DFID:
			info_key(h, &d);
			break;
		case FAN_EVENT_INFO_TYPE_OLD_DFID_NAME:
			info_key(h, &from);
			break;
		case FAN_EVENT_INFO_TYPE_NEW_DFID_NAME:
			info_key(h, &to);
			break;
		}
		p += h->len;
	}
	if (mask & FAN_RENAME) {
		if (mask & FAN_ONDIR)
			renamed(c, &from, &to);
		mask &= ~FAN_RENAME;
	}
	if (!(mask & FAN_USER_EVENTS))
		return NULL;
	name = d.name && strcmp(d.name, ".") ? d.name : "";
	if (!*name) { /* an event on a directory itself */
		w = d.klen ? lookup(c, d.key, d.klen)
			   : lookup(c, fid.key, fid.klen);
		if (!w && f->filesystem)
			w = resolve(c, d.klen ? d.key : fid.key,
				    d.klen ? d.klen : fid.klen);
	} else {
		w = lookup(c, d.key, d.klen);
		wf = lookup(c, fid.key, fid.klen);
		if (wf && (wf->flags & IT_W_DIR))
			wf = NULL;
		if (!w && !wf && f->filesystem)
			w = resolve(c, d.key, d.klen);
		if (!w) {
			w = wf;
			wf = NULL;
			name = "";
		}
	}
	if (!w)
		return NULL;
	if (w->flags & IT_W_DEAD) {
		struct fobj *o = obj_by_wd(f, w->wd);

		/* the move that took it out of the tree, under its old name */
		if (!(mask & IN_MOVE_SELF) || !(w->flags & IT_W_MOVED_OUT))
			return NULL;
		w->flags &= ~IT_W_MOVED_OUT;
		if (o)
			obj_del(f, o);
		bury(c, w);
		return make_event(f, w->wd, mask & (IN_MOVE_SELF | IN_ISDIR),
				  "");
	}
	if (wf && !(wf->flags & IT_W_DEAD) &&
	    (out = mask & (wf->mask & FAN_USER_EVENTS)))
		queue_event(c, wf->wd, out | (mask & IN_ISDIR));
	/* the kernel's CREATE of what a scan of ours already reported */
	if (pos >= c->quiet_until)
		it_seen_clear(&c->seen);
	else if ((mask & IN_CREATE) && *name &&
		 it_seen_take(&c->seen, w->wd, name))
		return NULL;
	if (*name && (mask & IN_ISDIR) && c->autowatch && !f->filesystem &&
	    ((mask & IN_CREATE) || ((mask & IN_MOVED_TO) && !f->can_rename)))
		it_watch_new_dir(c, w, name, (mask & IN_CREATE) != 0);
	out = mask & ((w->mask & FAN_USER_EVENTS) | IN_ISDIR);
	if (!*name && (mask & IN_DELETE_SELF))
		died(c, w);
	if (!(out & ~IN_ISDIR))
		return NULL;
	return make_event(f, w->wd, out, name);
}

/* Read events into the empty buffer: 1, 0 at the deadline, -1 on error. */
static int fill(struct it_ctx *c, int64_t deadline)
{
	struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
	ssize_t n;

	for (;;) {
		int ms = it_ms_left(deadline), r;
		struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

		r = ppoll(&pfd, 1, ms < 0 ? NULL : &ts, c->sigmask);
		if (r <= 0) {
			c->error = r < 0 ? errno : 0;
			return r;
		}
		n = read(c->fd, c->rbuf, c->rsize);
		if (n > 0) {
			size_t off = 0;
			uint32_t len;

			c->rend = (size_t)n;
			/* events are 4-byte aligned only: no casts */
			while (c->rend - off >= FAN_EVENT_METADATA_LEN) {
				memcpy(&len, c->rbuf + off, sizeof(len));
				if (len < FAN_EVENT_METADATA_LEN ||
				    len > c->rend - off)
					break;
				off += len;
				c->fan->qend += FAN_EVENT_METADATA_LEN;
			}
			return 1;
		}
		if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
			c->error = n < 0 ? errno : EIO;
			return -1;
		}
	}
}

struct inotify_event *it_fan_next(struct it_ctx *c, int64_t deadline)
{
	struct it_fan *f = c->fan;

	for (;;) {
		struct fanotify_event_metadata m;
		struct inotify_event *ev;
		uint64_t pos;
		size_t off;

		if (f->npending) {
			int wd = f->pending[0];
			struct watch *w = it_wtab_by_wd(&c->tab, wd);

			memmove(f->pending, f->pending + 1,
				--f->npending * sizeof(*f->pending));
			if (!w)
				continue;
			bury(c, w);
			return make_event(f, wd, IN_IGNORED, "");
		}
		if (c->rpos >= c->rend) {
			c->rbase += c->rend;
			c->rpos = c->rend = 0;
			if (fill(c, deadline) <= 0)
				return NULL;
		}
		off = c->rpos;
		pos = f->qpos;
		if (c->rend - off < FAN_EVENT_METADATA_LEN) {
			c->rpos = c->rend;
			continue;
		}
		/* the 64-bit mask may be misaligned in the buffer: copy */
		memcpy(&m, c->rbuf + off, sizeof(m));
		if (m.event_len < FAN_EVENT_METADATA_LEN ||
		    m.event_len > c->rend - off ||
		    m.vers != FANOTIFY_METADATA_VERSION) {
			c->rpos = c->rend;
			continue;
		}
		c->rpos += m.event_len;
		f->qpos += FAN_EVENT_METADATA_LEN;
		if ((ev = translate(c, &m, c->rbuf + off, pos)))
			return ev;
		if (f->npending == 0 && c->syn.len > c->syn.pos) {
			c->error = 0;
			return NULL; /* the caller serves the queue first */
		}
	}
}

uint64_t it_fan_queue_pos(const struct it_ctx *c)
{
	return c->fan->qend;
}
