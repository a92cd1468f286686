/* fanotify.c: the fanotify backend; it follows no tree (tree.c does).
 *
 * Marks directories (-F) or whole filesystems (-S) and turns each fanotify
 * event into the inotify-shaped events of backend.h, with a pseudo watch
 * descriptor per marked or resolved object: a directory renamed
 * (FAN_RENAME) becomes a hidden MOVED_FROM and MOVED_TO pair, a deleted
 * one an IN_IGNORED.
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
#ifndef FAN_MARK_IGNORE
#define FAN_MARK_IGNORE 0x400
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

/*
 * A marked or resolved object, by its pseudo wd: objs[wd]. Its key lives
 * in the arena keys, after two bytes: the key's length, and whether it is
 * a root (-S: a path given, not a resolved directory). Offset 0: no object.
 */
struct fobj {
	uint32_t key;  /* offset of its entry in keys */
	uint32_t next; /* hash chain: the next wd, 0 at the end */
};

/* A filesystem met: how to open handles on it. */
struct ffs {
	int mnt_id;
	fsid_t fsid;
	int fd;	    /* a descriptor on the filesystem, for open_by_handle_at */
	int marked; /* -S: the filesystem mark is in place */
	int hushed; /* its ignore mark of HUSH_BITS is in place */
};

struct it_fan {
	int filesystem; /* -S */
	int can_rename; /* the kernel reports FAN_RENAME */
	int no_fid;	/* name_to_handle_at() takes no AT_HANDLE_FID */
	int hush;	/* every filesystem met gets an ignore mark (hush()) */
	pid_t pid;
	uint32_t fsmask; /* -S: the mask of every resolved directory */
	int next_wd;
	struct fobj *objs; /* indexed by wd: 1 .. next_wd - 1 are set, the
			      rest of the nobjs allocated is not */
	size_t nobjs, nlive;
	uint32_t *bucket; /* hash chains of wds */
	size_t nbuckets;
	/* A filter over the keys' hashes, nbuckets / 2 words: two bits a key
	 * (see filter_bits()). A clear bit proves a key absent, without the
	 * cache misses of a chain, as for every directory a walk meets. Bits
	 * of deleted keys (ndead) stay until filter_remake() or a growth. */
	uint64_t *filter;
	size_t ndead;
	unsigned char *keys; /* the arena */
	size_t keyslen, keyscap, keysgarbage;
	size_t nwhole; /* keys in it kept whole (see key_pack()) */
	struct ffs *fs;
	size_t nfs;
	/* Queue positions in FIONREAD's unit: fanotify counts only the
	 * metadata of each event there, FAN_EVENT_METADATA_LEN bytes. */
	uint64_t pos;	 /* of the event being translated */
	uint64_t qpos;	 /* of the next event to translate */
	uint64_t qend;	 /* after the last event read from the kernel */
	uint32_t cookie; /* of the last rename */
	int evpid;	 /* of the fanotify event being translated */
	struct it_buf q; /* the events translated, to hand out (struct qent) */
	struct dying *dying; /* deaths put off (see put_off_death()) */
	size_t ndying, capdying;
};

/*
 * A watch whose DELETE_SELF the kernel merged into an earlier event of
 * its own still in the queue (its OPEN by rm -r, say): that event comes
 * before the DELETEs of the children made meanwhile. The watch lives on
 * until its parent's DELETE of it, or until every event queued when the
 * merged one was read has been translated (end), whichever comes first.
 */
struct dying {
	int wd;
	uint64_t end; /* a queue position (FIONREAD's unit) */
};

/* ------------------------------------------------------------------ */
/* the handle table                                                    */

static const unsigned char *obj_entry(const struct it_fan *f, int wd)
{
	return wd > 0 && wd < f->next_wd && f->objs[wd].key
		       ? f->keys + f->objs[wd].key
		       : NULL;
}

static uint32_t obj_hash(const unsigned char *e)
{
	return it_hash(IT_HASH_INIT, e + 2, e[0]);
}

/* The place in f->fs of the first open filesystem of fsid, or f->nfs. */
static size_t fs_index(const struct it_fan *f, const void *fsid)
{
	size_t i;

	for (i = 0; i < f->nfs; i++)
		if (f->fs[i].fd >= 0 &&
		    !memcmp(&f->fs[i].fsid, fsid, sizeof(fsid_t)))
			break;
	return i;
}

/* The first byte of a key kept whole in the arena. */
#define WHOLE 0xffu
#define PACKED_MAX (1 + KEY_MAX)
#define KEY_HEAD (sizeof(fsid_t) + sizeof(int)) /* before the handle */

/*
 * Pack key (klen bytes, as path_key() makes it) for the arena in
 * out[PACKED_MAX]: its filesystem as its place in f->fs and its handle type
 * in a byte each, then the handle (10 bytes instead of 20 for a directory
 * of ext4); a key that does not pack so follows a byte WHOLE. Its length.
 */
static size_t key_pack(const struct it_fan *f, const unsigned char *key,
		       size_t klen, unsigned char *out)
{
	size_t i = f->nfs;
	int type = -1;

	if (klen >= KEY_HEAD) {
		memcpy(&type, key + sizeof(fsid_t), sizeof(int));
		i = fs_index(f, key); /* as fs_by_fsid() finds it */
	}
	if (i >= f->nfs || i >= WHOLE || type < 0 || type > 0xff) {
		out[0] = WHOLE;
		memcpy(out + 1, key, klen);
		return klen + 1;
	}
	out[0] = (unsigned char)i;
	out[1] = (unsigned char)type;
	memcpy(out + 2, key + KEY_HEAD, klen - KEY_HEAD);
	return klen - KEY_HEAD + 2;
}

