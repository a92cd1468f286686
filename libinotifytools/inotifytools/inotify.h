/* inotifytools/inotify.h: the inotify definitions used with libinotifytools. */
#ifndef INOTIFYTOOLS_INOTIFY_H
#define INOTIFYTOOLS_INOTIFY_H 1

#include <sys/inotify.h>

#endif /* INOTIFYTOOLS_INOTIFY_H */
