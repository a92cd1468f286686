/* inotifywait: wait for filesystem events and print them. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "batch.h"
#include "cli.h"
#include "exec.h"

#define EXIT_TIMEOUT 2
#define MAX_FORMAT 4096	      /* longest format, newline included */
#define OUT_CHUNK (64 * 1024) /* write output at least this often */
#define STAMP_EVERY 64	      /* --batch: events a clock reading serves */

/* How the events are printed, besides the options. */
struct out {
	char *fmt;   /* the format used, newline appended; NULL: -c or --json */
	int fd;	     /* the -o file, kept for daemon mode; -1 if none */
	int nul;     /* the format ends records with NUL (%0) */
	int print;   /* records are printed (not with --exec alone) */
	int cmd_out; /* with -o and --exec: stdout for the command, or -1 */
};

/* What a run keeps besides the output: renames waiting for their second
 * half (%F), the batch in hand, the --exec command. */
struct run {
	struct renames ren;
	struct batch b;
	int64_t first, last; /* it_now_ms() of its first and last event */
	int64_t now;	     /* the clock as read last for an event */
	unsigned stale;	     /* events since; STAMP_EVERY: read it again */
	struct cmd cmd;
	int exec;
	int notify; /* a batch is out: tell --batch-notify once written */
	int failed; /* writing a batch failed: the run ends */
	sigset_t waitmask; /* with --exec: the signals let in while waiting */
};

/* With --exec: the signal that ends the run, and that a child ended. */
static volatile sig_atomic_t ending, child;

/* Events the tool needs whether they are asked for or not: a path made
 * and removed within a batch is left out, renames are paired for %F. */
#define BATCH_EVENTS (IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO)
#define RENAME_EVENTS (IN_MOVED_FROM | IN_MOVED_TO)

/* The checks made once every option is known; -1 after printing why. */
static int validate(const struct cli_opts *o)
{
	const char *why = NULL;

	if (cli_check_regex(o) < 0 || cli_check_names(o) < 0)
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
	else if (o->daemon && o->exec)
		why = "--exec cannot be specified with -d.\n";
	else if (o->restart && !o->exec)
		why = "--restart cannot be specified without --exec.\n";
	else if ((o->batch_marker || o->rename_records ||
		  o->batch_notify >= 0) &&
		 o->batch_delay < 0 && !o->exec)
		why = "--batch-marker, --batch-notify and --rename-records "
		      "need "
		      "--batch.\n";
	if (why) {
		fputs(why, stderr);
		return -1;
	}
	return 0;
}

/* Whether the format fmt uses the directive %d. */
static int uses(const char *fmt, char d)
{
	for (const char *p = fmt; (p = strchr(p, '%')) && p[1]; p += 2)
		if (p[1] == d)
			return 1;
	return 0;
}

/* What the batches and %F need: --exec implies -m and --batch 0.2, and
 * some events are needed whether they are printed or not. */
