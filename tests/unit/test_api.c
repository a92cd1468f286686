/* test_api.c: the public API against real inotify in a temporary tree. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/inotify.h>
#include <regex.h>
#include <sys/stat.h>
#include <unistd.h>

#include "inotifytools/inotifytools.h"
#include "unit.h"

static char root[64];

static void path(char *buf, const char *rel)
{
	snprintf(buf, 256, "%s/%s", root, rel);
}

static void touch(const char *rel)
{
	char p[256];
	int fd;

	path(p, rel);
	fd = open(p, O_WRONLY | O_CREAT, 0644);
	if (fd >= 0)
		close(fd);
}

static void test_watch_and_read(void)
{
	char p[256], want[256];
	struct inotify_event *ev;
	int wd;

	CHECK(inotifytools_initialize());
	CHECK(inotifytools_initialize()); /* idempotent */
	CHECK(inotifytools_watch_file(root, IN_CREATE | IN_DELETE));
	wd = inotifytools_wd_from_filename(root);
	CHECK(wd == -1); /* directories are stored with a '/' */
	snprintf(want, sizeof(want), "%s/", root);
	wd = inotifytools_wd_from_filename(want);
	CHECK(wd > 0);
	CHECK_STR(inotifytools_filename_from_wd(wd), want);
	CHECK_STR(inotifytools_filename_from_wd(wd + 1000), "");
	CHECK(inotifytools_get_num_watches() == 1);

	touch("f1");
	ev = inotifytools_next_event(5);
	CHECK(ev && ev->wd == wd && ev->mask == IN_CREATE);
	CHECK(ev && !strcmp(ev->name, "f1"));
	/* a timeout returns NULL with no error */
	CHECK(inotifytools_next_event(1) == NULL && inotifytools_error() == 0);
	CHECK(inotifytools_next_events(0, 1) == NULL);

	path(p, "nonexistent");
	CHECK(!inotifytools_watch_file(p, IN_ALL_EVENTS));
	CHECK(inotifytools_error() == ENOENT);
}

static void test_filter_and_stats(void)
{
	struct inotify_event *ev;

	inotifytools_initialize_stats();
	CHECK(inotifytools_ignore_events_by_regex("skip", REG_EXTENDED));
	CHECK(!inotifytools_ignore_events_by_regex("(", REG_EXTENDED));
	CHECK(inotifytools_ignore_events_by_regex("skip", REG_EXTENDED));
	touch("skip1");
	touch("keep1");
	ev = inotifytools_next_event(5);
	CHECK(ev && !strcmp(ev->name, "keep1"));
	CHECK(inotifytools_get_stat_total(IN_CREATE) == 1);
	CHECK(inotifytools_get_stat_total(0) == 1);
	CHECK(inotifytools_get_stat_total(IN_CLOSE) == -1);
	CHECK(inotifytools_get_stat_by_wd(ev->wd, IN_CREATE) == 1);
	CHECK(inotifytools_get_stat_by_wd(ev->wd, IN_DELETE) == 0);
	CHECK(inotifytools_get_stat_by_wd(12345, IN_CREATE) == -1);
	CHECK(inotifytools_ignore_events_by_regex(NULL, 0));
}

static void test_recursive_and_rename(void)
{
	char p[256], q[256], want[256];
	struct inotify_event *ev;
	int wd;

	path(p, "t");
	mkdir(p, 0755);
	path(p, "t/a");
	mkdir(p, 0755);
	path(p, "t/a/b");
	mkdir(p, 0755);
	path(p, "t");
	CHECK(inotifytools_watch_recursively(p, IN_ALL_EVENTS));
	CHECK(inotifytools_get_num_watches() == 4);
	snprintf(want, sizeof(want), "%s/t/a/b/", root);
	wd = inotifytools_wd_from_filename(want);
	CHECK(wd > 0);
	path(p, "t/a");
	path(q, "t/a2");
	CHECK(rename(p, q) == 0);
	while ((ev = inotifytools_next_event(1)) && !(ev->mask & IN_MOVED_TO))
		;
	CHECK(ev != NULL);
	/* the library followed the rename: the subtree has its new name */
	snprintf(want, sizeof(want), "%s/t/a2/b/", root);
	CHECK_STR(inotifytools_filename_from_wd(wd), want);
	CHECK(inotifytools_wd_from_filename(want) == wd);
	inotifytools_replace_filename(want, "renamed/");
	CHECK_STR(inotifytools_filename_from_wd(wd), "renamed/");
	inotifytools_set_filename_by_wd(wd, "again/");
	CHECK(inotifytools_wd_from_filename("again/") == wd);
	CHECK(inotifytools_remove_watch_by_wd(wd));
	CHECK(inotifytools_wd_from_filename("again/") == -1);
	CHECK(inotifytools_remove_watch_by_filename("not/watched/"));
}

static void test_event_helpers(void)
{
	struct {
		struct inotify_event e;
		char name[16];
	} b = { { .wd = 1, .mask = IN_CREATE | IN_ISDIR, .len = 16 }, "sub" };
	const char *name, *dir;
	size_t len;
	char *dp;

	dir = inotifytools_filename_from_event(&b.e, &name, &len);
	CHECK(len == strlen(dir));
	CHECK_STR(name, "sub");
	dp = inotifytools_dirpath_from_event(&b.e);
	CHECK(dp && strlen(dp) == len + 4 && !strcmp(dp + len, "sub/"));
	free(dp);
	b.e.mask = IN_CREATE;
	CHECK(inotifytools_dirpath_from_event(&b.e) == NULL);
	CHECK_STR(inotifytools_event_to_str(IN_MODIFY | IN_OPEN),
		  "MODIFY,OPEN");
	CHECK_STR(inotifytools_event_to_str_sep(IN_CLOSE_WRITE, '-'),
		  "CLOSE_WRITE-CLOSE");
	CHECK(inotifytools_str_to_event("open,close") == (IN_OPEN | IN_CLOSE));
	CHECK(inotifytools_str_to_event_sep("open|create", '|') ==
	      (IN_OPEN | IN_CREATE));
	CHECK_STR(inotifytools_filename_from_watch(NULL), "");
	CHECK(inotifytools_get_max_user_watches() > 0);
	CHECK(inotifytools_get_max_user_instances() > 0);
	CHECK(inotifytools_get_max_queued_events() > 0);
}

int main(void)
{
	char cmd[128];

	snprintf(root, sizeof(root), "/tmp/it-api-XXXXXX");
	if (!mkdtemp(root)) {
		perror("mkdtemp");
		return 1;
	}
	test_watch_and_read();
	test_filter_and_stats();
	test_recursive_and_rename();
	test_event_helpers();
	inotifytools_cleanup();
	/* after cleanup the library starts afresh */
	CHECK(inotifytools_initialize());
	CHECK(inotifytools_get_num_watches() == 0);
	inotifytools_cleanup();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", root);
	return unit_report("test_api");
}
