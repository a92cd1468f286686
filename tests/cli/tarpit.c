/* tarpit.c: a TCP server on 127.0.0.1 that accepts every connection and
 * never answers, for the tests of targets that hang.  Prints its port on
 * stdout, then holds the connections until it is killed. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

int main(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int s = socket(AF_INET, SOCK_STREAM, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    listen(s, 64) < 0 ||
	    getsockname(s, (struct sockaddr *)&a, &len) < 0) {
		perror("tarpit");
		return 1;
	}
	printf("%d\n", ntohs(a.sin_port));
	fflush(stdout);
	for (;;)
		if (accept(s, NULL, NULL) < 0)
			perror("tarpit: accept");
}
