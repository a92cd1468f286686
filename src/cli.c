/* cli.c: the option table, path lists and setup shared by both tools. */
#include "config.h"

#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <regex.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <syslog.h>
#include <unistd.h>

int cli_syslog;
const char *cli_name;

void cli_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (cli_syslog)
		vsyslog(LOG_INFO, fmt, ap);
	else
		vfprintf(stderr, fmt, ap);
	va_end(ap);
}

void cli_write_failed(const char *what, int err)
{
	if (err != EPIPE)
		cli_err(MSG_CANT_WRITE, what, strerror(err));
}

int strv_push(struct strv *v, const char *s)
{
	if (v->n + 1 >= v->cap) {
		size_t cap = v->cap ? v->cap * 2 : 16;
		char **p = realloc(v->v, cap * sizeof(*p));

		if (!p)
			return -1;
		v->v = p;
		v->cap = cap;
	}
	if (!(v->v[v->n] = strdup(s)))
		return -1;
	v->v[++v->n] = NULL;
	return 0;
}

void strv_free(struct strv *v)
{
	for (size_t i = 0; i < v->n; i++)
		free(v->v[i]);
	free(v->v);
	memset(v, 0, sizeof(*v));
}

static int add_pat(struct cli_opts *o, const char *re, int kind,
		   const char *file, size_t line)
{
	struct cli_pat *p = realloc(o->pats, (o->npats + 1) * sizeof(*p));

	if (!p) {
		fprintf(stderr, "%s\n", strerror(ENOMEM));
		return -1;
	}
	o->pats = p;
	p[o->npats++] = (struct cli_pat){ re, kind & PAT_INCLUDE,
					  (kind & PAT_ICASE) != 0, file, line };
	return 0;
}

/* --exclude-from, --include-from: one pattern per line, empty lines and a
 * final carriage return left out. */
static int read_patterns(struct cli_opts *o, const char *file, int kind)
{
	FILE *f = strcmp(file, "-") ? fopen(file, "re") : stdin;
	char *line = NULL;
	size_t cap = 0, lineno = 0;
	ssize_t n;
	int rc = 0;

	if (!f) {
		fprintf(stderr, MSG_CANT_OPEN, file, strerror(errno));
		return -1;
	}
	while (rc == 0 && (n = getline(&line, &cap, f)) >= 0) {
		lineno++;
		if (n && line[n - 1] == '\n')
			line[--n] = '\0';
		if (n && line[n - 1] == '\r')
			line[--n] = '\0';
		if (n == 0)
			continue;
		if (strv_push(&o->lines, line) < 0 ||
		    add_pat(o, o->lines.v[o->lines.n - 1], kind, file, lineno) <
			    0)
			rc = -1;
	}
	if (rc == 0 && ferror(f)) {
		fprintf(stderr, MSG_CANT_READ, file, strerror(errno));
		rc = -1;
	}
	free(line);
	if (f != stdin)
		fclose(f);
	return rc;
}

/*
 * The option handlers (cli.h has their convention). The generic ones set
 * the member of struct cli_opts that the row names by its offset.
 */

static int *int_at(struct cli_opts *o, const struct cli_option *opt)
{
	return (int *)(void *)((char *)o + opt->field);
}

static const char **string_at(struct cli_opts *o, const struct cli_option *opt)
{
	return (const char **)(void *)((char *)o + opt->field);
}

static int opt_flag(struct cli_opts *o, const struct cli_option *opt,
		    const char *arg)
{
	(void)arg;
	*int_at(o, opt) = 1;
	return 0;
}

static int opt_count(struct cli_opts *o, const struct cli_option *opt,
		     const char *arg)
{
	(void)arg;
	++*int_at(o, opt);
	return 0;
}

static int opt_string(struct cli_opts *o, const struct cli_option *opt,
		      const char *arg)
{
	*string_at(o, opt) = arg;
	return 0;
}

/* A string option that may be given only once. */
static int opt_once(struct cli_opts *o, const struct cli_option *opt,
		    const char *arg)
{
	if (*string_at(o, opt)) {
		fprintf(stderr, MSG_TWICE, opt->name);
		return -1;
	}
	*string_at(o, opt) = arg;
	return 0;
}

static int opt_pattern(struct cli_opts *o, const struct cli_option *opt,
		       const char *arg)
{
	o->npat[opt->kind]++;
	return add_pat(o, arg, opt->kind, NULL, 0);
}

static int opt_pattern_file(struct cli_opts *o, const struct cli_option *opt,
			    const char *arg)
{
	o->npat[opt->kind]++;
	return read_patterns(o, arg, opt->kind);
}

static int opt_event(struct cli_opts *o, const struct cli_option *opt,
		     const char *arg)
{
	int mask = it_event_parse(arg, ',');

	(void)opt;
	if (mask == -1) {
		fprintf(stderr, MSG_BAD_EVENT, arg);
		return -1;
	}
	o->events |= (uint32_t)mask;
	return 0;
}

