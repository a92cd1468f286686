/* test_events.c: event names to masks and back, driven by the one table. */
#include "config.h"

#include <sys/inotify.h>

#include "events.h"
#include "unit.h"

static void test_parse(void)
{
	CHECK(it_event_parse("modify", ',') == IN_MODIFY);
	CHECK(it_event_parse("MODIFY", ',') == IN_MODIFY);
	CHECK(it_event_parse("modify,create", ',') == (IN_MODIFY | IN_CREATE));
	CHECK(it_event_parse("close", ',') == IN_CLOSE);
	CHECK(it_event_parse("move", ',') == IN_MOVE);
	CHECK(it_event_parse("all_events", ',') == IN_ALL_EVENTS);
	CHECK(it_event_parse("isdir", ',') == (int)IN_ISDIR);
	CHECK(it_event_parse("q_overflow,ignored", ',') ==
	      (IN_Q_OVERFLOW | IN_IGNORED));
	CHECK(it_event_parse("modify:open", ':') == (IN_MODIFY | IN_OPEN));
	/* an empty element gives 0, an unknown name -1 */
	CHECK(it_event_parse(",open", ',') == 0);
	CHECK(it_event_parse("open,", ',') == 0);
	CHECK(it_event_parse("access,,open", ',') == 0);
	/* elements are checked left to right */
	CHECK(it_event_parse("foo,,modify", ',') == -1);
	CHECK(it_event_parse(",foo", ',') == 0);
	CHECK(it_event_parse(",", ',') == 0);
	CHECK(it_event_parse("", ',') == 0);
	CHECK(it_event_parse("modify,foo", ',') == -1);
	CHECK(it_event_parse("dont_follow", ',') == -1);
	CHECK(it_event_parse("modify", 'x') == -1);
	CHECK(it_event_parse("modify", '_') == -1);
}

static void test_names(void)
{
	char buf[256];

	CHECK_STR(it_event_names(IN_MODIFY, ',', buf, sizeof(buf)), "MODIFY");
	CHECK_STR(it_event_names(IN_CLOSE_WRITE, ',', buf, sizeof(buf)),
		  "CLOSE_WRITE,CLOSE");
	CHECK_STR(it_event_names(IN_CLOSE_NOWRITE | IN_ISDIR, ',', buf,
				 sizeof(buf)),
		  "CLOSE_NOWRITE,CLOSE,ISDIR");
	CHECK_STR(it_event_names(IN_CLOSE_WRITE, ':', buf, sizeof(buf)),
		  "CLOSE_WRITE:CLOSE");
	CHECK_STR(it_event_names(IN_MOVE_SELF | IN_ACCESS | IN_ONESHOT, ',',
				 buf, sizeof(buf)),
		  "ACCESS,MOVE_SELF,ONESHOT");
	CHECK_STR(it_event_names(IN_Q_OVERFLOW, ',', buf, sizeof(buf)),
		  "Q_OVERFLOW");
	CHECK_STR(it_event_names(IN_IGNORED, ',', buf, sizeof(buf)), "IGNORED");
	CHECK_STR(it_event_names(0, ',', buf, sizeof(buf)), "0x00000000");
	CHECK_STR(it_event_names(0x00004000u << 4, ',', buf, sizeof(buf)),
		  "0x00040000");
	CHECK_STR(it_event_names(IN_ALL_EVENTS, ',', buf, sizeof(buf)),
		  "ACCESS,MODIFY,ATTRIB,CLOSE_WRITE,CLOSE_NOWRITE,OPEN,"
		  "MOVED_FROM,MOVED_TO,CREATE,DELETE,DELETE_SELF,CLOSE,"
		  "MOVE_SELF");
}

static void test_table(void)
{
	/* every name parses back to its own mask */
	for (size_t i = 0; i < it_nevents; i++)
		CHECK(it_event_parse(it_events[i].name, ',') ==
		      (int)it_events[i].mask);
	/* counters: one per column, total last */
	CHECK(it_event_stat_index(0) == IT_STAT_TOTAL);
	CHECK(it_event_stat_index(IN_ACCESS) == 0);
	CHECK(it_event_stat_index(IN_UNMOUNT) == 12);
	CHECK(it_event_stat_index(IN_CLOSE) == -1);
	CHECK(it_event_stat_index(IN_ISDIR) == -1);
	CHECK_STR(it_event_column(6)->name, "moved_from");
	CHECK_STR(it_event_column(7)->name, "moved_to");
	CHECK(it_event_column(13) == NULL);
}

int main(void)
{
	test_parse();
	test_names();
	test_table();
	return unit_report("test_events");
}
