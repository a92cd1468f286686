/* burst.c: the new-directory race, as fast as C can run it: for each trial
 * make DIR/tN/b/c and create DIR/tN/b/c/f at once. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	char p[4096];
	long n;

	if (argc != 3 || (n = strtol(argv[2], NULL, 10)) <= 0) {
		fprintf(stderr, "usage: burst DIR TRIALS\n");
		return 2;
	}
	for (long i = 0; i < n; i++) {
		int fd;

		snprintf(p, sizeof(p), "%s/t%ld", argv[1], i);
		if (mkdir(p, 0755) < 0)
			goto fail;
		snprintf(p, sizeof(p), "%s/t%ld/b", argv[1], i);
		if (mkdir(p, 0755) < 0)
			goto fail;
		snprintf(p, sizeof(p), "%s/t%ld/b/c", argv[1], i);
		if (mkdir(p, 0755) < 0)
			goto fail;
		snprintf(p, sizeof(p), "%s/t%ld/b/c/f", argv[1], i);
		if ((fd = open(p, O_WRONLY | O_CREAT, 0644)) < 0)
			goto fail;
		close(fd);
	}
	return 0;
fail:
	perror(p);
	return 1;
}
