/* abi_client.c: a program that knows only the public header; it watches a
 * directory, waits for one event and prints it, like upstream's example.
 * A second argument "fanotify" or "filesystem" selects that backend. */
#include <inotifytools/inotify.h>
#include <inotifytools/inotifytools.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	struct inotify_event *ev;
	int fan = argc == 3 && !strcmp(argv[2], "fanotify");
	int fs = argc == 3 && !strcmp(argv[2], "filesystem");

	if (argc != 2 && !fan && !fs) {
		fprintf(stderr,
			"usage: abi_client DIR [fanotify|filesystem]\n");
		return 2;
	}
	if (!(argc == 2 ? inotifytools_initialize()
			: inotifytools_init(fan, fs, 0)) ||
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
