/*
 * holdconns — hold TCP connections in chosen states for the census tests.
 *
 * Client: holdconns -d ADDR -p PORT [-e E] [-w W] [-T T] [-t SECS] [-b PORT]
 *   E connections stay ESTABLISHED; W connections shut down writing (our FIN
 *   is acknowledged, the server never closes: a gateway's conntrack sees
 *   CLOSE_WAIT); T connections close with the client first (the client ends
 *   in TIME_WAIT, conntrack too).  -b: the connections' local ports are
 *   PORT, PORT+1, ... (known to a flood aimed at them).  Prints "ready" once every connection is in
 *   place, then holds them until SIGTERM/SIGINT or SECS seconds.  At the end
 *   each ESTABLISHED connection proves it is still one, end to end: it sends a
 *   byte that the server echoes ("holdconns: held E alive A broken B"; the
 *   exit status is 1 if any is broken: reset, timed out or lost on the way).
 * Server: holdconns -l ADDR -p PORT [-t SECS]
 *   The first byte of each connection says how to behave: 'E' hold (and echo
 *   every later byte), 'W' read to EOF and keep the socket open (CLOSE_WAIT),
 *   'T' read to EOF and close.
 *   The clients wait for their own socket states, so the states are
 *   deterministic once "ready" is printed.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "tool.h"

#define MAX_CONNS 4096
#define STEP_TIMEOUT_MS 5000	/* per connect, per state change */
#define SETTLE_MS 500		/* after the connects, before the closes */

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void usage(void)
{
	fprintf(stderr, "usage: holdconns -d ADDR -p PORT [-e N] [-w N] [-T N] [-t SECS] [-b LPORT]\n"
			"       holdconns -l ADDR -p PORT [-t SECS]\n");
	exit(2);
}

static void die(const char *what)
{
	fprintf(stderr, "holdconns: %s: %s\n", what, strerror(errno));
	exit(1);
}

static socklen_t make_addr(const char *host, int port, struct sockaddr_storage *ss)
{
	socklen_t len = tool_addr(ss, host, port);

	if (!len) {
		fprintf(stderr, "holdconns: bad address '%s'\n", host);
		exit(2);
	}
	return len;
}

/* --- client ---------------------------------------------------------------- */

static int tcp_state(int fd)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) < 0)
		die("TCP_INFO");
	return ti.tcpi_state;
}

/* Poll until the socket reaches state (e.g. FIN_WAIT2: our FIN was acked). */
static void wait_state(int fd, int state, const char *name)
{
	double deadline = tool_now_ms() + STEP_TIMEOUT_MS;

	while (tcp_state(fd) != state) {
		if (tool_now_ms() > deadline || stop) {
			fprintf(stderr, "holdconns: socket never reached %s (state %d)\n", name,
				tcp_state(fd));
			exit(1);
		}
		usleep(1000);
	}
}

/* A blocking connect would wait out the kernel's SYN retries: connect
 * non-blocking with a bound, then go blocking with a bounded recv(). */
static int connect_mode(const struct sockaddr_storage *ss, socklen_t len, char mode, int lport)
{
	struct timeval tv = { .tv_sec = STEP_TIMEOUT_MS / 1000 };
	struct pollfd p;
	int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), err = 0;
	socklen_t elen = sizeof(err);

	if (fd < 0)
		die("socket");
	if (lport) {
		struct sockaddr_storage la;
		socklen_t llen = tool_addr(&la, ss->ss_family == AF_INET ? "0.0.0.0" : "::", lport);

		if (!llen || bind(fd, (const struct sockaddr *)&la, llen) < 0)
			die("bind");
	}
	if (connect(fd, (const struct sockaddr *)ss, len) < 0 && errno != EINPROGRESS)
		die("connect");
	p.fd = fd;
	p.events = POLLOUT;
	if (poll(&p, 1, STEP_TIMEOUT_MS) != 1)
		die("connect timed out");
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0 || err) {
		errno = err;
		die("connect");
	}
	if (fcntl(fd, F_SETFL, 0) < 0 || setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0)
		die("socket options");
	if (send(fd, &mode, 1, MSG_NOSIGNAL) != 1)
		die("send");
	return fd;
}

/* Client closes first: our FIN, the server's FIN, our last ACK (sent before
 * recv() reports EOF, the kernel acks a FIN in FIN_WAIT2 at once). */
static void close_first(int fd)
{
	char buf[64];
	ssize_t n;

	if (shutdown(fd, SHUT_WR) < 0)
		die("shutdown");
	while ((n = recv(fd, buf, sizeof(buf), 0)) > 0)
		;
	if (n < 0)
		die("recv");
	close(fd);
}

static int *client(const char *host, int port, long ne, long nw, long nt, int lport, int *nfds)
{
	struct sockaddr_storage ss;
	socklen_t len = make_addr(host, port, &ss);
	int *fds = calloc((size_t)(ne + nw + nt) + 1, sizeof(int));
	long i;

	if (!fds)
		die("calloc");
	*nfds = 0;
	for (i = 0; i < ne + nw + nt; i++)
		fds[i] = connect_mode(&ss, len, i < ne ? 'E' : i < ne + nw ? 'W' : 'T',
				      lport ? lport + (int)i : 0);
	/* A protecting gateway may follow each handshake through its queue.
	 * Closing only once it has let go keeps the FINs out of that queue: a
	 * busy daemon releasing a FIN and its retransmission late would have
	 * the second meet a closed socket, which answers with a RST (and
	 * conntrack's entry goes to CLOSE instead of TIME_WAIT). */
	usleep(SETTLE_MS * 1000);
	for (i = ne; i < ne + nw; i++) {
		if (shutdown(fds[i], SHUT_WR) < 0)
			die("shutdown");
		wait_state(fds[i], TCP_FIN_WAIT2, "FIN_WAIT2");
	}
	for (i = ne + nw; i < ne + nw + nt; i++)
		close_first(fds[i]);
	*nfds = (int)(ne + nw);
	return fds;
}