static int opt_timeout(struct cli_opts *o, const struct cli_option *opt,
		       const char *arg)
{
	char *end;

	(void)opt;
	errno = 0;
	o->timeout = strtol(arg, &end, 10);
	if (!*arg) {
		fputs(MSG_EMPTY_TIMEOUT MSG_TIMEOUT_LONG, stderr);
	} else if (*end) {
		fprintf(stderr, MSG_BAD_TIMEOUT MSG_TIMEOUT_LONG, arg);
	} else if (errno) {
		fprintf(stderr, MSG_TIMEOUT_RANGE "%s\n", strerror(errno));
	} else {
		return 0;
	}
	return -1;
}

int cli_seconds(const char *s, int64_t *ms)
{
	char *end;
	double v;

	if (!*s || strchr(" \t+-", *s))
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (end == s || *end || errno || !(v >= 0) || v > 1e9)
		return -1;
	*ms = (int64_t)(v * 1000 + 0.5);
	return 0;
}

/* --batch DELAY[,MAX]: MAX is 10 x DELAY unless given. */
static int opt_batch(struct cli_opts *o, const struct cli_option *opt,
		     const char *arg)
{
	const char *comma = strchr(arg, ',');
	char delay[64];
	size_t n = comma ? (size_t)(comma - arg) : strlen(arg);

	(void)opt;
	if (n < sizeof(delay)) {
		memcpy(delay, arg, n);
		delay[n] = '\0';
		if (cli_seconds(delay, &o->batch_delay) == 0) {
			o->batch_max = 10 * o->batch_delay;
			if ((!comma ||
			     cli_seconds(comma + 1, &o->batch_max) == 0) &&
			    o->batch_max >= o->batch_delay)
				return 0;
		}
	}
	fprintf(stderr,
		"--batch: `%s' is not a delay: DELAY[,MAX] in seconds, "
		"MAX not less than DELAY.\n",
		arg);
	return -1;
}

/* --batch-notify FD */
static int opt_batch_notify(struct cli_opts *o, const struct cli_option *opt,
			    const char *arg)
{
	char *end;
	long fd;

	(void)opt;
	errno = 0;
	fd = strtol(arg, &end, 10);
	if (!*arg || *end || errno || fd < 0 || fd > INT_MAX ||
	    fcntl((int)fd, F_GETFD) < 0) {
		fprintf(stderr,
			"--batch-notify: `%s' is not an open file "
			"descriptor.\n",
			arg);
		return -1;
	}
	o->batch_notify = (int)fd;
	return 0;
}

/* --max-depth N */
static int opt_max_depth(struct cli_opts *o, const struct cli_option *opt,
			 const char *arg)
{
	char *end;
	long n;

	(void)opt;
	errno = 0;
	n = strtol(arg, &end, 10);
	if (!*arg || *end || errno || n < 0 || n > 100000) {
		fprintf(stderr,
			"--max-depth: `%s' is not a depth (0 or more).\n", arg);
		return -1;
	}
	o->max_depth = (int)n;
	return 0;
}

/* -I, and -S: the backend and its marks. */
static int opt_backend(struct cli_opts *o, const struct cli_option *opt,
		       const char *arg)
{
	(void)arg;
	o->fanotify = o->filesystem = opt->key == 'S';
	return 0;
}

static int opt_daemon(struct cli_opts *o, const struct cli_option *opt,
		      const char *arg)
{
	(void)opt;
	(void)arg;
	o->daemon = o->monitor = o->syslog = 1;
	return 0;
}

static int opt_filename(struct cli_opts *o, const struct cli_option *opt,
			const char *arg)
{
	(void)o;
	(void)opt;
	(void)arg;
	fputs("The '--filename' option no longer exists.  The option it "
	      "enabled in earlier\nversions of inotifywait is now turned on "
	      "by default.\n",
	      stderr);
	return -1;
}

