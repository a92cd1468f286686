/* cli.c: option parsing, path lists and setup shared by both tools. */
#include "config.h"

#include "cli.h"

#include <errno.h>
#include <regex.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

static int add_pat(struct cli_opts *o, const char *re, int include, int icase,
		   const char *file, size_t line)
{
	struct cli_pat *p = realloc(o->pats, (o->npats + 1) * sizeof(*p));

	if (!p) {
		fprintf(stderr, "%s\n", strerror(ENOMEM));
		return -1;
	}
	o->pats = p;
	p[o->npats++] = (struct cli_pat){ re, include, icase, file, line };
	return 1;
}

/* --exclude-from, --include-from: one pattern per line, empty lines and a
 * final carriage return left out. */
static int read_patterns(struct cli_opts *o, const char *file, int include)
{
	FILE *f = strcmp(file, "-") ? fopen(file, "re") : stdin;
	char *line = NULL;
	size_t cap = 0, lineno = 0;
	ssize_t n;
	int rc = 1;

	if (!f) {
		fprintf(stderr, MSG_CANT_OPEN, file, strerror(errno));
		return -1;
	}
	while (rc > 0 && (n = getline(&line, &cap, f)) >= 0) {
		lineno++;
		if (n && line[n - 1] == '\n')
			line[--n] = '\0';
		if (n && line[n - 1] == '\r')
			line[--n] = '\0';
		if (n == 0)
			continue;
		if (strv_push(&o->lines, line) < 0 ||
		    add_pat(o, o->lines.v[o->lines.n - 1], include, 0, file,
			    lineno) < 0)
			rc = -1;
	}
	if (rc > 0 && ferror(f)) {
		fprintf(stderr, MSG_CANT_READ, file, strerror(errno));
		rc = -1;
	}
	free(line);
	if (f != stdin)
		fclose(f);
	return rc;
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
		o->fanotify = o->filesystem = 0;
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
		++*(opt == OPT_EXCLUDE ? &o->nexclude : &o->nexcludei);
		return add_pat(o, arg, 0, opt == OPT_EXCLUDEI, NULL, 0);
	case OPT_INCLUDE:
	case OPT_INCLUDEI:
		++*(opt == OPT_INCLUDE ? &o->ninclude : &o->nincludei);
		return add_pat(o, arg, 1, opt == OPT_INCLUDEI, NULL, 0);
	case OPT_EXIT_WITH_PARENT:
		o->exit_with_parent = 1;
		return 1;
	case OPT_EXCLUDE_FROM:
	case OPT_INCLUDE_FROM:
		++*(opt == OPT_EXCLUDE_FROM ? &o->nexclude : &o->ninclude);
		return read_patterns(o, arg, opt == OPT_INCLUDE_FROM);
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
	else if ((o->nexclude || o->nexcludei) && (o->ninclude || o->nincludei))
		why = MSG_INCL_EXCL;
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

void cli_help_backends(void)
{
	fputs("\t-I|--inotify\tWatch with inotify.\n"
	      "\t-F|--fanotify\tWatch with fanotify.\n"
	      "\t-S|--filesystem\tWatch entire filesystem with fanotify.\n",
	      stdout);
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

int cli_filter(struct it_ctx *c, const struct cli_opts *o, int quiet)
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

int cli_exit_with_parent(pid_t parent)
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

void cli_help_events(void)
{
	fputs("Events:\n", stdout);
	for (size_t i = 0; i < it_nevents; i++)
		if (it_events[i].help)
			printf("\t%s\t%s\n", it_events[i].name,
			       it_events[i].help);
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
		if (o->recursive)
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

void cli_warn_new_dir(void *arg, const char *path, int err)
{
	(void)arg;
	cli_err("Couldn't watch new directory %s: %s\n", path, strerror(err));
}

int cli_parse(struct cli_opts *o, int argc, char **argv,
	      const struct cli_tool *tool, void *arg)
{
	const char *base = strrchr(argv[0], '/');
	int opt, rc;

	base = base ? base + 1 : argv[0];
	cli_name = tool->name;
	if (!strncmp(base, "fsnotify", 8)) {
		cli_name = base;
		o->fanotify = 1;
	}
	while ((opt = getopt_long(argc, argv, tool->shortopts, tool->longopts,
				  NULL)) != -1) {
		if (opt == 'h') {
			tool->usage();
			return 1;
		}
		if (opt == OPT_VERSION) {
			printf("%s %s\n", cli_name, PACKAGE_VERSION);
			return 2;
		}
		if ((rc = cli_option(o, opt, optarg)) < 0)
			return -1;
		if (rc == 0 && tool->option(arg, opt, optarg) < 0)
			return -1;
	}
	return 0;
}