/* The key packed as p (n bytes) in out[KEY_MAX]; its length. */
static size_t key_unpack(const struct it_fan *f, const unsigned char *p,
			 size_t n, unsigned char *out)
{
	int type;

	if (n < 2 || p[0] == WHOLE || p[0] >= f->nfs) {
		memcpy(out, p + 1, n ? n - 1 : 0);
		return n ? n - 1 : 0;
	}
	type = p[1];
	memcpy(out, &f->fs[p[0]].fsid, sizeof(fsid_t));
	memcpy(out + sizeof(fsid_t), &type, sizeof(int));
	memcpy(out + KEY_HEAD, p + 2, n - 2);
	return n - 2 + KEY_HEAD;
}

/*
 * The word of the filter for hash h and its two bits there: the word from
 * the bits above the lowest six, the bits from the lowest six and the
 * highest six, so that a word holds keys of many chains.
 */
static uint64_t filter_bits(const struct it_fan *f, uint32_t h, size_t *word)
{
	*word = (h >> 6) & (f->nbuckets / 2 - 1);
	return (uint64_t)1 << (h & 63) | (uint64_t)1 << (h >> 26);
}

/* A key packed for the table, with its hash: made once for a find and
 * the add that may follow it. */
struct probe {
	unsigned char p[PACKED_MAX];
	size_t n;
	uint32_t h;
};

/* Pack key into pr and start loading the filter word and the chain head
 * it will need: a walk's caller then makes a syscall, and the two cache
 * misses of a large table are paid meanwhile. */
static void probe_make(const struct it_fan *f, const unsigned char *key,
		       size_t klen, struct probe *pr)
{
	size_t word;

	pr->n = key_pack(f, key, klen, pr->p);
	pr->h = it_hash(IT_HASH_INIT, pr->p, pr->n);
	if (f->nbuckets) {
		(void)filter_bits(f, pr->h, &word);
		__builtin_prefetch(&f->filter[word], 1);
		__builtin_prefetch(&f->bucket[pr->h & (f->nbuckets - 1)], 1);
	}
}

/* The wd of the object of the packed key whose hash is h, 0 if none. */
static int packed_find(const struct it_fan *f, const unsigned char *key,
		       size_t klen, uint32_t h)
{
	uint64_t bits;
	size_t word;

	if (!f->nbuckets)
		return 0;
	bits = filter_bits(f, h, &word);
	if ((f->filter[word] & bits) != bits)
		return 0;
	for (uint32_t wd = f->bucket[h & (f->nbuckets - 1)]; wd;) {
		const unsigned char *e = f->keys + f->objs[wd].key;

		if (e[0] == klen && !memcmp(e + 2, key, klen))
			return (int)wd;
		wd = f->objs[wd].next;
	}
	return 0;
}

/* The wd of the object of pr (made from key), 0 if none. */
static int probe_find(const struct it_fan *f, const struct probe *pr,
		      const unsigned char *key, size_t klen)
{
	unsigned char p[PACKED_MAX];
	int wd = packed_find(f, pr->p, pr->n, pr->h);

	/* (kept whole while its filesystem was unknown) */
	if (!wd && f->nwhole && pr->p[0] != WHOLE) {
		p[0] = WHOLE;
		memcpy(p + 1, key, klen);
		wd = packed_find(f, p, klen + 1,
				 it_hash(IT_HASH_INIT, p, klen + 1));
	}
	return wd;
}

/* The wd of the object of key, 0 if none. */
static int obj_find(const struct it_fan *f, const unsigned char *key,
		    size_t klen)
{
	struct probe pr;

	probe_make(f, key, klen, &pr);
	return probe_find(f, &pr, key, klen);
}

/* Put the bits of a key whose hash is h in the filter. */
static void filter_add(struct it_fan *f, uint32_t h)
{
	size_t word;
	uint64_t bits = filter_bits(f, h, &word);

	f->filter[word] |= bits;
}

/* Forget the bits of deleted keys: the filter of the living only. */
static void filter_remake(struct it_fan *f)
{
	memset(f->filter, 0, f->nbuckets / 2 * sizeof(*f->filter));
	f->ndead = 0;
	for (int wd = 1; wd < f->next_wd; wd++)
		if (f->objs[wd].key)
			filter_add(f, obj_hash(f->keys + f->objs[wd].key));
}

/* Chain wd, whose key hashes to h. */
static void obj_link(struct it_fan *f, uint32_t wd, uint32_t h)
{
	uint32_t *b = &f->bucket[h & (f->nbuckets - 1)];

	filter_add(f, h);
	f->objs[wd].next = *b;
	*b = wd;
}

static int obj_grow(struct it_fan *f)
{
	size_t n = f->nbuckets ? f->nbuckets * 2 : 256;
	uint32_t *b = calloc(n, sizeof(*b));
	uint64_t *filter = calloc(n / 2, sizeof(*filter));

	if (!b || !filter) {
		free(b);
		free(filter);
		return -1;
	}
	free(f->bucket);
	free(f->filter);
	f->bucket = b;
	f->filter = filter;
	f->nbuckets = n;
	f->ndead = 0;
	for (int wd = 1; wd < f->next_wd; wd++)
		if (f->objs[wd].key)
			obj_link(f, (uint32_t)wd,
				 obj_hash(f->keys + f->objs[wd].key));
	return 0;
}

