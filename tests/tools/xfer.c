/*
 * xfer — bulk transfer with byte-for-byte verification, for the proxy labs.
 *
 * Server: xfer -l ADDR -p PORT [-w RCVBUF] [-t SECONDS] [-b BACKLOG]; one
 * forked child per connection (at most MAX_CHILDREN, each bounded in time).
 * A connection carries one 17-byte command: 'D' or 'U', a big-endian 64-bit
 * length and a 64-bit pattern key.  'D': the server sends LENGTH pattern bytes
 * and closes.  'U': the server reads and checks LENGTH pattern bytes and
 * answers one byte, 'K' (all equal) or 'X'.  Per connection it prints one line
 * with its side's TCP_INFO (window scales, windows, negotiated timestamps and
 * SACK, retransmits).
 * -w sets SO_RCVBUF before listen(), which decides the window scale the server
 * announces in its SYN+ACKs.
 *
 * Client: xfer -d ADDR -p PORT (-D BYTES | -U BYTES) [-n COUNT] [-T TIMEOUT_MS]
 * [-w RCVBUF] [-H HOLD_MS] [-W PAUSE_MS]: COUNT sequential transfers, one
 * summary line (ms: connects and transfers; the TCP_INFO figures of the last
 * connection, taken right after its transfer).  -H keeps each connection open
 * for HOLD_MS after its transfer (to look at it with ss); -W pauses PAUSE_MS
 * between the command and the transfer (a client that waits before it sends
 * or reads).  Exit 0 only if every transfer was complete and byte-identical.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <linux/tcp.h>	/* its struct tcp_info is newer than glibc's */
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tool.h"

#define CMD_LEN 17
#define CHUNK 65536
#define MAX_CHILDREN 64
#define MAX_BYTES (1ULL << 34)	/* 16 GiB: far beyond any lab transfer */
#define CONN_TIMEOUT_S 120	/* a server child's whole life */

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: xfer -l ADDR -p PORT [-w RCVBUF] [-t SECONDS] [-b BACKLOG]\n"
		"       xfer -d ADDR -p PORT (-D BYTES | -U BYTES) [-n COUNT] [-T TIMEOUT_MS]\n"
		"            [-w RCVBUF] [-H HOLD_MS] [-W PAUSE_MS]\n");
	exit(2);
}

/* --- the pattern: byte i of key k is byte (i % 8) of splitmix64(k + i / 8),
 * incompressible and checkable at any offset ----------------------------- */

static uint64_t splitmix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static void pattern_fill(uint8_t *buf, uint64_t key, uint64_t off, size_t len)
{
	uint64_t word = splitmix64(key + off / 8);

	for (size_t i = 0; i < len; i++, off++) {
		if (i > 0 && off % 8 == 0)
			word = splitmix64(key + off / 8);
		buf[i] = (uint8_t)(word >> (off % 8 * 8));
	}
}

/* Index of the first byte of buf that differs from the pattern, or len. */
static size_t pattern_check(const uint8_t *buf, uint64_t key, uint64_t off, size_t len)
{
	uint8_t want[CHUNK];
	size_t done = 0;

	while (done < len) {
		size_t n = len - done < CHUNK ? len - done : CHUNK;
		pattern_fill(want, key, off + done, n);
		if (memcmp(want, buf + done, n) != 0) {
			for (size_t i = 0; i < n; i++)
				if (want[i] != buf[done + i])
					return done + i;
		}
		done += n;
	}
	return len;
}

static void put_be64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static uint64_t get_be64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

/* --- socket helpers ------------------------------------------------------- */

/* Reads exactly len bytes (non-blocking fd); -1 with errno, EPIPE on early EOF. */
static int read_full(int fd, void *buf, size_t len, double deadline)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = read(fd, (uint8_t *)buf + got, len - got);
		if (n > 0) {
			got += (size_t)n;
			continue;
		}
		if (n == 0) {
			errno = EPIPE;
			return -1;
		}
		if (errno != EAGAIN && errno != EINTR)
			return -1;
		if (tool_wait(fd, POLLIN, deadline) < 0)
			return -1;
	}
	return 0;
}

static int write_full(int fd, const void *buf, size_t len, double deadline)
{
	size_t put = 0;

	while (put < len) {
		ssize_t n = send(fd, (const uint8_t *)buf + put, len - put, MSG_NOSIGNAL);
		if (n > 0) {
			put += (size_t)n;
			continue;
		}
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return -1;
		if (tool_wait(fd, POLLOUT, deadline) < 0)
			return -1;
	}
	return 0;
}