/* inotifywatch -a and -d. */
static int opt_sort(struct cli_opts *o, const struct cli_option *opt,
		    const char *arg)
{
	const struct it_event *e;
	int move = arg[0] == 'm' || arg[0] == 'M';

	/* As upstream: only an earlier -a makes a second -a or -d an error. */
	if (o->sort_set) {
		fputs("Please specify -a or -d once only!\n", stderr);
		return -1;
	}
	o->sort_set = o->ascending = opt->key == 'a';
	if (!strcasecmp(arg, "total")) {
		o->sort_stat = IT_STAT_TOTAL;
		o->sort_event = 0;
		return 0;
	}
	if (!strcasecmp(arg, "move") || !strcasecmp(arg, "close")) {
		fprintf(stderr,
			"Cannot sort by `%s' event; please use `%s' or `%s'.\n",
			move ? "move" : "close",
			move ? "moved_from" : "close_write",
			move ? "moved_to" : "close_nowrite");
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

static void usage(enum cli_tool_id t);

static int opt_help(struct cli_opts *o, const struct cli_option *opt,
		    const char *arg)
{
	(void)opt;
	(void)arg;
	usage(o->tool);
	exit(EXIT_FAILURE); /* as upstream */
}

static int opt_version(struct cli_opts *o, const struct cli_option *opt,
		       const char *arg)
{
	(void)o;
	(void)opt;
	(void)arg;
	printf("%s %s\n", cli_name, PACKAGE_VERSION);
	exit(EXIT_SUCCESS);
}

/* Keys of the long-only options, above every short option character. */
enum {
	OPT_FROMFILE = CHAR_MAX + 1,
	OPT_EXCLUDE,
	OPT_EXCLUDEI,
	OPT_INCLUDE,
	OPT_INCLUDEI,
	OPT_FORMAT,
	OPT_NO_NEWLINE,
	OPT_TIMEFMT,
	OPT_VERSION,
	OPT_EXCLUDE_FROM,
	OPT_INCLUDE_FROM,
	OPT_JSON,
	OPT_EXIT_WITH_PARENT,
	OPT_CSV, /* inotifywatch's --csv has no -c */
	OPT_BATCH,
	OPT_BATCH_MARKER,
	OPT_BATCH_NOTIFY,
	OPT_RENAME_RECORDS,
	OPT_EXEC,
	OPT_RESTART,
	OPT_FOLLOW_NAMES,
	OPT_MAX_DEPTH,
};

#define WAIT (1u << CLI_WAIT)
#define WATCH (1u << CLI_WATCH)
#define BOTH (WAIT | WATCH)
/* A row's handler, and what it sets. */
#define FIELD(m) offsetof(struct cli_opts, m)
#define CALL(fn) fn, 0, 0
#define FLAG(m) opt_flag, FIELD(m), 0
#define COUNT(m) opt_count, FIELD(m), 0
#define STRING(m) opt_string, FIELD(m), 0
#define ONCE(m) opt_once, FIELD(m), 0
#define PATTERN(kind) opt_pattern, 0, kind
#define PATTERN_FILE(kind) opt_pattern_file, 0, kind
/* The help lines of a row: the same in both tools, or each its own. */
/* clang-format off */
#define SAME(s) { [CLI_WAIT] = s, [CLI_WATCH] = s }
/* clang-format on */
#define WAIT_HELP(s) [CLI_WAIT] = s
#define WATCH_HELP(s) [CLI_WATCH] = s
/* How inotifywait's --help indents the lines that go on an option's text. */
#define IND "\t              \t"

/*
 * The option table: getopt's long and short options are made from the
 * rows in this order, which is what an ambiguous abbreviation lists (e.g.
 * --ex); --help prints them in upstream's order, which is another (struct
 * tool below). Each row:
 *	long name, key (short letter or OPT_*), argument, tools,
 *	handler and what it sets, --help lines (wait's, watch's)
 */
/* clang-format off */
static const struct cli_option options[] = {
	{ "help", 'h', no_argument, BOTH, CALL(opt_help), {
	  WAIT_HELP("\t-h|--help     \tShow this help text.\n"),
	  WATCH_HELP("\t-h|--help    \tShow this help text.\n") } },
	{ "event", 'e', required_argument, BOTH, CALL(opt_event), SAME(
	  "\t-e|--event <event1> [ -e|--event <event2> ... ]\n"
	  "\t\tListen for specific event(s).  If omitted, all events are \n"
	  "\t\tlistened for.\n") },
	{ "timeout", 't', required_argument, BOTH, CALL(opt_timeout), {
	  WAIT_HELP("\t-t|--timeout <seconds>\n"
	  IND "When listening for a single event, time out after\n"
	  IND "waiting for an event for <seconds> seconds.\n"
	  IND "If <seconds> is zero, %s will never time out.\n"),
	  WATCH_HELP("\t-t|--timeout <seconds>\n"
	  "\t\tListen only for specified amount of time in seconds; if\n"
	  "\t\tomitted or zero, %s will execute until receiving an\n"
	  "\t\tinterrupt signal.\n") } },
	{ "recursive", 'r', no_argument, BOTH, FLAG(recursive), SAME(
	  "\t-r|--recursive\tWatch directories recursively.\n") },
	{ "no-dereference", 'P', no_argument, BOTH, FLAG(no_deref), {
	  WAIT_HELP("\t-P|--no-dereference\n"
	  IND "Do not follow symlinks.\n"),
	  WATCH_HELP("\t-P|--no-dereference\n"
	  "\t\tDo not follow symlinks.\n") } },
	{ "inotify", 'I', no_argument, BOTH, CALL(opt_backend), SAME(
	  "\t-I|--inotify\tWatch with inotify.\n") },
	{ "fanotify", 'F', no_argument, BOTH, FLAG(fanotify), SAME(
	  "\t-F|--fanotify\tWatch with fanotify.\n") },
	{ "filesystem", 'S', no_argument, BOTH, CALL(opt_backend), SAME(
	  "\t-S|--filesystem\tWatch entire filesystem with fanotify.\n") },
	{ "fromfile", OPT_FROMFILE, required_argument, BOTH, ONCE(fromfile), {
	  WAIT_HELP("\t--fromfile <file>\n"
	  IND "Read files to watch from <file> or `-' for stdin.\n"),
	  WATCH_HELP("\t--fromfile <file>\n"
	  "\t\tRead files to watch from <file> or `-' for stdin.\n") } },
	{ "exclude", OPT_EXCLUDE, required_argument, BOTH,
	  PATTERN(PAT_EXCLUDE), {
	  WAIT_HELP("\t--exclude <pattern>\n"
	  IND "Exclude all events on files matching the\n"
	  IND "extended regular expression <pattern>.\n"
	  IND "May be given several times: any match\n"
	  IND "excludes.\n"),
	  WATCH_HELP("\t--exclude <pattern>\n"
	  "\t\tExclude all events on files matching the extended regular\n"
	  "\t\texpression <pattern>.  May be given several times: any\n"
	  "\t\tmatch excludes.\n") } },
	{ "excludei", OPT_EXCLUDEI, required_argument, BOTH,
	  PATTERN(PAT_EXCLUDEI), {
	  WAIT_HELP("\t--excludei <pattern>\n"
	  IND "Like --exclude but case insensitive.\n"),
	  WATCH_HELP("\t--excludei <pattern>\n"
	  "\t\tLike --exclude but case insensitive.\n") } },
	{ "include", OPT_INCLUDE, required_argument, BOTH,
	  PATTERN(PAT_INCLUDE), {
	  WAIT_HELP("\t--include <pattern>\n"
	  IND "Exclude all events on files except the ones\n"
	  IND "matching the extended regular expression\n"
	  IND "<pattern>.\n"),
	  WATCH_HELP("\t--include <pattern>\n"
	  "\t\tExclude all events on files except the ones\n"
	  "\t\tmatching the extended regular expression\n"
	  "\t\t<pattern>.\n") } },
	{ "includei", OPT_INCLUDEI, required_argument, BOTH,
	  PATTERN(PAT_INCLUDEI), {
	  WAIT_HELP("\t--includei <pattern>\n"
	  IND "Like --include but case insensitive.\n"),
	  WATCH_HELP("\t--includei <pattern>\n"
	  "\t\tLike --include but case insensitive.\n") } },
	{ "exclude-from", OPT_EXCLUDE_FROM, required_argument, BOTH,
	  PATTERN_FILE(PAT_EXCLUDE), {
	  WAIT_HELP("\t--exclude-from <file>\n"
	  IND "Like --exclude, once for each line of <file>.\n"),
	  WATCH_HELP("\t--exclude-from <file>\n"
	  "\t\tLike --exclude, once for each line of <file>.\n") } },
	{ "include-from", OPT_INCLUDE_FROM, required_argument, BOTH,
	  PATTERN_FILE(PAT_INCLUDE), {
	  WAIT_HELP("\t--include-from <file>\n"
	  IND "Like --include, once for each line of <file>.\n"),
	  WATCH_HELP("\t--include-from <file>\n"
	  "\t\tLike --include, once for each line of <file>.\n") } },
	{ "version", OPT_VERSION, no_argument, BOTH, CALL(opt_version), {
	  WAIT_HELP("\t--version     \tShow the version and exit.\n"),
	  WATCH_HELP("\t--version    \tShow the version and exit.\n") } },
	{ "exit-with-parent", OPT_EXIT_WITH_PARENT, no_argument, BOTH,
	  FLAG(exit_with_parent), {
	  WAIT_HELP("\t--exit-with-parent\n"
	  IND "Exit when the parent process dies.\n"),
	  WATCH_HELP("\t--exit-with-parent\n"
	  "\t\tExit when the parent process dies.\n") } },

	/* inotifywait's own */
	{ "monitor", 'm', no_argument, WAIT, FLAG(monitor), {
	  WAIT_HELP("\t-m|--monitor  \tKeep listening for events forever or "
	  "until --timeout expires.\n"
	  IND "Without this option, %s will exit after one event is "
	  "received.\n") } },
	{ "daemon", 'd', no_argument, WAIT, CALL(opt_daemon), {
	  WAIT_HELP("\t-d|--daemon   \tSame as --monitor, except run in the "
	  "background\n"
	  IND "logging events to a file specified by --outfile.\n"
	  IND "Implies --syslog.\n") } },
	{ "syslog", 's', no_argument, WAIT, FLAG(syslog), {
	  WAIT_HELP("\t-s|--syslog   \tSend errors to syslog rather than "
	  "stderr.\n") } },
	{ "quiet", 'q', no_argument, WAIT, COUNT(quiet), {
	  WAIT_HELP("\t-q|--quiet    \tPrint less (only print events).\n"
	  "\t-qq           \tPrint nothing (not even events).\n") } },
	{ "csv", 'c', no_argument, WAIT, FLAG(csv), {
	  WAIT_HELP("\t-c|--csv      \tPrint events in CSV format.\n") } },
	{ "outfile", 'o', required_argument, WAIT, ONCE(outfile), {
	  WAIT_HELP("\t-o|--outfile <file>\n"
	  IND "Print events to <file> rather than stdout.\n") } },
	/* upstream's old option, undocumented: an error now */
	{ "filename", 'f', no_argument, WAIT, CALL(opt_filename), { NULL } },
	{ "format", OPT_FORMAT, required_argument, WAIT, STRING(format), {
	  WAIT_HELP("\t--format <fmt>\tPrint using a specified printf-like "
	  "format\n"
	  IND "string; read the man page for more details.\n") } },
	{ "no-newline", OPT_NO_NEWLINE, no_argument, WAIT, FLAG(no_newline), {
	  WAIT_HELP("\t--no-newline  \tDon't print newline symbol after\n"
	  IND "--format string.\n") } },
	{ "timefmt", OPT_TIMEFMT, required_argument, WAIT, STRING(timefmt), {
	  WAIT_HELP("\t--timefmt <fmt>\tstrftime-compatible format string for "
	  "use with\n"
	  IND "%%T in --format string; %%N, %%3N, %%6N add\n"
	  IND "nano-, milli- or microseconds.\n") } },

	/* inotifywatch's own */
	{ "verbose", 'v', no_argument, WATCH, FLAG(verbose), {
	  WATCH_HELP("\t-v|--verbose \tBe verbose.\n") } },
	{ "zero", 'z', no_argument, WATCH, FLAG(zero), {
	  WATCH_HELP("\t-z|--zero\n"
	  "\t\tIn the final table of results, output rows and columns even\n"
	  "\t\tif they consist only of zeros (the default is to not output\n"
	  "\t\tthese rows and columns).\n") } },
	{ "ascending", 'a', required_argument, WATCH, CALL(opt_sort), {
	  WATCH_HELP("\t-a|--ascending <event>\n"
	  "\t\tSort ascending by a particular event, or `total'.\n") } },
	{ "descending", 'd', required_argument, WATCH, CALL(opt_sort), {
	  WATCH_HELP("\t-d|--descending <event>\n"
	  "\t\tSort descending by a particular event, or `total'.\n") } },
	{ "csv", OPT_CSV, no_argument, WATCH, FLAG(csv), {
	  WATCH_HELP("\t--csv\t\tPrint the final table as CSV.\n") } },

	/* ours, for scripts that act on changes */
	{ "batch", OPT_BATCH, required_argument, WAIT, CALL(opt_batch), {
	  WAIT_HELP("\t--batch <delay>[,<max>]\n"
	  IND "Print each path once, with all its events,\n"
	  IND "when no event came for <delay> seconds (or\n"
	  IND "<max> after the first), then an empty record.\n") } },
	{ "batch-marker", OPT_BATCH_MARKER, required_argument, WAIT,
	  STRING(batch_marker), {
	  WAIT_HELP("\t--batch-marker <text>\n"
	  IND "End each batch with <text> instead.\n") } },
	{ "batch-notify", OPT_BATCH_NOTIFY, required_argument, WAIT,
	  CALL(opt_batch_notify), {
	  WAIT_HELP("\t--batch-notify <fd>\n"
	  IND "Write a newline to <fd> once a batch is printed.\n") } },
	{ "rename-records", OPT_RENAME_RECORDS, no_argument, WAIT,
	  FLAG(rename_records), {
	  WAIT_HELP("\t--rename-records\n"
	  IND "With --batch, a rename is one record of the new\n"
	  IND "path, its old one in %%F.\n") } },
	{ "exec", OPT_EXEC, required_argument, WAIT, STRING(exec), {
	  WAIT_HELP("\t--exec <command>\n"
	  IND "After each batch run /bin/sh -c <command> with\n"
	  IND "the batch's paths as arguments (\"$@\").\n") } },
	{ "restart", OPT_RESTART, no_argument, WAIT, FLAG(restart), {
	  WAIT_HELP("\t--restart     \tWith --exec, stop the command running when\n"
	  IND "a new batch comes, then run it again.\n") } },
	{ "follow-names", OPT_FOLLOW_NAMES, no_argument, BOTH,
	  FLAG(follow_names), {
	  WAIT_HELP("\t--follow-names\n"
	  IND "Watch names, not inodes: a path that does not\n"
	  IND "exist yet, or is replaced, is watched when it\n"
	  IND "appears.\n"),
	  WATCH_HELP("\t--follow-names\n"
	  "\t\tWatch names, not inodes: a path that does not exist yet, or\n"
	  "\t\tis replaced, is watched when it appears.\n") } },
	{ "max-depth", OPT_MAX_DEPTH, required_argument, BOTH,
	  CALL(opt_max_depth), {
	  WAIT_HELP("\t--max-depth <n>\n"
	  IND "With -r, watch no directory more than <n>\n"
	  IND "levels below a watched one.\n"),
	  WATCH_HELP("\t--max-depth <n>\n"
	  "\t\tWith -r, watch no directory more than <n> levels below a\n"
	  "\t\twatched one.\n") } },

	{ "json", OPT_JSON, no_argument, BOTH, FLAG(json), {
	  WAIT_HELP("\t--json        \tPrint events as JSON objects, one per "
	  "line.\n"),
	  WATCH_HELP("\t--json\t\tPrint the final table as JSON.\n") } },
	/* not an option but an operand: only a line of --help */
	{ NULL, '@', no_argument, BOTH, CALL(NULL), SAME(
	  "\t@<file>       \tExclude the specified file from being "
	  "watched.\n") },
};
/* clang-format on */

#define NOPTIONS (sizeof(options) / sizeof(options[0]))

/* What each tool is, besides its options and its own setup steps. */
static const struct tool {
	const char *name;
	int monitor;	     /* runs until stopped, even without -m */
	const char *failfmt; /* for a path that cannot be watched */
	int announce_fs;     /* -S: "Setting up filesystem watch on <path>" */
	/* --help around the rows of the table, upstream's */
	const char *about; /* a printf format: %s the tool's name */
	const char *operands;
	const int order[NOPTIONS + 1]; /* the keys of the rows, 0 ending */
	const char *status;
} tools[CLI_NTOOLS] = {
	[CLI_WAIT] = {
		"inotifywait", 0, "Couldn't watch %s: %s\n", 0,
		"Wait for a particular event on a file or set of files.\n",
		"file1 [ file2 ] [ file3 ] [ ... ]",
		{ 'h', OPT_VERSION, '@', OPT_EXCLUDE, OPT_EXCLUDEI, OPT_INCLUDE,
		  OPT_INCLUDEI, OPT_EXCLUDE_FROM, OPT_INCLUDE_FROM,
		  OPT_EXIT_WITH_PARENT, OPT_BATCH, OPT_BATCH_MARKER,
		  OPT_BATCH_NOTIFY, OPT_RENAME_RECORDS, OPT_EXEC, OPT_RESTART, OPT_FOLLOW_NAMES,
		  OPT_MAX_DEPTH, 'm', 'd', 'P', 'r', 'I', 'F', 'S',
		  OPT_FROMFILE, 'o', 's', 'q', OPT_FORMAT, OPT_NO_NEWLINE,
		  OPT_TIMEFMT, 'c', OPT_JSON, 't', 'e' },
		"\n"
		"Exit status:\n"
		"\t0  -  An event you asked to watch for was received.\n"
		"\t1  -  An event you did not ask to watch for was received\n"
		"\t      (usually delete_self or unmount), or some error "
		"occurred.\n"
		"\t2  -  The --timeout option was given and no events "
		"occurred\n"
		"\t      in the specified interval of time.\n"
		"\n",
	},
	[CLI_WATCH] = {
		"inotifywatch", 1, "Failed to watch %s: %s\n", 1,
		"Gather filesystem usage statistics using %s.\n",
		"file1 [ file2 ] [ ... ]",
		{ 'h', OPT_VERSION, 'v', '@', OPT_FROMFILE, OPT_EXCLUDE,
		  OPT_EXCLUDEI, OPT_INCLUDE, OPT_INCLUDEI, OPT_EXCLUDE_FROM,
		  OPT_INCLUDE_FROM, OPT_EXIT_WITH_PARENT, OPT_FOLLOW_NAMES,
		  OPT_MAX_DEPTH, 'z', 'r', 'I', 'F', 'S', 'P', 't', 'e',
		  OPT_CSV, OPT_JSON, 'a', 'd' },
		"\n"
		"Exit status:\n"
		"\t0  -  Exited normally.\n"
		"\t1  -  Some error occurred.\n"
		"\n",
	},
};

/* The row of tool t whose key is key, NULL if none. */
static const struct cli_option *option(enum cli_tool_id t, int key)
{
	for (size_t i = 0; i < NOPTIONS; i++)
		if (options[i].key == key && (options[i].tools & 1u << t))
			return &options[i];
	return NULL;
}

static void usage(enum cli_tool_id t)
{
	const struct tool *h = &tools[t];

	printf("%s %s\n", cli_name, PACKAGE_VERSION);
	printf(h->about, cli_name);
	printf("Usage: %s [ options ] %s\n", cli_name, h->operands);
	fputs("Options:\n", stdout);
	for (const int *key = h->order; *key; key++) {
		const struct cli_option *opt = option(t, *key);

		if (opt && opt->help[t])
			printf(opt->help[t], cli_name);
	}
	fputs(h->status, stdout);
	fputs("Events:\n", stdout);
	for (size_t i = 0; i < it_nevents; i++)
		if (it_events[i].help)
			printf("\t%s\t%s\n", it_events[i].name,
			       it_events[i].help);
}

/* getopt_long's long and short options of tool t, from the table. */
static void make_getopt(enum cli_tool_id t, struct option *lo, char *so)
{
	for (size_t i = 0; i < NOPTIONS; i++) {
		const struct cli_option *p = &options[i];

		if (!p->name || !(p->tools & 1u << t))
			continue;
		*lo++ = (struct option){ p->name, p->has_arg, NULL, p->key };
		if (p->key > CHAR_MAX)
			continue;
		*so++ = (char)p->key;
		if (p->has_arg == required_argument)
			*so++ = ':';
	}
	*lo = (struct option){ NULL, 0, NULL, 0 };
	*so = '\0';
}

int cli_check_regex(const struct cli_opts *o)
{
	const int *n = o->npat;
	const char *why = NULL;

	if (n[PAT_EXCLUDE] && n[PAT_EXCLUDEI])
		why = MSG_EXCL_BOTH;
	else if (n[PAT_INCLUDE] && n[PAT_INCLUDEI])
		why = MSG_INCL_BOTH;
	if (why)
		fputs(why, stderr);
	return why ? -1 : 0;
}

int cli_check_names(const struct cli_opts *o)
{
	const char *why = NULL;

	if (o->max_depth >= 0 && !o->recursive)
		why = "--max-depth cannot be specified without -r.\n";
	else if (o->max_depth >= 0 && o->filesystem)
		why = "--max-depth cannot be specified with -S.\n";
	else if (o->follow_names && o->filesystem)
		why = "--follow-names cannot be specified with -S.\n";
	if (why)
		fputs(why, stderr);
	return why ? -1 : 0;
}

/* One entry of the list: "@path" excludes, "" and "@" are ignored. */
static int add_path(struct cli_opts *o, const char *s)
{
	if (s[0] == '@')
		return s[1] ? strv_push(&o->skip, s + 1) : 0;
	return s[0] ? strv_push(&o->paths, s) : 0;
}

int cli_read_list(struct cli_opts *o, FILE *f)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int rc = 0;

	while (rc == 0 && (n = getline(&line, &cap, f)) > 0) {
		if (line[n - 1] == '\n')
			line[n - 1] = '\0';
		rc = add_path(o, line);
	}
	free(line);
	return rc;
}

static int read_fromfile(struct cli_opts *o)
{
	FILE *f = strcmp(o->fromfile, "-") ? fopen(o->fromfile, "re") : stdin;
	int rc;

	if (!f) {
		fprintf(stderr, MSG_CANT_OPEN, o->fromfile, strerror(errno));
		return 0;
	}
	rc = cli_read_list(o, f);
	if (f != stdin)
		fclose(f);
	return rc;
}

/* Build the watch list from --fromfile and the operands; -1 if it cannot
 * be made or is empty (that is said). */
static int read_paths(struct cli_opts *o)
{
	if (o->fromfile && read_fromfile(o) < 0)
		return -1;
	for (int i = 0; i < o->noperands; i++)
		if (add_path(o, o->operands[i]) < 0)
			return -1;
	if (o->paths.n == 0) {
		fputs(MSG_NO_FILES, stderr);
		return -1;
	}
	return 0;
}

int cli_open(struct it_ctx *c, const struct cli_opts *o)
{
	if (it_ctx_open_backend(c, o->fanotify, o->filesystem) == 0) {
		/* single-threaded: walks may work in each directory */
		c->walk_chdir = 1;
		return 0;
	}
	if (!o->fanotify) {
		cli_err(MSG_INIT_FAILED, strerror(c->error));
		if (c->error == EMFILE)
			cli_err(MSG_MAX_INSTANCES);
		return -1;
	}
	cli_err(MSG_FAN_INIT_FAILED, strerror(c->error));
	if (c->error == EMFILE)
		cli_err(MSG_FAN_MAX_GROUPS);
	else if (c->error == EINVAL || c->error == ENOSYS)
		cli_err(MSG_FAN_KERNEL);
	else if (c->error == EPERM)
		cli_err(MSG_FAN_PERM);
	return -1;
}

/* Where the library records absolute paths, so must the @ exclusions be. */
static void absolute_skips(const struct it_ctx *c, struct strv *skip)
{
	for (size_t i = 0; i < skip->n; i++) {
		char *p = it_watch_abspath(c, skip->v[i], 1);

		if (p) {
			free(skip->v[i]);
			skip->v[i] = p;
		}
	}
}

/* Whether pattern i is the last of its option on the command line: the
 * only one upstream compiles. */
static int last_of_its_option(const struct cli_opts *o, size_t i)
{
	const struct cli_pat *p = &o->pats[i];

	for (size_t j = i + 1; j < o->npats; j++)
		if (!o->pats[j].file && o->pats[j].include == p->include &&
		    o->pats[j].icase == p->icase)
			return 0;
	return 1;
}

/* Compile the --exclude/--include patterns into c; -1 after printing why.
 * A bad pattern that is not the last of its option is skipped, with a
 * warning unless quiet: upstream compiles only the last one. */
static int set_filter(struct it_ctx *c, const struct cli_opts *o, int quiet)
{
	for (size_t i = 0; i < o->npats; i++) {
		const struct cli_pat *p = &o->pats[i];
		const char *kind = p->include ? "include" : "exclude";

		if (it_filter_add(c, p->re,
				  REG_EXTENDED | (p->icase ? REG_ICASE : 0),
				  p->include) == 0)
			continue;
		/* one upstream would not even have compiled: no error */
		if (c->error == EINVAL && !p->file &&
		    !last_of_its_option(o, i)) {
			if (!quiet)
				fprintf(stderr, MSG_SKIP_REGEX, kind,
					p->icase ? "i" : "", p->re);
			continue;
		}
		if (c->error != EINVAL)
			fprintf(stderr, "%s\n", strerror(c->error));
		else if (p->file)
			fprintf(stderr, MSG_BAD_REGEX_LINE, kind, p->line,
				p->file);
		else
			fprintf(stderr, MSG_BAD_REGEX, kind);
		return -1;
	}
	c->prune = 1;
	return 0;
}

void cli_free(struct cli_opts *o)
{
	free(o->pats);
	o->pats = NULL;
	o->npats = 0;
	strv_free(&o->lines);
	strv_free(&o->paths);
	strv_free(&o->skip);
}

int64_t cli_deadline(long seconds)
{
	if (seconds <= 0 || seconds > INT32_MAX * 1000L)
		return -1;
	return it_now_ms() + (int64_t)seconds * 1000;
}

/* --exit-with-parent: be sent SIGTERM when the parent dies, and send it
 * now if parent (getppid() when the tool started) is gone already; -1
 * after printing why it cannot be arranged. */
static int exit_with_parent(pid_t parent)
{
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0) {
		fprintf(stderr, "Couldn't set up --exit-with-parent: %s\n",
			strerror(errno));
		return -1;
	}
	/* The parent may have died before the request was made. */
	if (getppid() != parent)
		raise(SIGTERM);
	return 0;
}

