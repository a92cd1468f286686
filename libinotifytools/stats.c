/* stats.c: event counters per watch and in total; it never drops an event. */
#include "config.h"

#include "ctx.h"

#include <stdlib.h>
#include <string.h>

void it_stats_record(struct it_ctx *c, const struct inotify_event *ev)
{
	struct watch *w = it_wtab_by_wd(&c->tab, ev->wd);
	unsigned *counts;

	if (!w || !(counts = it_wtab_counts(&c->tab, w, 1)))
		return;
	counts[IT_STAT_TOTAL]++;
	c->totals[IT_STAT_TOTAL]++;
	for (uint32_t bits = ev->mask; bits; bits &= bits - 1) {
		int i = it_event_stat_index(bits & -bits);

		if (i >= 0 && i != IT_STAT_TOTAL) {
			counts[i]++;
			c->totals[i]++;
		}
	}
}

int it_stats_get(struct it_ctx *c, struct watch *w, uint32_t event)
{
	int i = it_event_stat_index(event);
	const unsigned *counts;

	if (!c->stats || i < 0)
		return -1;
	if (!w)
		return (int)c->totals[i];
	counts = it_wtab_counts(&c->tab, w, 0);
	return counts ? (int)counts[i] : 0;
}

void it_stats_reset(struct it_ctx *c)
{
	struct watch *w;
	uint32_t i = 0;

	while ((w = it_wtab_live(&c->tab, &i)))
		it_wtab_drop_counts(&c->tab, w);
	memset(c->totals, 0, sizeof(c->totals));
	c->stats = 1;
}
