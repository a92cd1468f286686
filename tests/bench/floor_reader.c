/* floor_reader.c: the floor for `inotifywait -m DIR` event throughput.
 *
 *   floor_reader [-m MASK] [-n COUNT] DIR
 *
 * inotify_init1, one watch on DIR (MASK defaults to IN_ALL_EVENTS; C syntax,
 * e.g. 0x4 for IN_ATTRIB), "Watches established." on stderr, then a loop of
 * 1 MiB aligned read()s.  Every event is formatted as inotifywait's default
 * output, "%w %,e %f\n" (the watched path with a '/' appended unless it ends
 * in one, the event names joined by commas in upstream's order, the name),
 * into one large buffer that is written with a single write() per read
 * batch.  Exits after COUNT events (when given), or on SIGTERM/SIGINT.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#define READ_BUF (1024 * 1024)

static _Alignas(4096) char rbuf[READ_BUF];

/* Upstream's order (inotifytools_event_to_str_sep); CLOSE when either close
 * bit is set. */
static const struct {
	uint32_t bit;
	const char *name;
} names[] = {
	{ IN_ACCESS, "ACCESS" },
	{ IN_MODIFY, "MODIFY" },
	{ IN_ATTRIB, "ATTRIB" },
	{ IN_CLOSE_WRITE, "CLOSE_WRITE" },
	{ IN_CLOSE_NOWRITE, "CLOSE_NOWRITE" },
	{ IN_OPEN, "OPEN" },
	{ IN_MOVED_FROM, "MOVED_FROM" },
	{ IN_MOVED_TO, "MOVED_TO" },
	{ IN_CREATE, "CREATE" },
	{ IN_DELETE, "DELETE" },
	{ IN_DELETE_SELF, "DELETE_SELF" },
	{ IN_UNMOUNT, "UNMOUNT" },
	{ IN_Q_OVERFLOW, "Q_OVERFLOW" },
	{ IN_IGNORED, "IGNORED" },
	{ IN_CLOSE, "CLOSE" },
	{ IN_MOVE_SELF, "MOVE_SELF" },
	{ IN_ISDIR, "ISDIR" },
};

/* The last mask seen and its text: consecutive events mostly share it. */
static uint32_t last_mask;
static char last_text[256];
static size_t last_len;

static void mask_text(uint32_t m)
{
	size_t n = 0;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		size_t l;

		if (!(m & names[i].bit))
			continue;
		l = strlen(names[i].name);
		if (n)
			last_text[n++] = ',';
		memcpy(last_text + n, names[i].name, l);
		n += l;
	}
	if (!n)
		n = (size_t)snprintf(last_text, sizeof(last_text), "%#x", m);
	last_mask = m;
	last_len = n;
}

static void write_all(const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(STDOUT_FILENO, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EPIPE)
				perror("floor_reader: write");
			exit(1);
		}
		p += w;
		n -= (size_t)w;
	}
}

int main(int argc, char **argv)
{
	uint32_t mask = IN_ALL_EVENTS;
	long limit = -1, seen = 0;
	char *wpath, *out;
	size_t wlen, outcap;
	int opt, ifd;

	while ((opt = getopt(argc, argv, "m:n:")) != -1) {
		switch (opt) {
		case 'm':
			mask = (uint32_t)strtoul(optarg, NULL, 0);
			break;
		case 'n':
			limit = strtol(optarg, NULL, 10);
			break;
		default:
			goto usage;
		}
	}
	if (optind != argc - 1)
		goto usage;

	wlen = strlen(argv[optind]);
	if (!(wpath = malloc(wlen + 2)))
		return 1;
	memcpy(wpath, argv[optind], wlen);
	if (!wlen || wpath[wlen - 1] != '/')
		wpath[wlen++] = '/';
	wpath[wlen] = 0;
	mask_text(IN_ATTRIB);

	/* A line is at most wlen + 1 + mask text + 1 + NAME_MAX + 1; one
	 * read batch holds at most READ_BUF / sizeof(struct inotify_event)
	 * events, and nearly always far fewer bytes of text than that. */
	outcap = 8 * READ_BUF + wlen * 4096;
	if (!(out = malloc(outcap)))
		return 1;

	if ((ifd = inotify_init1(IN_CLOEXEC)) < 0) {
		perror("floor_reader: inotify_init1");
		return 1;
	}
	if (inotify_add_watch(ifd, argv[optind], mask) < 0) {
		fprintf(stderr, "floor_reader: %s: %s\n", argv[optind],
			strerror(errno));
		return 1;
	}
	fputs("Watches established.\n", stderr);

	while (limit < 0 || seen < limit) {
		ssize_t n = read(ifd, rbuf, sizeof(rbuf));
		size_t o = 0;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			perror("floor_reader: read");
			return 1;
		}
		for (ssize_t off = 0; off < n && (limit < 0 || seen < limit);
		     seen++) {
			const struct inotify_event *ev =
				(const struct inotify_event *)(rbuf + off);
			size_t nl = ev->len ? strlen(ev->name) : 0;

			off += (ssize_t)(sizeof(*ev) + ev->len);
			if (o + wlen + sizeof(last_text) + nl + 3 > outcap) {
				write_all(out, o);
				o = 0;
			}
			if (ev->mask != last_mask)
				mask_text(ev->mask);
			memcpy(out + o, wpath, wlen);
			o += wlen;
			out[o++] = ' ';
			memcpy(out + o, last_text, last_len);
			o += last_len;
			out[o++] = ' ';
			memcpy(out + o, ev->name, nl);
			o += nl;
			out[o++] = '\n';
		}
		write_all(out, o);
	}
	return 0;

usage:
	fprintf(stderr, "usage: floor_reader [-m MASK] [-n COUNT] DIR\n");
	return 2;
}
