/* benchrun.c: run one measurement for run-bench.sh, precisely.
 *
 *   benchrun setup [-r READY] [-T SECS] [-K SECS] -- CMD [ARG...]
 *
 *	Starts CMD (stdin and stdout /dev/null, stderr a pipe read here) and
 *	times it from just before fork() to the moment a stderr line containing
 *	READY (default "Watches established.") arrives.  At that moment it reads
 *	VmRSS and VmHWM from /proc/PID/status, then counts the watches CMD holds
 *	(the "inotify wd:" lines of /proc/PID/fdinfo of its inotify fds), sends
 *	SIGTERM and reaps it.  Prints one line on stdout:
 *		ok TIME_NS RSS_KB HWM_KB WATCHES END
 *	END is "held" (CMD was still running after the readings and exited on
 *	SIGTERM), "nokill" (same, but it had to be SIGKILLed -K SECS, default
 *	30, after SIGTERM) or "exited" (CMD ended by itself around its ready
 *	line, like floor_setup without -w: RSS, HWM and WATCHES are then "-").
 *
 *   benchrun drain -G GENEVENTS -D DIR -N EVENTS [-F FILES] [-o FILE | -p]
 *		    [-r READY] [-S MS] [-T SECS] [-K SECS] -- CMD [ARG...]
 *
 *	Starts CMD with stdout to FILE (-o) or to a pipe read by `cat
 *	>/dev/null` (-p), waits for READY, stops it with SIGSTOP, runs
 *	`GENEVENTS DIR EVENTS [FILES]` to fill its inotify queue, resumes it
 *with SIGCONT and waits until it has drained the queue: its inotify queue is
 *	empty (FIONREAD on a copy of its inotify fd taken with pidfd_getfd), its
 *	output pipe is empty, it is sleeping and its CPU time has stopped
 *	moving (for -S MS milliseconds: default 0, three looks in a row; a
 *	program that prints on a timer, as inotifywait --batch, is given
 *	longer than its timer).  The CPU time (sum_exec_runtime from
 * /proc/PID/task/(*)/schedstat, user+sys, ns) used between SIGCONT and then is
 *the result.  Prints: ok CPU_NS LINES QUEUED_BYTES UTIME_TICKS STIME_TICKS END
 *	LINES is the number of lines in FILE (-1 with -p), QUEUED_BYTES what the
 *	queue held before SIGCONT (-1 if it could not be seen), the ticks the
 *	user/sys split from /proc/PID/stat (coarse), END "ended" or "nokill".
 *
 * On failure it prints "fail REASON" on stdout, CMD's last stderr on stderr,
 * and exits 1.  Every wait for CMD is bounded by -T (default 300 s) and -K;
 * SIGTERM/SIGINT kill the children.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif

static pid_t kids[3];
static double timeout_s = 300, grace_s = 30;
static int64_t settle_ns; /* -S: how long the CPU time must not move */
static char *gen_files;	  /* -F: genevents' FILES, or NULL */
static const char *ready = "Watches established.";

/* The tail of CMD's stderr, for messages, and the current partial line. */
static char errtail[4096];
static size_t errtail_len;
static char line[4096];
static size_t line_len;
static int ready_seen;

static void kill_kids(void)
{
	for (int i = 0; i < 3; i++) {
		if (kids[i] > 0) {
			kill(kids[i], SIGKILL);
			kill(kids[i], SIGCONT);
		}
	}
}

