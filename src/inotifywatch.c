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

struct opts {
	struct cli_opts c;
	int verbose, zero, csv, json;
	int sort_set, ascending;
	int sort_stat;	     /* counter to sort by; IT_STAT_TOTAL default */
	uint32_t sort_event; /* its event bit, 0 for total */
	int argc;
	char **argv;
};

static const char shortopts[] = "hrPa:d:zve:t:IFS";
static const struct option longopts[] = {
	CLI_LONGOPTS,
	{ "verbose", no_argument, NULL, 'v' },
	{ "zero", no_argument, NULL, 'z' },
	{ "ascending", required_argument, NULL, 'a' },
	{ "descending", required_argument, NULL, 'd' },
	{ "csv", no_argument, NULL, 'c' },
	{ "json", no_argument, NULL, OPT_JSON },
	{ NULL, 0, NULL, 0 },
};

static volatile sig_atomic_t established, interrupted, stop, dump;

static void usage(void)
{
	printf("%s %s\n", cli_name, PACKAGE_VERSION);
	printf("Gather filesystem usage statistics using %s.\n", cli_name);
	printf("Usage: %s [ options ] file1 [ file2 ] [ ... ]\n", cli_name);
	fputs("Options:\n"
	      "\t-h|--help    \tShow this help text.\n"
	      "\t--version    \tShow the version and exit.\n"
	      "\t-v|--verbose \tBe verbose.\n"
	      "\t@<file>       \tExclude the specified file from being "
	      "watched.\n"
	      "\t--fromfile <file>\n"
	      "\t\tRead files to watch from <file> or `-' for stdin.\n"
	      "\t--exclude <pattern>\n"
	      "\t\tExclude all events on files matching the extended regular\n"
	      "\t\texpression <pattern>.  May be given several times: any\n"
	      "\t\tmatch excludes.\n"
	      "\t--excludei <pattern>\n"
	      "\t\tLike --exclude but case insensitive.\n"
	      "\t--include <pattern>\n"
	      "\t\tExclude all events on files except the ones\n"
	      "\t\tmatching the extended regular expression\n"
	      "\t\t<pattern>.\n"
	      "\t--includei <pattern>\n"
	      "\t\tLike --include but case insensitive.\n"
	      "\t--exclude-from <file>\n"
	      "\t\tLike --exclude, once for each line of <file>.\n"
	      "\t--include-from <file>\n"
	      "\t\tLike --include, once for each line of <file>.\n"
	      "\t--exit-with-parent\n"
	      "\t\tExit when the parent process dies.\n"
	      "\t-z|--zero\n"
	      "\t\tIn the final table of results, output rows and columns "
	      "even\n"
	      "\t\tif they consist only of zeros (the default is to not "
	      "output\n"
	      "\t\tthese rows and columns).\n"
	      "\t-r|--recursive\tWatch directories recursively.\n",
	      stdout);
	cli_help_backends();
	fputs("\t-P|--no-dereference\n"
	      "\t\tDo not follow symlinks.\n"
	      "\t-t|--timeout <seconds>\n"
	      "\t\tListen only for specified amount of time in seconds; if\n",
	      stdout);
	printf("\t\tomitted or zero, %s will execute until receiving an\n",
	       cli_name);
	fputs("\t\tinterrupt signal.\n"
	      "\t-e|--event <event1> [ -e|--event <event2> ... ]\n"
	      "\t\tListen for specific event(s).  If omitted, all events are \n"
	      "\t\tlistened for.\n"
	      "\t--csv\t\tPrint the final table as CSV.\n"
	      "\t--json\t\tPrint the final table as JSON.\n"
	      "\t-a|--ascending <event>\n"
	      "\t\tSort ascending by a particular event, or `total'.\n"
	      "\t-d|--descending <event>\n"
	      "\t\tSort descending by a particular event, or `total'.\n"
	      "\n"
	      "Exit status:\n"
	      "\t0  -  Exited normally.\n"
	      "\t1  -  Some error occurred.\n"
	      "\n",
	      stdout);
	cli_help_events();
}

