/* batch.h: inotifywait --batch: events coalesced into one record per path;
 * renames paired by cookie for %F.  Pure logic: no I/O, no library state. */
#ifndef BATCH_H
#define BATCH_H

#include <stddef.h>
#include <stdint.h>

/* The first halves of renames (MOVED_FROM), kept until their MOVED_TO
 * comes; the oldest is forgotten when more than RENAMES wait. */
#define RENAMES 64
struct renames {
	struct rename_slot {
		uint32_t cookie; /* 0: free */
		char *path;	 /* %w%f of the MOVED_FROM */
		size_t len;
		uint32_t entry; /* its batch entry, or UINT32_MAX */
		int born;	/* created in the batch it was seen in */
	} slot[RENAMES];
	size_t next;
};

/* Remember the MOVED_FROM of w + f with cookie; -1 when out of memory. */
int renames_note(struct renames *r, uint32_t cookie, const char *w, size_t wlen,
		 const char *f, size_t flen);
/* The slot of the MOVED_FROM that a MOVED_TO with cookie completes, or
 * NULL; it is freed by the next renames_note() that needs its place. */
struct rename_slot *renames_find(struct renames *r, uint32_t cookie);
/* Free every remembered path. */
void renames_free(struct renames *r);

/* One record of a batch, as batch_next() hands it out. */
struct batch_rec {
	uint32_t mask;	  /* the union of the path's events */
	uint32_t cookie;  /* the cookie of its last move, or 0 */
	const char *path; /* %w followed by %f */
	size_t wlen;	  /* length of the %w part */
	size_t len;	  /* length of path */
	const char *from; /* old path of a paired rename (%F), or NULL */
	size_t fromlen;
};

struct batch_entry;
struct batch_link;

struct batch {
	struct batch_entry *e;	 /* in order of first appearance */
	struct batch_link *link; /* beside e: its hash chains, kept small so
				  * that a lookup reads few cache lines */
	size_t n, cap, lcap;
	uint32_t *head; /* hash chains by path; nhead is a power of two */
	size_t nhead;
	char *arena; /* the paths and old paths of the entries */
	size_t alen, acap;
	char *lastw; /* the %w part hashed last, and its hash */
	size_t lastwlen, lastwcap;
	uint32_t lastwhash;
	struct renames renames;
	int rename_records; /* a paired rename is one record */
	int keep_transient; /* report paths created and deleted in the batch */
	size_t live;	    /* entries that will be printed */
};

/* Set up b.  With rename_records, a paired rename becomes one record: its
 * new path, its old one in from, the events of both.  With keep_transient,
 * a path created and deleted (or moved away) within the batch is reported
 * too; else it is dropped. */
void batch_init(struct batch *b, int rename_records, int keep_transient);
/* Free what b holds. */
void batch_free(struct batch *b);
/* Add an event of mask on the path w (wlen bytes) followed by f (flen
 * bytes); Q_OVERFLOW is a record of its own.  0, or -1 when out of memory
 * (the event is lost, the batch stays usable). */
int batch_add(struct batch *b, uint32_t mask, uint32_t cookie, const char *w,
	      size_t wlen, const char *f, size_t flen);
/* Records the batch would print now. */
size_t batch_records(const struct batch *b);
/* The next record to print from *pos (start at 0); 0 when none is left.
 * Records point into b until batch_clear() or batch_add(). */
int batch_next(const struct batch *b, size_t *pos, struct batch_rec *r);
/* Empty b for the next batch; renames still waiting for their MOVED_TO
 * stay paired across batches. */
void batch_clear(struct batch *b);

#endif