int cli_watch(struct it_ctx *c, struct cli_opts *o, uint32_t mask,
	      const char *failfmt, int flags)
{
	int verbose = flags & CLI_VERBOSE;

	absolute_skips(c, &o->skip);
	for (size_t i = 0; i < o->paths.n; i++) {
		const char *p = o->paths.v[i];
		int rc;

		if ((flags & CLI_ANNOUNCE_FS) && o->filesystem)
			cli_err("Setting up filesystem watch on %s\n", p);
		else if (verbose && o->recursive)
			cli_err("Setting up watch(es) on %s\n", p);
		if (o->follow_names)
			rc = it_names_add(c, p, mask, o->recursive,
					  (const char *const *)o->skip.v);
		else if (o->recursive)
			rc = it_watch_tree(c, p, mask,
					   (const char *const *)o->skip.v);
		else
			rc = it_watch_path(c, p, mask) ? 0 : -1;
		if (rc < 0 && c->error == ENOSPC) {
			cli_err(c->be->msg_limit, p);
			cli_err("%s", c->be->msg_limit_hint);
			return -1;
		}
		if (rc < 0) {
			int err = c->error;
			const char *hint = c->be->hint(c, err);

			cli_err(failfmt, p, strerror(err));
			if (hint)
				cli_err(hint, p);
			return -1;
		}
		if (verbose && o->recursive)
			cli_err("OK, %s is now being watched.\n", p);
	}
	return 0;
}

