/* inotifywatch: count filesystem events per watch and print a table. */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cli.h"

static volatile sig_atomic_t established, interrupted, stop, dump;

static void on_signal(int sig)
{
	static const char first[] =
		"No statistics have been collected because I haven't finished "
		"establishing\ninotify watches yet.  If you are sure you want "
		"me to exit, interrupt me again.\n";
	static const char second[] = "No statistics collected, asked to abort "
				     "before all watches could be "
				     "established.\n";

	if (sig == SIGUSR1) {
		dump = 1;
	} else if (established) {
		stop = 1;
	} else if (!interrupted) {
		interrupted = 1;
		(void)!write(STDERR_FILENO, first, sizeof(first) - 1);
	} else {
		(void)!write(STDERR_FILENO, second, sizeof(second) - 1);
		_exit(EXIT_FAILURE);
	}
}

/*
 * During setup only SIGINT is caught (the two-step abort); SIGUSR1 waits.
 * Once collecting, the ending signals and SIGUSR1 are caught and blocked
 * except while waiting for events (the context's sigmask).
 */
static void catch_signals(sigset_t *waitmask, int collecting)
{
	struct sigaction sa = { .sa_handler = on_signal,
				.sa_flags = SA_RESTART };
	sigset_t block;

	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	if (collecting) {
		sigaddset(&block, SIGINT);
		sigaddset(&block, SIGTERM);
		sigaddset(&block, SIGHUP);
		sigaction(SIGTERM, &sa, NULL);
		sigaction(SIGHUP, &sa, NULL);
		sigaction(SIGUSR1, &sa, NULL);
	} else {
		sigaction(SIGINT, &sa, NULL);
	}
	sigprocmask(SIG_BLOCK, &block, collecting ? NULL : waitmask);
}

static struct it_ctx *sort_ctx;

static unsigned count_of(struct watch *w, int stat)
{
	const unsigned *counts = it_wtab_counts(&sort_ctx->tab, w, 0);

	return counts ? counts[stat] : 0;
}

static const struct cli_opts *sort_opts;

static int by_key(const void *a, const void *b)
{
	struct watch *x = *(struct watch *const *)a;
	struct watch *y = *(struct watch *const *)b;
	unsigned cx = count_of(x, sort_opts->sort_stat);
	unsigned cy = count_of(y, sort_opts->sort_stat);

	uint32_t sx = it_wtab_seq(&sort_ctx->tab, x);
	uint32_t sy = it_wtab_seq(&sort_ctx->tab, y);

	if (cx != cy)
		return (cx < cy) == sort_opts->ascending ? -1 : 1;
	return sx < sy ? -1 : sx > sy;
}

/* Live and retired watches that have a row in the table. */
static struct watch **rows(struct it_ctx *c, const struct cli_opts *o,
			   size_t *n)
{
	size_t cap = c->tab.nlive + c->tab.nretired + 1, k = 0;
	struct watch **all;

	sort_ctx = c;
	/* ties in upstream's order of wds (it_wtab_number_later()) */
	it_wtab_number(&c->tab);
	if (!(all = malloc(cap * sizeof(*all))))
		return NULL;
	it_wtab_list(&c->tab, all);
	it_wtab_list_retired(&c->tab, all + c->tab.nlive);
	*n = c->tab.nlive + c->tab.nretired;
	for (size_t i = 0; i < *n; i++)
		if (o->zero || count_of(all[i], IT_STAT_TOTAL))
			all[k++] = all[i];
	*n = k;
	sort_opts = o;
	qsort(all, k, sizeof(*all), by_key);
	return all;
}

/* The first error writing standard output, 0 if none. */
static int out_err;

static void flush_out(void)
{
	if (fflush(stdout) == EOF && !out_err)
		out_err = errno ? errno : EIO;
}

/* One cell of a --csv or --json row: name is the column's heading. */
static void put_cell(struct it_buf *b, const struct cli_opts *o,
		     const char *name, unsigned v, int first)
{
	char tmp[64];

	if (o->json)
		snprintf(tmp, sizeof(tmp), ",\"%s\":%u", name, v);
	else
		snprintf(tmp, sizeof(tmp), "%s%u", first ? "" : ",", v);
	it_buf_put(b, tmp, strlen(tmp));
}

/* The table as CSV (a heading line, then a line per row) or as a JSON
 * array of objects, one per line; the same rows and columns as the text. */
static void print_data(struct it_ctx *c, const struct cli_opts *o,
		       const int *shown, struct watch **row, size_t n)
{
	struct it_buf b = { 0 };
	const struct it_event *e;

	if (o->csv) {
		it_buf_put(&b, "total,", 6);
		for (int i = 0; (e = it_event_column(i)); i++)
			if (shown[i]) {
				it_buf_put(&b, e->name, strlen(e->name));
				it_buf_put(&b, ",", 1);
			}
		it_buf_put(&b, "filename\n", 9);
	} else {
		it_buf_put(&b, "[", 1);
	}
	for (size_t r = 0; r < n; r++) {
		size_t len;
		const char *path = it_wtab_path(&c->tab, row[r], &len);

		if (o->json) {
			it_buf_put(&b,
				   r ? ",\n{\"filename\":" : "\n{\"filename\":",
				   r ? 14 : 13);
			it_json_escape(&b, path, len);
		}
		put_cell(&b, o, "total", count_of(row[r], IT_STAT_TOTAL), 1);
		for (int i = 0; (e = it_event_column(i)); i++)
			if (shown[i])
				put_cell(&b, o, e->name,
					 count_of(row[r], e->stat), 0);
		if (o->json) {
			it_buf_put(&b, "}", 1);
		} else {
			it_buf_put(&b, ",", 1);
			it_csv_escape(&b, path);
			it_buf_put(&b, "\n", 1);
		}
	}
	if (o->json)
		it_buf_put(&b, n ? "\n]\n" : "]\n", n ? 3 : 2);
	fwrite(b.data, 1, b.len, stdout);
	flush_out();
	free(b.data);
}

