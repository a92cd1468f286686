/*
 * test_compat.c: our answers to the questions of api_probe.c, the way a
 * program written against upstream's header uses the library: calls before
 * initialisation, cleanup and re-initialisation, removal and re-adding,
 * renames of subtrees, statistics after removal, watch_files with a bad
 * path, snprintf sizes, and upstream's private wd_sorted_by_event().
 * Where upstream answers the same, cli/library.bats checks that too.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <regex.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compat.h"
#include "inotifytools/inotifytools.h"
#include "unit.h"

static void touch(const char *p)
{
	int fd = open(p, O_WRONLY | O_CREAT, 0644);

	if (fd >= 0)
		close(fd);
}

static void test_before_init(void)
{
	const char *names[] = { "d", NULL };
	struct inotify_event *ev;

	CHECK(inotifytools_error() == 0);
	CHECK_STR(inotifytools_filename_from_wd(1), "");
	CHECK(inotifytools_wd_from_filename("d/") == -1);
	CHECK(inotifytools_get_num_watches() == 0);
	CHECK(inotifytools_get_stat_total(0) == -1);
	CHECK(inotifytools_get_stat_by_wd(1, 0) == -1);
	CHECK(inotifytools_remove_watch_by_wd(1) == 1);
	CHECK(inotifytools_remove_watch_by_filename("d/") == 1);
	CHECK_STR(inotifytools_event_to_str(IN_MODIFY), "MODIFY");
	CHECK(inotifytools_str_to_event("modify") == IN_MODIFY);
	CHECK(inotifytools_watch_files(names, IN_CREATE) == 0);
	CHECK(inotifytools_error() == EBADF);
	CHECK(inotifytools_ignore_events_by_regex("x", REG_EXTENDED) == 1);
	inotifytools_set_printf_timefmt("%F");
	CHECK(inotifytools_initialize() == 1);
	CHECK(inotifytools_get_num_watches() == 0);
	/* the regular expression set before holds */
	CHECK(inotifytools_watch_file("d", IN_CREATE) == 1);
	touch("d/x1");
	touch("d/y1");
	ev = inotifytools_next_event(1);
	CHECK(ev && !strcmp(ev->name, "y1"));
	inotifytools_cleanup();
	unlink("d/x1");
	unlink("d/y1");
}

static void test_reinit(void)
{
	int wd;

	CHECK(inotifytools_initialize() == 1);
	CHECK(inotifytools_initialize() == 1);
	CHECK(inotifytools_watch_file("d", IN_ALL_EVENTS) == 1);
	wd = inotifytools_wd_from_filename("d/");
	CHECK(wd == 1);
	inotifytools_cleanup();
	CHECK(inotifytools_get_num_watches() == 0);
	CHECK_STR(inotifytools_filename_from_wd(wd), "");
	CHECK(inotifytools_wd_from_filename("d/") == -1);
	inotifytools_cleanup(); /* twice: harmless */
	CHECK(inotifytools_initialize() == 1);
	CHECK(inotifytools_get_num_watches() == 0);
	CHECK(inotifytools_watch_file("d", IN_ALL_EVENTS) == 1);
	/* a new inotify instance: wds start at 1 again */
	CHECK(inotifytools_wd_from_filename("d/") == 1);
	CHECK_STR(inotifytools_filename_from_wd(1), "d/");
	CHECK(inotifytools_error() == 0);
	inotifytools_cleanup();
}