/* The library's warn callback: a new directory could not be watched. */
static void warn_new_dir(void *arg, const char *path, int err)
{
	(void)arg;
	cli_err("Couldn't watch new directory %s: %s\n", path, strerror(err));
}

int cli_parse(struct cli_opts *o, int argc, char **argv, enum cli_tool_id t)
{
	const char *base = strrchr(argv[0], '/');
	struct option longopts[NOPTIONS + 1];
	char shortopts[2 * NOPTIONS + 1];
	int key;

	*o = (struct cli_opts){ .tool = t,
				.parent = getppid(),
				.monitor = tools[t].monitor,
				.sort_stat = IT_STAT_TOTAL,
				.batch_delay = -1,
				.batch_notify = -1,
				.max_depth = -1 };
	base = base ? base + 1 : argv[0];
	cli_name = tools[t].name;
	if (!strncmp(base, "fsnotify", 8)) {
		cli_name = base;
		o->fanotify = 1;
	}
	make_getopt(t, longopts, shortopts);
	while ((key = getopt_long(argc, argv, shortopts, longopts, NULL)) !=
	       -1) {
		const struct cli_option *opt = option(t, key);

		if (!opt || opt->fn(o, opt, optarg) < 0)
			return -1;
	}
	if (!o->events)
		o->events = IT_ALL_EVENTS;
	o->operands = argv + optind;
	o->noperands = argc - optind;
	return 0;
}