/* Sends len pattern bytes. */
static int send_pattern(int fd, uint64_t key, uint64_t len, double deadline)
{
	uint8_t buf[CHUNK];

	for (uint64_t off = 0; off < len;) {
		size_t n = len - off < CHUNK ? (size_t)(len - off) : CHUNK;
		pattern_fill(buf, key, off, n);
		if (write_full(fd, buf, n, deadline) < 0)
			return -1;
		off += n;
	}
	return 0;
}

/* Receives len bytes and compares them with the pattern: 0 all equal, 1 a
 * difference (reported on stderr), -1 I/O error. */
static int recv_pattern(int fd, uint64_t key, uint64_t len, double deadline, const char *who)
{
	uint8_t buf[CHUNK];

	for (uint64_t off = 0; off < len;) {
		size_t n = len - off < CHUNK ? (size_t)(len - off) : CHUNK;
		size_t bad;
		ssize_t r = read(fd, buf, n);
		if (r == 0) {
			fprintf(stderr, "xfer: %s: EOF after %llu of %llu bytes\n", who,
				(unsigned long long)off, (unsigned long long)len);
			errno = EPIPE;
			return -1;
		}
		if (r < 0) {
			if (errno != EAGAIN && errno != EINTR)
				return -1;
			if (tool_wait(fd, POLLIN, deadline) < 0)
				return -1;
			continue;
		}
		bad = pattern_check(buf, key, off, (size_t)r);
		if (bad < (size_t)r) {
			fprintf(stderr, "xfer: %s: byte %llu differs from the pattern\n", who,
				(unsigned long long)(off + bad));
			return 1;
		}
		off += (uint64_t)r;
	}
	return 0;
}

/* Waits for the peer's EOF (the orderly end of a connection), bounded. */
static void drain_to_eof(int fd, double deadline)
{
	uint8_t buf[512];

	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
			return;
		if (n < 0 && tool_wait(fd, POLLIN, deadline) < 0)
			return;
	}
}

/* The TCP_INFO figures the labs compare.  tcpi_rcv_wnd (Linux 6.2) follows
 * tcpi_snd_wnd; older userspace headers stop before it, so it is read by offset. */
struct tcpfig {
	unsigned snd_wscale, rcv_wscale;
	uint32_t snd_wnd, rcv_wnd, total_retrans;
	unsigned ts, sack;	/* negotiated options, 0 or 1 */
};

static void tcp_figures(int fd, struct tcpfig *f)
{
	union {
		struct tcp_info ti;
		uint8_t raw[sizeof(struct tcp_info) + 64];
	} u;
	socklen_t len = sizeof(u);
	size_t rcv_off = offsetof(struct tcp_info, tcpi_snd_wnd) + 4;

	memset(&u, 0, sizeof(u));
	memset(f, 0, sizeof(*f));
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &u, &len) < 0)
		return;
	f->snd_wscale = u.ti.tcpi_snd_wscale;
	f->rcv_wscale = u.ti.tcpi_rcv_wscale;
	f->snd_wnd = u.ti.tcpi_snd_wnd;
	f->total_retrans = u.ti.tcpi_total_retrans;
	f->ts = !!(u.ti.tcpi_options & TCPI_OPT_TIMESTAMPS);
	f->sack = !!(u.ti.tcpi_options & TCPI_OPT_SACK);
	if (len >= rcv_off + 4)
		memcpy(&f->rcv_wnd, u.raw + rcv_off, 4);
}

/* --- server ---------------------------------------------------------------- */

static int peer_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getpeername(fd, (struct sockaddr *)&ss, &len) < 0)
		return 0;
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
}

/* One connection, in a child: command, transfer, figures line, orderly close. */
static int serve_one(int fd)
{
	double t0 = tool_now_ms(), deadline = t0 + CONN_TIMEOUT_S * 1e3;
	uint8_t cmd[CMD_LEN];
	uint64_t len, key;
	struct tcpfig f;
	int rc = -1, pport = peer_port(fd);	/* now: the peer may close first */
	char res = 'X';

	if (read_full(fd, cmd, sizeof(cmd), deadline) < 0) {
		fprintf(stderr, "xfer: server: no command: %s\n", strerror(errno));
		return 1;
	}
	len = get_be64(cmd + 1);
	key = get_be64(cmd + 9);
	if ((cmd[0] != 'D' && cmd[0] != 'U') || len > MAX_BYTES) {
		fprintf(stderr, "xfer: server: bad command\n");
		return 1;
	}
	if (cmd[0] == 'D') {
		rc = send_pattern(fd, key, len, deadline);
		res = rc == 0 ? 'K' : 'X';
		shutdown(fd, SHUT_WR);
	} else {
		rc = recv_pattern(fd, key, len, deadline, "server");
		res = rc == 0 ? 'K' : 'X';
		if (rc >= 0 && write_full(fd, &res, 1, deadline) < 0)
			rc = -1;
	}
	/* Right after our last segment: rcv_wnd is what it announced. */
	tcp_figures(fd, &f);
	printf("xfer-server: peer_port=%d cmd=%c bytes=%llu ok=%d ms=%.1f snd_wscale=%u "
	       "rcv_wscale=%u snd_wnd=%u rcv_wnd=%u ts=%u sack=%u retrans=%u\n", pport, cmd[0],
	       (unsigned long long)len, res == 'K', tool_now_ms() - t0, f.snd_wscale, f.rcv_wscale,
	       f.snd_wnd, f.rcv_wnd, f.ts, f.sack, f.total_retrans);
	fflush(stdout);
	drain_to_eof(fd, deadline);
	return res == 'K' ? 0 : 1;
}

