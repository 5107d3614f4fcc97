/* Fuzz target: the control protocol as a client speaks it — request lines
 * split into commands and arguments (control_conn_input) and every
 * command's argument parsing and reply (admin_command) over a daemon's
 * state with its tables in place (verified sources, half-open, limits,
 * heavy hitters, services; set up afresh for each input), no sockets: the census is absent, the fast
 * path off, and a reload reads a configuration file that does not exist.
 * Input: a byte of setup (bit 0: the peer is an admin; bits 1-2: which
 * configuration), then chunks: a length byte, a flags byte (bit 0: the
 * client reads its replies after the chunk, so the requests waiting are
 * answered one by one) and that many bytes, as they would arrive from the
 * socket; at the end the client reads everything.
 * Properties: no crash, no leak; every reply is framed — it starts with
 * "synguard/1 ok\n" or "synguard/1 error ", has no empty line before its
 * end and ends with one — and there is one reply per complete line until
 * the connection is closing; out never overflows. */
#include <stdlib.h>
#include <sys/socket.h>

#include "conf.h"
#include "control.h"
#include "fuzz.h"
#include "log.h"
#include "policy.h"
#include "synguard.h"
#include "watch.h"

static const char *const configs[] = {
	"mode = always\nchallenge = auth\n",
	("mode = adaptive\nchallenge = auto\nservice = web 203.0.113.2:80\n"
	 "service = web6 [2001:db8:3::2]:80 challenge=proxy wscale=7\n"
	 "verified_prefix4 = 24\nverified_prefix6 = 48\n"),
	"mode = monitor\nverified_max = 64\n",
	("mode = always\nchallenge = proxy\nservice = a 192.0.2.1:22\nservice = b 192.0.2.1:443\n"
	 "service = c *:8080\n"),
};
#define NCONFIGS (sizeof(configs) / sizeof(configs[0]))

static void setup(struct synguard *sg, unsigned which)
{
	struct siphash_key master = { 1, 2 }, k[5] = { { 3, 4 }, { 5, 6 }, { 7, 8 },
						       { 9, 10 }, { 11, 12 } };
	static const uint8_t a4[16] = { 198, 51, 100, 7 };

	conf_defaults(&sg->conf);
	if (conf_parse_text(&sg->conf, "fuzz.conf", configs[which], stderr) != 0)
		abort();
	sg->conf_path = "/nonexistent/synguard-fuzz.conf";
	cookie_init(&sg->cookies, &master, 100);
	if (table_init(&sg->verified, 256, POLICY_SRCKEY_LEN, &k[0]) ||
	    table_init(&sg->retrans, 256, POLICY_RETRANS_KEYLEN, &k[1]) ||
	    halfopen_init(&sg->halfopen, 256, HALFOPEN_SVC_MAX, 3000000, &k[2]) ||
	    bucket_table_init(&sg->limits, 256, &k[3]) || hh_init(&sg->top, 16, &k[4]))
		abort();
	sg->policy.conf = &sg->conf;
	sg->policy.cookies = &sg->cookies;
	sg->policy.verified = &sg->verified;
	sg->policy.retrans = &sg->retrans;
	sg->policy.stats = &sg->stats;
	sg->policy.halfopen = &sg->halfopen;
	sg->policy.limits = &sg->limits;
	sg->policy.top = &sg->top;
	sg->fast.conf = &sg->conf;
	sg->fast.stats = &sg->stats;
	policy_init(&sg->policy, 0);
	watch_init(sg, 0);
	/* Something in every section of stats and top. */
	policy_verify_source(&sg->policy, AF_INET, a4, 0);
	sg->stats.syn = 12345;
	hh_add(&sg->top, (const uint8_t[HH_KEYLEN]){ 4, 198, 51, 100, 7 }, 3);
	sg->ntop_last = hh_top(&sg->top, sg->top_last, SG_TOP_MAX);
}

static void teardown(struct synguard *sg)
{
	table_free(&sg->verified);
	table_free(&sg->retrans);
	halfopen_free(&sg->halfopen);
	bucket_table_free(&sg->limits);
	hh_free(&sg->top);
	conf_free(&sg->conf);
}

/* The replies in out[0..len) are framed; returns how many there are. */
static unsigned check_replies(const char *out, size_t len)
{
	static const char ok[] = CONTROL_PROTO " ok\n", err[] = CONTROL_PROTO " error ";
	unsigned n = 0;
	size_t at = 0;

	while (at < len) {
		const char *end;

		if (!(len - at >= sizeof(ok) - 1 && memcmp(out + at, ok, sizeof(ok) - 1) == 0) &&
		    !(len - at >= sizeof(err) - 1 && memcmp(out + at, err, sizeof(err) - 1) == 0))
			abort();
		/* The reply ends at its first empty line. */
		end = memmem(out + at, len - at, "\n\n", 2);
		if (!end)
			abort();
		if (memmem(out + at, (size_t)(end - (out + at)), "\0", 1))
			abort();	/* no NUL inside a reply */
		at = (size_t)(end - out) + 2;
		n++;
	}
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct control_conn c;
	static struct synguard sgs;	/* set up afresh for each input */
	struct synguard *sg = &sgs;
	unsigned lines = 0, replies = 0;
	size_t at = 1;

	if (size < 1)
		return 0;
	log_set_level(-1);	/* the commands' log lines are not what is tested */
	memset(sg, 0, sizeof(*sg));
	setup(sg, (data[0] >> 1) % NCONFIGS);
	memset(&c, 0, sizeof(c));
	c.admin = data[0] & 1;
	while (at + 2 <= size && !c.closing) {
		size_t n = data[at], flags = data[at + 1];

		at += 2;
		if (n > size - at)
			n = size - at;
		if (n > sizeof(c.in) - c.inlen)
			n = sizeof(c.in) - c.inlen;
		for (size_t i = 0; i < n; i++)
			lines += data[at + i] == '\n';
		memcpy(c.in + c.inlen, data + at, n);
		c.inlen += n;
		at += n;
		control_conn_input(&c, admin_command, sg);
		/* A client that reads: each reply taken, the next request
		 * answered (one per turn, as the server does). */
		while ((flags & 1) && control_conn_pending(&c)) {
			replies += check_replies(c.out, c.outlen);
			c.outlen = 0;
			control_conn_input(&c, admin_command, sg);
		}
		if (c.outlen > sizeof(c.out))
			abort();
	}
	/* In the end it reads everything. */
	for (;;) {
		replies += check_replies(c.out, c.outlen);
		c.outlen = 0;
		if (!control_conn_pending(&c))
			break;
		control_conn_input(&c, admin_command, sg);
	}
	/* Each complete line has its reply, unless the connection closed
	 * (a reply that did not fit, or a line too long: one more error). */
	if (!c.closing && replies != lines)
		abort();
	if (c.closing && replies > lines + 1)
		abort();
	teardown(sg);
	return 0;
}