static void on_signal(int sig)
{
	kill_kids();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void fail(const char *why)
{
	kill_kids();
	printf("fail %s\n", why);
	fflush(stdout);
	if (errtail_len)
		fprintf(stderr, "benchrun: last stderr of the command:\n%.*s\n",
			(int)errtail_len, errtail);
	exit(1);
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static pid_t spawn(char *const *argv, int in, int out, int err)
{
	pid_t pid = fork();

	if (pid < 0)
		fail("fork");
	if (pid == 0) {
		signal(SIGPIPE, SIG_DFL);
		if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
			_exit(126);
		execvp(argv[0], argv);
		fprintf(stderr, "benchrun: %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	return pid;
}

/* Take what CMD wrote on stderr; returns 0 at EOF. */
static int eat_stderr(int fd)
{
	char buf[4096];
	ssize_t n = read(fd, buf, sizeof(buf));

	if (n < 0)
		return errno == EINTR || errno == EAGAIN;
	if (n == 0)
		return 0;
	for (ssize_t i = 0; i < n; i++) {
		if (errtail_len == sizeof(errtail)) {
			memmove(errtail, errtail + sizeof(errtail) / 2,
				sizeof(errtail) / 2);
			errtail_len = sizeof(errtail) / 2;
		}
		errtail[errtail_len++] = buf[i];
		if (buf[i] == '\n') {
			line[line_len] = 0;
			if (strstr(line, ready))
				ready_seen = 1;
			line_len = 0;
		} else if (line_len < sizeof(line) - 1) {
			line[line_len++] = buf[i];
		}
	}
	return 1;
}

/* Wait for the READY line; returns 0 if CMD closed stderr first. */
static int wait_ready(int errfd, int64_t deadline)
{
	while (!ready_seen) {
		struct pollfd p = { errfd, POLLIN, 0 };
		int64_t left = (deadline - now_ns()) / 1000000;

		if (left <= 0)
			fail("timeout waiting for the ready line");
		if (poll(&p, 1, (int)(left > 1000 ? 1000 : left)) > 0 &&
		    !eat_stderr(errfd))
			return 0;
	}
	return 1;
}

/* Send SIGTERM (and SIGCONT), keep reading stderr, reap.  Returns 1 if the
 * command exited within `grace` seconds, 0 if it had to be SIGKILLed. */
static int finish(pid_t pid, int errfd)
{
	int64_t limit = now_ns() + (int64_t)(grace_s * 1e9);
	int st, eof = 0, termed = 1;

	kill(pid, SIGTERM);
	kill(pid, SIGCONT);
	for (;;) {
		struct pollfd p = { errfd, POLLIN, 0 };
		pid_t r = waitpid(pid, &st, WNOHANG);

		if (r == pid || (r < 0 && errno == ECHILD))
			break;
		if (termed && now_ns() > limit) {
			kill(pid, SIGKILL);
			termed = 0;
		}
		if (eof)
			poll(NULL, 0, 20);
		else if (poll(&p, 1, 20) > 0 && !eat_stderr(errfd))
			eof = 1;
	}
	close(errfd);
	return termed;
}

/* Has pid exited, or started to?  Reaps it if it is a zombie. */
static int gone(pid_t pid)
{
	char p[64], buf[1024], *s, state = 'X';
	unsigned long flags = 0;
	int st;
	FILE *f;

	if (waitpid(pid, &st, WNOHANG) != 0)
		return 1;
	snprintf(p, sizeof(p), "/proc/%d/stat", (int)pid);
	if (!(f = fopen(p, "r")))
		return 1;
	if (fgets(buf, sizeof(buf), f) && (s = strrchr(buf, ')')))
		sscanf(s + 2, "%c %*d %*d %*d %*d %*d %lu", &state, &flags);
	fclose(f);
	return state == 'Z' || state == 'X' || (flags & 0x4); /* PF_EXITING */
}

static long status_kb(pid_t pid, const char *key)
{
	char p[64], buf[256];
	size_t kl = strlen(key);
	long v = -1;
	FILE *f;

	snprintf(p, sizeof(p), "/proc/%d/status", (int)pid);
	if (!(f = fopen(p, "r")))
		return -1;
	while (fgets(buf, sizeof(buf), f)) {
		if (!strncmp(buf, key, kl) && buf[kl] == ':') {
			v = strtol(buf + kl + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	return v;
}

/* The fd numbers (in pid) of its inotify instances; returns how many. */
static int inotify_fds(pid_t pid, int *fds, int max)
{
	char p[64], l[64];
	struct dirent *d;
	int n = 0;
	DIR *dir;

	snprintf(p, sizeof(p), "/proc/%d/fd", (int)pid);
	if (!(dir = opendir(p)))
		return 0;
	while ((d = readdir(dir)) && n < max) {
		char fp[512];
		ssize_t k;

		if (d->d_name[0] == '.')
			continue;
		snprintf(fp, sizeof(fp), "%s/%s", p, d->d_name);
		k = readlink(fp, l, sizeof(l) - 1);
		if (k < 0)
			continue;
		l[k] = 0;
		if (!strcmp(l, "anon_inode:inotify"))
			fds[n++] = atoi(d->d_name);
	}
	closedir(dir);
	return n;
}

static long count_watches(pid_t pid)
{
	int fds[16], n = inotify_fds(pid, fds, 16);
	long total = 0;
	static char buf[1 << 16];

	if (!n)
		return -1;
	for (int i = 0; i < n; i++) {
		char p[64];
		static const char key[] = "inotify wd:";
		size_t matched = 0; /* of key, at the start of this line */
		int fd;
		ssize_t r;

		snprintf(p, sizeof(p), "/proc/%d/fdinfo/%d", (int)pid, fds[i]);
		if ((fd = open(p, O_RDONLY | O_CLOEXEC)) < 0)
			return -1;
		/* Count lines starting "inotify wd:", across reads. */
		while ((r = read(fd, buf, sizeof(buf))) > 0) {
			for (ssize_t j = 0; j < r; j++) {
				if (buf[j] == '\n') {
					matched = 0;
				} else if (matched < sizeof(key) - 1) {
					if (buf[j] == key[matched]) {
						if (++matched ==
						    sizeof(key) - 1)
							total++;
					} else {
						matched = sizeof(key);
					}
				}
			}
		}
		close(fd);
	}
	return total;
}

/* CPU time of all of pid's threads, ns. */
static int64_t cpu_ns(pid_t pid)
{
	char p[64];
	struct dirent *d;
	int64_t total = 0;
	int found = 0;
	DIR *dir;

	snprintf(p, sizeof(p), "/proc/%d/task", (int)pid);
	if ((dir = opendir(p))) {
		while ((d = readdir(dir))) {
			char sp[512];
			long long v;
			FILE *f;

			if (d->d_name[0] == '.')
				continue;
			snprintf(sp, sizeof(sp), "%s/%s/schedstat", p,
				 d->d_name);
			if (!(f = fopen(sp, "r")))
				continue;
			if (fscanf(f, "%lld", &v) == 1) {
				total += v;
				found = 1;
			}
			fclose(f);
		}
		closedir(dir);
	}
	if (!found)
		fail("cannot read /proc/PID/task/TID/schedstat");
	return total;
}

/* State letter and utime/stime ticks from /proc/PID/stat. */
static char proc_state(pid_t pid, unsigned long *ut, unsigned long *stt)
{
	char p[64], buf[1024], *s;
	char state = '?';
	unsigned long u = 0, sy = 0;
	FILE *f;

	snprintf(p, sizeof(p), "/proc/%d/stat", (int)pid);
	if (!(f = fopen(p, "r")))
		return '?';
	if (fgets(buf, sizeof(buf), f) && (s = strrchr(buf, ')')))
		sscanf(s + 2,
		       "%c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
		       &state, &u, &sy);
	fclose(f);
	if (ut)
		*ut = u;
	if (stt)
		*stt = sy;
	return state;
}

static int fionread(int fd)
{
	int n = 0;

	if (fd < 0)
		return 0;
	if (ioctl(fd, FIONREAD, &n) < 0)
		return -1;
	return n;
}

static int open_null(int flags)
{
	int fd = open("/dev/null", flags | O_CLOEXEC);

	if (fd < 0)
		fail("/dev/null");
	return fd;
}

static int run_setup(char **cmd)
{
	int errp[2], nul_in, nul_out, st;
	int64_t t0, t1, deadline;
	long rss = -1, hwm = -1, watches = -1;
	const char *end;
	pid_t pid;

	if (pipe2(errp, O_CLOEXEC) < 0)
		fail("pipe");
	nul_in = open_null(O_RDONLY);
	nul_out = open_null(O_WRONLY);
	t0 = now_ns();
	deadline = t0 + (int64_t)(timeout_s * 1e9);
	pid = kids[0] = spawn(cmd, nul_in, nul_out, errp[1]);
	close(errp[1]);
	if (!wait_ready(errp[0], deadline)) {
		while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
			;
		kids[0] = 0;
		fail("the command exited before its ready line");
	}
	t1 = now_ns();
	/* floor_setup without -w exits at once, and a command may end on its
	 * own (e.g. on an event its own walk queued): then what /proc says is
	 * not what it holds. */
	if (!gone(pid)) {
		rss = status_kb(pid, "VmRSS");
		hwm = status_kb(pid, "VmHWM");
		watches = count_watches(pid);
	}
	if (gone(pid)) {
		end = "exited";
		rss = -1;
		finish(pid, errp[0]);
	} else {
		end = finish(pid, errp[0]) ? "held" : "nokill";
	}
	kids[0] = 0;
	printf("ok %lld ", (long long)(t1 - t0));
	if (rss < 0)
		printf("- - - %s\n", end);
	else
		printf("%ld %ld %ld %s\n", rss, hwm, watches, end);
	return 0;
}

static int run_drain(char **cmd, char *gen, char *dir, char *nevents,
		     const char *outfile, int use_pipe)
{
	int errp[2], outp[2] = { -1, -1 }, nul_in, nul_out, out, st;
	int ifds[4], qfd = -1, pipefd = -1, stable = 0, pidfd;
	int64_t deadline, c0, c1, prev = -1, since = 0;
	unsigned long ut0, st0, ut1, st1;
	long queued, lines = -1;
	const char *end;
	char *genv[5];
	pid_t pid, g;

	if (pipe2(errp, O_CLOEXEC) < 0)
		fail("pipe");
	nul_in = open_null(O_RDONLY);
	nul_out = open_null(O_WRONLY);
	if (use_pipe) {
		static char cat_name[] = "cat";
		char *catv[] = { cat_name, NULL };

		if (pipe2(outp, O_CLOEXEC) < 0)
			fail("pipe");
		kids[1] = spawn(catv, outp[0], nul_out, 2);
		out = outp[1];
		pipefd = outp[0]; /* kept only for FIONREAD */
	} else {
		out = open(outfile, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
			   0644);
		if (out < 0)
			fail("cannot open the output file");
	}
	deadline = now_ns() + (int64_t)(timeout_s * 1e9);
	pid = kids[0] = spawn(cmd, nul_in, out, errp[1]);
	close(errp[1]);
	close(out);
	fcntl(errp[0], F_SETFL, O_NONBLOCK);
	if (!wait_ready(errp[0], deadline))
		fail("the command exited before its ready line");

	if (kill(pid, SIGSTOP) < 0 || waitpid(pid, &st, WUNTRACED) != pid ||
	    !WIFSTOPPED(st))
		fail("could not stop the command");
	if (inotify_fds(pid, ifds, 4) == 1 &&
	    (pidfd = (int)syscall(SYS_pidfd_open, pid, 0)) >= 0) {
		qfd = (int)syscall(SYS_pidfd_getfd, pidfd, ifds[0], 0);
		close(pidfd);
	}
	c0 = cpu_ns(pid);
	proc_state(pid, &ut0, &st0);

	genv[0] = gen;
	genv[1] = dir;
	genv[2] = nevents;
	genv[3] = gen_files;
	genv[4] = NULL;
	g = kids[2] = spawn(genv, nul_in, nul_out, 2);
	while (waitpid(g, &st, 0) < 0 && errno == EINTR)
		;
	kids[2] = 0;
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		fail("genevents failed");
	queued = qfd >= 0 ? fionread(qfd) : -1;

	kill(pid, SIGCONT);
	since = now_ns();
	for (;;) {
		struct pollfd p = { errp[0], POLLIN, 0 };
		int64_t c;
		char s;

		if (now_ns() > deadline)
			fail("timeout waiting for the command to drain");
		if (poll(&p, 1, 5) > 0)
			eat_stderr(errp[0]);
		if (waitpid(pid, &st, WNOHANG) == pid) {
			kids[0] = 0;
			fail("the command exited while draining");
		}
		s = proc_state(pid, NULL, NULL);
		c = cpu_ns(pid);
		if (s == 'S' && fionread(qfd) == 0 && fionread(pipefd) == 0 &&
		    c == prev) {
			stable++;
		} else {
			stable = 0;
			since = now_ns();
		}
		prev = c;
		if (stable >= 3 && now_ns() - since >= settle_ns)
			break;
	}
	c1 = prev;
	proc_state(pid, &ut1, &st1);
	if (qfd >= 0)
		close(qfd);
	end = finish(pid, errp[0]) ? "ended" : "nokill";
	kids[0] = 0;
	if (use_pipe) {
		close(pipefd);
		while (waitpid(kids[1], &st, 0) < 0 && errno == EINTR)
			;
		kids[1] = 0;
	} else {
		static char buf[1 << 16];
		int fd = open(outfile, O_RDONLY | O_CLOEXEC);
		ssize_t r;

		lines = 0;
		while (fd >= 0 && (r = read(fd, buf, sizeof(buf))) > 0)
			for (ssize_t j = 0; j < r; j++)
				lines += buf[j] == '\n';
		if (fd >= 0)
			close(fd);
	}
	printf("ok %lld %ld %ld %lu %lu %s\n", (long long)(c1 - c0), lines,
	       queued, ut1 - ut0, st1 - st0, end);
	return 0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: benchrun setup [-r READY] [-T SECS] [-K SECS] -- CMD "
		"[ARG...]\n"
		"       benchrun drain -G GENEVENTS -D DIR -N EVENTS [-F "
		"FILES] "
		"[-o FILE | -p]\n"
		"                      [-r READY] [-S MS] [-T SECS] [-K SECS] "
		"-- CMD [ARG...]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	char *gen = NULL, *dir = NULL, *nev = NULL;
	const char *outfile = NULL;
	int opt, use_pipe = 0, drain;

	if (argc < 2)
		usage();
	if (!strcmp(argv[1], "setup"))
		drain = 0;
	else if (!strcmp(argv[1], "drain"))
		drain = 1;
	else
		usage();
	argv++;
	argc--;
	while ((opt = getopt(argc, argv, "+r:T:K:G:D:N:o:pS:F:")) != -1) {
		switch (opt) {
		case 'r':
			ready = optarg;
			break;
		case 'T':
			timeout_s = strtod(optarg, NULL);
			break;
		case 'K':
			grace_s = strtod(optarg, NULL);
			break;
		case 'G':
			gen = optarg;
			break;
		case 'D':
			dir = optarg;
			break;
		case 'N':
			nev = optarg;
			break;
		case 'o':
			outfile = optarg;
			break;
		case 'p':
			use_pipe = 1;
			break;
		case 'S':
			settle_ns = (int64_t)(strtod(optarg, NULL) * 1e6);
			break;
		case 'F':
			gen_files = optarg;
			break;
		default:
			usage();
		}
	}
	if (optind >= argc)
		usage();
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGHUP, on_signal);
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!drain)
		return run_setup(argv + optind);
	if (!gen || !dir || !nev || (!outfile == !use_pipe))
		usage();
	return run_drain(argv + optind, gen, dir, nev, outfile, use_pipe);
}