/* Copy the keys still in use into a new arena with room for need more. */
static int keys_compact(struct it_fan *f, size_t need)
{
	size_t cap = 0, len = 1;
	unsigned char *p =
		it_grow(NULL, &cap, f->keyslen - f->keysgarbage + need, 1, 256);

	if (!p)
		return -1;
	for (int wd = 1; wd < f->next_wd; wd++) {
		const unsigned char *e = obj_entry(f, wd);

		if (!e)
			continue;
		memcpy(p + len, e, (size_t)e[0] + 2);
		f->objs[wd].key = (uint32_t)len;
		len += (size_t)e[0] + 2;
	}
	free(f->keys);
	f->keys = p;
	f->keyscap = cap;
	f->keyslen = len;
	f->keysgarbage = 0;
	return 0;
}

/* Room in the arena for n more bytes (its offset 0 stays unused). */
static int keys_room(struct it_fan *f, size_t n)
{
	unsigned char *p;

	if (f->keyslen + n <= f->keyscap)
		return 0;
	if (f->keysgarbage > 64 * 1024 && f->keysgarbage * 2 > f->keyslen)
		return keys_compact(f, n);
	if (f->keyslen + n > UINT32_MAX ||
	    !(p = it_grow(f->keys, &f->keyscap, f->keyslen + n, 1, 4096)))
		return -1;
	f->keys = p;
	if (!f->keyslen)
		f->keyslen = 1;
	return 0;
}

/* A new object with a fresh wd for the key of pr; 0 on allocation
 * failure. */
static int probe_add(struct it_fan *f, const struct probe *pr)
{
	int wd = f->next_wd;

	if ((f->nlive >= 4 * f->nbuckets && obj_grow(f) < 0) ||
	    keys_room(f, pr->n + 3) < 0)
		return 0;
	if ((size_t)wd >= f->nobjs) {
		struct fobj *v = it_grow(f->objs, &f->nobjs, (size_t)wd + 1,
					 sizeof(*v), 256);

		if (!v)
			return 0;
		f->objs = v;
	}
	f->objs[wd].key = (uint32_t)f->keyslen;
	f->keys[f->keyslen] = (unsigned char)pr->n;
	f->keys[f->keyslen + 1] = 0;
	memcpy(f->keys + f->keyslen + 2, pr->p, pr->n);
	f->keyslen += pr->n + 2;
	if (pr->p[0] == WHOLE)
		f->nwhole++;
	obj_link(f, (uint32_t)wd, pr->h);
	f->next_wd++;
	f->nlive++;
	return wd;
}

/* A new object with a fresh wd; 0 on allocation failure. */
static int obj_add(struct it_fan *f, const unsigned char *key, size_t klen)
{
	struct probe pr;

	probe_make(f, key, klen, &pr);
	return probe_add(f, &pr);
}

static int obj_root(const struct it_fan *f, int wd)
{
	const unsigned char *e = obj_entry(f, wd);

	return e && e[1];
}

