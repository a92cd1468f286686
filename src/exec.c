/* exec.c: inotifywait --exec: runs the command on the paths of each batch,
 * one run at a time, in a process group of its own; the paths of batches
 * that come meanwhile wait, each once, for the next run.  It reads no
 * events and prints none: inotifywait tells it what to run and when.
 * inotifywait is a child subreaper, so that what a command leaves behind
 * comes back to it: a stopped run is over once its whole group is. */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "exec.h"

#define NONE UINT32_MAX

extern char **environ;

/* How long a stopped run may take to end before SIGKILL. */
#define STOP_MS 5000

static uint32_t hash(const char *s)
{
	uint32_t h = 2166136261u;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

/* Put index i of c->path in the set. */
static void set_put(struct cmd *c, uint32_t i)
{
	size_t k = hash(c->path[i]) & (c->nset - 1);

	while (c->set[k] != NONE)
		k = (k + 1) & (c->nset - 1);
	c->set[k] = i;
}

/* Rebuild the set of the queued paths in twice as many slots as needed. */
static int set_rebuild(struct cmd *c)
{
	size_t n = 64;

	while (n < 2 * c->n + 2)
		n *= 2;
	if (n != c->nset) {
		uint32_t *s = malloc(n * sizeof(*s));

		if (!s)
			return -1;
		free(c->set);
		c->set = s;
		c->nset = n;
	}
	memset(c->set, 0xff, c->nset * sizeof(*c->set));
	for (size_t i = 0; i < c->n; i++)
		set_put(c, (uint32_t)i);
	return 0;
}

/* Whether p waits already. */
static int set_has(const struct cmd *c, const char *p)
{
	size_t k = hash(p) & (c->nset - 1);

	for (; c->set[k] != NONE; k = (k + 1) & (c->nset - 1))
		if (!strcmp(c->path[c->set[k]], p))
			return 1;
	return 0;
}

int cmd_init(struct cmd *c, const char *text, int restart)
{
	long max = sysconf(_SC_ARG_MAX);
	size_t env = 0;

	memset(c, 0, sizeof(*c));
	c->text = text;
	c->restart = restart;
	c->out = -1;
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	for (char **e = environ; *e; e++)
		env += strlen(*e) + 1 + sizeof(char *);
	if (max <= 0)
		max = 128 * 1024;
	/* what the command, its shell and some margin leave */
	c->arg_max = (size_t)max > env + strlen(text) + 8192
			     ? (size_t)max - env - strlen(text) - 8192
			     : 4096;
	return set_rebuild(c);
}

int cmd_add(struct cmd *c, const char *p, size_t len)
{
	char *s;

	if (!(s = strndup(p, len)))
		return -1;
	if (set_has(c, s)) {
		free(s);
		return 0;
	}
	if (c->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 64;
		char **v = realloc(c->path, cap * sizeof(*v));

		if (!v) {
			free(s);
			return -1;
		}
		c->path = v;
		c->cap = cap;
	}
	c->path[c->n++] = s;
	if (2 * c->n + 2 > c->nset)
		return set_rebuild(c);
	set_put(c, (uint32_t)(c->n - 1));
	return 0;
}

/* The arguments of one run: the first queued paths, as many as fit; *end
 * is where they stop. NULL when out of memory. */
static char **run_argv(struct cmd *c, size_t *end)
{
	static char sh[] = "/bin/sh", dash_c[] = "-c", name[] = "inotifywait";
	size_t k = 0, used = 0;
	char **argv;

	while (k < c->n &&
	       (k == 0 ||
		used + strlen(c->path[k]) + 1 + sizeof(char *) <= c->arg_max))
		used += strlen(c->path[k++]) + 1 + sizeof(char *);
	if (!(argv = malloc((k + 5) * sizeof(*argv))))
		return NULL;
	argv[0] = sh;
	argv[1] = dash_c;
	argv[2] = (char *)(uintptr_t)c->text;
	argv[3] = name;
	memcpy(argv + 4, c->path, k * sizeof(*argv));
	argv[4 + k] = NULL;
	*end = k;
	return argv;
}

/* The first end paths were handed to a run: forget them. */
static int consumed(struct cmd *c, size_t end)
{
	for (size_t i = 0; i < end; i++)
		free(c->path[i]);
	memmove(c->path, c->path + end, (c->n - end) * sizeof(*c->path));
	c->n -= end;
	return set_rebuild(c);
}

/* Start a run on the queued paths; -1 if it cannot be started. */
static int start(struct cmd *c)
{
	size_t end;
	char **argv = run_argv(c, &end);
	sigset_t none;
	pid_t pid;

	if (!argv || (pid = fork()) < 0) {
		cli_err("Couldn't run the --exec command: %s\n",
			strerror(errno));
		free(argv);
		return -1;
	}
	if (pid == 0) {
		setpgid(0, 0);
		if (c->out >= 0)
			dup2(c->out, STDOUT_FILENO);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		execv(argv[0], argv);
		_exit(127);
	}
	setpgid(pid, pid);
	free(argv);
	c->pid = pid;
	c->stopped = 0;
	return consumed(c, end);
}

/* Say how the run ended, if it failed and we did not stop it. */
static void report(const struct cmd *c, int st)
{
	if (c->stopped)
		return;
	if (WIFEXITED(st) && WEXITSTATUS(st))
		cli_err("The --exec command exited with status %d.\n",
			WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		cli_err("The --exec command was killed by signal %d (%s).\n",
			WTERMSIG(st), strsignal(WTERMSIG(st)));
}

/* Stop the run in progress: SIGTERM to its group, SIGKILL after STOP_MS;
 * wait until no process of the group is left (its orphans are ours). */
static void stop(struct cmd *c)
{
	struct timespec tick = { 0, 10 * 1000 * 1000 };
	int st;

	c->stopped = 1;
	kill(-c->pid, SIGTERM);
	for (int ms = 0; waitpid(-c->pid, &st, WNOHANG) >= 0; ms += 10) {
		if (ms == STOP_MS)
			kill(-c->pid, SIGKILL);
		nanosleep(&tick, NULL);
	}
	c->pid = 0;
}

int cmd_batch(struct cmd *c)
{
	if (c->n == 0)
		return 0;
	if (c->pid && !c->restart)
		return 0; /* it waits for the run in progress */
	if (c->pid)
		stop(c);
	return start(c);
}

int cmd_reap(struct cmd *c)
{
	int st, ran = 0;
	pid_t pid;

	/* the run, and what earlier runs left behind */
	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		if (pid != c->pid)
			continue;
		report(c, st);
		c->pid = 0;
		ran = 1;
	}
	if (ran && c->n)
		start(c);
	return ran;
}

void cmd_free(struct cmd *c)
{
	if (c->pid)
		stop(c);
	for (size_t i = 0; i < c->n; i++)
		free(c->path[i]);
	free(c->path);
	free(c->set);
	memset(c, 0, sizeof(*c));
}