int cli_setup(struct it_ctx *c, struct cli_opts *o, const struct cli_steps *s,
	      void *arg)
{
	const struct tool *t = &tools[o->tool];
	uint32_t mask = o->events;

	if (o->exit_with_parent && exit_with_parent(o->parent) < 0)
		return -1;
	if (o->syslog) {
		cli_syslog = 1;
		openlog(cli_name, LOG_CONS | LOG_PID | LOG_NDELAY, LOG_DAEMON);
	}
	if (cli_open(c, o) < 0)
		return -1;
	c->warn = warn_new_dir;
	if (set_filter(c, o, o->quiet) < 0 ||
	    (s->prepare && s->prepare(c, o, arg) < 0) || read_paths(o) < 0)
		return -1;
	if (o->follow_names)
		o->extra_mask |= IT_NAME_MASK;
	mask |= o->extra_mask;
	if (o->max_depth >= 0)
		c->levels = (unsigned)o->max_depth + 1;
	if (o->monitor && o->recursive) {
		mask |= IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM;
		c->autowatch = 1;
		c->automask = mask;
	}
	if (o->no_deref)
		mask |= IN_DONT_FOLLOW;
	if ((s->arm && s->arm(c, o, arg) < 0) ||
	    cli_watch(c, o, mask,
		      o->filesystem ? "Couldn't add filesystem watch %s: %s\n"
				    : t->failfmt,
		      (o->verbose ? CLI_VERBOSE : 0) |
			      (t->announce_fs ? CLI_ANNOUNCE_FS : 0)) < 0)
		return -1;
	if (s->ready)
		s->ready(c, o, arg);
	if (o->timeout < 0) {
		cli_err(MSG_NEG_TIMEOUT);
		return -1;
	}
	return 0;
}
