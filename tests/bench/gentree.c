/* gentree.c: deterministic directory tree generator for the benchmarks.
 *
 *   gentree DIR NDIRS FILES_PER_DIR [FANOUT]
 *
 * Makes a balanced tree of exactly NDIRS directories, DIR itself included
 * (so `inotifywait -r DIR` needs NDIRS watches), each holding FILES_PER_DIR
 * empty files.  Directories are numbered in heap order: DIR is node 0 and
 * node k has children k*FANOUT+1 .. k*FANOUT+FANOUT (default fanout 10);
 * node i > 0 is named "d" plus i zero-padded to at least 4 digits (d0001),
 * files "f" plus 1.. padded to at least 2 digits (f01).  The same arguments
 * always give the same tree.  Existing entries are accepted, so running it
 * twice is harmless.  Creation goes depth first with mkdirat/openat relative
 * to an open directory fd, holding one fd per level.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static long ndirs, nfiles, fanout;
static int dwidth, fwidth;
static long made_dirs, made_files;

static int digits(long n)
{
	int d = 1;

	while (n >= 10) {
		n /= 10;
		d++;
	}
	return d;
}

static long parse(const char *s, const char *what, long min)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min) {
		fprintf(stderr,
			"gentree: bad %s '%s' (need an integer >= %ld)\n", what,
			s, min);
		exit(2);
	}
	return v;
}

/* Fill directory node k, open as dfd; `path` is only for messages. */
static int fill(int dfd, long k, const char *path)
{
	char name[32];

	for (long f = 1; f <= nfiles; f++) {
		int fd;

		snprintf(name, sizeof(name), "f%0*ld", fwidth, f);
		fd = openat(dfd, name,
			    O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
		if (fd < 0) {
			fprintf(stderr, "gentree: %s/%s: %s\n", path, name,
				strerror(errno));
			return -1;
		}
		close(fd);
		made_files++;
	}
	for (long c = k * fanout + 1; c <= k * fanout + fanout && c < ndirs;
	     c++) {
		char sub[PATH_MAX];
		int cfd, r;

		snprintf(name, sizeof(name), "d%0*ld", dwidth, c);
		if (mkdirat(dfd, name, 0755) < 0 && errno != EEXIST) {
			fprintf(stderr, "gentree: %s/%s: %s\n", path, name,
				strerror(errno));
			return -1;
		}
		cfd = openat(dfd, name,
			     O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
		if (cfd < 0) {
			fprintf(stderr, "gentree: %s/%s: %s\n", path, name,
				strerror(errno));
			return -1;
		}
		made_dirs++;
		snprintf(sub, sizeof(sub), "%s/%s", path, name);
		r = fill(cfd, c, sub);
		close(cfd);
		if (r < 0)
			return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	int dfd;

	if (argc < 4 || argc > 5) {
		fprintf(stderr,
			"usage: gentree DIR NDIRS FILES_PER_DIR [FANOUT]\n");
		return 2;
	}
	ndirs = parse(argv[2], "NDIRS", 1);
	nfiles = parse(argv[3], "FILES_PER_DIR", 0);
	fanout = argc == 5 ? parse(argv[4], "FANOUT", 2) : 10;
	if (ndirs > LONG_MAX / fanout - 1) {
		fprintf(stderr, "gentree: NDIRS too large\n");
		return 2;
	}
	dwidth = digits(ndirs - 1) < 4 ? 4 : digits(ndirs - 1);
	fwidth = digits(nfiles) < 2 ? 2 : digits(nfiles);

	if (mkdir(argv[1], 0755) < 0 && errno != EEXIST) {
		fprintf(stderr, "gentree: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	dfd = open(argv[1], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		fprintf(stderr, "gentree: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	made_dirs = 1;
	if (fill(dfd, 0, argv[1]) < 0)
		return 1;
	close(dfd);
	if (made_dirs != ndirs) {
		fprintf(stderr, "gentree: internal error: %ld dirs, not %ld\n",
			made_dirs, ndirs);
		return 1;
	}
	return 0;
}