static void test_remove_readd(void)
{
	struct inotify_event *ev;
	int wd, wd2, rootwd;

	inotifytools_initialize();
	CHECK(inotifytools_watch_file("d", IN_ALL_EVENTS) == 1);
	wd = inotifytools_wd_from_filename("d/");
	CHECK(inotifytools_wd_from_filename("d") == -1);
	CHECK(inotifytools_remove_watch_by_wd(wd) == 1);
	/* gone at once, before the kernel's IN_IGNORED is read */
	CHECK_STR(inotifytools_filename_from_wd(wd), "");
	CHECK(inotifytools_wd_from_filename("d/") == -1);
	CHECK(inotifytools_get_num_watches() == 0);
	CHECK(inotifytools_remove_watch_by_wd(wd) == 1);
	CHECK(inotifytools_error() == 0);
	CHECK(inotifytools_watch_file("d", IN_ALL_EVENTS) == 1);
	wd2 = inotifytools_wd_from_filename("d/");
	CHECK(wd2 > 0 && wd2 != wd);
	CHECK_STR(inotifytools_filename_from_wd(wd2), "d/");
	CHECK_STR(inotifytools_filename_from_wd(wd), "");
	/* the kernel's IN_IGNORED for the old watch is delivered, nameless */
	ev = inotifytools_next_event(1);
	CHECK(ev && ev->wd == wd && ev->mask == IN_IGNORED);
	CHECK(ev && !strcmp(inotifytools_filename_from_wd(ev->wd), ""));
	CHECK(inotifytools_remove_watch_by_filename("d/") == 1);
	CHECK_STR(inotifytools_filename_from_wd(wd2), "");
	CHECK(inotifytools_remove_watch_by_filename("nothing/") == 1);
	CHECK(inotifytools_remove_watch_by_wd(9999) == 1);
	CHECK(inotifytools_watch_file("/", IN_ACCESS) == 1);
	rootwd = inotifytools_wd_from_filename("/");
	CHECK(rootwd > 0);
	CHECK(inotifytools_remove_watch_by_filename("/") == 1);
	CHECK_STR(inotifytools_filename_from_wd(rootwd), "");
	CHECK(inotifytools_wd_from_filename("/") == -1);
	CHECK(inotifytools_get_num_watches() == 0);
	inotifytools_cleanup();
}

/* r/ with r/a/, r/a/b/ and r/ab/ watched; their wds into wd[]. */
static void tree(int *wd)
{
	inotifytools_initialize();
	mkdir("r", 0755);
	mkdir("r/a", 0755);
	mkdir("r/a/b", 0755);
	mkdir("r/ab", 0755);
	CHECK(inotifytools_watch_recursively("r", IN_ALL_EVENTS) == 1);
	wd[0] = inotifytools_wd_from_filename("r/");
	wd[1] = inotifytools_wd_from_filename("r/a/");
	wd[2] = inotifytools_wd_from_filename("r/a/b/");
	wd[3] = inotifytools_wd_from_filename("r/ab/");
	CHECK(wd[0] > 0 && wd[1] > 0 && wd[2] > 0 && wd[3] > 0);
	CHECK(inotifytools_get_num_watches() == 4);
}

static void check_tree(const int *wd, const char *r, const char *a,
		       const char *b, const char *ab)
{
	CHECK_STR(inotifytools_filename_from_wd(wd[0]), r);
	CHECK_STR(inotifytools_filename_from_wd(wd[1]), a);
	CHECK_STR(inotifytools_filename_from_wd(wd[2]), b);
	CHECK_STR(inotifytools_filename_from_wd(wd[3]), ab);
}

static void test_replace(void)
{
	int wd[4];

	tree(wd);
	inotifytools_replace_filename("r/a/", "r/x/");
	check_tree(wd, "r/", "r/x/", "r/x/b/", "r/ab/");
	CHECK(inotifytools_wd_from_filename("r/x/b/") == wd[2]);
	CHECK(inotifytools_wd_from_filename("r/a/b/") == -1);
	inotifytools_replace_filename("r/x", "r/y");
	check_tree(wd, "r/", "r/y/", "r/y/b/", "r/ab/");
	/* every name below, where upstream skips some (it rewrites the tree
	 * it walks) */
	inotifytools_replace_filename("r/", "s/");
	check_tree(wd, "s/", "s/y/", "s/y/b/", "s/ab/");
	CHECK(inotifytools_wd_from_filename("s/y/b/") == wd[2]);
	inotifytools_replace_filename("nothing/", "x/");
	CHECK(inotifytools_get_num_watches() == 4);
	inotifytools_cleanup();
	/* a plain prefix, as upstream: r/a also matches r/ab/ */
	tree(wd);
	inotifytools_replace_filename("r/a", "r/q");
	check_tree(wd, "r/", "r/q/", "r/q/b/", "r/qb/");
	CHECK(inotifytools_wd_from_filename("r/qb/") == wd[3]);
	inotifytools_cleanup();
}

