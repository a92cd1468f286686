/* inotifywait: wait for filesystem events and print them. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "cli.h"

#define EXIT_TIMEOUT 2
#define MAX_FORMAT 4096	      /* longest format, newline included */
#define OUT_CHUNK (64 * 1024) /* write output at least this often */

struct opts {
	struct cli_opts c;
	int monitor, daemon, quiet, csv, json, no_newline;
	const char *outfile, *format, *timefmt;
	char *fmt; /* the format used, newline appended */
	int argc;
	char **argv;
	int outfd; /* the -o file, kept for daemon mode */
};

static const char shortopts[] = "hmdsPrqt:e:co:fIFS";
static const struct option longopts[] = {
	CLI_LONGOPTS,
	{ "monitor", no_argument, NULL, 'm' },
	{ "daemon", no_argument, NULL, 'd' },
	{ "syslog", no_argument, NULL, 's' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "csv", no_argument, NULL, 'c' },
	{ "outfile", required_argument, NULL, 'o' },
	{ "filename", no_argument, NULL, 'f' },
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "no-newline", no_argument, NULL, OPT_NO_NEWLINE },
	{ "timefmt", required_argument, NULL, OPT_TIMEFMT },
	{ "json", no_argument, NULL, OPT_JSON },
	{ NULL, 0, NULL, 0 },
};

static void usage(void)
{
	printf("%s %s\n", cli_name, PACKAGE_VERSION);
	fputs("Wait for a particular event on a file or set of files.\n",
	      stdout);
	printf("Usage: %s [ options ] file1 [ file2 ] [ file3 ] [ ... ]\n",
	       cli_name);
	fputs("Options:\n"
	      "\t-h|--help     \tShow this help text.\n"
	      "\t--version     \tShow the version and exit.\n"
	      "\t@<file>       \tExclude the specified file from being "
	      "watched.\n"
	      "\t--exclude <pattern>\n"
	      "\t              \tExclude all events on files matching the\n"
	      "\t              \textended regular expression <pattern>.\n"
	      "\t              \tMay be given several times: any match\n"
	      "\t              \texcludes.\n"
	      "\t--excludei <pattern>\n"
	      "\t              \tLike --exclude but case insensitive.\n"
	      "\t--include <pattern>\n"
	      "\t              \tExclude all events on files except the ones\n"
	      "\t              \tmatching the extended regular expression\n"
	      "\t              \t<pattern>.\n"
	      "\t--includei <pattern>\n"
	      "\t              \tLike --include but case insensitive.\n"
	      "\t--exclude-from <file>\n"
	      "\t              \tLike --exclude, once for each line of "
	      "<file>.\n"
	      "\t--include-from <file>\n"
	      "\t              \tLike --include, once for each line of "
	      "<file>.\n"
	      "\t--exit-with-parent\n"
	      "\t              \tExit when the parent process dies.\n"
	      "\t-m|--monitor  \tKeep listening for events forever or until "
	      "--timeout expires.\n",
	      stdout);
	printf("\t              \tWithout this option, %s will exit "
	       "after one event is received.\n",
	       cli_name);
	fputs("\t-d|--daemon   \tSame as --monitor, except run in the "
	      "background\n"
	      "\t              \tlogging events to a file specified by "
	      "--outfile.\n"
	      "\t              \tImplies --syslog.\n"
	      "\t-P|--no-dereference\n"
	      "\t              \tDo not follow symlinks.\n"
	      "\t-r|--recursive\tWatch directories recursively.\n",
	      stdout);
	cli_help_backends();
	fputs("\t--fromfile <file>\n"
	      "\t              \tRead files to watch from <file> or `-' for "
	      "stdin.\n"
	      "\t-o|--outfile <file>\n"
	      "\t              \tPrint events to <file> rather than stdout.\n"
	      "\t-s|--syslog   \tSend errors to syslog rather than stderr.\n"
	      "\t-q|--quiet    \tPrint less (only print events).\n"
	      "\t-qq           \tPrint nothing (not even events).\n"
	      "\t--format <fmt>\tPrint using a specified printf-like format\n"
	      "\t              \tstring; read the man page for more details.\n"
	      "\t--no-newline  \tDon't print newline symbol after\n"
	      "\t              \t--format string.\n"
	      "\t--timefmt <fmt>\tstrftime-compatible format string for use "
	      "with\n"
	      "\t              \t%T in --format string; %N, %3N, %6N add\n"
	      "\t              \tnano-, milli- or microseconds.\n"
	      "\t-c|--csv      \tPrint events in CSV format.\n"
	      "\t--json        \tPrint events as JSON objects, one per "
	      "line.\n"
	      "\t-t|--timeout <seconds>\n"
	      "\t              \tWhen listening for a single event, time out "
	      "after\n"
	      "\t              \twaiting for an event for <seconds> seconds.\n",
	      stdout);
	printf("\t              \tIf <seconds> is zero, %s will never "
	       "time out.\n",
	       cli_name);
	fputs("\t-e|--event <event1> [ -e|--event <event2> ... ]\n"
	      "\t\tListen for specific event(s).  If omitted, all events are \n"
	      "\t\tlistened for.\n"
	      "\n"
	      "Exit status:\n"
	      "\t0  -  An event you asked to watch for was received.\n"
	      "\t1  -  An event you did not ask to watch for was received\n"
	      "\t      (usually delete_self or unmount), or some error "
	      "occurred.\n"
	      "\t2  -  The --timeout option was given and no events occurred\n"
	      "\t      in the specified interval of time.\n"
	      "\n",
	      stdout);
	cli_help_events();
}