static int parse_sort(struct opts *o, int opt, const char *arg)
{
	const struct it_event *e;

	/* As upstream: only an earlier -a makes a second -a or -d an error. */
	if (o->sort_set) {
		fputs("Please specify -a or -d once only!\n", stderr);
		return -1;
	}
	o->sort_set = opt == 'a';
	o->ascending = opt == 'a';
	if (!strcasecmp(arg, "total")) {
		o->sort_stat = IT_STAT_TOTAL;
		o->sort_event = 0;
		return 0;
	}
	if (!strcasecmp(arg, "move") || !strcasecmp(arg, "close")) {
		fprintf(stderr,
			"Cannot sort by `%s' event; please use `%s' or `%s'.\n",
			arg[0] == 'm' || arg[0] == 'M' ? "move" : "close",
			arg[0] == 'm' || arg[0] == 'M' ? "moved_from"
						       : "close_write",
			arg[0] == 'm' || arg[0] == 'M' ? "moved_to"
						       : "close_nowrite");
		return -1;
	}
	if (!(e = it_event_by_name(arg)) || e->stat < 0) {
		fprintf(stderr, "'%s' is not a valid key for sorting!\n", arg);
		return -1;
	}
	o->sort_stat = e->stat;
	o->sort_event = e->mask;
	return 0;
}

static int parse_opt(void *arg_o, int opt, const char *arg)
{
	struct opts *o = arg_o;

	if (opt == 'v')
		o->verbose = 1;
	else if (opt == 'z')
		o->zero = 1;
	else if (opt == 'c')
		o->csv = 1;
	else if (opt == OPT_JSON)
		o->json = 1;
	else if ((opt != 'a' && opt != 'd') || parse_sort(o, opt, arg) < 0)
		return -1;
	return 0;
}

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

static const struct opts *sort_opts;