static void test_set_filename(void)
{
	int wd[4];

	/* one watch renamed; its subdirectories keep their names */
	tree(wd);
	inotifytools_set_filename_by_wd(wd[1], "r/s/");
	check_tree(wd, "r/", "r/s/", "r/a/b/", "r/ab/");
	/* and found by the new name (upstream: not) */
	CHECK(inotifytools_wd_from_filename("r/s/") == wd[1]);
	CHECK(inotifytools_wd_from_filename("r/a/") == -1);
	CHECK(inotifytools_wd_from_filename("r/a/b/") == wd[2]);
	inotifytools_set_filename_by_wd(9999, "r/z/");
	CHECK(inotifytools_get_num_watches() == 4);
	inotifytools_cleanup();
	tree(wd);
	inotifytools_set_filename_by_filename("r/a/", "r/t/");
	check_tree(wd, "r/", "r/t/", "r/a/b/", "r/ab/");
	CHECK(inotifytools_wd_from_filename("r/t/") == wd[1]);
	CHECK(inotifytools_wd_from_filename("r/a/") == -1);
	inotifytools_set_filename_by_filename("nothing/", "r/z/");
	CHECK(inotifytools_get_num_watches() == 4);
	inotifytools_cleanup();
}

static void test_stats(void)
{
	struct inotify_event *ev;
	int wd;

	inotifytools_initialize();
	CHECK(inotifytools_get_stat_total(0) == -1);
	inotifytools_initialize_stats();
	inotifytools_watch_file("d", IN_CREATE | IN_DELETE);
	wd = inotifytools_wd_from_filename("d/");
	touch("d/f");
	ev = inotifytools_next_event(1);
	CHECK(ev && ev->mask == IN_CREATE);
	CHECK(inotifytools_get_stat_by_wd(wd, IN_CREATE) == 1);
	CHECK(inotifytools_get_stat_by_wd(wd, 0) == 1);
	CHECK(inotifytools_get_stat_by_wd(wd, IN_CLOSE) == -1);
	CHECK(inotifytools_get_stat_by_filename("d/", IN_CREATE) == 1);
	CHECK(inotifytools_get_stat_by_filename("d", IN_CREATE) == -1);
	CHECK(inotifytools_get_stat_total(IN_CREATE) == 1);
	CHECK(inotifytools_get_stat_total(IN_MODIFY | IN_CREATE) == -1);
	CHECK(inotifytools_remove_watch_by_wd(wd) == 1);
	/* a removed watch has no statistics; the totals keep its events */
	CHECK(inotifytools_get_stat_by_wd(wd, IN_CREATE) == -1);
	CHECK(inotifytools_get_stat_by_filename("d/", 0) == -1);
	CHECK(inotifytools_get_stat_total(0) == 1);
	ev = inotifytools_next_event(1);
	CHECK(ev && ev->mask == IN_IGNORED);
	/* (not counted: it is no longer any watch's event) */
	CHECK(inotifytools_get_stat_total(0) == 1);
	inotifytools_watch_file("d", IN_CREATE);
	wd = inotifytools_wd_from_filename("d/");
	CHECK(inotifytools_get_stat_by_wd(wd, 0) == 0);
	inotifytools_initialize_stats();
	CHECK(inotifytools_get_stat_total(0) == 0);
	CHECK(inotifytools_get_stat_by_wd(9999, 0) == -1);
	inotifytools_cleanup();
	unlink("d/f");
}

static void test_watch_files(void)
{
	const char *names[] = { "a", "nonexistent", "b", NULL };
	const char *none[] = { NULL };

	inotifytools_initialize();
	mkdir("a", 0755);
	mkdir("b", 0755);
	/* the first failure stops the list; earlier watches stay */
	CHECK(inotifytools_watch_files(names, IN_ALL_EVENTS) == 0);
	CHECK(inotifytools_error() == ENOENT);
	CHECK(inotifytools_wd_from_filename("a/") > 0);
	CHECK(inotifytools_wd_from_filename("b/") == -1);
	CHECK(inotifytools_get_num_watches() == 1);
	CHECK(inotifytools_watch_files(none, IN_ALL_EVENTS) == 1);
	CHECK(inotifytools_error() == 0);
	CHECK(inotifytools_watch_file("a", IN_ALL_EVENTS) == 1);
	CHECK(inotifytools_get_num_watches() == 1);
	CHECK(inotifytools_watch_file("a/../f", IN_ALL_EVENTS) == 1);
	CHECK(inotifytools_wd_from_filename("a/../f") > 0);
	CHECK(inotifytools_watch_recursively("nonexistent", IN_ALL_EVENTS) ==
	      0);
	CHECK(inotifytools_error() == ENOENT);
	CHECK(inotifytools_watch_file("b", 0) == 0);
	CHECK(inotifytools_error() == EINVAL);
	inotifytools_cleanup();
}

