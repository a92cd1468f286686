/* cli.h: what inotifywait and inotifywatch share: options, paths, setup. */
#ifndef CLI_H
#define CLI_H

#include <getopt.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "ctx.h"

/* Messages that scripts grep for: upstream's exact text, kept in one place. */
#define MSG_BAD_EVENT                                                          \
	"'%s' is not a valid event!  Run with the '--help' option to see a "   \
	"list of events.\n"
#define MSG_EMPTY_TIMEOUT "The provided value is not a valid timeout value.\n"
#define MSG_BAD_TIMEOUT "'%s' is not a valid timeout value.\n"
#define MSG_TIMEOUT_LONG "Please specify a long int value.\n"
#define MSG_TIMEOUT_RANGE                                                      \
	"Something went wrong with the timeout value you provided.\n"
#define MSG_NEG_TIMEOUT "Negative timeout specified - abort!\n"
#define MSG_EXCL_BOTH "--exclude and --excludei cannot both be specified.\n"
#define MSG_INCL_BOTH "--include and --includei cannot both be specified.\n"
#define MSG_INCL_EXCL "include and exclude regexp cannot both be specified.\n"
#define MSG_BAD_REGEX "Error in `%s' regular expression.\n"
#define MSG_SKIP_REGEX                                                         \
	"--%s%s: `%s' is not a valid regular expression; skipped.\n"
#define MSG_FROMFILE_TWICE "Multiple --fromfile options given.\n"
#define MSG_CANT_OPEN "Couldn't open %s: %s\n"
#define MSG_CANT_READ "Couldn't read %s: %s\n"
#define MSG_BAD_REGEX_LINE                                                     \
	"Error in `%s' regular expression on line %zu of %s.\n"
#define MSG_NO_FILES "No files specified to watch!\n"
#define MSG_INIT_FAILED "Couldn't initialize inotify: %s\n"
#define MSG_MAX_INSTANCES                                                      \
	"Try increasing the value of "                                         \
	"/proc/sys/fs/inotify/max_user_instances\n"
#define MSG_FAN_INIT_FAILED "Couldn't initialize fanotify: %s\n"
#define MSG_FAN_MAX_GROUPS                                                     \
	"Try increasing the value of /proc/sys/fs/fanotify/max_user_groups\n"
#define MSG_FAN_KERNEL                                                         \
	"fanotify support for reporting the events with file names was added " \
	"in kernel v5.9.\n"
#define MSG_FAN_PERM "fanotify watch requires admin privileges\n"

/* Long-only options, numbered above every short option character. */
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
};

/* The getopt_long entries both tools have; short letters are in each tool. */
/* clang-format off */
#define CLI_LONGOPTS \
	{ "help", no_argument, NULL, 'h' }, \
	{ "event", required_argument, NULL, 'e' }, \
	{ "timeout", required_argument, NULL, 't' }, \
	{ "recursive", no_argument, NULL, 'r' }, \
	{ "no-dereference", no_argument, NULL, 'P' }, \
	{ "inotify", no_argument, NULL, 'I' }, \
	{ "fanotify", no_argument, NULL, 'F' }, \
	{ "filesystem", no_argument, NULL, 'S' }, \
	{ "fromfile", required_argument, NULL, OPT_FROMFILE }, \
	{ "exclude", required_argument, NULL, OPT_EXCLUDE }, \
	{ "excludei", required_argument, NULL, OPT_EXCLUDEI }, \
	{ "include", required_argument, NULL, OPT_INCLUDE }, \
	{ "includei", required_argument, NULL, OPT_INCLUDEI }, \
	{ "exclude-from", required_argument, NULL, OPT_EXCLUDE_FROM }, \
	{ "include-from", required_argument, NULL, OPT_INCLUDE_FROM }, \
	{ "version", no_argument, NULL, OPT_VERSION }, \
	{ "exit-with-parent", no_argument, NULL, OPT_EXIT_WITH_PARENT }
/* clang-format on */

