/* ctseqadj: does a connection's conntrack entry carry the full proxy's
 * sequence adjustment?  The end-to-end tests run it inside the gateway
 * namespace (ip netns exec): a proxied connection must have one, a direct
 * connection must not.  All ctnetlink work is ct.c's.
 *   ctseqadj -4|-6 CLIENT SERVER CPORT SPORT
 *       "seqadj OFFSET" or "no-seqadj" (exit 0), "no-entry" (exit 1)
 *   ctseqadj -l
 *       every TCP entry with one, "CLIENT SERVER CPORT SPORT OFFSET" a line
 * Errors exit 2. */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "ct.h"

/* A table of 262144 entries dumps in well under a second. */
#define LIST_DEADLINE_MS 10000

static void usage(void)
{
	fprintf(stderr, "usage: ctseqadj -4|-6 CLIENT SERVER CPORT SPORT\n"
			"       ctseqadj -l\n");
	exit(2);
}

static uint16_t port_arg(const char *s)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v == 0 || v > 65535) {
		fprintf(stderr, "ctseqadj: bad port '%s' (1-65535)\n", s);
		exit(2);
	}
	return (uint16_t)v;
}

static void addr_arg(int family, const char *s, uint8_t *out)
{
	if (inet_pton(family, s, out) != 1) {
		fprintf(stderr, "ctseqadj: bad %s address '%s'\n",
			family == AF_INET ? "IPv4" : "IPv6", s);
		exit(2);
	}
}

static int lookup(int family, char **argv)
{
	struct sg_tuple t = { .family = family, .client_port = port_arg(argv[2]),
			      .server_port = port_arg(argv[3]) };
	struct ct_ctl *c;
	int32_t offset = 0;
	int r;

	addr_arg(family, argv[0], t.client);
	addr_arg(family, argv[1], t.server);
	c = ct_ctl_open();
	if (!c) {
		perror("ctseqadj: ctnetlink socket");
		return 2;
	}
	r = ct_ctl_seqadj(c, &t, &offset);
	ct_ctl_close(c);
	if (r == 1)
		printf("seqadj %" PRId32 "\n", offset);
	else if (r == 0)
		printf("no-seqadj\n");
	else if (r == -ENOENT)
		printf("no-entry\n");
	else
		fprintf(stderr, "ctseqadj: look-up: %s\n", strerror(-r));
	return r >= 0 ? 0 : r == -ENOENT ? 1 : 2;
}

static void print_entry(const struct ct_entry *e, void *arg)
{
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];

	(void)arg;
	if (!e->seqadj)
		return;
	inet_ntop(e->tuple.family, e->tuple.client, src, sizeof(src));
	inet_ntop(e->tuple.family, e->tuple.server, dst, sizeof(dst));
	printf("%s %s %u %u %" PRId32 "\n", src, dst, e->tuple.client_port, e->tuple.server_port,
	       e->seqadj_offset);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* One census dump, bounded by a deadline. */
static int list(void)
{
	struct ct_census *c = ct_census_open();
	int64_t deadline = now_ms() + LIST_DEADLINE_MS;
	int r = 1;

	if (!c || ct_census_start(c, 0) < 0) {
		perror("ctseqadj: census");
		ct_census_close(c);
		return 2;
	}
	while (r == 1) {
		struct pollfd p = { .fd = ct_census_fd(c), .events = POLLIN };
		int64_t left = deadline - now_ms();

		if (left <= 0 || poll(&p, 1, (int)left) == 0) {
			errno = ETIMEDOUT;
			r = -1;
			break;
		}
		r = ct_census_read(c, print_entry, NULL);
	}
	if (r < 0)
		fprintf(stderr, "ctseqadj: dump: %s\n", strerror(errno));
	ct_census_close(c);
	return r < 0 ? 2 : 0;
}

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "-l") == 0)
		return list();
	if (argc != 6)
		usage();
	if (strcmp(argv[1], "-4") == 0)
		return lookup(AF_INET, argv + 2);
	if (strcmp(argv[1], "-6") == 0)
		return lookup(AF_INET6, argv + 2);
	usage();
	return 2;
}
