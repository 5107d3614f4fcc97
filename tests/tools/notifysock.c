/* notifysock: a stand-in for systemd's notification socket in tests.  Binds
 * a datagram socket at PATH and prints every message it receives as one line
 * "<ms since start> <message with newlines as |>", flushing each, until
 * killed or for at most -t seconds. */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	double start = now_ms(), limit = 120e3;
	char buf[4096];
	int fd;

	if (argc < 2 || strlen(argv[1]) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "usage: notifysock PATH [SECONDS]\n");
		return 2;
	}
	if (argc > 2)
		limit = atof(argv[2]) * 1e3;
	strcpy(sa.sun_path, argv[1]);
	unlink(argv[1]);
	fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("notifysock: bind");
		return 1;
	}
	while (now_ms() - start < limit) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, 200) <= 0)
			continue;
		n = recv(fd, buf, sizeof(buf) - 1, 0);
		if (n < 0)
			continue;
		buf[n] = '\0';
		for (char *c = buf; *c; c++)
			if (*c == '\n')
				*c = '|';
		printf("%.0f %s\n", now_ms() - start, buf);
		fflush(stdout);
	}
	return 0;
}
