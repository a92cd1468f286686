/* inotifywait: wait for filesystem events and print them. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

#define EXIT_TIMEOUT 2
#define MAX_FORMAT 4096	      /* longest format, newline included */
#define OUT_CHUNK (64 * 1024) /* write output at least this often */

/* How the events are printed, besides the options. */
struct out {
	char *fmt; /* the format used, newline appended; NULL: -c or --json */
	int fd;	   /* the -o file, kept for daemon mode; -1 if none */
};

/* The checks made once every option is known; -1 after printing why. */
static int validate(const struct cli_opts *o)
{
	const char *why = NULL;

	if (cli_check_regex(o) < 0)
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
	else if (o->daemon && o->exit_with_parent)
		why = "--exit-with-parent cannot be specified with -d.\n";
	if (why) {
		fputs(why, stderr);
		return -1;
	}
	return 0;
}

/* cli_setup() step: the format to print with; -1 after printing why it
 * cannot work. */
static int prepare_format(struct it_ctx *c, struct cli_opts *o, void *arg)
{
	struct out *w = arg;
	const char *f = o->format ? o->format : "%w %,e %f";
	size_t n = strlen(f);

	if (o->timefmt && !(c->timefmt = strdup(o->timefmt)))
		return -1;
	if (o->csv || o->json)
		return 0;
	if (!(w->fmt = malloc(n + 2)))
		return -1;
	memcpy(w->fmt, f, n + 1);
	if (!o->format || !o->no_newline)
		memcpy(w->fmt + n, "\n", 2);
	if (w->fmt[0] && strlen(w->fmt) <= MAX_FORMAT)
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

/*
 * cli_setup() step, before anything is watched: open -o (creating it), so
 * that a bad path fails early and a relative one works in daemon mode;
 * then say what is coming.
 */
static int arm(struct it_ctx *c, struct cli_opts *o, void *arg)
{
	struct out *w = arg;

	(void)c;
	if (o->outfile) {
		w->fd = open(o->outfile,
			     O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
		if (w->fd < 0 || dup2(w->fd, STDOUT_FILENO) < 0) {
			fprintf(stderr, "Failed to open output file %s\n",
				o->outfile);
			return -1;
		}
	}
	if (o->daemon && absolute_paths(&o->paths))
		return -1;
	if (!o->quiet)
		cli_err(o->filesystem  ? "Setting up filesystem watches.\n"
			: o->recursive ? "Setting up watches.  Beware: since "
					 "-r was given, this may take a "
					 "while!\n"
				       : "Setting up watches.\n");
	return 0;
}

/* cli_setup() step, once everything is watched. */
static void ready(struct it_ctx *c, const struct cli_opts *o, void *arg)
{
	(void)c;
	(void)arg;
	if (!o->quiet)
		cli_err("Watches established.\n");
}

/* -d: go to the background, printing to the -o file; -1 after printing
 * why not. */
static int detach(const struct cli_opts *o, const struct out *w)
{
	if (!o->daemon)
		return 0;
	if (daemon(0, 0) < 0) {
		cli_err("Failed to daemonize!\n");
		return -1;
	}
	dup2(w->fd, STDOUT_FILENO);
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

static void print_event(struct it_ctx *c, const struct cli_opts *o,
			const struct out *w, struct it_buf *out,
			const struct inotify_event *ev)
{
	size_t mark = out->len;
	struct it_out f = { .grow = out };

	if (o->csv || o->json) {
		if ((o->csv ? it_format_csv(c, out, ev)
			    : it_format_json(c, out, ev)) ||
		    it_buf_put(out, "\n", 1))
			out->len = mark;
	} else if (it_format(c, &f, ev, w->fmt) < 0) {
		out->len = mark;
	}
}

/* Deal with one event: 1 to go on waiting, 0 to stop with *status. */
static int handle(struct it_ctx *c, const struct cli_opts *o,
		  const struct out *w, struct it_buf *out,
		  const struct inotify_event *ev, int *status)
{
	int overflow = (ev->mask & IN_Q_OVERFLOW) != 0;

	if (((ev->mask & o->events) || overflow) && o->quiet < 2)
		print_event(c, o, w, out, ev);
	if (overflow && !o->quiet)
		cli_err("Warning: the kernel event queue overflowed; events "
			"were lost.\n");
	if (!o->monitor) {
		*status = (ev->mask & o->events) ? EXIT_SUCCESS : EXIT_FAILURE;
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
static int run(struct it_ctx *c, const struct cli_opts *o, const struct out *w)
{
	struct it_buf out = { 0 };
	int64_t deadline = cli_deadline(o->timeout);
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
		go_on = handle(c, o, w, &out, ev, &status);
		if (ev->mask & (o->events | IN_Q_OVERFLOW))
			deadline = cli_deadline(o->timeout);
	}
	if (flush(&out, o->outfile) < 0)
		status = EXIT_FAILURE;
	free(out.data);
	return status;
}

static const struct cli_steps steps = {
	.prepare = prepare_format,
	.arm = arm,
	.ready = ready,
};

int main(int argc, char **argv)
{
	struct cli_opts o;
	struct out w = { .fmt = NULL, .fd = -1 };
	struct it_ctx c = { .fd = -1 };
	int status = EXIT_FAILURE;

	if (cli_parse(&o, argc, argv, CLI_WAIT) == 0 && validate(&o) == 0 &&
	    cli_setup(&c, &o, &steps, &w) == 0 && detach(&o, &w) == 0)
		status = run(&c, &o, &w);
	it_ctx_close(&c);
	cli_free(&o);
	free(w.fmt);
	if (w.fd >= 0)
		close(w.fd);
	return status;
}
