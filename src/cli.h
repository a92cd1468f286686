/* cli.h: what inotifywait and inotifywatch share: options, paths, setup. */
#ifndef CLI_H
#define CLI_H

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
#define MSG_BAD_REGEX "Error in `%s' regular expression.\n"
#define MSG_SKIP_REGEX                                                         \
	"--%s%s: `%s' is not a valid regular expression; skipped.\n"
#define MSG_TWICE "Multiple --%s options given.\n" /* --fromfile, -o */
#define MSG_CANT_OPEN "Couldn't open %s: %s\n"
#define MSG_CANT_READ "Couldn't read %s: %s\n"
#define MSG_CANT_WRITE "Couldn't write to %s: %s\n"
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

/* The tools: which rows of the option table are theirs, which --help. */
enum cli_tool_id { CLI_WAIT, CLI_WATCH, CLI_NTOOLS };

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

/* The kind of a pattern option: two bits, and an index of cli_opts.npat
 * (--exclude-from and --include-from count as --exclude and --include). */
enum {
	PAT_EXCLUDE = 0,
	PAT_INCLUDE = 1, /* the bit of --include and --includei */
	PAT_ICASE = 2,	 /* the bit of --excludei and --includei */
	PAT_EXCLUDEI = PAT_EXCLUDE | PAT_ICASE,
	PAT_INCLUDEI = PAT_INCLUDE | PAT_ICASE,
	PAT_NKINDS
};

/* The command line, as parsed: the options of both tools. */
struct cli_opts {
	enum cli_tool_id tool;
	pid_t parent; /* getppid() before parsing, for --exit-with-parent */

	/* both tools */
	uint32_t events; /* union of -e, every event if none */
	int recursive, no_deref, fanotify, filesystem;
	int exit_with_parent, csv, json;
	long timeout;
	const char *fromfile;
	struct cli_pat *pats; /* every pattern, in order */
	size_t npats;
	struct strv lines;    /* the lines read from --exclude-from and co */
	int npat[PAT_NKINDS]; /* how many of each kind were given */
	char **operands; /* what getopt left: the watch list and @ exclusions */
	int noperands;
	struct strv paths; /* watch list */
	struct strv skip;  /* @ exclusions */

	/* inotifywait; monitor is always set for inotifywatch */
	int monitor, daemon, syslog, quiet, no_newline;
	const char *outfile, *format, *timefmt;
	/* --batch DELAY[,MAX] in ms (-1: no batches), and what goes with it */
	int64_t batch_delay, batch_max;
	const char *batch_marker, *exec;
	int rename_records, restart;
	int batch_notify; /* --batch-notify FD, -1: none */

	/* both tools, ours */
	int follow_names;
	int max_depth;	     /* -1: none */
	uint32_t extra_mask; /* events the tool needs, printed or not */

	/* inotifywatch */
	int verbose, zero, sort_set, ascending;
	int sort_stat;	     /* counter to sort by; IT_STAT_TOTAL default */
	uint32_t sort_event; /* its event bit, 0 for total */
};

struct cli_option;
/*
 * The handler of an option (a row of the table in cli.c), called with the
 * row and the option's argument (NULL if it takes none). The convention of
 * every handler: 0 to go on parsing, or -1 after printing why the option
 * is bad, and the tool exits 1. Only --help and --version do not return:
 * they print to stdout and exit, 1 (as upstream) and 0.
 */
typedef int cli_handler(struct cli_opts *o, const struct cli_option *opt,
			const char *arg);

/* A row of the option table: getopt's long and short options and --help
 * are made from the rows of the tool. */
struct cli_option {
	const char *name; /* long name; NULL: a --help line only */
	int key;	  /* short letter, or above CHAR_MAX if long only */
	int has_arg;	  /* getopt's no_argument or required_argument */
	unsigned tools;	  /* 1 << CLI_WAIT, 1 << CLI_WATCH or both */
	cli_handler *fn;
	size_t field; /* the member the generic handlers set (offsetof) */
	int kind;     /* for the pattern handlers: PAT_* */
	/* the --help lines, printf formats with %s the tool's name; NULL:
	 * none (the option is undocumented) */
	const char *help[CLI_NTOOLS];
};

/* What a tool does of its own in cli_setup(), each step called with the
 * arg given to it; NULL: nothing. prepare: the filters are set, the paths
 * not read yet; arm: the paths are read, nothing is watched yet; both
 * return -1 after printing why the tool cannot go on. ready: everything is
 * watched. */
struct cli_steps {
	int (*prepare)(struct it_ctx *c, struct cli_opts *o, void *arg);
	int (*arm)(struct it_ctx *c, struct cli_opts *o, void *arg);
	void (*ready)(struct it_ctx *c, const struct cli_opts *o, void *arg);
};

/* Parse a number of seconds, fractions allowed, into *ms; -1 if it is
 * not one (nothing is printed). */
int cli_seconds(const char *s, int64_t *ms);

/* Where error-channel messages go: stderr, or syslog with -s. */
extern int cli_syslog;
/* The name the tool was run as: fsnotifywait/fsnotifywatch select fanotify. */
extern const char *cli_name;

/* Print to the error channel (stderr or syslog). */
void cli_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Report that writing the output to what failed with err, unless a reader
 * that went away (EPIPE) is all it was: that is no news. */
void cli_write_failed(const char *what, int err);
/* Parse the command line of tool t into o: 0, or -1 after printing why
 * (the tool exits 1). --help and --version exit here. */
int cli_parse(struct cli_opts *o, int argc, char **argv, enum cli_tool_id t);
/* Check the regex option combinations; -1 after printing why. */
int cli_check_regex(const struct cli_opts *o);
/* Check --max-depth against -r and -S, --follow-names against -S; -1
 * after printing why. */
int cli_check_names(const struct cli_opts *o);
/* Everything between validating and the event loop, for both tools: open
 * the context, compile the filters, read the paths, watch them, with the
 * tool's own steps; -1 after printing why. */
int cli_setup(struct it_ctx *c, struct cli_opts *o, const struct cli_steps *s,
	      void *arg);
/* Add the lines of f (a --fromfile list) to the watch and @ lists. */
int cli_read_list(struct cli_opts *o, FILE *f);
/* Open the inotify or fanotify context; -1 after printing why. */
int cli_open(struct it_ctx *c, const struct cli_opts *o);
/* Free what cli_parse() and cli_setup() allocated in o. */
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
/* Deadline on it_now_ms()'s scale for a timeout in seconds (0: none). */
int64_t cli_deadline(long seconds);

#endif
