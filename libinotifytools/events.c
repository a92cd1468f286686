/* events.c: conversions between event names and masks, driven by one table. */
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
 * Output order of names is the table order; the CLOSE and MOVE rows cover
 * two bits each and are printed only where noted in it_event_names().
 */
const struct it_event it_events[] = {
	{ "access", IN_ACCESS, "\tfile or directory contents were read", 0, 0 },
	{ "modify", IN_MODIFY, "\tfile or directory contents were written", 1,
	  1 },
	{ "attrib", IN_ATTRIB, "\tfile or directory attributes changed", 2, 2 },
	{ "close_write", IN_CLOSE_WRITE, H_CLOSE_WRITE, 3, 3 },
	{ "close_nowrite", IN_CLOSE_NOWRITE, H_CLOSE_NOWRITE, 4, 4 },
	{ "close", IN_CLOSE,
	  "\tfile or directory closed, regardless of read/write mode", -1, -1 },
	{ "open", IN_OPEN, "\tfile or directory opened", 5, 5 },
	{ "moved_to", IN_MOVED_TO,
	  "file or directory moved to watched directory", 7, 7 },
	{ "moved_from", IN_MOVED_FROM,
	  "file or directory moved from watched directory", 6, 6 },
	{ "move", IN_MOVE,
	  "\tfile or directory moved to or from watched directory", -1, -1 },
	{ "move_self", IN_MOVE_SELF, "\tA watched file or directory was moved.",
	  8, 8 },
	{ "create", IN_CREATE,
	  "\tfile or directory created within watched directory", 9, 9 },
	{ "delete", IN_DELETE,
	  "\tfile or directory deleted within watched directory", 10, 10 },
	{ "delete_self", IN_DELETE_SELF, "file or directory was deleted", 11,
	  11 },
	{ "unmount", IN_UNMOUNT,
	  "\tfile system containing file or directory unmounted", 12, 12 },
	{ "q_overflow", IN_Q_OVERFLOW, NULL, -1, -1 },
	{ "ignored", IN_IGNORED, NULL, -1, -1 },
	{ "isdir", IN_ISDIR, NULL, -1, -1 },
	{ "oneshot", IN_ONESHOT, NULL, -1, -1 },
	{ "all_events", IN_ALL_EVENTS, NULL, -1, -1 },
};
const size_t it_nevents = sizeof(it_events) / sizeof(it_events[0]);

/* The order in which names of a mask are printed (upstream's order). */
static const uint32_t print_order[] = {
	IN_ACCESS,	  IN_MODIFY,  IN_ATTRIB,      IN_CLOSE_WRITE,
	IN_CLOSE_NOWRITE, IN_OPEN,    IN_MOVED_FROM,  IN_MOVED_TO,
	IN_CREATE,	  IN_DELETE,  IN_DELETE_SELF, IN_UNMOUNT,
	IN_Q_OVERFLOW,	  IN_IGNORED, IN_CLOSE,	      IN_MOVE_SELF,
	IN_ISDIR,	  IN_ONESHOT,
};

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
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(print_order) / sizeof(*print_order);
	     i++) {
		uint32_t bit = print_order[i];
		const struct it_event *e = by_mask(bit);
		const char *name = e ? e->name : "";

		if (bit == IN_CLOSE ? !(mask & bit) : (mask & bit) != bit)
			continue;
		for (size_t j = 0; name[j] && len + 2 < size; j++)
			buf[len++] = (char)toupper((unsigned char)name[j]);
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
	for (size_t i = 0; i < it_nevents; i++)
		if (it_events[i].column == column)
			return &it_events[i];
	return NULL;
}