static void obj_del(struct it_fan *f, int wd)
{
	const unsigned char *e = obj_entry(f, wd);
	uint32_t *pp;

	if (!e)
		return;
	pp = &f->bucket[obj_hash(e) & (f->nbuckets - 1)];
	while (*pp && *pp != (uint32_t)wd)
		pp = &f->objs[*pp].next;
	if (*pp)
		*pp = f->objs[wd].next;
	f->keysgarbage += (size_t)e[0] + 2;
	if (e[2] == WHOLE)
		f->nwhole--;
	f->objs[wd].key = 0;
	f->objs[wd].next = 0;
	f->nlive--;
	/* A filter full of the dead passes every key: make it again once they
	 * outnumber the living twice, and half the wds ever handed out (that
	 * makes its cost a deletion constant). */
	if (++f->ndead > 4096 && f->ndead > 2 * f->nlive &&
	    2 * f->ndead > (size_t)f->next_wd)
		filter_remake(f);
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
	size_t i = fs_index(f, fsid);

	return i < f->nfs ? &f->fs[i] : NULL;
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

/* What a walk's own reads of directories cause (see hush()). */
#define HUSH_BITS (FAN_OPEN | FAN_ACCESS | FAN_CLOSE_NOWRITE | FAN_ONDIR)

/* Ignore (on) or stop ignoring HUSH_BITS on the whole filesystem s, for
 * every mark of ours there: one ignore mark (Linux 6.0 and later, and
 * CAP_SYS_ADMIN; -1 otherwise). */
static int hush_fs(struct it_ctx *c, struct ffs *s, int on)
{
	unsigned flags = FAN_MARK_FILESYSTEM | FAN_MARK_IGNORE;

	if (s->hushed == on)
		return 0;
	flags |= on ? FAN_MARK_ADD | FAN_MARK_IGNORED_SURV_MODIFY
		    : FAN_MARK_REMOVE;
	if (fanotify_mark(c->fd, flags, HUSH_BITS, s->fd, NULL) < 0)
		return -1;
	s->hushed = on;
	return 0;
}

/* The filesystem of path (mount mnt_id), met for the first time or not. */
static struct ffs *fs_get(struct it_ctx *c, struct it_fan *f, const char *path,
			  int mnt_id)
{
	struct ffs *s = fs_by_mnt(f, mnt_id), *v;
	struct statfs sf;
	int fd;

	if (s)
		return s;
	if (path[0] != '/') { /* a walk's name, in the directory it lists */
		char *abs = it_abspath(path, 1);

		s = abs ? fs_get(c, f, abs, mnt_id) : NULL;
		free(abs);
		return s;
	}
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
	/* (if it cannot be, the walk's reads there queue their events) */
	if (f->hush)
		hush_fs(c, s, 1);
	return s;
}

/*
 * The key of the object at path in dirfd (path NULL: dirfd's own object),
 * as fanotify reports it, in key[KEY_MAX]; its length, or 0 with errno
 * set. *fsp gets the filesystem.
 */
static size_t obj_key(struct it_ctx *c, struct it_fan *f, int dirfd,
		      const char *path, int nofollow, unsigned char *key,
		      struct ffs **fsp)
{
	union {
		struct file_handle fh;
		unsigned char b[sizeof(struct file_handle) + MAX_HANDLE];
	} u;
	int flags = nofollow ? 0 : AT_SYMLINK_FOLLOW, mnt_id;
	char fdpath[64], abs[PATH_MAX];
	struct ffs *s;
	ssize_t n;

	if (!path) {
		flags = AT_EMPTY_PATH;
		path = "";
	}
	u.fh.handle_bytes = MAX_HANDLE;
	if (f->no_fid || name_to_handle_at(dirfd, path, &u.fh, &mnt_id,
					   flags | AT_HANDLE_FID) < 0) {
		if (!f->no_fid && errno != EINVAL)
			return 0;
		f->no_fid = 1;
		u.fh.handle_bytes = MAX_HANDLE;
		if (name_to_handle_at(dirfd, path, &u.fh, &mnt_id, flags) < 0)
			return 0;
	}
	if (!(s = fs_by_mnt(f, mnt_id)) && !*path) {
		/* a filesystem met first through a descriptor: by its path */
		snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", dirfd);
		if ((n = readlink(fdpath, abs, sizeof(abs) - 1)) <= 0 ||
		    abs[0] != '/') {
			errno = ENOENT;
			return 0;
		}
		abs[n] = '\0';
		path = abs;
	}
	if (!s && !(s = fs_get(c, f, path, mnt_id)))
		return 0;
	*fsp = s;
	memcpy(key, &s->fsid, sizeof(fsid_t));
	memcpy(key + sizeof(fsid_t), &u.fh.handle_type, sizeof(int));
	memcpy(key + sizeof(fsid_t) + sizeof(int), u.fh.f_handle,
	       u.fh.handle_bytes);
	return sizeof(fsid_t) + sizeof(int) + u.fh.handle_bytes;
}

/* The key of path's object (see obj_key()). */
static size_t path_key(struct it_ctx *c, struct it_fan *f, const char *path,
		       int nofollow, unsigned char *key, struct ffs **fsp)
{
	return obj_key(c, f, AT_FDCWD, path, nofollow, key, fsp);
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

static int fan_open(struct it_ctx *c)
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
	f->filesystem = (c->be->caps & IT_CAP_WHOLE_FS) != 0;
	f->can_rename = 1;
	f->pid = getpid();
	f->next_wd = 1;
	c->be_data = f;
	return 0;
}

static void fan_close(struct it_ctx *c)
{
	struct it_fan *f = c->be_data;

	if (!f)
		return;
	for (size_t i = 0; i < f->nfs; i++)
		if (f->fs[i].fd >= 0)
			close(f->fs[i].fd);
	free(f->bucket);
	free(f->filter);
	free(f->objs);
	free(f->keys);
	free(f->fs);
	free(f->q.data);
	free(f->dying);
	free(f);
	c->be_data = NULL;
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

/* Put the mark for path in dirfd (NULL: dirfd's object; inotify mask;
 * -S: the mark of the filesystem s, once) in place; -1 with errno. */
static int mark(struct it_ctx *c, struct it_fan *f, struct ffs *s, int dirfd,
		const char *path, uint32_t mask)
{
	int nofollow = (mask & IN_DONT_FOLLOW) != 0, dir, rc;
	unsigned flags = FAN_MARK_ADD;
	struct stat st;

	if (mask & IN_ONLYDIR)
		dir = 1;
	else if (!path)
		dir = fstat(dirfd, &st) == 0 && S_ISDIR(st.st_mode);
	else
		dir = fstatat(dirfd, path, &st,
			      nofollow ? AT_SYMLINK_NOFOLLOW : 0) == 0 &&
		      S_ISDIR(st.st_mode);
	if (nofollow && path)
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
				dirfd, path);
		else
			rc = fanotify_mark(c->fd, flags, fan_mask(f, mask, dir),
					   dirfd, path);
		if (rc == 0 || errno != EINVAL || !f->can_rename)
			break;
		f->can_rename = 0; /* before 5.17: no FAN_RENAME */
	}
	if (rc == 0 && f->filesystem) {
		s->marked = 1;
		f->fsmask = mask;
	}
	return rc;
}

/* Mark the object at path in dirfd (see mark()); its wd, or -1. */
static int add_at(struct it_ctx *c, int dirfd, const char *path, uint32_t mask)
{
	struct it_fan *f = c->be_data;
	unsigned char key[KEY_MAX];
	struct ffs *s = NULL;
	struct probe pr;
	size_t klen;
	int wd;

	if (!(klen = obj_key(c, f, dirfd, path, (mask & IN_DONT_FOLLOW) != 0,
			     key, &s)))
		return -1;
	probe_make(f, key, klen, &pr); /* its loads overlap the syscall */
	if (mark(c, f, s, dirfd, path, mask) < 0)
		return -1;
	if (!(wd = probe_find(f, &pr, key, klen)) &&
	    !(wd = probe_add(f, &pr))) {
		errno = ENOMEM;
		return -1;
	}
	f->keys[f->objs[wd].key + 1] = 1; /* a root */
	return wd;
}

static int fan_add(struct it_ctx *c, const char *path, uint32_t mask)
{
	return add_at(c, AT_FDCWD, path, mask);
}

/* One path lookup fewer than by name: name_to_handle_at() and
 * fanotify_mark() take the descriptor itself. */
static int fan_add_fd(struct it_ctx *c, int fd, uint32_t mask)
{
	return add_at(c, fd, NULL, mask);
}