static int parse_opt(void *arg_o, int opt, const char *arg)
{
	struct opts *o = arg_o;

	switch (opt) {
	case 'm':
		o->monitor = 1;
		return 0;
	case 'd':
		o->daemon = o->monitor = cli_syslog = 1;
		return 0;
	case 's':
		cli_syslog = 1;
		return 0;
	case 'q':
		o->quiet++;
		return 0;
	case 'c':
		o->csv = 1;
		return 0;
	case 'o':
		if (o->outfile) {
			fputs("Multiple --outfile options given.\n", stderr);
			return -1;
		}
		o->outfile = arg;
		return 0;
	case 'f':
		fputs("The '--filename' option no longer exists.  The option "
		      "it "
		      "enabled in earlier\nversions of inotifywait is now "
		      "turned "
		      "on by default.\n",
		      stderr);
		return -1;
	case OPT_FORMAT:
		o->format = arg;
		return 0;
	case OPT_NO_NEWLINE:
		o->no_newline = 1;
		return 0;
	case OPT_TIMEFMT:
		o->timefmt = arg;
		return 0;
	case OPT_JSON:
		o->json = 1;
		return 0;
	}
	return -1;
}

static int validate(const struct opts *o)
{
	const char *why = NULL;

	if (cli_check_regex(&o->c) < 0)
		return -1;
	if (o->csv && o->format)
		why = "-c and --format cannot both be specified.\n";
	else if (o->json && (o->csv || o->format))
		why = "--json cannot be specified with -c or --format.\n";
	else if (o->no_newline && !o->format)
		why = "--no-newline cannot be specified without --format.\n";
	else if (o->timefmt && !o->format)
		why = "--timefmt cannot be specified without --format.\n";
	else if (o->format && strstr(o->format, "%T") && !o->timefmt)
		why = "%T is in --format string, but --timefmt was not "
		      "specified.\n";
	else if (o->daemon && !o->outfile)
		why = "-o must be specified with -d.\n";
	else if (o->daemon && o->c.exit_with_parent)
		why = "--exit-with-parent cannot be specified with -d.\n";
	if (why) {
		fputs(why, stderr);
		return -1;
	}
	return 0;
}

/* The format to print with; -1 after printing why it cannot work. */
static int prepare_format(struct it_ctx *c, struct opts *o)
{
	const char *f = o->format ? o->format : "%w %,e %f";
	size_t n = strlen(f);

	if (o->timefmt && !(c->timefmt = strdup(o->timefmt)))
		return -1;
	if (o->csv || o->json)
		return 0;
	if (!(o->fmt = malloc(n + 2)))
		return -1;
	memcpy(o->fmt, f, n + 1);
	if (!o->format || !o->no_newline)
		memcpy(o->fmt + n, "\n", 2);
	if (o->fmt[0] && strlen(o->fmt) <= MAX_FORMAT)
		return 0;
	fputs("Something is wrong with your format string.\n", stderr);
	return -1;
}

