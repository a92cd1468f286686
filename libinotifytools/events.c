/* events.c: the event table and its conversions; a leaf, it knows no watch. */
#include "config.h"

#include "events.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/inotify.h>

#define H_CLOSE_WRITE                                                          \
	"file or directory closed, after being opened in\n"                    \
	"\t           \twritable mode"
#define H_CLOSE_NOWRITE                                                        \
	"file or directory closed, after being opened in\n"                    \
	"\t           \tread-only mode"

/*
 * The --help order. The last column is a name's place among the names of
 * a mask (it_event_names(), upstream's order), where CLOSE stands for
 * either of its bits; MOVE and ALL_EVENTS are never printed.
 */
const struct it_event it_events[] = {
	{ "access", IN_ACCESS, "\tfile or directory contents were read",
	  IT_STAT_ACCESS, 0 },
	{ "modify", IN_MODIFY, "\tfile or directory contents were written",
	  IT_STAT_MODIFY, 1 },
	{ "attrib", IN_ATTRIB, "\tfile or directory attributes changed",
	  IT_STAT_ATTRIB, 2 },
	{ "close_write", IN_CLOSE_WRITE, H_CLOSE_WRITE, IT_STAT_CLOSE_WRITE,
	  3 },
	{ "close_nowrite", IN_CLOSE_NOWRITE, H_CLOSE_NOWRITE,
	  IT_STAT_CLOSE_NOWRITE, 4 },
	{ "close", IN_CLOSE,
	  "\tfile or directory closed, regardless of read/write mode", -1, 14 },
	{ "open", IN_OPEN, "\tfile or directory opened", IT_STAT_OPEN, 5 },
	{ "moved_to", IN_MOVED_TO,
	  "file or directory moved to watched directory", IT_STAT_MOVED_TO, 7 },
	{ "moved_from", IN_MOVED_FROM,
	  "file or directory moved from watched directory", IT_STAT_MOVED_FROM,
	  6 },
	{ "move", IN_MOVE,
	  "\tfile or directory moved to or from watched directory", -1, -1 },
	{ "move_self", IN_MOVE_SELF, "\tA watched file or directory was moved.",
	  IT_STAT_MOVE_SELF, 15 },
	{ "create", IN_CREATE,
	  "\tfile or directory created within watched directory",
	  IT_STAT_CREATE, 8 },
	{ "delete", IN_DELETE,
	  "\tfile or directory deleted within watched directory",
	  IT_STAT_DELETE, 9 },
	{ "delete_self", IN_DELETE_SELF, "file or directory was deleted",
	  IT_STAT_DELETE_SELF, 10 },
	{ "unmount", IN_UNMOUNT,
	  "\tfile system containing file or directory unmounted",
	  IT_STAT_UNMOUNT, 11 },
	{ "q_overflow", IN_Q_OVERFLOW, NULL, -1, 12 },
	{ "ignored", IN_IGNORED, NULL, -1, 13 },
	{ "isdir", IN_ISDIR, NULL, -1, 16 },
	{ "oneshot", IN_ONESHOT, NULL, -1, 17 },
	{ "all_events", IN_ALL_EVENTS, NULL, -1, -1 },
};

#define NEVENTS (sizeof(it_events) / sizeof(it_events[0]))
const size_t it_nevents = NEVENTS;

const struct it_event *it_event_by_name(const char *name)
{
	for (size_t i = 0; i < it_nevents; i++)
		if (strcasecmp(name, it_events[i].name) == 0)
			return &it_events[i];
	return NULL;
}

static const struct it_event *by_mask(uint32_t mask)
{
	for (size_t i = 0; i < it_nevents; i++)
		if (it_events[i].mask == mask)
			return &it_events[i];
	return NULL;
}

int it_event_parse(const char *list, char sep)
{
	char name[64];
	int mask = 0;

	if ((sep >= 'a' && sep <= 'z') || (sep >= 'A' && sep <= 'Z') ||
	    sep == '_')
		return -1;
	for (const char *p = list;;) {
		const char *end = sep ? strchr(p, sep) : NULL;
		size_t n = end ? (size_t)(end - p) : strlen(p);
		const struct it_event *e;

		if (n == 0)
			return 0;
		if (n >= sizeof(name))
			return -1;
		memcpy(name, p, n);
		name[n] = '\0';
		if (!(e = it_event_by_name(name)))
			return -1;
		mask |= (int)e->mask;
		if (!end)
			return mask;
		p = end + 1;
	}
}

char *it_event_names(uint32_t mask, char sep, char *buf, size_t size)
{
	const char *at[NEVENTS] = { NULL }; /* names by place */
	size_t len = 0;

	for (size_t i = 0; i < NEVENTS; i++)
		if (it_events[i].print >= 0 && (mask & it_events[i].mask))
			at[it_events[i].print] = it_events[i].name;
	buf[0] = '\0';
	for (size_t i = 0; i < NEVENTS; i++) {
		if (!at[i])
			continue;
		for (size_t j = 0; at[i][j] && len + 2 < size; j++)
			buf[len++] = (char)toupper((unsigned char)at[i][j]);
		if (len + 1 < size)
			buf[len++] = sep;
	}
	if (len == 0)
		snprintf(buf, size, "0x%08x", mask);
	else
		buf[len - 1] = '\0';
	return buf;
}

int it_event_stat_index(uint32_t bit)
{
	const struct it_event *e;

	if (bit == 0)
		return IT_STAT_TOTAL;
	e = by_mask(bit);
	return e ? e->stat : -1;
}

const struct it_event *it_event_column(int column)
{
	for (size_t i = 0; i < NEVENTS; i++)
		if (column >= 0 && it_events[i].stat == column)
			return &it_events[i];
	return NULL;
}