/* Hush every filesystem met so far and every one met from now on, or
 * none; -1 (none hushed) if one of them cannot be. */
static int fan_hush(struct it_ctx *c, int on)
{
	struct it_fan *f = c->be_data;
	int rc = 0;

	f->hush = on;
	for (size_t i = 0; i < f->nfs; i++)
		if (hush_fs(c, &f->fs[i], on) < 0 && on) {
			rc = -1;
			break;
		}
	if (rc < 0)
		fan_hush(c, 0);
	return rc;
}

/* The mark of the directory at path, marked already, gets the bits of
 * mask: no handle needed (-S: the filesystem mark has them). */
static int fan_remask(struct it_ctx *c, const char *path, uint32_t mask)
{
	struct it_fan *f = c->be_data;

	if (f->filesystem)
		return 0;
	return mark(c, f, NULL, AT_FDCWD, path, mask | IN_ONLYDIR);
}

/* Remove the kernel mark of o, w's object, if it can still be found. */
static int unmark(struct it_ctx *c, struct it_fan *f, const unsigned char *o,
		  const struct watch *w)
{
	unsigned char key[KEY_MAX], okey[KEY_MAX];
	size_t klen = key_unpack(f, o + 2, o[0], okey);
	char proc[64];
	struct ffs *s;
	size_t len;
	int fd, rc = 0;

	/* fanotify_mark() takes no O_PATH descriptor, but its /proc/self/fd
	 * link: the object wherever it is now */
	if ((fd = key_open(f, okey, klen, O_PATH)) >= 0) {
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
		rc = fanotify_mark(c->fd, FAN_MARK_REMOVE, all_bits(f),
				   AT_FDCWD, proc);
		close(fd);
	} else {
		/* no handle decoding (unprivileged): by path, if the path
		 * still names the marked object */
		const char *p = wpath(c, w, &len);

		if (path_key(c, f, p, 1, key, &s) == klen &&
		    !memcmp(key, okey, klen))
			rc = fanotify_mark(c->fd, FAN_MARK_REMOVE, all_bits(f),
					   AT_FDCWD, p);
	}
	return rc < 0 && errno == ENOENT ? 0 : rc;
}

/* -S has one mark per filesystem: nothing to remove but the handle. A w
 * moved out keeps its handle for its MOVE_SELF (see deliver()). */
static int fan_rm(struct it_ctx *c, struct watch *w)
{
	struct it_fan *f = c->be_data;
	const unsigned char *o = obj_entry(f, it_wtab_wd(&c->tab, w));
	int rc;

	if (!o)
		return 0;
	rc = f->filesystem ? 0 : unmark(c, f, o, w);
	if (!(w->flags & IT_W_MOVED_OUT))
		obj_del(f, it_wtab_wd(&c->tab, w));
	return rc;
}

/* ------------------------------------------------------------------ */
/* the events handed out                                               */

/* An entry of f->q: how take() describes it, then the event itself. */
struct qent {
	uint64_t pos, end;
	unsigned flags;
	int pid;
	uint32_t size; /* of the event, its name included */
};

/* Queue an event (name NULL or "": none) of the fanotify event being
 * translated; one that finds no memory is lost. */
static void emit(struct it_fan *f, int wd, uint32_t mask, uint32_t cookie,
		 const char *name, unsigned flags)
{
	struct qent e = {
		.pos = f->pos, .end = f->qpos, .flags = flags, .pid = f->evpid
	};
	size_t at = f->q.len;

	if (it_buf_put(&f->q, &e, sizeof(e)) ||
	    it_buf_put_event(&f->q, wd, mask, cookie, name) < 0) {
		f->q.len = at;
		return;
	}
	((struct qent *)(void *)(f->q.data + at))->size =
		(uint32_t)(f->q.len - at - sizeof(e));
}

/* Forget the object of wd and end its record with an IN_IGNORED. */
static void end_watch(struct it_fan *f, int wd, unsigned flags)
{
	obj_del(f, wd);
	emit(f, wd, IN_IGNORED, 0, NULL, flags);
}

/* The record of a key, dead or alive; NULL if unknown. */
static struct watch *lookup(struct it_ctx *c, const unsigned char *key,
			    size_t klen)
{
	int wd = klen ? obj_find(c->be_data, key, klen) : 0;

	return wd ? it_wtab_by_wd(&c->tab, wd) : NULL;
}

static struct watch *live(struct watch *w)
{
	return w && !(w->flags & IT_W_DEAD) ? w : NULL;
}

/* A key and a name as read from an event's information records. */
struct where {
	unsigned char key[KEY_MAX];
	size_t klen; /* 0: absent */
	const char *name;
};

/* The records of one event: directory, object, old and new directory. */
struct info {
	struct where d, fid, from, to;
};

/* The path of the object open as fd in buf[PATH_MAX + 2], with a '/' if
 * it is a directory (*dir); its length, 0 if it has none. *deleted: it
 * is gone, and the path its last. */
static size_t fd_path(int fd, char *buf, int *dir, int *deleted)
{
	char proc[64];
	struct stat st;
	ssize_t n;

	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	n = readlink(proc, buf, PATH_MAX);
	*dir = fstat(fd, &st) == 0 && S_ISDIR(st.st_mode);
	if (n <= 0 || buf[0] != '/')
		return 0;
	buf[n] = '\0';
	*deleted = 0;
	if (n > 10 && !strcmp(buf + n - 10, " (deleted)")) {
		n -= 10;
		*deleted = 1;
	}
	if (*dir && buf[n - 1] != '/')
		buf[n++] = '/';
	buf[n] = '\0';
	return (size_t)n;
}

/* -S: the directory (or file) at, resolved through its file handle; *gone
 * if it is no more, its record good for nothing but to be ended. */
