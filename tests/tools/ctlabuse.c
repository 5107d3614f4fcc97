/*
 * ctlabuse — misbehaving clients of synguardd's control socket, for the
 * abuse test (tests/e2e/ctl_abuse.sh).
 *
 *   ctlabuse -s SOCKET -m MODE [-n N] [-t SECS]
 *
 * Modes, each running for SECS (default 10) seconds:
 *   idle      N connections (default 1000) held open without a word; one the
 *             daemon closes is opened again at once.
 *   slowread  N connections each send 200 "stats" requests in one go and
 *             never read a reply; reopened when the daemon closes them.
 *   bigline   one connection at a time sends a 1 MB line (no newline) as
 *             fast as the socket takes it; reopened when closed.
 *   halfclose connect, "ping", shut down writing, read the reply to the
 *             end, close; again and again (counts the replies that were
 *             "synguard/1 ok" and "pong").
 *   churn     connect and close at once, again and again.
 * At the end one line: "ctlabuse: MODE connects C closed_by_daemon D ok K
 * failed F" (ok: halfclose's good replies; failed: connects refused or
 * replies that were not right).  Exit status 0, or 1 if nothing could
 * connect at all.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "tool.h"

#define MAX_CONNS 4096
#define BIGLINE (1024 * 1024)

static struct sockaddr_un sa = { .sun_family = AF_UNIX };
static long connects, closed_by_daemon, ok, failed;

static void usage(void)
{
	fprintf(stderr, "usage: ctlabuse -s SOCKET -m idle|slowread|bigline|halfclose|churn "
			"[-n N] [-t SECS]\n");
	exit(2);
}

/* A connected socket (non-blocking if nb), or -1 (counted as failed). */
static int open_one(int nb)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | (nb ? SOCK_NONBLOCK : 0), 0);

	if (fd < 0) {
		failed++;
		return -1;
	}
	if (connect(fd, (const struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		failed++;
		return -1;
	}
	connects++;
	return fd;
}

static void slowread_start(int fd)
{
	static char reqs[200 * 6];

	if (!reqs[0])
		for (size_t i = 0; i < 200; i++)
			memcpy(reqs + i * 6, "stats\n", 6);
	(void)!send(fd, reqs, sizeof(reqs), MSG_NOSIGNAL | MSG_DONTWAIT);
}

/* idle and slowread: n connections, each reopened once the daemon closes it
 * (seen as POLLRDHUP or POLLHUP, without reading what it sent). */
static void hold(int n, int slow, double deadline)
{
	static struct pollfd p[MAX_CONNS];

	for (int i = 0; i < n; i++) {
		p[i].fd = open_one(1);
		p[i].events = POLLRDHUP;
		if (slow && p[i].fd >= 0)
			slowread_start(p[i].fd);
	}
	while (tool_now_ms() < deadline) {
		int refused = 0;

		if (poll(p, (nfds_t)n, 100) < 0 && errno != EINTR)
			break;
		for (int i = 0; i < n; i++) {
			if (p[i].fd >= 0 && !(p[i].revents & (POLLRDHUP | POLLHUP | POLLERR)))
				continue;
			if (p[i].fd >= 0) {
				closed_by_daemon++;
				close(p[i].fd);
			}
			p[i].fd = open_one(1);
			refused += p[i].fd < 0;
			if (slow && p[i].fd >= 0)
				slowread_start(p[i].fd);
		}
		if (refused)
			usleep(50000);	/* the backlog is full: retry soon, not in a spin */
	}
	for (int i = 0; i < n; i++)
		if (p[i].fd >= 0)
			close(p[i].fd);
}

/* One 1 MB line after another, each on a new connection. */
static void bigline(double deadline)
{
	static char line[BIGLINE];
	int fd = -1;
	size_t off = 0;

	memset(line, 'a', sizeof(line));
	while (tool_now_ms() < deadline) {
		ssize_t n;

		if (fd < 0) {
			fd = open_one(1);
			off = 0;
			if (fd < 0) {
				usleep(10000);
				continue;
			}
		}
		n = send(fd, line + off, sizeof(line) - off, MSG_NOSIGNAL);
		if (n > 0) {
			off += (size_t)n;
			if (off == sizeof(line))
				off = 0;	/* and on: the line never ends */
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			(void)tool_wait(fd, POLLOUT, tool_now_ms() + 100);
			continue;
		}
		closed_by_daemon++;	/* EPIPE, ECONNRESET: the daemon closed it */
		close(fd);
		fd = -1;
	}
	if (fd >= 0)
		close(fd);
}

/* A client that says what it wants, closes its sending side and reads. */
static void halfclose(double deadline)
{
	while (tool_now_ms() < deadline) {
		char buf[256];
		size_t got = 0;
		ssize_t n;
		int fd = open_one(0);

		if (fd < 0) {
			usleep(10000);
			continue;
		}
		{
			struct timeval tv = { .tv_sec = 2 };

			setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		}
		if (send(fd, "ping\n", 5, MSG_NOSIGNAL) != 5 || shutdown(fd, SHUT_WR) < 0) {
			failed++;
			close(fd);
			continue;
		}
		while (got < sizeof(buf) - 1 && (n = recv(fd, buf + got, sizeof(buf) - 1 - got, 0)) > 0)
			got += (size_t)n;
		buf[got] = '\0';
		if (strcmp(buf, "synguard/1 ok\npong\n\n") == 0)
			ok++;
		else
			failed++;
		close(fd);
	}
}

static void churn(double deadline)
{
	while (tool_now_ms() < deadline) {
		int fd = open_one(0);

		if (fd >= 0)
			close(fd);
		else
			usleep(1000);
	}
}

int main(int argc, char **argv)
{
	const char *path = NULL, *mode = NULL;
	long n = 1000, secs = 10;
	struct rlimit rl;
	double deadline;
	int opt;

	while ((opt = getopt(argc, argv, "s:m:n:t:")) != -1) {
		switch (opt) {
		case 's': path = optarg; break;
		case 'm': mode = optarg; break;
		case 'n': n = tool_num(optarg, 1, MAX_CONNS, "connections"); break;
		case 't': secs = tool_num(optarg, 1, 3600, "seconds"); break;
		default: usage();
		}
	}
	if (!path || !mode || optind != argc || strlen(path) >= sizeof(sa.sun_path))
		usage();
	memcpy(sa.sun_path, path, strlen(path) + 1);
	signal(SIGPIPE, SIG_IGN);
	/* Room for the connections held. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)n + 64) {
		rl.rlim_cur = rl.rlim_max < (rlim_t)n + 64 ? rl.rlim_max : (rlim_t)n + 64;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	deadline = tool_now_ms() + (double)secs * 1e3;
	if (strcmp(mode, "idle") == 0)
		hold((int)n, 0, deadline);
	else if (strcmp(mode, "slowread") == 0)
		hold((int)n, 1, deadline);
	else if (strcmp(mode, "bigline") == 0)
		bigline(deadline);
	else if (strcmp(mode, "halfclose") == 0)
		halfclose(deadline);
	else if (strcmp(mode, "churn") == 0)
		churn(deadline);
	else
		usage();
	printf("ctlabuse: %s connects %ld closed_by_daemon %ld ok %ld failed %ld\n", mode, connects,
	       closed_by_daemon, ok, failed);
	return connects ? 0 : 1;
}