struct children {
	pid_t pid[MAX_CHILDREN];
	int n;
};

static void reap(struct children *c)
{
	pid_t p;

	while ((p = waitpid(-1, NULL, WNOHANG)) > 0) {
		for (int i = 0; i < c->n; i++) {
			if (c->pid[i] == p) {
				c->pid[i] = c->pid[--c->n];
				break;
			}
		}
	}
}

static void accept_one(int lfd, struct children *c)
{
	int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	pid_t p;

	if (fd < 0) {
		if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
			perror("xfer: accept");
		return;
	}
	fflush(stdout);
	p = fork();
	if (p == 0) {
		close(lfd);
		signal(SIGTERM, SIG_DFL);
		alarm(CONN_TIMEOUT_S + 5);
		_exit(serve_one(fd));
	}
	if (p < 0)
		perror("xfer: fork");
	else
		c->pid[c->n++] = p;
	close(fd);
}

static int run_server(const char *host, int port, int backlog, int rcvbuf, int seconds)
{
	struct children c = { .n = 0 };
	struct pollfd pfd;
	double end = tool_now_ms() + seconds * 1e3;
	struct sigaction sa;
	int got = 0;
	socklen_t len = sizeof(got);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal; /* no SA_RESTART: poll() returns EINTR */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	pfd.fd = tool_listen(host, port, backlog, rcvbuf);
	pfd.events = POLLIN;
	getsockopt(pfd.fd, SOL_SOCKET, SO_RCVBUF, &got, &len);
	printf("xfer: listening on %s port %d rcvbuf %d\n", host, port, got);
	fflush(stdout);
	while (!stop && tool_now_ms() < end) {
		reap(&c);
		/* At the cap, leave new connections in the backlog until a child ends. */
		pfd.events = c.n < MAX_CHILDREN ? POLLIN : 0;
		if (poll(&pfd, 1, 200) > 0 && (pfd.revents & POLLIN))
			accept_one(pfd.fd, &c);
	}
	for (int i = 0; i < c.n; i++)
		kill(c.pid[i], SIGTERM);
	while (c.n > 0 && waitpid(-1, NULL, 0) > 0)
		c.n--;
	printf("xfer: server done\n");
	return 0;
}

/* --- client ---------------------------------------------------------------- */

struct client {
	struct sockaddr_storage addr;
	socklen_t addrlen;
	char cmd;		/* 'D' or 'U' */
	uint64_t bytes;
	long count;
	int timeout_ms, hold_ms, pause_ms, rcvbuf;
	uint64_t key;
	struct tcpfig last;	/* figures of the last connection */
	int last_lport;
	uint32_t retrans;
	double busy_ms;		/* connect + transfer, without -H holds */
};

static int connect_to(const struct client *o, double deadline)
{
	int fd, err;

	fd = socket(o->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	tool_rcvbuf(fd, o->rcvbuf);
	if (tool_connect(fd, &o->addr, o->addrlen, deadline) < 0)
		goto fail;
	return fd;
fail:
	err = errno;
	close(fd);
	errno = err;
	return -1;
}

static int local_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		return 0;
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
}