/* In daemon mode the process leaves its directory: make paths absolute. */
static int absolute_paths(struct strv *v)
{
	char *cwd = getcwd(NULL, 0);

	for (size_t i = 0; cwd && i < v->n; i++) {
		char *p;

		if (v->v[i][0] == '/')
			continue;
		if (!(p = malloc(strlen(cwd) + strlen(v->v[i]) + 2)))
			break;
		sprintf(p, "%s/%s", cwd, v->v[i]);
		free(v->v[i]);
		v->v[i] = p;
	}
	free(cwd);
	return cwd ? 0 : -1;
}

/* Open -o (creating it) before anything is watched, so that a bad path
 * fails early and a relative one works in daemon mode. */
static int open_outfile(struct opts *o)
{
	if (!o->outfile)
		return 0;
	o->outfd = open(o->outfile, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
			0600);
	if (o->outfd < 0 || dup2(o->outfd, STDOUT_FILENO) < 0) {
		fprintf(stderr, "Failed to open output file %s\n", o->outfile);
		return -1;
	}
	return 0;
}

/*
 * Write the pending output. A reader that went away (EPIPE, when SIGPIPE is
 * ignored) ends the program quietly; any other failure is reported, naming
 * the -o file if there is one. Either way the output is dropped: -1.
 */
static int flush(struct it_buf *out, const char *outfile)
{
	size_t done = 0;

	while (done < out->len) {
		ssize_t n =
			write(STDOUT_FILENO, out->data + done, out->len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			cli_write_failed(outfile ? outfile : "standard output",
					 errno);
			out->len = 0;
			return -1;
		}
		done += (size_t)n;
	}
	out->len = 0;
	return 0;
}

static void print_event(struct it_ctx *c, const struct opts *o,
			struct it_buf *out, const struct inotify_event *ev)
{
	size_t mark = out->len;
	struct it_out f = { .grow = out };

	if (o->csv || o->json) {
		if ((o->csv ? it_format_csv(c, out, ev)
			    : it_format_json(c, out, ev)) ||
		    it_buf_put(out, "\n", 1))
			out->len = mark;
	} else {
		f.len = 0;
		if (it_format(c, &f, ev, o->fmt) < 0)
			out->len = mark;
	}
}

/* Deal with one event: 1 to go on waiting, 0 to stop with *status. */
static int handle(struct it_ctx *c, const struct opts *o, struct it_buf *out,
		  const struct inotify_event *ev, uint32_t mask, int *status)
{
	int overflow = (ev->mask & IN_Q_OVERFLOW) != 0;

	if (((ev->mask & o->c.events) || overflow) && o->quiet < 2)
		print_event(c, o, out, ev);
	if (overflow && !o->quiet)
		cli_err("Warning: the kernel event queue overflowed; events "
			"were lost.\n");
	if (!o->monitor) {
		*status = (ev->mask & mask) ? EXIT_SUCCESS : EXIT_FAILURE;
		return 0;
	}
	if (c->tab.nlive == 0) {
		/* the exit status says it too: nothing with -q */
		if (!o->quiet)
			cli_err("No watches remain; exiting.\n");
		*status = EXIT_FAILURE;
		return 0;
	}
	return 1;
}

/* No event came (a signal, the timeout, pending output to write first, or
 * an error): 1 to go on waiting, 0 to stop with *status. */
static int no_event(struct it_ctx *c, struct it_buf *out, const char *outfile,
		    int *status)
{
	if (c->error == EINTR)
		return 1;
	if (!c->error && out->len) {
		if (flush(out, outfile) == 0)
			return 1;
		*status = EXIT_FAILURE;
		return 0;
	}
	if (c->error)
		cli_err("%s\n", strerror(c->error));
	*status = c->error ? EXIT_FAILURE : EXIT_TIMEOUT;
	return 0;
}

