/* stats.c: event counters per watch and in total. */
#include "config.h"

#include "ctx.h"

#include <stdlib.h>
#include <string.h>

void it_stats_record(struct it_ctx *c, const struct inotify_event *ev)
{
	struct watch *w = it_wtab_by_wd(&c->tab, ev->wd);

	if (!w)
		return;
	if (!w->counts && !(w->counts = calloc(IT_NSTATS, sizeof(unsigned))))
		return;
	w->counts[IT_STAT_TOTAL]++;
	c->totals[IT_STAT_TOTAL]++;
	for (uint32_t bits = ev->mask; bits; bits &= bits - 1) {
		int i = it_event_stat_index(bits & -bits);

		if (i >= 0 && i != IT_STAT_TOTAL) {
			w->counts[i]++;
			c->totals[i]++;
		}
	}
}

int it_stats_get(const struct it_ctx *c, const struct watch *w, uint32_t event)
{
	int i = it_event_stat_index(event);

	if (!c->stats || i < 0)
		return -1;
	if (!w)
		return (int)c->totals[i];
	return w->counts ? (int)w->counts[i] : 0;
}

static void reset_one(struct watch *w, void *arg)
{
	(void)arg;
	free(w->counts);
	w->counts = NULL;
}

void it_stats_reset(struct it_ctx *c)
{
	struct watch **all = malloc((c->tab.nlive + 1) * sizeof(*all));

	if (all) {
		it_wtab_list(&c->tab, all);
		for (size_t i = 0; i < c->tab.nlive; i++)
			reset_one(all[i], NULL);
		free(all);
	}
	memset(c->totals, 0, sizeof(c->totals));
	c->stats = 1;
}