static int by_key(const void *a, const void *b)
{
	struct watch *x = *(struct watch *const *)a;
	struct watch *y = *(struct watch *const *)b;
	unsigned cx = count_of(x, sort_opts->sort_stat);
	unsigned cy = count_of(y, sort_opts->sort_stat);

	if (cx != cy)
		return (cx < cy) == sort_opts->ascending ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Live and retired watches that have a row in the table. */
static struct watch **rows(struct it_ctx *c, const struct opts *o, size_t *n)
{
	size_t cap = c->tab.nlive + c->tab.nretired + 1, k = 0;
	struct watch **all;

	sort_ctx = c;
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
static void put_cell(struct it_buf *b, const struct opts *o, const char *name,
		     unsigned v, int first)
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
static void print_data(struct it_ctx *c, const struct opts *o, const int *shown,
		       struct watch **row, size_t n)
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

static void print_table(struct it_ctx *c, const struct opts *o)
{
	int shown[IT_NSTATS] = { 0 };
	const struct it_event *e;
	struct watch **row;
	size_t n;

	if (!(row = rows(c, o, &n)))
		return;
	for (int i = 0; (e = it_event_column(i)); i++)
		shown[i] = (o->c.events & e->mask) &&
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

static int by_seq(const void *a, const void *b)
{
	const struct watch *x = *(struct watch *const *)a;
	const struct watch *y = *(struct watch *const *)b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* The table, or why there is none. */
static void report(struct it_ctx *c, const struct opts *o)
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

/* Number watches in upstream's order: each tree children first. */
static void renumber_one(struct watch *w, void *arg)
{
	unsigned long *seq = arg;

	w->seq = (uint32_t)(++*seq);
}

static void renumber(struct it_ctx *c)
{
	struct watch **all = NULL, *w, **v;
	unsigned long seq = 0;
	size_t roots = 0, cap = 0;
	uint32_t i = 0;

	while ((w = it_wtab_live(&c->tab, &i))) {
		if (w->parent)
			continue;
		if (roots == cap) {
			cap = cap ? cap * 2 : 16;
			if (!(v = realloc(all, cap * sizeof(*v)))) {
				free(all);
				return;
			}
			all = v;
		}
		all[roots++] = w;
	}
	qsort(all, roots, sizeof(*all), by_seq);
	for (size_t k = 0; k < roots; k++)
		it_wtab_postorder(&c->tab, all[k], renumber_one, &seq);
	c->tab.next_seq = seq + 1;
	free(all);
}

/* Everything between parsing and collecting; -1 on failure. */
static int setup(struct it_ctx *c, struct opts *o, sigset_t *waitmask)
{
	uint32_t mask;

	if (cli_open(c, &o->c) < 0 || cli_filter(c, &o->c, 0) < 0 ||
	    cli_paths(&o->c, o->argc, o->argv) < 0)
		return -1;
	if (o->c.paths.n == 0) {
		fputs(MSG_NO_FILES, stderr);
		return -1;
	}
	mask = o->c.events;
	if (o->c.recursive) {
		mask |= IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM;
		c->autowatch = 1;
		c->automask = mask;
		c->warn = cli_warn_new_dir;
	}
	if (o->c.no_deref)
		mask |= IN_DONT_FOLLOW;
	c->keep_counted = 1;
	c->sigmask = waitmask;
	cli_err("Establishing watches...\n");
	if (cli_watch(c, &o->c, mask,
		      o->c.filesystem ? "Couldn't add filesystem watch %s: %s\n"
				      : "Failed to watch %s: %s\n",
		      (o->verbose ? CLI_VERBOSE : 0) | CLI_ANNOUNCE_FS) < 0)
		return -1;
	renumber(c);
	if (o->verbose)
		cli_err("Total of %zu watches.\n", c->tab.nlive);
	cli_err("Finished establishing watches, now collecting statistics.\n");
	if (o->c.timeout < 0) {
		cli_err(MSG_NEG_TIMEOUT);
		return -1;
	}
	if (o->verbose && o->c.timeout > 0)
		cli_err("Will listen for events for %ld seconds.\n",
			o->c.timeout);
	return 0;
}

/* Count ev, unless it is an event only asked for to follow the tree. */
static void count(struct it_ctx *c, const struct opts *o,
		  const struct inotify_event *ev)
{
	if (ev->wd < 0 || !(ev->mask & (o->c.events | IN_IGNORED | IN_UNMOUNT)))
		return;
	it_stats_record(c, ev);
}

static int collect(struct it_ctx *c, const struct opts *o, sigset_t *waitmask)
{
	int64_t deadline = cli_deadline(o->c.timeout);

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
static int validate(struct opts *o)
{
	if (!o->c.events)
		o->c.events = IT_ALL_EVENTS;
	if (o->sort_event && !(o->c.events & o->sort_event)) {
		fputs("Can't sort by an event which isn't being watched for!\n",
		      stderr);
		return -1;
	}
	if (cli_check_regex(&o->c) < 0)
		return -1;
	if (o->csv && o->json) {
		fputs("--csv and --json cannot both be specified.\n", stderr);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o = { .sort_stat = IT_STAT_TOTAL,
			  .argc = argc,
			  .argv = argv };
	struct it_ctx c = { .fd = -1 };
	pid_t parent = getppid();
	sigset_t waitmask;
	int rc;

	static const struct cli_tool tool = {
		"inotifywatch", shortopts, longopts, usage, parse_opt,
	};

	if ((rc = cli_parse(&o.c, argc, argv, &tool, &o)) != 0 ||
	    validate(&o) < 0 ||
	    (o.c.exit_with_parent && cli_exit_with_parent(parent) < 0)) {
		cli_free(&o.c);
		return rc == 2 ? EXIT_SUCCESS : EXIT_FAILURE;
	}
	catch_signals(&waitmask, 0);
	rc = setup(&c, &o, &waitmask) < 0 || collect(&c, &o, &waitmask) < 0;
	it_ctx_close(&c);
	cli_free(&o.c);
	flush_out();
	if (out_err || ferror(stdout)) {
		cli_write_failed("standard output", out_err ? out_err : EIO);
		rc = 1;
	}
	return rc ? EXIT_FAILURE : EXIT_SUCCESS;
}
