/* events.h: the one table of event names, masks, help texts and counters. */
#ifndef IT_EVENTS_H
#define IT_EVENTS_H

#include <stddef.h>
#include <stdint.h>

/* One row per event name; the table order is the output order of names. */
struct it_event {
	const char *name; /* lower case, as accepted by -e */
	uint32_t mask;
	const char *help; /* help text after "\t<name>", NULL: not listed */
	int stat;	  /* index into the per-watch counters, or -1 */
	int column;	  /* inotifywatch column order, or -1 */
};

/* Number of per-watch counters (IT_STAT_TOTAL is the last one). */
#define IT_NSTATS 14
#define IT_STAT_TOTAL (IT_NSTATS - 1)

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
/* Table row of a counted single-bit event by column position, NULL past end. */
const struct it_event *it_event_column(int column);

#endif