static struct watch *resolve(struct it_ctx *c, struct it_fan *f,
			     const struct where *at, int *gone)
{
	char buf[PATH_MAX + 2];
	struct watch *w;
	size_t n;
	int fd, dir, deleted, wd;

	if (!at->klen || (fd = key_open(f, at->key, at->klen, O_PATH)) < 0)
		return NULL;
	n = fd_path(fd, buf, &dir, &deleted);
	close(fd);
	if (!n || !(wd = obj_add(f, at->key, at->klen)))
		return NULL;
	/* a file (a self event of it) prints as a watched file does */
	if (!(w = it_wtab_add(&c->tab, wd, buf, n, dir ? IT_W_DIR : 0, NULL))) {
		obj_del(f, wd);
		return NULL;
	}
	if (it_wtab_set_mask(&c->tab, w, f->fsmask) < 0) {
		it_wtab_free_watch(&c->tab, w);
		obj_del(f, wd);
		return NULL;
	}
	if (deleted) {
		obj_del(f, wd);
		*gone = 1;
	}
	return w;
}

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

/* The information records of the event p..end, as far as they are whole. */
static void read_info(const char *p, const char *end, struct info *in)
{
	while (p + sizeof(struct fanotify_event_info_header) <= end) {
		const struct fanotify_event_info_header *h = (const void *)p;

		if (h->len < sizeof(*h) || h->len > end - p)
			break;
		switch (h->info_type) {
		case FAN_EVENT_INFO_TYPE_FID:
			info_key(h, &in->fid);
			break;
		case FAN_EVENT_INFO_TYPE_DFID_NAME:
		case FAN_EVENT_INFO_TYPE_DFID:
			info_key(h, &in->d);
			break;
		case FAN_EVENT_INFO_TYPE_OLD_DFID_NAME:
			info_key(h, &in->from);
			break;
		case FAN_EVENT_INFO_TYPE_NEW_DFID_NAME:
			info_key(h, &in->to);
			break;
		}
		p += h->len;
	}
}

/*
 * FAN_RENAME of a directory: a hidden MOVED_FROM and MOVED_TO with a
 * cookie of ours, for tree.c to follow. The kernel leaves out the side
 * that no mark of ours watches: a move out of the tree, or into it. -S:
 * the resolved paths below may be stale now: forget them all.
 */
static void renamed(struct it_ctx *c, struct it_fan *f,
		    const struct where *from, const struct where *to)
{
	struct watch *op, *np;

	if (f->filesystem) {
		for (int wd = 1; wd < f->next_wd; wd++)
			if (obj_entry(f, wd) && !obj_root(f, wd))
				end_watch(f, wd, IT_RAW_HIDDEN);
		return;
	}
	op = from->name ? live(lookup(c, from->key, from->klen)) : NULL;
	np = to->name ? live(lookup(c, to->key, to->klen)) : NULL;
	if (++f->cookie == 0)
		f->cookie = 1;
	if (op)
		emit(f, it_wtab_wd(&c->tab, op), IN_MOVED_FROM | IN_ISDIR,
		     f->cookie, from->name, IT_RAW_HIDDEN);
	if (np && (op || !from->klen))
		emit(f, it_wtab_wd(&c->tab, np), IN_MOVED_TO | IN_ISDIR,
		     f->cookie, to->name, IT_RAW_HIDDEN);
}

/* The object of w was deleted: its record ends as on IN_IGNORED. -S keeps
 * its roots (the filesystem mark stays) and ends the others silently. */
static void died(struct it_ctx *c, struct it_fan *f, const struct watch *w)
{
	int wd = it_wtab_wd(&c->tab, w);

	if (f->filesystem && obj_root(f, wd))
		return;
	end_watch(f, wd, f->filesystem ? IT_RAW_HIDDEN : 0);
}

/* Where the kernel's queue ends now, in FIONREAD's unit; UINT64_MAX if it
 * cannot tell. */
static uint64_t queue_end(struct it_ctx *c, const struct it_fan *f)
{
	int n = 0;

	if (ioctl(c->fd, FIONREAD, &n) < 0)
		return UINT64_MAX;
	return f->qend + (uint64_t)n;
}

/* Put off the death of the watch wd (see struct dying); -1 if it cannot
 * be. */
static int put_off_death(struct it_ctx *c, struct it_fan *f, int wd)
{
	uint64_t end = queue_end(c, f);
	struct dying *v;

	if (end == UINT64_MAX)
		return -1;
	if (f->ndying >= f->capdying) {
		v = it_grow(f->dying, &f->capdying, f->ndying + 1, sizeof(*v),
			    8);
		if (!v)
			return -1;
		f->dying = v;
	}
	f->dying[f->ndying++] = (struct dying){ .wd = wd, .end = end };
	return 0;
}

/* The death put off as f->dying[i] happens now: its DELETE_SELF if its
 * watch asked for it, then its end. */
static void death_now(struct it_ctx *c, struct it_fan *f, size_t i)
{
	struct dying d = f->dying[i];
	const struct watch *w = it_wtab_by_wd(&c->tab, d.wd);

	f->dying[i] = f->dying[--f->ndying];
	if (!w || !obj_entry(f, d.wd))
		return; /* removed meanwhile */
	if (it_wtab_mask(&c->tab, w) & IN_DELETE_SELF)
		emit(f, d.wd,
		     IN_DELETE_SELF | (w->flags & IT_W_DIR ? IN_ISDIR : 0), 0,
		     NULL, IT_RAW_NOMOVE);
	died(c, f, w);
}

/* The deaths put off whose end the translation has reached happen (every
 * one if all). */
