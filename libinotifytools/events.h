/* events.h: the one table of event names, masks, help texts and counters. */
#ifndef IT_EVENTS_H
#define IT_EVENTS_H

#include <stddef.h>
#include <stdint.h>

/* The per-watch counters, in inotifywatch's column order. */
enum it_stat {
	IT_STAT_ACCESS,
	IT_STAT_MODIFY,
	IT_STAT_ATTRIB,
	IT_STAT_CLOSE_WRITE,
	IT_STAT_CLOSE_NOWRITE,
	IT_STAT_OPEN,
	IT_STAT_MOVED_FROM,
	IT_STAT_MOVED_TO,
	IT_STAT_MOVE_SELF,
	IT_STAT_CREATE,
	IT_STAT_DELETE,
	IT_STAT_DELETE_SELF,
	IT_STAT_UNMOUNT,
	IT_STAT_TOTAL, /* every event, whatever its bits */
	IT_NSTATS      /* the number of counters */
};

/*
 * One row per event name, in the order --help lists them. A mask's names
 * are printed in upstream's order instead, each row giving its place.
 */
struct it_event {
	const char *name; /* lower case, as accepted by -e */
	uint32_t mask;
	const char *help; /* help text after "\t<name>", NULL: not listed */
	int stat;	  /* its counter (enum it_stat), or -1 */
	int print;	  /* its place among a mask's names, or -1: never */
};

/* Every event the kernel reports that users may ask for. */
#define IT_ALL_EVENTS 0x00000fffu

extern const struct it_event it_events[];
extern const size_t it_nevents;

/* Parse a separated list of names; 0 if an element is empty, -1 if unknown. */
int it_event_parse(const char *list, char sep);
/* Write the names of mask joined by sep into buf (size >= 256). */
char *it_event_names(uint32_t mask, char sep, char *buf, size_t size);
/* Counter index of a single event bit, IT_STAT_TOTAL for 0, -1 otherwise. */
int it_event_stat_index(uint32_t bit);
/* Table row of a single event by name, NULL if unknown. */
const struct it_event *it_event_by_name(const char *name);
/* Table row of the counter column (enum it_stat), NULL past the last
 * event counter. */
const struct it_event *it_event_column(int column);

#endif