/* Each of the first n connections (ESTABLISHED) sends one byte and waits
 * (SO_RCVTIMEO, STEP_TIMEOUT_MS) for the server's echo; a connection reset
 * meanwhile fails at once.  Returns how many answered. */
static int probe(const int *fds, int n)
{
	int alive = 0;

	for (int i = 0; i < n; i++) {
		char b = 'p', r = 0;

		if (send(fds[i], &b, 1, MSG_NOSIGNAL) != 1) {
			fprintf(stderr, "holdconns: connection %d: send: %s\n", i, strerror(errno));
			continue;
		}
		errno = 0;
		if (recv(fds[i], &r, 1, 0) != 1 || r != b) {
			fprintf(stderr, "holdconns: connection %d: no echo: %s\n", i,
				errno ? strerror(errno) : "closed");
			continue;
		}
		alive++;
	}
	return alive;
}

/* --- server ---------------------------------------------------------------- */

struct conn {
	char mode;	/* 0 until the first byte arrived */
};

static void server_accept(struct pollfd *pfd, struct conn *conns, int *n)
{
	int fd;

	while ((fd = accept4(pfd[0].fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		if (*n >= MAX_CONNS) {
			fprintf(stderr, "holdconns: more than %d connections\n", MAX_CONNS - 1);
			exit(1);
		}
		pfd[*n].fd = fd;
		pfd[*n].events = POLLIN;
		conns[*n].mode = 0;
		(*n)++;
	}
}

/* Read what is there; at EOF 'T' closes, anything else keeps the socket
 * open (for 'W' that is CLOSE_WAIT) and stops polling it. */
static void server_read(struct pollfd *p, struct conn *c)
{
	char buf[256];
	ssize_t n;

	while ((n = recv(p->fd, buf, sizeof(buf), 0)) > 0) {
		size_t off = 0;

		if (!c->mode) {
			c->mode = buf[0];
			off = 1;
		}
		/* A held connection's probe: a few bytes at most, the socket
		 * buffer takes them (a short send is a broken probe, seen by
		 * the client). */
		if (c->mode == 'E' && (size_t)n > off)
			(void)send(p->fd, buf + off, (size_t)n - off, MSG_NOSIGNAL | MSG_DONTWAIT);
	}
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (c->mode == 'T') {
		close(p->fd);
		c->mode = 'x';
	}
	p->fd = -1;	/* poll() ignores negative descriptors */
}

static void server(const char *host, int port, double deadline)
{
	static struct pollfd pfd[MAX_CONNS];
	static struct conn conns[MAX_CONNS];
	int n = 1;

	pfd[0].fd = tool_listen(host, port, 1024, 0);
	pfd[0].events = POLLIN;
	printf("holdconns: listening on %s port %d\n", host, port);
	fflush(stdout);
	while (!stop && tool_now_ms() < deadline) {
		if (poll(pfd, (nfds_t)n, 200) < 0 && errno != EINTR)
			die("poll");
		if (pfd[0].revents & POLLIN)
			server_accept(pfd, conns, &n);
		for (int i = 1; i < n; i++)
			if (pfd[i].fd >= 0 && pfd[i].revents)
				server_read(&pfd[i], &conns[i]);
	}
}

int main(int argc, char **argv)
{
	const char *dst = NULL, *lst = NULL;
	long port = 0, ne = 0, nw = 0, nt = 0, secs = 3600, lport = 0;
	struct sigaction sa;
	double deadline;
	int opt, nfds, *fds, alive;

	while ((opt = getopt(argc, argv, "d:l:p:e:w:T:t:b:")) != -1) {
		switch (opt) {
		case 'd': dst = optarg; break;
		case 'l': lst = optarg; break;
		case 'p': port = tool_num(optarg, 1, 65535, "port"); break;
		case 'e': ne = tool_num(optarg, 0, 1000, "established count"); break;
		case 'w': nw = tool_num(optarg, 0, 1000, "close-wait count"); break;
		case 'T': nt = tool_num(optarg, 0, 1000, "time-wait count"); break;
		case 't': secs = tool_num(optarg, 1, 86400, "seconds"); break;
		case 'b': lport = tool_num(optarg, 1, 65535 - 3000, "local port"); break;
		default: usage();
		}
	}
	if (!port || !dst == !lst || optind != argc)
		usage();
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	deadline = tool_now_ms() + (double)secs * 1e3;
	if (lst) {
		server(lst, (int)port, deadline);
		return 0;
	}
	fds = client(dst, (int)port, ne, nw, nt, (int)lport, &nfds);
	printf("ready\n");
	fflush(stdout);
	while (!stop && tool_now_ms() < deadline)
		usleep(50000);
	alive = probe(fds, (int)ne);
	printf("holdconns: held %ld alive %d broken %ld\n", ne, alive, ne - alive);
	for (int i = 0; i < nfds; i++)
		close(fds[i]);
	free(fds);
	return alive == ne ? 0 : 1;
}
