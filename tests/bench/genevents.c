/* genevents.c: produce a known number of inotify events, fast.
 *
 *   genevents DIR N
 *
 * Makes sure DIR/ga and DIR/gb exist (creating them, which may itself cause
 * CREATE/OPEN/CLOSE events: run `genevents DIR 0` before the consumer starts
 * to keep those out of the count), then calls utimensat(DIR, name, NULL) N
 * times on ga, gb, ga, gb...  Each call is exactly one IN_ATTRIB event for a
 * watch on DIR ("DIR/ ATTRIB ga"); the names alternate so the kernel cannot
 * merge an event into the identical one queued just before it.  The files
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

int main(int argc, char **argv)
{
	static const char *const files[2] = { "ga", "gb" };
	char *end;
	long n, maxq = -1;
	FILE *f;
	int dfd;

	if (argc != 3) {
		fprintf(stderr, "usage: genevents DIR N\n");
		return 2;
	}
	errno = 0;
	n = strtol(argv[2], &end, 10);
	if (errno || end == argv[2] || *end || n < 0) {
		fprintf(stderr, "genevents: bad N '%s'\n", argv[2]);
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
	for (int i = 0; i < 2; i++) {
		struct stat st;
		int fd;

		if (fstatat(dfd, files[i], &st, AT_SYMLINK_NOFOLLOW) == 0)
			continue;
		fd = openat(dfd, files[i], O_WRONLY | O_CREAT | O_CLOEXEC,
			    0644);
		if (fd < 0) {
			fprintf(stderr, "genevents: %s/%s: %s\n", argv[1],
				files[i], strerror(errno));
			return 1;
		}
		close(fd);
	}
	for (long i = 0; i < n; i++) {
		if (utimensat(dfd, files[i & 1], NULL, 0) < 0) {
			fprintf(stderr, "genevents: %s/%s: %s\n", argv[1],
				files[i & 1], strerror(errno));
			return 1;
		}
	}
	return 0;
}
