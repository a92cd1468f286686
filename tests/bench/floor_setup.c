/* floor_setup.c: the floor for `inotifywait -r DIR` start-up.
 *
 *   floor_setup [-w] [-v] [-p] [-m MASK] DIR
 *
 * Does the kernel work that a recursive watch must do, and as little else as
 * possible: inotify_init1, then a depth-first walk with getdents64 on
 * directory fds opened with openat (d_type decides; fstatat only for
 * DT_UNKNOWN), and inotify_add_watch(name, MASK) on every directory, by its
 * name from inside its parent (fchdir to the parent's open fd when the
 * walk is not there already), as inotifywait adds them; the path is built
 * in one buffer for error messages only.  Watches are added in post-order
 * (a directory after its subtree, once its fd is closed), so the walk
 * queues no events of its own.  Nothing is stored (no wd -> path table).
 * With -p the order is ours instead (walk.c): a directory is watched before
 * it is listed, so that nothing created meanwhile is missed, first without
 * the events its listing causes (IN_OPEN, IN_ACCESS, IN_CLOSE_NOWRITE),
 * then, once its subtree is done, with MASK: a second inotify_add_watch
 * for each directory when MASK has any of those events.  When
 * every directory is watched it prints "Watches established." on stderr,
 * like inotifywait, and exits; with -w it keeps the watches until SIGTERM or
 * SIGINT, so that its memory can be measured while it holds them.  -v prints
 * the number of watches on stderr first.  MASK defaults to IN_ALL_EVENTS
 * (what inotifywait -r uses without -e); it takes C syntax (0xfff).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define DENTS_BUF (64 * 1024)

struct linux_dirent64 {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

#define QUIET (IN_OPEN | IN_ACCESS | IN_CLOSE_NOWRITE)

static int ifd;
static uint32_t mask = IN_ALL_EVENTS;
static int pre; /* -p */
static long nwatches;
static char *path;
static size_t pathcap;
/* One getdents buffer per depth, reused across siblings. */
static char **bufs;
static size_t nbufs;
/* The open directory the process works in, -1 if none of them. */
static int here = -1;

static void die(const char *what)
{
	fprintf(stderr, "floor_setup: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* Watch name with m in the directory open as dfd, working there. */
static void add_watch(int dfd, const char *name, uint32_t m)
{
	if (here != dfd) {
		if (fchdir(dfd) < 0)
			die(path);
		here = dfd;
	}
	if (inotify_add_watch(ifd, name, m) < 0) {
		/* A directory removed under us is not an error. */
		if (errno == ENOENT || errno == ENOTDIR)
			return;
		die(path);
	}
	if (m == mask || !pre)
		nwatches++;
}

static char *depth_buf(size_t depth)
{
	if (depth >= nbufs) {
		size_t n = nbufs ? nbufs * 2 : 16;
		char **nb = realloc(bufs, n * sizeof(*bufs));

		if (!nb)
			die("realloc");
		memset(nb + nbufs, 0, (n - nbufs) * sizeof(*nb));
		bufs = nb;
		nbufs = n;
	}
	if (!bufs[depth] && !(bufs[depth] = malloc(DENTS_BUF)))
		die("malloc");
	return bufs[depth];
}

/* path[0..len) names the directory open as dfd.  Post-order: a directory is
 * watched only after its fd is closed and its subtree done, so that the walk's
 * own opens, reads and closes queue no events (upstream's order too). */
static void walk(int dfd, size_t len, size_t depth)
{
	char *buf = depth_buf(depth);

	for (;;) {
		long n = syscall(SYS_getdents64, dfd, buf, DENTS_BUF);

		if (n < 0)
			die(path);
		if (n == 0)
			return;
		for (long off = 0; off < n;) {
			struct linux_dirent64 *d =
				(struct linux_dirent64 *)(buf + off);
			const char *name = d->d_name;
			unsigned char type = d->d_type;
			size_t nlen;
			int cfd;

			off += d->d_reclen;
			if (name[0] == '.' &&
			    (name[1] == 0 || (name[1] == '.' && name[2] == 0)))
				continue;
			if (type == DT_UNKNOWN) {
				struct stat st;

				if (fstatat(dfd, name, &st,
					    AT_SYMLINK_NOFOLLOW) < 0)
					continue;
				if (S_ISDIR(st.st_mode))
					type = DT_DIR;
			}
			if (type != DT_DIR)
				continue;
			nlen = strlen(name);
			if (len + nlen + 2 > pathcap) {
				while (len + nlen + 2 > pathcap)
					pathcap *= 2;
				if (!(path = realloc(path, pathcap)))
					die("realloc");
			}
			path[len] = '/';
			memcpy(path + len + 1, name, nlen + 1);
			if (pre)
				add_watch(dfd, name, mask & ~QUIET);
			cfd = openat(dfd, name,
				     O_RDONLY | O_DIRECTORY | O_CLOEXEC |
					     O_NOFOLLOW);
			if (cfd >= 0) {
				walk(cfd, len + 1 + nlen, depth + 1);
				close(cfd);
				if (here == cfd)
					here = -1;
				if (!pre || (mask & QUIET))
					add_watch(dfd, name, mask);
			} else if (errno != ENOENT && errno != ENOTDIR) {
				die(path);
			}
			path[len] = 0;
		}
	}
}

int main(int argc, char **argv)
{
	int opt, hold = 0, verbose = 0, dfd, start;
	size_t len;

	while ((opt = getopt(argc, argv, "wvpm:")) != -1) {
		switch (opt) {
		case 'p':
			pre = 1;
			break;
		case 'w':
			hold = 1;
			break;
		case 'v':
			verbose = 1;
			break;
		case 'm':
			mask = (uint32_t)strtoul(optarg, NULL, 0);
			break;
		default:
			goto usage;
		}
	}
	if (optind != argc - 1)
		goto usage;

	len = strlen(argv[optind]);
	while (len > 1 && argv[optind][len - 1] == '/')
		len--;
	pathcap = 4096;
	while (pathcap < len + 2)
		pathcap *= 2;
	if (!(path = malloc(pathcap)))
		die("malloc");
	memcpy(path, argv[optind], len);
	path[len] = 0;
	if (len == 1 && path[0] == '/')
		len = 0; /* children are "/name", not "//name" */

	if ((ifd = inotify_init1(IN_CLOEXEC)) < 0)
		die("inotify_init1");
	if ((start = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
		die(".");
	if (pre && inotify_add_watch(ifd, argv[optind], mask & ~QUIET) < 0)
		die(argv[optind]);
	if ((dfd = open(argv[optind], O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		die(argv[optind]);
	walk(dfd, len, 0);
	close(dfd);
	if (fchdir(start) < 0) /* (argv[optind] may be relative) */
		die(".");
	if ((!pre || (mask & QUIET)) &&
	    inotify_add_watch(ifd, argv[optind], mask) < 0)
		die(argv[optind]);
	nwatches++;

	if (verbose)
		fprintf(stderr, "%ld watches\n", nwatches);
	fputs("Watches established.\n", stderr);
	if (hold) {
		sigset_t set;
		int sig;

		sigemptyset(&set);
		sigaddset(&set, SIGTERM);
		sigaddset(&set, SIGINT);
		sigprocmask(SIG_BLOCK, &set, NULL);
		sigwait(&set, &sig);
	}
	return 0;

usage:
	fprintf(stderr, "usage: floor_setup [-w] [-v] [-p] [-m MASK] DIR\n");
	return 2;
}
