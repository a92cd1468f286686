/* abi_client.c: a program that knows only the public header; it watches a
 * directory, waits for one event and prints it, like upstream's example. */
#include <inotifytools/inotify.h>
#include <inotifytools/inotifytools.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	struct inotify_event *ev;

	if (argc != 2) {
		fprintf(stderr, "usage: abi_client DIR\n");
		return 2;
	}
	if (!inotifytools_initialize() ||
	    !inotifytools_watch_recursively(argv[1], IN_ALL_EVENTS)) {
		fprintf(stderr, "%s\n", "cannot watch");
		return 1;
	}
	inotifytools_set_printf_timefmt("%F");
	fprintf(stderr, "watches: %d\n", inotifytools_get_num_watches());
	ev = inotifytools_next_event(10);
	if (!ev)
		return 1;
	inotifytools_printf(ev, "%w%f %e\n");
	inotifytools_cleanup();
	return 0;
}
