/*
 * api_probe.c: asks the library the questions a program written against
 * upstream's header would, and prints one "label: answer" line for each.
 * Built against the public header and run on our library and on Debian's
 * (cli/library.bats compares the two); each section runs in a child of its
 * own, so every one starts from an uninitialised library, and a section
 * that crashes is reported as "<section>: crashed (signal N)".
 *
 * Usage: api_probe DIR   (an empty directory to work in)
 */
#include <errno.h>
#include <fcntl.h>
#include <inotifytools/inotify.h>
#include <inotifytools/inotifytools.h>
#include <regex.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static void say(const char *label, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void say(const char *label, const char *fmt, ...)
{
	va_list ap;

	printf("%s: ", label);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

/* A string answer, NULL shown as (null). */
static void say_str(const char *label, const char *s)
{
	if (s)
		say(label, "\"%s\"", s);
	else
		say(label, "(null)");
}

static void touch(const char *p)
{
	int fd = open(p, O_WRONLY | O_CREAT, 0644);

	if (fd >= 0)
		close(fd);
}

/* The next event as "WATCH|NAME|EVENTS", or "none" after a 1 s wait. */
static void say_next(const char *label)
{
	struct inotify_event *ev = inotifytools_next_event(1);
	struct nstring out;

	if (!ev) {
		say(label, "none (error %d)", inotifytools_error());
		return;
	}
	out.len = 0;
	inotifytools_snprintf(&out, MAX_STRLEN, ev, "%w|%f|%e");
	say(label, "%.*s", (int)out.len, out.buf);
}

static void before_init(void)
{
	const char *names[] = { "d", NULL };

	say("error", "%d", inotifytools_error());
	say_str("filename_from_wd(1)", inotifytools_filename_from_wd(1));
	say("wd_from_filename(d/)", "%d", inotifytools_wd_from_filename("d/"));
	say("get_num_watches", "%d", inotifytools_get_num_watches());
	say("get_stat_total(0)", "%d", inotifytools_get_stat_total(0));
	say("get_stat_by_wd(1,0)", "%d", inotifytools_get_stat_by_wd(1, 0));
	say("remove_watch_by_wd(1)", "%d", inotifytools_remove_watch_by_wd(1));
	say("remove_watch_by_filename(d/)", "%d",
	    inotifytools_remove_watch_by_filename("d/"));
	say_str("event_to_str(MODIFY)", inotifytools_event_to_str(IN_MODIFY));
	say("str_to_event(modify)", "%d", inotifytools_str_to_event("modify"));
	say("watch_files(d)", "%d", inotifytools_watch_files(names, IN_CREATE));
	say("watch_files: error", "%d", inotifytools_error());
	say("ignore_events_by_regex(x)", "%d",
	    inotifytools_ignore_events_by_regex("x", REG_EXTENDED));
	inotifytools_set_printf_timefmt("%F");
	say("initialize", "%d", inotifytools_initialize());
	say("get_num_watches after initialize", "%d",
	    inotifytools_get_num_watches());
	inotifytools_watch_file("d", IN_CREATE);
	touch("d/x1");
	touch("d/y1");
	say_next("next event (regex x set before initialize)");
	unlink("d/x1");
	unlink("d/y1");
}

static void reinit(void)
{
	int wd;

	say("initialize", "%d", inotifytools_initialize());
	say("initialize again", "%d", inotifytools_initialize());
	say("watch_file(d)", "%d", inotifytools_watch_file("d", IN_ALL_EVENTS));
	wd = inotifytools_wd_from_filename("d/");
	say("first wd", "%d", wd);
	inotifytools_cleanup();
	say("get_num_watches after cleanup", "%d",
	    inotifytools_get_num_watches());
	say_str("filename_from_wd(first) after cleanup",
		inotifytools_filename_from_wd(wd));
	say("wd_from_filename(d/) after cleanup", "%d",
	    inotifytools_wd_from_filename("d/"));
	inotifytools_cleanup();
	say("cleanup twice", "survived");
	say("initialize after cleanup", "%d", inotifytools_initialize());
	say("get_num_watches", "%d", inotifytools_get_num_watches());
	say("watch_file(d) again", "%d",
	    inotifytools_watch_file("d", IN_ALL_EVENTS));
	say("wd after re-init", "%d", inotifytools_wd_from_filename("d/"));
	say_str("filename_from_wd(wd)",
		inotifytools_filename_from_wd(
			inotifytools_wd_from_filename("d/")));
	say("error", "%d", inotifytools_error());
}

static void remove_readd(void)
{
	int wd, wd2, rootwd;

	inotifytools_initialize();
	say("watch_file(d)", "%d", inotifytools_watch_file("d", IN_ALL_EVENTS));
	wd = inotifytools_wd_from_filename("d/");
	say("wd_from_filename(d)", "%d", inotifytools_wd_from_filename("d"));
	say_str("filename_from_wd(wd)", inotifytools_filename_from_wd(wd));
	say("remove_watch_by_wd(wd)", "%d",
	    inotifytools_remove_watch_by_wd(wd));
	say_str("filename_from_wd(wd) after removal",
		inotifytools_filename_from_wd(wd));
	say("wd_from_filename(d/) after removal", "%d",
	    inotifytools_wd_from_filename("d/"));
	say("get_num_watches after removal", "%d",
	    inotifytools_get_num_watches());
	say("remove_watch_by_wd(wd) again", "%d",
	    inotifytools_remove_watch_by_wd(wd));
	say("error", "%d", inotifytools_error());
	say("watch_file(d) again", "%d",
	    inotifytools_watch_file("d", IN_ALL_EVENTS));
	wd2 = inotifytools_wd_from_filename("d/");
	say("new wd", "%s", wd2 > 0 && wd2 != wd ? "a new one" : "the old one");
	say_str("filename_from_wd(new)", inotifytools_filename_from_wd(wd2));
	say_str("filename_from_wd(old)", inotifytools_filename_from_wd(wd));
	say_next("next event");
	say_str("filename_from_wd(old) after reading",
		inotifytools_filename_from_wd(wd));
	say("remove_watch_by_filename(d/)", "%d",
	    inotifytools_remove_watch_by_filename("d/"));
	say_str("filename_from_wd(new) after removal",
		inotifytools_filename_from_wd(wd2));
	say("remove_watch_by_filename(unknown)", "%d",
	    inotifytools_remove_watch_by_filename("nothing/"));
	say("remove_watch_by_wd(9999)", "%d",
	    inotifytools_remove_watch_by_wd(9999));
	say("watch_file(/)", "%d", inotifytools_watch_file("/", IN_ACCESS));
	rootwd = inotifytools_wd_from_filename("/");
	say("wd_from_filename(/)", "%s", rootwd > 0 ? "a wd" : "-1");
	say("remove_watch_by_filename(/)", "%d",
	    inotifytools_remove_watch_by_filename("/"));
	say_str("filename_from_wd(/'s wd) after removal",
		inotifytools_filename_from_wd(rootwd));
	say("wd_from_filename(/) after removal", "%d",
	    inotifytools_wd_from_filename("/"));
	say("get_num_watches", "%d", inotifytools_get_num_watches());
}

/* The names of the watches of r/, r/a/, r/a/b/, r/ab/ by their wds. */
static void say_tree(const char *label, const int *wd)
{
	printf("%s: %s %s %s %s\n", label, inotifytools_filename_from_wd(wd[0]),
	       inotifytools_filename_from_wd(wd[1]),
	       inotifytools_filename_from_wd(wd[2]),
	       inotifytools_filename_from_wd(wd[3]));
}

/* A fresh r/ with r/a/, r/a/b/ and r/ab/ watched; their wds into wd[]. */
static void tree(int *wd)
{
	inotifytools_initialize();
	mkdir("r", 0755);
	mkdir("r/a", 0755);
	mkdir("r/a/b", 0755);
	mkdir("r/ab", 0755);
	say("watch_recursively(r)", "%d",
	    inotifytools_watch_recursively("r", IN_ALL_EVENTS));
	wd[0] = inotifytools_wd_from_filename("r/");
	wd[1] = inotifytools_wd_from_filename("r/a/");
	wd[2] = inotifytools_wd_from_filename("r/a/b/");
	wd[3] = inotifytools_wd_from_filename("r/ab/");
	say_tree("names", wd);
}

static void replace(void)
{
	int wd[4];

	tree(wd);
	inotifytools_replace_filename("r/a/", "r/x/");
	say_tree("after replace_filename(r/a/, r/x/)", wd);
	say("wd_from_filename(r/x/b/) is b", "%d",
	    inotifytools_wd_from_filename("r/x/b/") == wd[2]);
	say("wd_from_filename(r/a/b/)", "%d",
	    inotifytools_wd_from_filename("r/a/b/"));
	inotifytools_replace_filename("r/x", "r/y");
	say_tree("after replace_filename(r/x, r/y)", wd);
	say("wd_from_filename(r/y/) is a", "%d",
	    inotifytools_wd_from_filename("r/y/") == wd[1]);
	inotifytools_replace_filename("r/", "s/");
	say_tree("after replace_filename(r/, s/)", wd);
	say("wd_from_filename(s/y/b/) is b", "%d",
	    inotifytools_wd_from_filename("s/y/b/") == wd[2]);
	inotifytools_replace_filename("nothing/", "x/");
	say("get_num_watches", "%d", inotifytools_get_num_watches());
}

static void replace_partial(void)
{
	int wd[4];

	tree(wd);
	inotifytools_replace_filename("r/a", "r/q");
	say_tree("after replace_filename(r/a, r/q)", wd);
	say("wd_from_filename(r/qb/) is ab", "%d",
	    inotifytools_wd_from_filename("r/qb/") == wd[3]);
}

static void set_by_wd(void)
{
	int wd[4];

	tree(wd);
	inotifytools_set_filename_by_wd(wd[1], "r/s/");
	say_tree("after set_filename_by_wd(a, r/s/)", wd);
	say("wd_from_filename(r/s/) is a", "%d",
	    inotifytools_wd_from_filename("r/s/") == wd[1]);
	say("wd_from_filename(r/a/)", "%d",
	    inotifytools_wd_from_filename("r/a/"));
	say("wd_from_filename(r/a/b/) is b", "%d",
	    inotifytools_wd_from_filename("r/a/b/") == wd[2]);
	inotifytools_set_filename_by_wd(9999, "r/z/");
	say("set_filename_by_wd(unknown)", "survived");
	say("get_num_watches", "%d", inotifytools_get_num_watches());
}

static void set_by_filename(void)
{
	int wd[4];

	tree(wd);
	inotifytools_set_filename_by_filename("r/a/", "r/t/");
	say_tree("after set_filename_by_filename(r/a/, r/t/)", wd);
	say("wd_from_filename(r/t/) is a", "%d",
	    inotifytools_wd_from_filename("r/t/") == wd[1]);
	say("wd_from_filename(r/a/)", "%d",
	    inotifytools_wd_from_filename("r/a/"));
	inotifytools_set_filename_by_filename("nothing/", "r/z/");
	say("set_filename_by_filename(unknown)", "survived");
	say("get_num_watches", "%d", inotifytools_get_num_watches());
}

static void stats(void)
{
	int wd;

	inotifytools_initialize();
	say("get_stat_total(0) before initialize_stats", "%d",
	    inotifytools_get_stat_total(0));
	inotifytools_initialize_stats();
	inotifytools_watch_file("d", IN_CREATE | IN_DELETE);
	wd = inotifytools_wd_from_filename("d/");
	touch("d/f");
	say_next("event");
	say("get_stat_by_wd(wd, CREATE)", "%d",
	    inotifytools_get_stat_by_wd(wd, IN_CREATE));
	say("get_stat_by_wd(wd, 0)", "%d", inotifytools_get_stat_by_wd(wd, 0));
	say("get_stat_by_wd(wd, CLOSE)", "%d",
	    inotifytools_get_stat_by_wd(wd, IN_CLOSE));
	say("get_stat_by_filename(d/, CREATE)", "%d",
	    inotifytools_get_stat_by_filename("d/", IN_CREATE));
	say("get_stat_by_filename(d, CREATE)", "%d",
	    inotifytools_get_stat_by_filename("d", IN_CREATE));
	say("get_stat_total(CREATE)", "%d",
	    inotifytools_get_stat_total(IN_CREATE));
	say("get_stat_total(MODIFY|CREATE)", "%d",
	    inotifytools_get_stat_total(IN_MODIFY | IN_CREATE));
	say("remove_watch_by_wd", "%d", inotifytools_remove_watch_by_wd(wd));
	say("get_stat_by_wd(wd, CREATE) after removal", "%d",
	    inotifytools_get_stat_by_wd(wd, IN_CREATE));
	say("get_stat_by_filename(d/, 0) after removal", "%d",
	    inotifytools_get_stat_by_filename("d/", 0));
	say("get_stat_total(0) after removal", "%d",
	    inotifytools_get_stat_total(0));
	say_next("event after removal");
	say("get_stat_total(0) after reading", "%d",
	    inotifytools_get_stat_total(0));
	inotifytools_watch_file("d", IN_CREATE);
	wd = inotifytools_wd_from_filename("d/");
	say("get_stat_by_wd(new wd, 0)", "%d",
	    inotifytools_get_stat_by_wd(wd, 0));
	inotifytools_initialize_stats();
	say("get_stat_total(0) after reset", "%d",
	    inotifytools_get_stat_total(0));
	say("get_stat_by_wd(9999, 0)", "%d",
	    inotifytools_get_stat_by_wd(9999, 0));
}

static void watch_files(void)
{
	const char *names[] = { "a", "nonexistent", "b", NULL };
	const char *none[] = { NULL };

	inotifytools_initialize();
	mkdir("a", 0755);
	mkdir("b", 0755);
	say("watch_files(a, nonexistent, b)", "%d",
	    inotifytools_watch_files(names, IN_ALL_EVENTS));
	say("error", "%s", strerror(inotifytools_error()));
	say("a watched", "%d", inotifytools_wd_from_filename("a/") > 0);
	say("b watched", "%d", inotifytools_wd_from_filename("b/") > 0);
	say("get_num_watches", "%d", inotifytools_get_num_watches());
	say("watch_files(empty list)", "%d",
	    inotifytools_watch_files(none, IN_ALL_EVENTS));
	say("error", "%d", inotifytools_error());
	say("watch_file(a) again", "%d",
	    inotifytools_watch_file("a", IN_ALL_EVENTS));
	say("get_num_watches", "%d", inotifytools_get_num_watches());
	say("watch_file(file)", "%d",
	    inotifytools_watch_file("a/../f", IN_ALL_EVENTS));
	say("file stored without slash", "%d",
	    inotifytools_wd_from_filename("a/../f") > 0);
	say("watch_recursively(nonexistent)", "%d",
	    inotifytools_watch_recursively("nonexistent", IN_ALL_EVENTS));
	say("error", "%s", strerror(inotifytools_error()));
	say("watch_file(a, 0)", "%d", inotifytools_watch_file("b", 0));
	say("error", "%s", strerror(inotifytools_error()));
}

/* snprintf of one MODIFY event on d/f with size, as "rc len [bytes]". */
static void say_snprintf(int size, const char *fmt)
{
	struct {
		struct inotify_event ev;
		char name[16];
	} e = { .ev = { .mask = IN_MODIFY, .len = 16 } };
	struct nstring out;
	char label[64];
	int rc;
	size_t shown;

	e.ev.wd = inotifytools_wd_from_filename("d/");
	strcpy(e.ev.name, "f");
	memset(out.buf, '#', sizeof(out.buf));
	out.len = 12345;
	rc = inotifytools_snprintf(&out, size, &e.ev, fmt);
	shown = out.len < 40 ? out.len : 40;
	snprintf(label, sizeof(label), "snprintf(%d, \"%s\")", size, fmt);
	say(label, "rc %d len %u [%.*s] then 0x%02x error %d", rc, out.len,
	    (int)shown, out.buf, (unsigned char)out.buf[shown],
	    inotifytools_error());
}

static void formatting(void)
{
	struct inotify_event ev = { .wd = 9999, .mask = IN_CREATE };
	char big[5000];

	inotifytools_initialize();
	inotifytools_watch_file("d", IN_ALL_EVENTS);
	say_snprintf(10, "Event %e %w%f");
	say_snprintf(0, "Event %e");
	say_snprintf(1, "Event %e");
	say_snprintf(2, "Event %e");
	say_snprintf(7, "Event %e");
	say_snprintf(4096, "Event %e %w%f");
	say_snprintf(4097, "Event %e");
	say_snprintf(-1, "Event %e");
	say_snprintf(100, "");
	say("error after empty format", "%d", inotifytools_error());
	say_snprintf(100, "%");
	say_snprintf(100, "x%");
	say_snprintf(100, "%w%f%");
	say_snprintf(100, "%z%%%:e%ee");
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	say_snprintf(100, big);
	say("error after long format", "%d", inotifytools_error());
	say_str("event_to_str(0)", inotifytools_event_to_str(0));
	say_str("event_to_str(0x10000000)",
		inotifytools_event_to_str(0x10000000));
	say_str("event_to_str(CLOSE_WRITE|ISDIR)",
		inotifytools_event_to_str(IN_CLOSE_WRITE | IN_ISDIR));
	say_str("event_to_str_sep(MOVED_FROM|ONESHOT, :)",
		inotifytools_event_to_str_sep(IN_MOVED_FROM | IN_ONESHOT, ':'));
	say_str("filename_from_watch(NULL)",
		inotifytools_filename_from_watch(NULL));
	say_str("filename_from_wd(0)", inotifytools_filename_from_wd(0));
	say_str("filename_from_wd(-1)", inotifytools_filename_from_wd(-1));
	say_str("dirpath_from_event(not a dir)",
		inotifytools_dirpath_from_event(&ev));
	say("str_to_event(open,)", "%d", inotifytools_str_to_event("open,"));
	say("str_to_event(foo)", "%d", inotifytools_str_to_event("foo"));
	say("str_to_event_sep(a:b, a)", "%d",
	    inotifytools_str_to_event_sep("modify", 'a'));
	say("ignore_events_by_regex(bad)", "%d",
	    inotifytools_ignore_events_by_regex("(", REG_EXTENDED));
	say("error", "%d", inotifytools_error());
	say("ignore_events_by_regex(NULL)", "%d",
	    inotifytools_ignore_events_by_regex(NULL, 0));
	inotifytools_set_printf_timefmt(NULL);
	say_snprintf(100, "[%T]");
}

/* Upstream's inotifytools_wd_sorted_by_event() and rb*list() walk, which
 * its inotifywatch uses (not in the header: declared here). */
struct rbtree;
struct rblists;
struct rbtree *inotifytools_wd_sorted_by_event(int sort_event);
struct rblists *rbopenlist(const struct rbtree *t);
const void *rbreadlist(struct rblists *l);
void rbcloselist(struct rblists *l);
void rbdestroy(struct rbtree *t);

/* The rows sorted by sort_event, as "name=total" words. */
static void say_sorted(int sort_event)
{
	struct rbtree *t = inotifytools_wd_sorted_by_event(sort_event);
	struct rblists *l = rbopenlist(t);
	const void *w;
	char label[64];

	snprintf(label, sizeof(label), "sorted by %d", sort_event);
	printf("%s:", label);
	while ((w = rbreadlist(l)))
		printf(" %s", inotifytools_filename_from_watch(
				      (struct watch *)(unsigned long)w));
	putchar('\n');
	rbcloselist(l);
	rbdestroy(t);
}

static void sorted(void)
{
	struct inotify_event *ev;

	inotifytools_initialize();
	inotifytools_initialize_stats();
	mkdir("s", 0755);
	mkdir("s/x", 0755);
	mkdir("s/y", 0755);
	inotifytools_watch_recursively("s", IN_CREATE | IN_MODIFY);
	touch("s/x/1");
	touch("s/x/2");
	touch("s/y/1");
	touch("s/1");
	touch("s/2");
	touch("s/3");
	close(open("s/y/1", O_WRONLY | O_TRUNC));
	while ((ev = inotifytools_next_event(1)))
		;
	say_sorted(-1);
	say_sorted(0);
	say_sorted(IN_CREATE);
	say_sorted(-IN_CREATE);
	say_sorted(IN_MODIFY);
	say_sorted(-IN_MODIFY);
	say_sorted(IN_DELETE);
	inotifytools_remove_watch_by_filename("s/x/");
	say_sorted(-1);
}

/* Upstream crashes here: each call in a section of its own. */
static void unknown_wd_dirname(void)
{
	struct inotify_event ev = { .wd = 9999, .mask = IN_CREATE };
	size_t len = 77;

	inotifytools_initialize();
	say_str("dirname_from_event(unknown wd)",
		inotifytools_dirname_from_event(&ev, &len));
	say("its length", "%zu", len);
}

static void dirname_null_len(void)
{
	struct inotify_event ev = { .wd = 9999, .mask = IN_CREATE };

	inotifytools_initialize();
	say_str("dirname_from_event(unknown wd, NULL)",
		inotifytools_dirname_from_event(&ev, NULL));
}

static void unknown_wd_filename(void)
{
	struct inotify_event ev = { .wd = 9999, .mask = IN_CREATE };
	const char *name = "unset";
	size_t len = 77;

	inotifytools_initialize();
	say_str("filename_from_event(unknown wd)",
		inotifytools_filename_from_event(&ev, &name, &len));
	say_str("its name", name);
}

static void limits(void)
{
	say("get_max_user_watches > 0", "%d",
	    inotifytools_get_max_user_watches() > 0);
	say("get_max_user_instances > 0", "%d",
	    inotifytools_get_max_user_instances() > 0);
	say("get_max_queued_events", "%s",
	    inotifytools_get_max_queued_events() > 0 ? "the limit" : "-1");
}

static const struct {
	const char *name;
	void (*fn)(void);
} sections[] = {
	{ "before_init", before_init },
	{ "reinit", reinit },
	{ "remove_readd", remove_readd },
	{ "replace", replace },
	{ "replace_partial", replace_partial },
	{ "set_by_wd", set_by_wd },
	{ "set_by_filename", set_by_filename },
	{ "stats", stats },
	{ "watch_files", watch_files },
	{ "formatting", formatting },
	{ "unknown_wd_dirname", unknown_wd_dirname },
	{ "unknown_wd_filename", unknown_wd_filename },
	{ "dirname_null_len", dirname_null_len },
	{ "sorted", sorted },
	{ "limits", limits },
};

int main(int argc, char **argv)
{
	if (argc != 2 || chdir(argv[1]) < 0) {
		fprintf(stderr, "usage: api_probe EMPTY-DIR\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	mkdir("d", 0755);
	touch("f");
	for (size_t i = 0; i < sizeof(sections) / sizeof(sections[0]); i++) {
		pid_t pid;
		int st;

		printf("== %s\n", sections[i].name);
		fflush(stdout);
		if ((pid = fork()) == 0) {
			sections[i].fn();
			fflush(stdout);
			_exit(0);
		}
		if (pid < 0 || waitpid(pid, &st, 0) < 0)
			return 1;
		if (WIFSIGNALED(st))
			printf("%s: crashed (signal %d)\n", sections[i].name,
			       WTERMSIG(st));
	}
	return 0;
}