static void deaths_due(struct it_ctx *c, struct it_fan *f, int all)
{
	for (size_t i = f->ndying; i-- > 0;)
		if (all || f->dying[i].end <= f->qpos)
			death_now(c, f, i);
}

/* The record of w's child directory name: a child in the tree (-F), or
 * one known by its path (-S resolves paths whole); NULL if none. */
static const struct watch *child_dir(struct it_ctx *c, const struct watch *w,
				     const char *name)
{
	size_t n = strlen(name), len;
	const struct watch *cw = it_wtab_child(&c->tab, w, name, n);
	const char *p;
	char buf[PATH_MAX + 2];

	if (cw || !(p = wpath(c, w, &len)) || len + n + 1 >= sizeof(buf))
		return cw;
	memcpy(buf, p, len);
	memcpy(buf + len, name, n);
	buf[len + n] = '/';
	return it_wtab_by_path(&c->tab, buf, len + n + 1);
}

/* w's child directory name is deleted: a death of it put off happens
 * first, as the kernel ordered it. */
static void child_deleted(struct it_ctx *c, struct it_fan *f,
			  const struct watch *w, const char *name)
{
	const struct watch *cw;
	int wd;

	if (!(cw = child_dir(c, w, name)))
		return;
	wd = it_wtab_wd(&c->tab, cw);
	for (size_t i = 0; i < f->ndying; i++)
		if (f->dying[i].wd == wd) {
			death_now(c, f, i);
			return;
		}
}

/* The watch an event concerns, *name made "" if that is the named object
 * itself; *wf a watched file it names besides. */
static struct watch *target(struct it_ctx *c, struct it_fan *f,
			    const struct info *in, const char **name,
			    struct watch **wf, int *gone)
{
	const struct where *at = in->d.klen ? &in->d : &in->fid;
	struct watch *w;

	*wf = NULL;
	if (!**name) { /* an event on a directory itself */
		w = lookup(c, at->key, at->klen);
		return !w && f->filesystem ? resolve(c, f, at, gone) : w;
	}
	w = lookup(c, in->d.key, in->d.klen);
	*wf = lookup(c, in->fid.key, in->fid.klen);
	if (*wf && ((*wf)->flags & IT_W_DIR))
		*wf = NULL;
	if (!w && !*wf && f->filesystem)
		w = resolve(c, f, &in->d, gone);
	if (!w) {
		w = *wf;
		*wf = NULL;
		*name = "";
	}
	return w;
}

/*
 * A user event: out on its watch w with the bits w asked for, and on a
 * watched file it names. Its directory moves come apart (renamed()), its
 * CREATE of a directory is tree.c's to follow.
 */
static void deliver(struct it_ctx *c, struct it_fan *f, const struct info *in,
		    uint32_t mask)
{
	const char *name =
		in->d.name && strcmp(in->d.name, ".") ? in->d.name : "";
	struct watch *w, *wf;
	uint32_t out;
	int gone = 0, wd;

	if (!(w = target(c, f, in, &name, &wf, &gone)))
		return;
	wd = it_wtab_wd(&c->tab, w);
	if (w->flags & IT_W_DEAD) {
		/* moved out, its handle kept for the MOVE_SELF that took it
		 * out of the tree: its last event */
		if (mask & IN_MOVE_SELF) {
			emit(f, wd, mask & (IN_MOVE_SELF | IN_ISDIR), 0, NULL,
			     0);
			end_watch(f, wd, IT_RAW_HIDDEN);
		}
		return;
	}
	if (f->ndying && *name && (mask & IN_DELETE) && (mask & IN_ISDIR))
		child_deleted(c, f, w, name);
	/* merged into an earlier event of w's, its DELETE_SELF is early */
	if (!gone && !*name && (mask & IN_DELETE_SELF) &&
	    (mask & FAN_USER_EVENTS & ~IN_DELETE_SELF) &&
	    put_off_death(c, f, wd) == 0)
		mask &= ~IN_DELETE_SELF;
	/* before 5.17, a directory moved in is known by its MOVED_TO only */
	if (*name && (mask & IN_ISDIR) && (mask & IN_MOVED_TO) &&
	    !(mask & IN_CREATE) && !f->can_rename)
		emit(f, wd, IN_MOVED_TO | IN_ISDIR, 0, name, IT_RAW_HIDDEN);
	if ((out = mask &
		   ((it_wtab_mask(&c->tab, w) & FAN_USER_EVENTS) | IN_ISDIR)) &
	    ~IN_ISDIR)
		emit(f, wd, out, 0, name, IT_RAW_NOMOVE);
	if (wf && !(wf->flags & IT_W_DEAD) &&
	    (out = mask & (it_wtab_mask(&c->tab, wf) & FAN_USER_EVENTS)))
		emit(f, it_wtab_wd(&c->tab, wf), out | (mask & IN_ISDIR), 0,
		     NULL, IT_RAW_NOMOVE);
	if (gone) /* -S: shown under its last path, for this event only */
		end_watch(f, wd, IT_RAW_HIDDEN);
	else if (!*name && (mask & IN_DELETE_SELF))
		died(c, f, w);
}

/* Queue the events of the fanotify event at raw (its metadata copied to
 * m) in f->q: none, or one or more. */
