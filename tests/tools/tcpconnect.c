/*
 * tcpconnect — a real TCP client that measures connection setup for the labs.
 *
 * COUNT sequential connects, each: non-blocking connect() bounded by a timeout,
 * then the server's "ok\n" greeting (proof that it accepted), then close.
 * -s binds a local source address (a second client in the same namespace).
 * One summary line on stdout with nearest-rank percentiles of the connect()
 * completion times (SYN sent -> connected) of the successful attempts.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "tool.h"

struct opts {
	struct sockaddr_storage addr;
	socklen_t addrlen;
	struct sockaddr_storage src;	/* -s: local address, ss_family 0 = any */
	socklen_t srclen;
	long count;
	int timeout_ms;
	int interval_ms;
	int quiet;
};

static void usage(void)
{
	fprintf(stderr, "usage: tcpconnect -d ADDR -p PORT -n COUNT [-s SRCADDR] [-T TIMEOUT_MS] "
		"[-i INTERVAL_MS] [-q]\n");
	exit(2);
}

static void parse_args(int argc, char **argv, struct opts *o)
{
	const char *host = NULL, *src = NULL;
	int c, port = 0;

	memset(o, 0, sizeof(*o));
	o->timeout_ms = 3000;
	while ((c = getopt(argc, argv, "d:p:n:s:T:i:qh")) != -1) {
		switch (c) {
		case 'd': host = optarg; break;
		case 'p': port = (int)tool_num(optarg, 1, 65535, "port"); break;
		case 'n': o->count = tool_num(optarg, 1, 10000000, "count"); break;
		case 's': src = optarg; break;
		case 'T': o->timeout_ms = (int)tool_num(optarg, 1, 600000, "timeout"); break;
		case 'i': o->interval_ms = (int)tool_num(optarg, 0, 600000, "interval"); break;
		case 'q': o->quiet = 1; break;
		default: usage();
		}
	}
	if (!host || !port || !o->count || optind != argc)
		usage();
	if (!(o->addrlen = tool_addr(&o->addr, host, port))) {
		fprintf(stderr, "tcpconnect: bad address '%s'\n", host);
		exit(2);
	}
	if (src && (!(o->srclen = tool_addr(&o->src, src, 0)) ||
		    o->src.ss_family != o->addr.ss_family)) {
		fprintf(stderr, "tcpconnect: bad source address '%s' (same family as -d)\n", src);
		exit(2);
	}
}

/* -s: bind the local address only; the port is still chosen at connect()
 * (IP_BIND_ADDRESS_NO_PORT), so the 4-tuple space is not limited to one
 * port per local address and TIME_WAIT ports are reused as without -s. */
static int bind_source(const struct opts *o, int fd)
{
	int one = 1;

	if (!o->src.ss_family)
		return 0;
	(void)setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
	return bind(fd, (const struct sockaddr *)&o->src, o->srclen);
}

/* Connects; on success returns the fd and the completion time in *ms. */
static int connect_timed(const struct opts *o, double *ms, const char **stage)
{
	int fd, err;
	double t0;

	*stage = "socket";
	fd = socket(o->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	*stage = "bind";
	if (bind_source(o, fd) < 0)
		goto fail;
	*stage = "connect";
	t0 = tool_now_ms();
	if (tool_connect(fd, &o->addr, o->addrlen, t0 + o->timeout_ms) < 0)
		goto fail;
	*ms = tool_now_ms() - t0;
	return fd;
fail:
	err = errno;
	close(fd);
	errno = err;
	return -1;
}

/* Reads the greeting; 0 if it is exactly "ok\n". */
static int read_greeting(int fd, int timeout_ms, const char **stage)
{
	char buf[16];
	size_t got = 0;
	double deadline = tool_now_ms() + timeout_ms;

	*stage = "greeting";
	while (got < sizeof(buf) - 1) {
		ssize_t n;
		if (tool_wait(fd, POLLIN, deadline) < 0)
			return -1;
		n = read(fd, buf + got, sizeof(buf) - 1 - got);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		got += (size_t)n;
		if (memchr(buf, '\n', got))
			break;
	}
	if (got == 3 && memcmp(buf, "ok\n", 3) == 0)
		return 0;
	errno = EPROTO;
	return -1;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Nearest-rank percentile of a sorted array. */
static double percentile(const double *v, long n, int p)
{
	long rank = (p * n + 99) / 100;

	if (rank < 1)
		rank = 1;
	return v[rank - 1];
}

int main(int argc, char **argv)
{
	struct opts o;
	double *times;
	long ok = 0;

	parse_args(argc, argv, &o);
	times = calloc((size_t)o.count, sizeof(*times));
	if (!times)
		return 2;
	for (long i = 0; i < o.count; i++) {
		const char *stage;
		double ms = 0;
		int fd;

		if (i > 0 && o.interval_ms > 0)
			usleep((useconds_t)o.interval_ms * 1000);
		fd = connect_timed(&o, &ms, &stage);
		if (fd >= 0 && read_greeting(fd, o.timeout_ms, &stage) == 0) {
			times[ok++] = ms;
			close(fd);
			continue;
		}
		if (!o.quiet)
			fprintf(stderr, "tcpconnect: #%ld: %s: %s\n", i + 1, stage, strerror(errno));
		if (fd >= 0)
			close(fd);
	}
	qsort(times, (size_t)ok, sizeof(*times), cmp_double);
	/* Without a single success there are no times: print nan, never a number
	 * a careless threshold check could accept. */
	if (ok > 0)
		printf("tcpconnect: n=%ld ok=%ld fail=%ld p50_ms=%.3f p99_ms=%.3f max_ms=%.3f\n",
		       o.count, ok, o.count - ok, percentile(times, ok, 50),
		       percentile(times, ok, 99), times[ok - 1]);
	else
		printf("tcpconnect: n=%ld ok=0 fail=%ld p50_ms=nan p99_ms=nan max_ms=nan\n",
		       o.count, o.count);
	free(times);
	return ok == o.count ? 0 : 1;
}