/* snprintf of a MODIFY event on d/f into a buffer of '#'. */
static int fmt(struct nstring *out, int size, const char *f)
{
	struct {
		struct inotify_event ev;
		char name[16];
	} e = { .ev = { .mask = IN_MODIFY, .len = 16 } };

	e.ev.wd = inotifytools_wd_from_filename("d/");
	strcpy(e.ev.name, "f");
	memset(out->buf, '#', sizeof(out->buf));
	out->len = 12345;
	return inotifytools_snprintf(out, size, &e.ev, f);
}

static void test_snprintf(void)
{
	struct nstring out;
	char big[5000];

	inotifytools_initialize();
	inotifytools_watch_file("d", IN_ALL_EVENTS);
	/* directives stop at size - 1, one may run on; len says how far */
	CHECK(fmt(&out, 10, "Event %e %w%f") == 11 && out.len == 12);
	CHECK(!memcmp(out.buf, "Event MODI##", 12));
	CHECK(fmt(&out, 0, "Event %e") == -1 && out.len == 0);
	CHECK(fmt(&out, 1, "Event %e") == -1 && out.len == 0);
	CHECK(out.buf[0] == '\0'); /* upstream: '#' (no NUL) */
	CHECK(fmt(&out, 2, "Event %e") == 0 && out.len == 1);
	CHECK(!memcmp(out.buf, "E", 2));
	CHECK(fmt(&out, 7, "Event %e") == 5 && out.len == 6);
	CHECK(!memcmp(out.buf, "Event ", 7));
	CHECK(fmt(&out, 4096, "Event %e %w%f") == 15 && out.len == 16);
	CHECK_STR(out.buf, "Event MODIFY d/f");
	CHECK(fmt(&out, 4097, "Event %e") == -1 && out.len == 12345);
	CHECK(inotifytools_error() == EMSGSIZE);
	CHECK(fmt(&out, -1, "Event %e") == -1 && out.len == 0);
	CHECK(inotifytools_error() == EMSGSIZE);
	CHECK(fmt(&out, 100, "") == -1 && out.len == 12345);
	CHECK(inotifytools_error() == EINVAL);
	/* a trailing '%': what came before, len not updated */
	CHECK(fmt(&out, 100, "%") == 0 && out.len == 12345);
	CHECK(fmt(&out, 100, "x%") == 1 && out.len == 12345);
	CHECK(!memcmp(out.buf, "x", 2));
	CHECK(fmt(&out, 100, "%w%f%") == 3 && !memcmp(out.buf, "d/f", 4));
	CHECK(fmt(&out, 100, "%z%%%:e%ee") == 15 && out.len == 16);
	CHECK(!memcmp(out.buf, "%z%MODIFYMODIFYe", 17));
	CHECK(inotifytools_error() == 0);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	CHECK(fmt(&out, 100, big) == -1 && inotifytools_error() == EMSGSIZE);
	inotifytools_set_printf_timefmt(NULL);
	CHECK(fmt(&out, 100, "[%T]") == 1 && !memcmp(out.buf, "[]", 3));
	inotifytools_cleanup();
}