static void translate(struct it_ctx *c, struct it_fan *f,
		      const struct fanotify_event_metadata *m, const char *raw)
{
	struct info in = { .d = { .klen = 0 } };
	uint32_t mask = (uint32_t)m->mask;

	if (m->fd >= 0)
		close(m->fd);
	if (mask & FAN_Q_OVERFLOW) {
		deaths_due(c, f, 1);
		emit(f, -1, IN_Q_OVERFLOW, 0, NULL, 0);
		return;
	}
	if (m->pid == f->pid)
		return; /* our own reads of directories */
	f->evpid = m->pid;
	read_info(raw + m->metadata_len, raw + m->event_len, &in);
	if ((mask & FAN_RENAME) && (mask & FAN_ONDIR))
		renamed(c, f, &in.from, &in.to);
	mask &= ~FAN_RENAME;
	if (mask & FAN_USER_EVENTS)
		deliver(c, f, &in, mask);
}

/* Translate the next event of the read buffer into f->q; 0 once the
 * buffer is used up. */
static int translate_next(struct it_ctx *c, struct it_fan *f)
{
	struct fanotify_event_metadata m;
	size_t off = c->rpos;

	if (c->rend - off < FAN_EVENT_METADATA_LEN)
		return 0;
	/* the 64-bit mask may be misaligned in the buffer: copy */
	memcpy(&m, c->rbuf + off, sizeof(m));
	if (m.event_len < FAN_EVENT_METADATA_LEN ||
	    m.event_len > c->rend - off ||
	    m.vers != FANOTIFY_METADATA_VERSION) {
		c->rpos = c->rend;
		return 0;
	}
	c->rpos += m.event_len;
	f->pos = f->qpos;
	f->qpos += FAN_EVENT_METADATA_LEN;
	translate(c, f, &m, c->rbuf + off);
	if (f->ndying)
		deaths_due(c, f, 0);
	return 1;
}

static struct inotify_event *fan_take(struct it_ctx *c, struct it_raw *r)
{
	struct it_fan *f = c->be_data;
	struct qent *e;

	while (f->q.pos >= f->q.len) {
		f->q.pos = f->q.len = 0;
		if (!translate_next(c, f))
			return NULL;
	}
	e = (struct qent *)(void *)(f->q.data + f->q.pos);
	r->pos = e->pos;
	r->end = e->end;
	r->flags = e->flags;
	r->pid = e->pid;
	f->q.pos += sizeof(*e) + e->size;
	return (struct inotify_event *)(void *)(e + 1);
}

/* What the kernel counts in FIONREAD: the metadata of each event. */
static void count_read(struct it_ctx *c, struct it_fan *f)
{
	size_t off = 0;
	uint32_t len;

	/* events are 4-byte aligned only: no casts */
	while (c->rend - off >= FAN_EVENT_METADATA_LEN) {
		memcpy(&len, c->rbuf + off, sizeof(len));
		if (len < FAN_EVENT_METADATA_LEN || len > c->rend - off)
			break;
		off += len;
		f->qend += FAN_EVENT_METADATA_LEN;
	}
}

static int fan_fill(struct it_ctx *c, int64_t deadline)
{
	struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
	ssize_t n;

	c->rbase += c->rend;
	c->rpos = c->rend = 0;
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
			c->rend = (size_t)n;
			count_read(c, c->be_data);
			return 1;
		}
		if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
			c->error = n < 0 ? errno : EIO;
			return -1;
		}
	}
}

/* The MOVED_TO of a rename, if any, is in the queue already. */
static int fan_pairs(struct it_ctx *c, struct inotify_event **ev,
		     uint32_t cookie)
{
	struct it_fan *f = c->be_data;
	size_t at = f->q.pos;

	(void)ev;
	while (at < f->q.len) {
		const struct qent *e = (const void *)(f->q.data + at);
		const struct inotify_event *x = (const void *)(e + 1);

		if ((x->mask & IN_MOVED_TO) && x->cookie == cookie)
			return 1;
		at += sizeof(*e) + e->size;
	}
	return 0;
}

static uint64_t fan_queue_end(struct it_ctx *c)
{
	return queue_end(c, c->be_data);
}

static const char *fan_hint(const struct it_ctx *c, int err)
{
	if (err == EOPNOTSUPP || err == EXDEV || err == ENODEV || err == ESTALE)
		return "The filesystem of %s does not support the file handles "
		       "fanotify needs; watch it with inotify (-I).\n";
	if (err == EPERM && (c->be->caps & IT_CAP_WHOLE_FS))
		return "Watching a whole filesystem (-S) requires admin "
		       "privileges (CAP_SYS_ADMIN).\n";
	return NULL;
}

/* The two backends differ only in what they can do. */
/* clang-format off */
#define FAN_BACKEND(caps_, hush_) { \
	.caps = (caps_), \
	.open = fan_open, \
	.close = fan_close, \
	.add = fan_add, \
	.add_fd = fan_add_fd, \
	.remask = fan_remask, \
	.hush = (hush_), \
	.rm = fan_rm, \
	.fill = fan_fill, \
	.take = fan_take, \
	.pairs = fan_pairs, \
	.queue_end = fan_queue_end, \
	.msg_limit = \
		"Failed to watch %s; upper limit on fanotify marks reached!\n", \
	.msg_limit_hint = \
		"Please increase the amount of fanotify marks allowed per " \
		"user via `/proc/sys/fs/fanotify/max_user_marks'.\n", \
	.hint = fan_hint, \
}
/* clang-format on */

/* fanotify never reports our own reads (by pid), but the kernel queues
 * them all the same: a walk marks quietly first, or the setup's walk has
 * them ignored on the whole filesystem (hush: one mark, not a second one
 * a directory). It records absolute paths (for its mount roots, and to
 * print them). */
const struct it_backend it_backend_fanotify =
	FAN_BACKEND(IT_CAP_ABSOLUTE | IT_CAP_QUIET, fan_hush);
const struct it_backend it_backend_fanotify_fs =
	FAN_BACKEND(IT_CAP_ABSOLUTE | IT_CAP_WHOLE_FS, NULL);
