/* cli.c: option parsing, path lists and setup shared by both tools. */
#include "config.h"

#include "cli.h"

#include <errno.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

int cli_syslog;

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

static int parse_events(struct cli_opts *o, const char *arg)
{
	int mask = it_event_parse(arg, ',');

	if (mask == -1) {
		fprintf(stderr, MSG_BAD_EVENT, arg);
		return -1;
	}
	o->events |= (uint32_t)mask;
	return 1;
}

static int parse_timeout(struct cli_opts *o, const char *arg)
{
	char *end;

	errno = 0;
	o->timeout = strtol(arg, &end, 10);
	if (!*arg) {
		fputs(MSG_EMPTY_TIMEOUT MSG_TIMEOUT_LONG, stderr);
	} else if (*end) {
		fprintf(stderr, MSG_BAD_TIMEOUT MSG_TIMEOUT_LONG, arg);
	} else if (errno) {
		fprintf(stderr, MSG_TIMEOUT_RANGE "%s\n", strerror(errno));
	} else {
		return 1;
	}
	return -1;
}

int cli_option(struct cli_opts *o, int opt, const char *arg)
{
	switch (opt) {
	case 'e':
		return parse_events(o, arg);
	case 't':
		return parse_timeout(o, arg);
	case 'r':
		o->recursive = 1;
		return 1;
	case 'P':
		o->no_deref = 1;
		return 1;
	case 'I':
		o->fanotify = 0;
		return 1;
	case 'F':
		o->fanotify = 1;
		return 1;
	case 'S':
		o->fanotify = o->filesystem = 1;
		return 1;
	case OPT_FROMFILE:
		if (o->fromfile) {
			fputs(MSG_FROMFILE_TWICE, stderr);
			return -1;
		}
		o->fromfile = arg;
		return 1;
	case OPT_EXCLUDE:
	case OPT_EXCLUDEI:
		o->exclude = arg;
		++*(opt == OPT_EXCLUDE ? &o->nexclude : &o->nexcludei);
		return 1;
	case OPT_INCLUDE:
	case OPT_INCLUDEI:
		o->include = arg;
		++*(opt == OPT_INCLUDE ? &o->ninclude : &o->nincludei);
		return 1;
	}
	return 0;
}

int cli_check_regex(const struct cli_opts *o)
{
	const char *why = NULL;

	if (o->nexclude && o->nexcludei)
		why = MSG_EXCL_BOTH;
	else if (o->ninclude && o->nincludei)
		why = MSG_INCL_BOTH;
	else if (o->exclude && o->include)
		why = MSG_INCL_EXCL;
	if (why)
		fputs(why, stderr);
	return why ? -1 : 0;
}

void cli_warn_repeats(const struct cli_opts *o)
{
	if (o->nexclude > 1)
		fputs("--exclude: only the last option will be taken into "
		      "consideration.\n",
		      stderr);
	if (o->nexcludei > 1)
		fputs("--excludei: only the last option will be taken into "
		      "consideration.\n",
		      stderr);
}

/* One entry of the list: "@path" excludes, "" and "@" are ignored. */
static int add_path(struct cli_opts *o, const char *s)
{
	if (s[0] == '@')
		return s[1] ? strv_push(&o->skip, s + 1) : 0;
	return s[0] ? strv_push(&o->paths, s) : 0;
}

static int read_fromfile(struct cli_opts *o)
{
	FILE *f = strcmp(o->fromfile, "-") ? fopen(o->fromfile, "re") : stdin;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int rc = 0;

	if (!f) {
		fprintf(stderr, MSG_CANT_OPEN, o->fromfile, strerror(errno));
		return 0;
	}
	while (rc == 0 && (n = getline(&line, &cap, f)) > 0) {
		if (line[n - 1] == '\n')
			line[n - 1] = '\0';
		rc = add_path(o, line);
	}
	free(line);
	if (f != stdin)
		fclose(f);
	return rc;
}

int cli_paths(struct cli_opts *o, int argc, char **argv)
{
	if (o->fromfile && read_fromfile(o) < 0)
		return -1;
	for (int i = optind; i < argc; i++)
		if (add_path(o, argv[i]) < 0)
			return -1;
	return 0;
}

int cli_open(struct it_ctx *c, const struct cli_opts *o)
{
	(void)o;
	if (it_ctx_open(c) == 0) {
		/* single-threaded: walks may work in each directory */
		c->walk_chdir = 1;
		return 0;
	}
	cli_err(MSG_INIT_FAILED, strerror(c->error));
	if (c->error == EMFILE)
		cli_err(MSG_MAX_INSTANCES);
	return -1;
}

int cli_filter(struct it_ctx *c, const struct cli_opts *o)
{
	int icase = (o->nexcludei || o->nincludei) ? REG_ICASE : 0;
	const char *pattern = o->exclude ? o->exclude : o->include;

	if (!pattern)
		return 0;
	if (it_filter_set(c, pattern, REG_EXTENDED | icase, !o->exclude) == 0)
		return 0;
	fprintf(stderr, MSG_BAD_REGEX, o->exclude ? "exclude" : "include");
	return -1;
}

int64_t cli_deadline(long seconds)
{
	if (seconds <= 0 || seconds > INT32_MAX * 1000L)
		return -1;
	return it_now_ms() + (int64_t)seconds * 1000;
}

void cli_help_events(void)
{
	fputs("Events:\n", stdout);
	for (size_t i = 0; i < it_nevents; i++)
		if (it_events[i].help)
			printf("\t%s\t%s\n", it_events[i].name,
			       it_events[i].help);
}

int cli_watch(struct it_ctx *c, const struct cli_opts *o, uint32_t mask,
	      const char *failfmt, int verbose)
{
	for (size_t i = 0; i < o->paths.n; i++) {
		const char *p = o->paths.v[i];
		int rc;

		if (verbose && o->recursive)
			cli_err("Setting up watch(es) on %s\n", p);
		if (o->recursive)
			rc = it_watch_tree(c, p, mask,
					   (const char *const *)o->skip.v);
		else
			rc = it_watch_path(c, p, mask) ? 0 : -1;
		if (rc < 0 && c->error == ENOSPC) {
			cli_err(MSG_LIMIT, p);
			cli_err(MSG_LIMIT_HINT);
			return -1;
		}
		if (rc < 0) {
			cli_err(failfmt, p, strerror(c->error));
			return -1;
		}
		if (verbose && o->recursive)
			cli_err("OK, %s is now being watched.\n", p);
	}
	return 0;
}

void cli_warn_new_dir(void *arg, const char *path, int err)
{
	(void)arg;
	cli_err("Couldn't watch new directory %s: %s\n", path, strerror(err));
}

int cli_parse(struct cli_opts *o, int argc, char **argv,
	      const struct cli_tool *tool, void *arg)
{
	int opt, rc;

	while ((opt = getopt_long(argc, argv, tool->shortopts, tool->longopts,
				  NULL)) != -1) {
		if (opt == 'h') {
			tool->usage();
			return 1;
		}
		if (opt == OPT_VERSION) {
			printf("%s %s\n", tool->name, PACKAGE_VERSION);
			return 2;
		}
		if ((rc = cli_option(o, opt, optarg)) < 0)
			return -1;
		if (rc == 0 && tool->option(arg, opt, optarg) < 0)
			return -1;
	}
	return 0;
}