/* Wait for events and print them until one of them, the timeout or an
 * error ends the run; the exit status. */
static int run(struct it_ctx *c, const struct opts *o, uint32_t mask)
{
	struct it_buf out = { 0 };
	int64_t deadline = cli_deadline(o->c.timeout);
	int status = EXIT_FAILURE, go_on = 1;

	while (go_on) {
		const struct inotify_event *ev;

		if (out.len >= OUT_CHUNK && flush(&out, o->outfile) < 0)
			break;
		/* With output pending, look without waiting: what is pending
		 * is written before the tool would block. */
		if (!(ev = it_next_event(c, out.len ? 0 : deadline))) {
			go_on = no_event(c, &out, o->outfile, &status);
			continue;
		}
		go_on = handle(c, o, &out, ev, mask, &status);
		if (ev->mask & (o->c.events | IN_Q_OVERFLOW))
			deadline = cli_deadline(o->c.timeout);
	}
	if (flush(&out, o->outfile) < 0)
		status = EXIT_FAILURE;
	free(out.data);
	return status;
}

/* Everything between parsing and the event loop; -1 on failure. */
static int setup(struct it_ctx *c, struct opts *o, uint32_t *mask)
{
	if (cli_open(c, &o->c) < 0)
		return -1;
	c->warn = cli_warn_new_dir;
	if (cli_filter(c, &o->c, o->quiet) < 0 || prepare_format(c, o) < 0 ||
	    cli_paths(&o->c, o->argc, o->argv) < 0)
		return -1;
	if (o->c.paths.n == 0) {
		fputs(MSG_NO_FILES, stderr);
		return -1;
	}
	if (open_outfile(o) < 0 || (o->daemon && absolute_paths(&o->c.paths)))
		return -1;
	*mask = o->c.events ? o->c.events : IT_ALL_EVENTS;
	o->c.events = *mask;
	if (o->monitor && o->c.recursive) {
		*mask |= IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM;
		c->autowatch = 1;
		c->automask = *mask;
	}
	if (o->c.no_deref)
		*mask |= IN_DONT_FOLLOW;
	if (!o->quiet)
		cli_err(o->c.filesystem	 ? "Setting up filesystem watches.\n"
			: o->c.recursive ? "Setting up watches.  Beware: since "
					   "-r was given, this may take a "
					   "while!\n"
					 : "Setting up watches.\n");
	if (cli_watch(c, &o->c, *mask,
		      o->c.filesystem ? "Couldn't add filesystem watch %s: %s\n"
				      : "Couldn't watch %s: %s\n",
		      0) < 0)
		return -1;
	if (!o->quiet)
		cli_err("Watches established.\n");
	if (o->c.timeout < 0) {
		cli_err(MSG_NEG_TIMEOUT);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o = { .argc = argc, .argv = argv, .outfd = -1 };
	struct it_ctx c = { .fd = -1 };
	pid_t parent = getppid();
	uint32_t mask = 0;
	int rc;

	static const struct cli_tool tool = {
		"inotifywait", shortopts, longopts, usage, parse_opt,
	};

	if ((rc = cli_parse(&o.c, argc, argv, &tool, &o)) != 0 ||
	    validate(&o) < 0 ||
	    (o.c.exit_with_parent && cli_exit_with_parent(parent) < 0)) {
		cli_free(&o.c);
		return rc == 2 ? EXIT_SUCCESS : EXIT_FAILURE;
	}
	if (cli_syslog)
		openlog(cli_name, LOG_CONS | LOG_PID | LOG_NDELAY, LOG_DAEMON);
	if (setup(&c, &o, &mask) < 0) {
		rc = EXIT_FAILURE;
	} else if (o.daemon && daemon(0, 0) < 0) {
		cli_err("Failed to daemonize!\n");
		rc = EXIT_FAILURE;
	} else {
		if (o.daemon)
			dup2(o.outfd, STDOUT_FILENO);
		rc = run(&c, &o, mask);
	}
	it_ctx_close(&c);
	cli_free(&o.c);
	free(o.fmt);
	if (o.outfd >= 0)
		close(o.outfd);
	return rc;
}