/* A NULL-terminated list of strings. */
struct strv {
	char **v;
	size_t n, cap;
};

/* A --exclude or --include pattern, from the command line or a file. */
struct cli_pat {
	const char *re;
	int include, icase;
	const char *file; /* NULL: the command line */
	size_t line;
};

/* What cli_parse() needs to know of a tool. */
struct cli_tool {
	const char *name;
	const char *shortopts;
	const struct option *longopts;
	void (*usage)(void);
	/* handle a tool's own option; -1 if it is bad */
	int (*option)(void *arg, int opt, const char *optarg);
};

/* Options both tools take, as parsed. */
struct cli_opts {
	uint32_t events; /* union of -e, 0 if none */
	int recursive, no_deref, fanotify, filesystem;
	int exit_with_parent;
	long timeout;
	const char *fromfile;
	struct cli_pat *pats; /* every pattern, in order */
	size_t npats;
	struct strv lines; /* the lines read from --exclude-from and co */
	int nexclude, nexcludei, ninclude, nincludei;
	struct strv paths; /* watch list */
	struct strv skip;  /* @ exclusions */
};

/* Where error-channel messages go: stderr, or syslog with -s. */
extern int cli_syslog;
/* The name the tool was run as: fsnotifywait/fsnotifywatch select fanotify. */
extern const char *cli_name;

/* Print the -I/-F/-S lines of --help, upstream 4.x's. */
void cli_help_backends(void);

/* Print to the error channel (stderr or syslog). */
void cli_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Parse the command line: 0 to go on, 1 after --help, 2 after --version,
 * -1 on a bad option (already reported). */
int cli_parse(struct cli_opts *o, int argc, char **argv,
	      const struct cli_tool *tool, void *arg);
/* The library's warn callback: a new directory could not be watched. */
void cli_warn_new_dir(void *arg, const char *path, int err);
/* Handle opt if it is a shared option: 1 done, 0 not shared, -1 bad. */
int cli_option(struct cli_opts *o, int opt, const char *arg);
/* Check the regex option combinations; -1 after printing why. */
int cli_check_regex(const struct cli_opts *o);
/* Add the lines of f (a --fromfile list) to the watch and @ lists. */
int cli_read_list(struct cli_opts *o, FILE *f);
/* Build the watch list from --fromfile and the operands. */
int cli_paths(struct cli_opts *o, int argc, char **argv);
/* Open the inotify context; -1 after printing why. */
int cli_open(struct it_ctx *c, const struct cli_opts *o);
/* Compile the --exclude/--include patterns into c; -1 after printing why.
 * A bad pattern that is not the last of its option is skipped, with a
 * warning unless quiet: upstream compiles only the last one. */
int cli_filter(struct it_ctx *c, const struct cli_opts *o, int quiet);
/* Free what cli_parse() and cli_paths() allocated. */
void cli_free(struct cli_opts *o);
/* Append a copy of s to v. */
int strv_push(struct strv *v, const char *s);
/* Free v's strings and array. */
void strv_free(struct strv *v);
/* What cli_watch() prints besides errors. */
#define CLI_VERBOSE 1	  /* inotifywatch -v lines */
#define CLI_ANNOUNCE_FS 2 /* -S: "Setting up filesystem watch on <path>" */
/* Watch every path of o with mask, printing failfmt ("...%s: %s\n") for a
 * failure; -1 after the first failure. flags: CLI_* above. */
int cli_watch(struct it_ctx *c, struct cli_opts *o, uint32_t mask,
	      const char *failfmt, int flags);
/* --exit-with-parent: be sent SIGTERM when the parent dies, and send it
 * now if parent (getppid() when main started) is gone already; -1 after
 * printing why it cannot be arranged. */
int cli_exit_with_parent(pid_t parent);
/* Print the "Events:" part of --help, from the event table. */
void cli_help_events(void);
/* Deadline on it_now_ms()'s scale for a timeout in seconds (0: none). */
int64_t cli_deadline(long seconds);

#endif