static void prepare_batches(struct it_ctx *c, struct cli_opts *o, struct out *w)
{
	const char *f = o->format ? o->format : "";

	c->fmt_ext = 1;
	w->print = !o->exec || o->format || o->outfile || o->csv || o->json;
	if (o->exec) {
		o->monitor = 1;
		if (o->batch_delay < 0) {
			o->batch_delay = 200;
			o->batch_max = 2000;
		}
	}
	if (o->batch_delay >= 0)
		o->extra_mask |= BATCH_EVENTS;
	if (o->json || o->rename_records || uses(f, 'F'))
		o->extra_mask |= RENAME_EVENTS;
	w->nul = uses(f, '0');
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
	prepare_batches(c, o, w);
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

	/* no statistics: the watches need no order for their ties */
	c->tab.no_seq = 1;
	if (o->outfile) {
		/* the records go to the file, the command's output does not */
		if (o->exec)
			w->cmd_out = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
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

/* Append r to out in the chosen format (nothing on failure). */
static void print_record(struct it_ctx *c, const struct cli_opts *o,
			 const struct out *w, struct it_buf *out,
			 const struct it_record *r)
{
	size_t mark = out->len;
	struct it_out f = { .grow = out };

	if (o->csv || o->json) {
		if ((o->csv ? it_format_csv_record(c, out, r)
			    : it_format_json_record(c, out, r)) ||
		    it_buf_put(out, "\n", 1))
			out->len = mark;
	} else if (it_format_record(c, &f, r, w->fmt) < 0) {
		out->len = mark;
	}
}

/* r->from: the old path of the rename that the MOVED_TO ev completes. */
static void pair_rename(struct run *run, const struct inotify_event *ev,
			struct it_record *r)
{
	struct rename_slot *s;

	if ((ev->mask & IN_MOVED_FROM) && ev->cookie)
		renames_note(&run->ren, ev->cookie, r->dir, r->dirlen, r->name,
			     r->namelen);
	if ((ev->mask & IN_MOVED_TO) &&
	    (s = renames_find(&run->ren, ev->cookie))) {
		r->from = s->path;
		r->fromlen = s->len;
		s->cookie = 0;
	}
}

static void print_event(struct it_ctx *c, const struct cli_opts *o,
			const struct out *w, struct run *run,
			struct it_buf *out, const struct inotify_event *ev)
{
	struct it_record r;

	it_record_of(c, ev, &r);
	if (o->extra_mask & RENAME_EVENTS)
		pair_rename(run, ev, &r);
	if (((ev->mask & o->events) || (ev->mask & IN_Q_OVERFLOW)) &&
	    o->quiet < 2)
		print_record(c, o, w, out, &r);
}

/* Whether ev is only one of the events the tool asked for itself. */
static int only_extra(const struct cli_opts *o, const struct inotify_event *ev)
{
	uint32_t m = ev->mask & ~(uint32_t)IN_ISDIR;
	/* a followed name's watch ends, but the name is still watched */
	uint32_t extra = o->extra_mask | (o->follow_names ? IN_IGNORED : 0);

	return !(m & o->events) && m && !(m & ~extra);
}

/* Deal with one event: 1 to go on waiting, 0 to stop with *status. */
static int handle(struct it_ctx *c, const struct cli_opts *o,
		  const struct out *w, struct run *run, struct it_buf *out,
		  const struct inotify_event *ev, int *status)
{
	int overflow = (ev->mask & IN_Q_OVERFLOW) != 0;

	print_event(c, o, w, run, out, ev);
	if (only_extra(o, ev))
		return 1;
	if (overflow && !o->quiet)
		cli_err("Warning: the kernel event queue overflowed; events "
			"were lost.\n");
	if (!o->monitor) {
		*status = (ev->mask & o->events) ? EXIT_SUCCESS : EXIT_FAILURE;
		return 0;
	}
	if (c->tab.nlive == 0 && !o->follow_names) {
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
static int run_events(struct it_ctx *c, const struct cli_opts *o,
		      const struct out *w, struct run *run)
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
		go_on = handle(c, o, w, run, &out, ev, &status);
		if (ev->mask & (o->events | IN_Q_OVERFLOW))
			deadline = cli_deadline(o->timeout);
	}
	if (flush(&out, o->outfile) < 0)
		status = EXIT_FAILURE;
	free(out.data);
	return status;
}

/* The batch in hand is due by then: quiet for the delay, or as old as the
 * most; -1 if there is none. */
static int64_t batch_due(const struct cli_opts *o, const struct run *run)
{
	int64_t quiet = run->last + o->batch_delay;
	int64_t most = run->first + o->batch_max;

	if (!run->first)
		return -1;
	return quiet < most ? quiet : most;
}

/* Add ev to the batch in hand (an event that finds no memory is lost). */
static void batch_event(struct it_ctx *c, struct run *run,
			const struct inotify_event *ev)
{
	struct it_record r;
	int64_t now;

	/* events read without waiting came within microseconds of each
	 * other: one clock reading serves a run of them */
	if (!run->first || run->stale >= STAMP_EVERY) {
		run->now = it_now_ms();
		run->stale = 0;
	}
	run->stale++;
	now = run->now;
	it_record_of(c, ev, &r);
	if (batch_add(&run->b, ev->mask, ev->cookie, r.dir, r.dirlen, r.name,
		      r.namelen) < 0)
		return;
	if (!run->first)
		run->first = now;
	run->last = now;
}

/* The marker that ends a batch of n records. */
static void print_marker(const struct cli_opts *o, const struct out *w,
			 struct it_buf *out, size_t n)
{
	char tmp[64];

	if (o->json) {
		snprintf(tmp, sizeof(tmp),
			 "{\"batch_end\":true,\"records\":%zu}\n", n);
		it_buf_put(out, tmp, strlen(tmp));
		return;
	}
	if (o->batch_marker)
		it_buf_put(out, o->batch_marker, strlen(o->batch_marker));
	it_buf_put(out, w->nul ? "" : "\n", 1);
}

/* The record of batch record br, with the events that were asked for. */
static void batch_record(const struct cli_opts *o, const struct batch_rec *br,
			 struct it_record *r)
{
	*r = (struct it_record){
		.mask = br->mask & (o->events | IN_ISDIR | IN_Q_OVERFLOW),
		.cookie = br->cookie,
		.dir = br->path,
		.dirlen = br->wlen,
		.name = br->path + br->wlen,
		.namelen = br->len - br->wlen,
	};
	if (br->from && (br->mask & IN_MOVED_TO)) {
		r->from = br->from;
		r->fromlen = br->fromlen;
	}
}

/* Print the batch in hand and its marker, writing as it goes, and hand
 * its paths to --exec; the number of records it had. */
static size_t end_batch(struct it_ctx *c, const struct cli_opts *o,
			const struct out *w, struct run *run,
			struct it_buf *out)
{
	int print = w->print && o->quiet < 2;
	struct batch_rec br;
	size_t pos = 0, n = 0;

	while (batch_next(&run->b, &pos, &br)) {
		struct it_record r;

		batch_record(o, &br, &r);
		if (!(r.mask & ~(uint32_t)IN_ISDIR))
			continue;
		n++;
		if (print)
			print_record(c, o, w, out, &r);
		if (print && out->len >= OUT_CHUNK &&
		    flush(out, o->outfile) < 0) {
			print = 0;
			run->failed = 1;
		}
		if (run->exec && br.len)
			cmd_add(&run->cmd, br.path, br.len);
	}
	if (n && print)
		print_marker(o, w, out, n);
	if (n && run->exec)
		cmd_batch(&run->cmd);
	if (n && o->batch_notify >= 0)
		run->notify = 1;
	batch_clear(&run->b);
	run->first = run->last = 0;
	return n;
}

/* The batch in hand ends; without -m, a batch ends the run. 1 to go on,
 * 0 to stop with *status. */
static int batch_ends(struct it_ctx *c, const struct cli_opts *o,
		      const struct out *w, struct run *run, struct it_buf *out,
		      int *status, int64_t *timeout)
{
	size_t n = end_batch(c, o, w, run, out);

	if (run->failed) {
		*status = EXIT_FAILURE;
		return 0;
	}
	if (n == 0)
		return 1;
	*timeout = cli_deadline(o->timeout);
	if (o->monitor)
		return 1;
	*status = EXIT_SUCCESS;
	return 0;
}

/* One event in batch mode: 1 to go on, 0 to stop with *status. */
static int batch_take(struct it_ctx *c, const struct cli_opts *o,
		      const struct out *w, struct run *run, struct it_buf *out,
		      const struct inotify_event *ev, int *status,
		      int64_t *timeout)
{
	batch_event(c, run, ev);
	if (ev->mask & IN_Q_OVERFLOW) {
		if (!o->quiet)
			cli_err("Warning: the kernel event queue overflowed; "
				"events were lost.\n");
		return batch_ends(c, o, w, run, out, status, timeout);
	}
	if (c->tab.nlive == 0 && !o->follow_names) {
		end_batch(c, o, w, run, out);
		if (!o->quiet)
			cli_err("No watches remain; exiting.\n");
		*status = EXIT_FAILURE;
		return 0;
	}
	return 1;
}

/* A signal ends the run: what the kernel has queued joins the batch in
 * hand, which is printed, so that no change is lost. */
static void drain_batch(struct it_ctx *c, const struct cli_opts *o,
			const struct out *w, struct run *run,
			struct it_buf *out)
{
	const struct inotify_event *ev;

	while ((ev = it_next_event(c, 0)))
		batch_event(c, run, ev);
	end_batch(c, o, w, run, out);
}

/* No event came in batch mode (a deadline, a signal, output to write, an
 * error): 1 to go on, 0 to stop with *status. */
static int batch_wait(struct it_ctx *c, const struct cli_opts *o,
		      const struct out *w, struct run *run, struct it_buf *out,
		      int *status, int64_t *timeout)
{
	int64_t due = batch_due(o, run);

	run->stale = STAMP_EVERY; /* the next event may come much later */
	if (c->error == EINTR) {
		if (child) {
			child = 0;
			cmd_reap(&run->cmd);
		}
		if (ending)
			drain_batch(c, o, w, run, out);
		return !ending;
	}
	if (c->error) {
		cli_err("%s\n", strerror(c->error));
		*status = EXIT_FAILURE;
		return 0;
	}
	if (out->len && flush(out, o->outfile) < 0) {
		*status = EXIT_FAILURE;
		return 0;
	}
	if (run->notify) {
		run->notify = 0;
		(void)!write(o->batch_notify, "\n", 1);
		return 1;
	}
	if (due >= 0 && it_now_ms() >= due)
		return batch_ends(c, o, w, run, out, status, timeout);
	if (due < 0 && *timeout >= 0 && it_now_ms() >= *timeout) {
		*status = EXIT_TIMEOUT;
		return 0;
	}
	return 1;
}

/* The next event, waiting until deadline wait if none is queued; one
 * that was waited for gets a clock reading of its own. */
static const struct inotify_event *
batch_next_event(struct it_ctx *c, struct run *run, int64_t wait)
{
	const struct inotify_event *ev = it_next_event(c, 0);

	if (ev || c->error || wait == 0)
		return ev;
	run->stale = STAMP_EVERY;
	return it_next_event(c, wait);
}

/* --batch: wait for events and print them a batch at a time until the
 * timeout, a signal (--exec) or an error ends the run; the exit status. */
static int run_batches(struct it_ctx *c, const struct cli_opts *o,
		       const struct out *w, struct run *run)
{
	struct it_buf out = { 0 };
	int64_t timeout = cli_deadline(o->timeout);
	int status = EXIT_FAILURE, go_on = 1;

	while (go_on) {
		int64_t due = batch_due(o, run);
		const struct inotify_event *ev;

		if (out.len >= OUT_CHUNK) {
			if (flush(&out, o->outfile) < 0)
				break;
			run->stale =
				STAMP_EVERY; /* the write may have waited */
		}
		/* as of the last event read (the clock is read at least
		 * once STAMP_EVERY events); batch_wait() looks at it when
		 * none came */
		if (due >= 0 && run->last >= due) {
			go_on = batch_ends(c, o, w, run, &out, &status,
					   &timeout);
			continue;
		}
		ev = batch_next_event(c, run,
				      out.len	 ? 0
				      : due >= 0 ? due
						 : timeout);
		go_on = ev ? batch_take(c, o, w, run, &out, ev, &status,
					&timeout)
			   : batch_wait(c, o, w, run, &out, &status, &timeout);
	}
	if (flush(&out, o->outfile) < 0)
		status = EXIT_FAILURE;
	free(out.data);
	return status;
}

static void on_exec_signal(int sig)
{
	if (sig == SIGCHLD)
		child = 1;
	else
		ending = sig;
}

/* --batch and --exec: the ending signals first print the batch in hand
 * (and stop the command), and a child's end interrupts the wait; both are
 * caught only while waiting for events. */
static void catch_batch_signals(struct it_ctx *c, struct run *run)
{
	static const int sigs[] = { SIGCHLD, SIGINT, SIGTERM, SIGHUP };
	struct sigaction sa = { .sa_handler = on_exec_signal };
	sigset_t block;

	sigemptyset(&block);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		sigaddset(&block, sigs[i]);
		sigaction(sigs[i], &sa, NULL);
	}
	sigprocmask(SIG_BLOCK, &block, &run->waitmask);
	c->sigmask = &run->waitmask;
}

/* The run: event by event, or batch by batch; the exit status. */
static int run(struct it_ctx *c, const struct cli_opts *o, const struct out *w)
{
	struct run run = { .exec = o->exec != NULL };
	int status;

	batch_init(&run.b, o->rename_records,
		   o->events &&
			   !(o->events & ~(uint32_t)(IN_CREATE | IN_DELETE)));
	if (run.exec) {
		if (cmd_init(&run.cmd, o->exec, o->restart) < 0)
			return EXIT_FAILURE;
		run.cmd.out = w->cmd_out;
	}
	if (o->batch_delay >= 0)
		catch_batch_signals(c, &run);
	status = o->batch_delay >= 0 ? run_batches(c, o, w, &run)
				     : run_events(c, o, w, &run);
	batch_free(&run.b);
	renames_free(&run.ren);
	if (run.exec)
		cmd_free(&run.cmd);
	if (ending) {
		signal(ending, SIG_DFL);
		sigprocmask(SIG_SETMASK, &run.waitmask, NULL);
		raise(ending);
	}
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
	struct out w = { .fmt = NULL, .fd = -1, .cmd_out = -1 };
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
	if (w.cmd_out >= 0)
		close(w.cmd_out);
	return status;
}
