/*
 * cookieprobe — one half of a SYN authentication, by hand, for the tests
 * that check who accepts whose cookies.
 *
 * Usage: cookieprobe syn -s SRC -d DST -p PORT -P SPORT [-T MS]
 *        cookieprobe rst -s SRC -d DST -p PORT -P SPORT -c COOKIE
 * syn: sends a SYN (IPv4, raw socket) from SRC:SPORT to DST:PORT and
 *      prints the acknowledgment number of the SYN+ACK that answers it
 *      ("cookie=N"), or fails after MS milliseconds (default 3000).
 * rst: sends the RST that echoes COOKIE (<SEQ=COOKIE><CTL=RST>), as a
 *      client's stack answers a wrong SYN+ACK.
 * The caller keeps the local stack from answering the SYN+ACK itself (a
 * rule dropping its RSTs): the packets this tool sends carry SO_MARK
 * COOKIEPROBE_MARK so such a rule can spare them.  Root needed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "pkt.h"
#include "tool.h"

#define COOKIEPROBE_MARK 0xc00c1e

static void usage(void)
{
	fprintf(stderr, "usage: cookieprobe syn|rst -s SRC -d DST -p PORT -P SPORT [-c COOKIE] "
			"[-T MS]\n");
	exit(2);
}

static void send_seg(const uint8_t *src, const uint8_t *dst, uint16_t sport, uint16_t dport,
		     uint8_t flags, uint32_t seq)
{
	struct pkt_out o = {
		.family = AF_INET, .src = src, .dst = dst, .sport = sport, .dport = dport,
		.seq = seq, .flags = flags, .window = flags & PKT_TH_SYN ? 64240 : 0,
		.mss = flags & PKT_TH_SYN ? 1460 : 0, .wscale = PKT_NO_WSCALE,
	};
	struct sockaddr_in to = { .sin_family = AF_INET };
	uint8_t buf[128];
	size_t n = pkt_build(buf, sizeof(buf), &o);
	int fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW), mark = COOKIEPROBE_MARK;

	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_MARK, &mark, sizeof(mark)) < 0) {
		perror("cookieprobe: raw socket");
		exit(1);
	}
	memcpy(&to.sin_addr, dst, 4);
	if (!n || sendto(fd, buf, n, 0, (struct sockaddr *)&to, sizeof(to)) != (ssize_t)n) {
		perror("cookieprobe: sendto");
		exit(1);
	}
	close(fd);
}

int main(int argc, char **argv)
{
	uint8_t src[4] = { 0 }, dst[4] = { 0 };
	long long dport = -1, sport = -1, cookie = -1, ms = 3000;
	int opt, syn;

	if (argc < 2 || (strcmp(argv[1], "syn") && strcmp(argv[1], "rst")))
		usage();
	syn = strcmp(argv[1], "syn") == 0;
	optind = 2;
	while ((opt = getopt(argc, argv, "s:d:p:P:c:T:")) != -1) {
		switch (opt) {
		case 's':
			if (inet_pton(AF_INET, optarg, src) != 1)
				usage();
			break;
		case 'd':
			if (inet_pton(AF_INET, optarg, dst) != 1)
				usage();
			break;
		case 'p':
			dport = tool_num(optarg, 1, 65535, "port");
			break;
		case 'P':
			sport = tool_num(optarg, 1, 65535, "source port");
			break;
		case 'c':
			cookie = tool_num(optarg, 0, UINT32_MAX, "cookie");
			break;
		case 'T':
			ms = tool_num(optarg, 1, 60000, "timeout");
			break;
		default:
			usage();
		}
	}
	if (dport < 0 || sport < 0 || !src[0] || !dst[0] || (!syn && cookie < 0))
		usage();
	if (!syn) {
		send_seg(src, dst, (uint16_t)sport, (uint16_t)dport, PKT_TH_RST, (uint32_t)cookie);
		return 0;
	}
	/* Every TCP segment to this host, the SYN+ACK among them. */
	int rx = socket(AF_INET, SOCK_RAW, IPPROTO_TCP);
	double deadline = tool_now_ms() + (double)ms;

	if (rx < 0) {
		perror("cookieprobe: raw receive socket");
		return 1;
	}
	send_seg(src, dst, (uint16_t)sport, (uint16_t)dport, PKT_TH_SYN, 0x5eed0000u);
	for (;;) {
		uint8_t buf[2048];
		struct pkt p;
		ssize_t n;

		if (tool_wait(rx, POLLIN, deadline) < 0) {
			fprintf(stderr, "cookieprobe: no SYN+ACK within %lld ms\n", ms);
			return 1;
		}
		n = recv(rx, buf, sizeof(buf), 0);
		if (n <= 0)
			continue;
		if (pkt_parse(buf, (size_t)n, &p) != PKT_OK || p.family != AF_INET ||
		    (p.flags & (PKT_TH_SYN | PKT_TH_ACK)) != (PKT_TH_SYN | PKT_TH_ACK) ||
		    memcmp(p.src, dst, 4) || p.sport != dport || p.dport != sport)
			continue;
		printf("cookie=%u\n", p.ack);
		return 0;
	}
}
