/* exec.h: inotifywait --exec: a command run on the paths of each batch. */
#ifndef EXEC_H
#define EXEC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The command and the paths waiting for its next run. */
struct cmd {
	const char *text; /* run as /bin/sh -c TEXT inotifywait PATH... */
	int restart;	  /* a new batch stops the running command */
	pid_t pid;	  /* the run in progress (its process group), or 0 */
	int stopped;	  /* we sent it SIGTERM */
	char **path;	  /* queued, each once */
	size_t n, cap;
	uint32_t *set; /* hash set of path indexes, nset a power of 2 */
	size_t nset;
	size_t arg_max; /* bytes of arguments a run may take */
	int out;	/* the command's standard output, or -1: ours */
};

/* Set up c for command text (c->out -1) and make the process a child
 * subreaper; -1 when out of memory. */
int cmd_init(struct cmd *c, const char *text, int restart);
/* Queue the path p (len bytes) for the next run, once; -1 when out of
 * memory. */
int cmd_add(struct cmd *c, const char *p, size_t len);
/* A batch is complete: run the command on what is queued, unless a run is
 * in progress (it waits; with restart, that run is stopped first). -1 if
 * the command cannot be started (said on stderr). */
int cmd_batch(struct cmd *c);
/* Collect the run in progress if it has ended (a failure is reported on
 * stderr), and start the next if paths wait. 1 if it ran. */
int cmd_reap(struct cmd *c);
/* Stop a run in progress and wait for it; free c. */
void cmd_free(struct cmd *c);

#endif
