/*
 * tcpserver — the real listener behind synguard's namespace labs.
 *
 * Accepts forever on ADDR:PORT (":: " is dual stack), greets every connection
 * with "ok\n" and closes it. Prints one line when listening (the labs wait for
 * it) and one when SIGTERM/SIGINT ends it.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tool.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void usage(void)
{
	fprintf(stderr, "usage: tcpserver -l ADDR -p PORT [-b BACKLOG]\n");
	exit(2);
}

/* Accepts everything pending; returns how many were served. */
static unsigned long serve_pending(int lfd)
{
	unsigned long n = 0;

	for (;;) {
		int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
			    errno != ECONNABORTED)
				perror("tcpserver: accept");
			return n;
		}
		/* A fresh socket's send buffer always takes 3 bytes; if the peer
		 * already reset, the client counts the failure, not us. */
		(void)send(fd, "ok\n", 3, MSG_NOSIGNAL);
		close(fd);
		n++;
	}
}

int main(int argc, char **argv)
{
	const char *host = NULL;
	struct sigaction sa;
	struct pollfd pfd;
	unsigned long served = 0;
	int c, port = 0, backlog = 128;

	while ((c = getopt(argc, argv, "l:p:b:h")) != -1) {
		switch (c) {
		case 'l': host = optarg; break;
		case 'p': port = (int)tool_num(optarg, 1, 65535, "port"); break;
		case 'b': backlog = (int)tool_num(optarg, 1, 65535, "backlog"); break;
		default: usage();
		}
	}
	if (!host || !port || optind != argc)
		usage();
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal; /* no SA_RESTART: poll() returns EINTR */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	pfd.fd = tool_listen(host, port, backlog, 0);
	pfd.events = POLLIN;
	printf("tcpserver: listening on %s port %d backlog %d\n", host, port, backlog);
	fflush(stdout);
	while (!stop) {
		int r = poll(&pfd, 1, 1000);
		if (r < 0 && errno != EINTR) {
			perror("tcpserver: poll");
			return 1;
		}
		if (r > 0)
			served += serve_pending(pfd.fd);
	}
	printf("tcpserver: served %lu connections\n", served);
	return 0;
}