static void print_table(struct it_ctx *c, const struct cli_opts *o)
{
	int shown[IT_NSTATS] = { 0 };
	const struct it_event *e;
	struct watch **row;
	size_t n;

	if (!(row = rows(c, o, &n)))
		return;
	for (int i = 0; (e = it_event_column(i)); i++)
		shown[i] = (o->events & e->mask) &&
			   (o->zero || c->totals[e->stat]);
	if (o->csv || o->json) {
		print_data(c, o, shown, row, n);
		free(row);
		return;
	}
	fputs("total  ", stdout);
	for (int i = 0; (e = it_event_column(i)); i++)
		if (shown[i])
			printf("%s  ", e->name);
	fputs("filename\n", stdout);
	for (size_t r = 0; r < n; r++) {
		size_t len;

		printf("%-5u  ", count_of(row[r], IT_STAT_TOTAL));
		for (int i = 0; (e = it_event_column(i)); i++)
			if (shown[i])
				printf("%-*u  ", (int)strlen(e->name),
				       count_of(row[r], e->stat));
		printf("%s\n", it_wtab_path(&c->tab, row[r], &len));
	}
	flush_out();
	free(row);
}

/* The table, or why there is none. */
static void report(struct it_ctx *c, const struct cli_opts *o)
{
	if (c->totals[IT_STAT_TOTAL] == 0) {
		fputs("No events occurred.\n", stderr);
		/* machine readers get an empty table all the same */
		if (o->csv)
			fputs("total,filename\n", stdout);
		else if (o->json)
			fputs("[]\n", stdout);
		flush_out();
	} else {
		print_table(c, o);
	}
}

/* cli_setup() step, before anything is watched: keep the counts of
 * watches that go, and wait for events with the signals (arg) let in. */
static int arm(struct it_ctx *c, struct cli_opts *o, void *arg)
{
	(void)o;
	c->keep_counted = 1;
	c->tab.no_seq = 1; /* (numbered once set up) */
	c->sigmask = arg;
	cli_err("Establishing watches...\n");
	return 0;
}

/* cli_setup() step, once everything is watched. */
static void ready(struct it_ctx *c, const struct cli_opts *o, void *arg)
{
	(void)arg;
	/* upstream watches each tree children first: its wds, which order
	 * the ties, go up that way; ours go the other way */
	it_wtab_number_later(&c->tab);
	if (o->verbose)
		cli_err("Total of %zu watches.\n", c->tab.nlive);
	cli_err("Finished establishing watches, now collecting statistics.\n");
}

/* Count ev, unless it is an event only asked for to follow the tree. */
static void count(struct it_ctx *c, const struct cli_opts *o,
		  const struct inotify_event *ev)
{
	if (ev->wd < 0 || !(ev->mask & (o->events | IN_IGNORED | IN_UNMOUNT)))
		return;
	it_stats_record(c, ev);
}

static int collect(struct it_ctx *c, const struct cli_opts *o,
		   sigset_t *waitmask)
{
	int64_t deadline;

	if (o->verbose && o->timeout > 0)
		cli_err("Will listen for events for %ld seconds.\n",
			o->timeout);
	deadline = cli_deadline(o->timeout);
	established = 1;
	catch_signals(waitmask, 1);
	while (!stop) {
		const struct inotify_event *ev;

		if (dump) {
			dump = 0;
			report(c, o);
			puts("");
			flush_out();
		}
		if ((ev = it_next_event(c, deadline))) {
			count(c, o, ev);
		} else if (c->error == 0) {
			break;
		} else if (c->error != EINTR) {
			fprintf(stderr, "%s\n", strerror(c->error));
			return -1;
		}
	}
	report(c, o);
	return 0;
}

/* The checks made once every option is known; -1 after printing why. */
static int validate(const struct cli_opts *o)
{
	if (o->sort_event && !(o->events & o->sort_event)) {
		fputs("Can't sort by an event which isn't being watched for!\n",
		      stderr);
		return -1;
	}
	if (cli_check_regex(o) < 0 || cli_check_names(o) < 0)
		return -1;
	if (o->csv && o->json) {
		fputs("--csv and --json cannot both be specified.\n", stderr);
		return -1;
	}
	return 0;
}

static const struct cli_steps steps = { .arm = arm, .ready = ready };

int main(int argc, char **argv)
{
	struct cli_opts o;
	struct it_ctx c = { .fd = -1 };
	sigset_t waitmask;
	int status = EXIT_FAILURE;

	if (cli_parse(&o, argc, argv, CLI_WATCH) == 0 && validate(&o) == 0) {
		catch_signals(&waitmask, 0);
		if (cli_setup(&c, &o, &steps, &waitmask) == 0 &&
		    collect(&c, &o, &waitmask) == 0)
			status = EXIT_SUCCESS;
	}
	it_ctx_close(&c);
	cli_free(&o);
	flush_out();
	if (out_err || ferror(stdout)) {
		/* a reader that went away (SIGPIPE ignored) is no news */
		cli_write_failed("standard output", out_err ? out_err : EIO);
		status = EXIT_FAILURE;
	}
	return status;
}