static void test_helpers(void)
{
	struct inotify_event ev = { .wd = 9999, .mask = IN_CREATE };
	const char *name = "unset";
	size_t len = 77;

	inotifytools_initialize();
	CHECK_STR(inotifytools_event_to_str(0), "0x00000000");
	CHECK_STR(inotifytools_event_to_str(0x10000000), "0x10000000");
	CHECK_STR(inotifytools_event_to_str(IN_CLOSE_WRITE | IN_ISDIR),
		  "CLOSE_WRITE,CLOSE,ISDIR");
	CHECK_STR(
		inotifytools_event_to_str_sep(IN_MOVED_FROM | IN_ONESHOT, ':'),
		"MOVED_FROM:ONESHOT");
	CHECK_STR(inotifytools_filename_from_watch(NULL), "");
	CHECK_STR(inotifytools_filename_from_wd(0), "");
	CHECK_STR(inotifytools_filename_from_wd(-1), "");
	CHECK_STR(inotifytools_dirname_from_event(&ev, &len), "");
	CHECK(len == 0);
	/* upstream crashes on a NULL length */
	CHECK_STR(inotifytools_dirname_from_event(&ev, NULL), "");
	CHECK_STR(inotifytools_filename_from_event(&ev, &name, &len), "");
	CHECK_STR(name, "");
	CHECK(inotifytools_dirpath_from_event(&ev) == NULL);
	CHECK(inotifytools_str_to_event("open,") == 0);
	CHECK(inotifytools_str_to_event("foo") == -1);
	CHECK(inotifytools_str_to_event_sep("modify", 'a') == -1);
	CHECK(inotifytools_ignore_events_by_regex("(", REG_EXTENDED) == 0);
	CHECK(inotifytools_error() == EINVAL);
	CHECK(inotifytools_ignore_events_by_regex(NULL, 0) == 1);
	/* upstream reads a file that does not exist: -1 */
	CHECK(inotifytools_get_max_queued_events() > 0);
	inotifytools_cleanup();
}

/* The names of the rows of inotifytools_wd_sorted_by_event(), in order. */
static void check_sorted(int sort_event, const char *want)
{
	struct rbtree *t = inotifytools_wd_sorted_by_event(sort_event);
	RBLIST *l = rbopenlist(t);
	const void *w;
	char got[256] = "";

	while ((w = rbreadlist(l))) {
		strcat(got, " ");
		strcat(got, inotifytools_filename_from_watch(
				    (struct watch *)(uintptr_t)w));
	}
	rbcloselist(l);
	rbdestroy(t);
	CHECK_STR(got, want);
}

static void test_sorted(void)
{
	const struct it_compat_watch *u;
	struct rbtree *t;
	RBLIST *l;

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
	while (inotifytools_next_event(1))
		;
	/* ties in upstream's wd order: a tree's children before it */
	check_sorted(-1, " s/ s/x/ s/y/");
	check_sorted(0, " s/x/ s/y/ s/");
	check_sorted(IN_CREATE, " s/y/ s/x/ s/");
	check_sorted(-IN_CREATE, " s/ s/x/ s/y/");
	check_sorted(IN_MODIFY, " s/x/ s/ s/y/");
	check_sorted(-IN_MODIFY, " s/y/ s/x/ s/");
	check_sorted(IN_DELETE, " s/x/ s/y/ s/");
	/* the counters, where upstream's inotifywatch reads them */
	t = inotifytools_wd_sorted_by_event(-1);
	l = rbopenlist(t);
	u = rbreadlist(l);
	CHECK(u && u->hit[8] == 3 && u->hit[1] == 0 && u->hit[13] == 3);
	CHECK(u && u->wd == (unsigned long)inotifytools_wd_from_filename("s/"));
	rbcloselist(l);
	rbdestroy(t);
	/* removed watches have no row; no counter is no order */
	inotifytools_remove_watch_by_filename("s/x/");
	check_sorted(-1, " s/ s/y/");
	CHECK(inotifytools_wd_sorted_by_event(IN_CLOSE) == NULL);
	CHECK(inotifytools_error() == EINVAL);
	CHECK(rbopenlist(NULL) == NULL && rbreadlist(NULL) == NULL);
	rbcloselist(NULL);
	rbdestroy(NULL);
	inotifytools_cleanup();
}

int main(void)
{
	char dir[] = "/tmp/it-compat-XXXXXX", cmd[64];

	if (!mkdtemp(dir) || chdir(dir) < 0) {
		perror(dir);
		return 1;
	}
	mkdir("d", 0755);
	touch("f");
	test_before_init();
	test_reinit();
	test_remove_readd();
	test_replace();
	test_set_filename();
	test_stats();
	test_watch_files();
	test_snprintf();
	test_helpers();
	test_sorted();
	if (chdir("/") == 0) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", dir);
	}
	return unit_report("test_compat");
}
