/* genevents.c: produce a known number of inotify events, fast.
 *
 *   genevents DIR N [FILES]
 *
 * Makes sure DIR/ga and DIR/gb exist (creating them, which may itself cause
 * CREATE/OPEN/CLOSE events: run `genevents DIR 0` before the consumer starts
 * to keep those out of the count), then calls utimensat(DIR, name, NULL) N
 * times on ga, gb, ga, gb...  Each call is exactly one IN_ATTRIB event for a
 * watch on DIR ("DIR/ ATTRIB ga"); the names alternate so the kernel cannot
 * merge an event into the identical one queued just before it.  With FILES
 * other than 2, the files are g000000, g000001... (FILES of them, made by
 * `genevents DIR 0 FILES`) and the events go round them: FILES = N gives
 * every event a path of its own (for inotifywait --batch).  The files
 * are never opened and DIR is held with O_PATH, so no OPEN/ACCESS/CLOSE
 * events are added even for a consumer watching IN_ALL_EVENTS.
 *
 * To fill the queue of a stopped consumer, the consumer must have been
 * started while /proc/sys/fs/inotify/max_queued_events was at least N (the
 * limit is taken at inotify_init time); run-bench.sh raises it and restores
 * it.  genevents warns on stderr when the current value is below N.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The name of file i of nfiles. */
static const char *name(long i, long nfiles)
{
	static char buf[32];

	if (nfiles == 2)
		return i ? "gb" : "ga";
	snprintf(buf, sizeof(buf), "g%06ld", i);
	return buf;
}

/* A count from the command line, or -1. */
static long count(const char *s)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(s, &end, 10);
	return errno || end == s || *end || n < 0 ? -1 : n;
}

int main(int argc, char **argv)
{
	long n, nfiles = 2, maxq = -1;
	FILE *f;
	int dfd;

	if (argc != 3 && argc != 4) {
		fprintf(stderr, "usage: genevents DIR N [FILES]\n");
		return 2;
	}
	if ((n = count(argv[2])) < 0 ||
	    (argc == 4 && (nfiles = count(argv[3])) < 1)) {
		fprintf(stderr, "genevents: bad N or FILES\n");
		return 2;
	}
	if ((f = fopen("/proc/sys/fs/inotify/max_queued_events", "r"))) {
		if (fscanf(f, "%ld", &maxq) != 1)
			maxq = -1;
		fclose(f);
	}
	if (maxq >= 0 && maxq < n)
		fprintf(stderr,
			"genevents: warning: max_queued_events is %ld < %ld: "
			"a stopped consumer's queue will overflow\n",
			maxq, n);

	if ((dfd = open(argv[1], O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0) {
		fprintf(stderr, "genevents: %s: %s\n", argv[1],
			strerror(errno));
		return 1;
	}
	for (long i = 0; i < nfiles; i++) {
		struct stat st;
		int fd;

		if (fstatat(dfd, name(i, nfiles), &st, AT_SYMLINK_NOFOLLOW) ==
		    0)
			continue;
		fd = openat(dfd, name(i, nfiles),
			    O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
		if (fd < 0) {
			fprintf(stderr, "genevents: %s/%s: %s\n", argv[1],
				name(i, nfiles), strerror(errno));
			return 1;
		}
		close(fd);
	}
	for (long i = 0; i < n; i++) {
		if (utimensat(dfd, name(i % nfiles, nfiles), NULL, 0) < 0) {
			fprintf(stderr, "genevents: %s/%s: %s\n", argv[1],
				name(i % nfiles, nfiles), strerror(errno));
			return 1;
		}
	}
	return 0;
}