/* The transfer on a connected socket: 0 complete and identical, else -1. */
static int transfer(struct client *o, int fd, uint64_t key, double deadline)
{
	uint8_t cmd[CMD_LEN];
	char res = 0;

	cmd[0] = (uint8_t)o->cmd;
	put_be64(cmd + 1, o->bytes);
	put_be64(cmd + 9, key);
	if (write_full(fd, cmd, sizeof(cmd), deadline) < 0)
		return -1;
	if (o->pause_ms > 0)
		usleep((useconds_t)o->pause_ms * 1000);
	if (o->cmd == 'D') {
		if (recv_pattern(fd, key, o->bytes, deadline, "client") != 0)
			return -1;
		/* The server closes after the last byte: nothing more may come. */
		if (read_full(fd, &res, 1, deadline) == 0) {
			fprintf(stderr, "xfer: client: data beyond the requested length\n");
			return -1;
		}
		return errno == EPIPE ? 0 : -1;
	}
	if (send_pattern(fd, key, o->bytes, deadline) < 0 || read_full(fd, &res, 1, deadline) < 0)
		return -1;
	if (res != 'K') {
		fprintf(stderr, "xfer: client: the server found the upload corrupted\n");
		return -1;
	}
	return 0;
}

/* One connection: 0 if the transfer was complete and byte-identical. */
static int client_one(struct client *o, long i)
{
	double t0 = tool_now_ms(), deadline = t0 + o->timeout_ms;
	uint64_t key = splitmix64(o->key + (uint64_t)i);
	int fd, rc;

	fd = connect_to(o, deadline);
	if (fd < 0) {
		fprintf(stderr, "xfer: #%ld: connect: %s\n", i + 1, strerror(errno));
		return -1;
	}
	rc = transfer(o, fd, key, deadline);
	if (rc < 0 && errno)
		fprintf(stderr, "xfer: #%ld: transfer: %s\n", i + 1, strerror(errno));
	tcp_figures(fd, &o->last);
	o->last_lport = local_port(fd);
	o->retrans += o->last.total_retrans;
	o->busy_ms += tool_now_ms() - t0;
	if (o->hold_ms > 0)
		usleep((useconds_t)o->hold_ms * 1000);
	close(fd);
	return rc;
}

static int run_client(struct client *o)
{
	long ok = 0;
	double ms;

	signal(SIGPIPE, SIG_IGN);
	for (long i = 0; i < o->count; i++) {
		errno = 0;
		if (client_one(o, i) == 0)
			ok++;
	}
	ms = o->busy_ms;
	printf("xfer: n=%ld ok=%ld fail=%ld bytes=%llu ms=%.1f mbit_s=%.1f lport=%d "
	       "snd_wscale=%u rcv_wscale=%u snd_wnd=%u rcv_wnd=%u ts=%u sack=%u retrans=%u\n",
	       o->count, ok, o->count - ok, (unsigned long long)(o->bytes * (uint64_t)ok), ms,
	       ms > 0 ? (double)o->bytes * (double)ok * 8 / ms / 1e3 : 0.0, o->last_lport,
	       o->last.snd_wscale, o->last.rcv_wscale, o->last.snd_wnd, o->last.rcv_wnd,
	       o->last.ts, o->last.sack, o->retrans);
	return ok == o->count ? 0 : 1;
}

int main(int argc, char **argv)
{
	const char *listen_host = NULL, *host = NULL;
	struct client o;
	int c, port = 0, backlog = 128, seconds = 600;

	memset(&o, 0, sizeof(o));
	o.count = 1;
	o.timeout_ms = 30000;
	o.key = (uint64_t)time(NULL) ^ (uint64_t)getpid() << 32;
	while ((c = getopt(argc, argv, "l:d:p:w:t:b:D:U:n:T:H:W:h")) != -1) {
		switch (c) {
		case 'l': listen_host = optarg; break;
		case 'd': host = optarg; break;
		case 'p': port = (int)tool_num(optarg, 1, 65535, "port"); break;
		case 'w': o.rcvbuf = (int)tool_num(optarg, 1024, 1 << 30, "rcvbuf"); break;
		case 't': seconds = (int)tool_num(optarg, 1, 3600, "seconds"); break;
		case 'b': backlog = (int)tool_num(optarg, 1, 65535, "backlog"); break;
		case 'D':
		case 'U':
			o.cmd = (char)c;
			o.bytes = (uint64_t)tool_num(optarg, 0, (long long)MAX_BYTES, "bytes");
			break;
		case 'n': o.count = (long)tool_num(optarg, 1, 100000, "count"); break;
		case 'T': o.timeout_ms = (int)tool_num(optarg, 1, 600000, "timeout"); break;
		case 'H': o.hold_ms = (int)tool_num(optarg, 0, 600000, "hold"); break;
		case 'W': o.pause_ms = (int)tool_num(optarg, 0, 600000, "pause"); break;
		default: usage();
		}
	}
	if (!port || optind != argc || !listen_host == !host)
		usage();
	if (listen_host)
		return run_server(listen_host, port, backlog, o.rcvbuf, seconds);
	if (!o.cmd || !(o.addrlen = tool_addr(&o.addr, host, port)))
		usage();
	return run_client(&o);
}
