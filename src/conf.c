/* conf: the configuration file.  One X-macro table (CONF_TABLE) gives each
 * key its type, field, range, default and whether a reload may change it;
 * the parser, conf_defaults, conf_print, conf_keys[] and the reload merge are
 * all driven by it, so a key cannot be parsed but not printed or listed.
 * Every error is printed as "file:line: message" quoting the token and what
 * is allowed, and parsing goes on to collect them all (like bgpd's parse.y).
 * A key given twice is an error: silently letting the later line win hides
 * the typo in whichever of the two the operator meant. */

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>

#include <arpa/inet.h>
#include <sys/socket.h>

#include "acl.h"
#include "conf.h"

#define CONF_LINE_MAX 1024		/* bytes per line, newline excluded */
#define CONF_STR_(x) #x
#define CONF_STR(x) CONF_STR_(x)	/* CONF_STR(CONF_LINE_MAX): "1024", for scanf widths */
#define CONF_BURST_MAX 1000000u		/* token bucket size */
#define CONF_LISTFILE_MAX ((size_t)16 * 1024 * 1024)	/* bytes per allow_file/deny_file */
#define CONF_FILE_MAX ((size_t)1024 * 1024)	/* bytes per file */

#define KI UINT64_C(1024)
#define MI (KI * 1024)
#define GI (MI * 1024)
#define MS UINT64_C(1)
#define SEC (1000 * MS)
#define MIN (60 * SEC)
#define HOUR (60 * MIN)
#define DAY (24 * HOUR)

enum conf_type {
	CONF_T_UINT,		/* decimal integer */
	CONF_T_HEX,		/* decimal or 0x hex, printed in hex */
	CONF_T_SIZE,		/* integer with optional Ki/Mi/Gi */
	CONF_T_DURATION,	/* integer with optional ms/s/m/h/d, kept in ms */
	CONF_T_ENUM,		/* a word from the key's names[] table */
	CONF_T_PATH,		/* absolute path, at most sizeof(field) - 1 bytes */
	CONF_T_NAME,		/* group name or number: [A-Za-z0-9_.-], not starting with '-' */
	CONF_T_IFACES,		/* interface names separated by blanks, kept one blank apart */
	CONF_T_PORTS,		/* TCP ports and ranges "80,443,8000:8080", kept without blanks */
	CONF_T_RATE,		/* token bucket: "off", "N/s" or "N/s burst M" */
	CONF_T_SERVICE,		/* "NAME ADDRESS:PORT" (a list key) */
	CONF_T_CIDRS,		/* CIDR prefixes separated by blanks (a list key) */
	CONF_T_CIDRFILE,	/* a file of CIDR prefixes (a list key) */
};

#define CONF_F_ZERO_OK	1u	/* 0 is allowed outside [min, max] */
#define CONF_F_EMPTY_OK	2u	/* empty value is allowed (paths) */
#define CONF_F_LIST	4u	/* may be given on many lines; each adds to a list */
#define CONF_F_DENY	8u	/* list keys: the deny list (else allow) */

struct conf_name {
	const char *name;
	unsigned value;
};

/* Words accepted for each enum key; the first word of a value is the one
 * conf_print writes.  New modes are one more line here. */
static const struct conf_name mode_names[] = {
	{ "off", CONF_MODE_OFF },
	{ "monitor", CONF_MODE_MONITOR },
	{ "adaptive", CONF_MODE_ADAPTIVE },
	{ "always", CONF_MODE_ALWAYS },
	{ NULL, 0 },
};

static const struct conf_name challenge_names[] = {
	{ "auth", CONF_CHALLENGE_AUTH },
	{ "proxy", CONF_CHALLENGE_PROXY },
	{ "auto", CONF_CHALLENGE_AUTO },
	{ NULL, 0 },
};

static const struct conf_name accel_names[] = {
	{ "auto", CONF_ACCEL_AUTO },
	{ "xdp", CONF_ACCEL_XDP },
	{ "xdp-generic", CONF_ACCEL_XDP_GENERIC },
	{ "tc", CONF_ACCEL_TC },
	{ "off", CONF_ACCEL_OFF },
	{ NULL, 0 },
};

static const struct conf_name verdict_names[] = {
	{ "accept", CONF_VERDICT_ACCEPT },
	{ "drop", CONF_VERDICT_DROP },
	{ NULL, 0 },
};

static const struct conf_name bool_names[] = {
	{ "yes", 1 }, { "no", 0 }, { "true", 1 }, { "false", 0 },
	{ "on", 1 }, { "off", 0 }, { "1", 1 }, { "0", 0 },
	{ NULL, 0 },
};

static const struct conf_name level_names[] = {
	{ "error", LOG_ERR },
	{ "warning", LOG_WARNING },
	{ "notice", LOG_NOTICE },
	{ "info", LOG_INFO },
	{ "debug", LOG_DEBUG },
	{ NULL, 0 },
};

/* Whether a reload may change a key: settings bound to allocated state, to
 * the queues, to the firewall rules or to the cookie key schedule (a new
 * key_rotate would reject the cookies in flight) keep their running value
 * until a restart.  The list keys must stay LIVE: they own memory. */
enum conf_when { CONF_W_LIVE, CONF_W_RESTART };

/* key, struct conf field, type, flags, min, max, names (enums), when a
 * change applies, and the default, written as conf_print writes it (so the
 * table reads like "synguardd -p -c /dev/null"). */
#define CONF_TABLE(X) \
	X(queue,            queue,             UINT,     0, 0, 65535, NULL, RESTART, "0") \
	X(rst_queue,        rst_queue,         UINT,     0, 0, 65535, NULL, RESTART, "1") \
	X(mode,             mode,              ENUM,     0, 0, 0, mode_names, LIVE, "adaptive") \
	X(copy_range,       copy_range,        UINT,     0, 128, 65535, NULL, RESTART, "128") \
	X(queue_maxlen,     queue_maxlen,      UINT,     0, 1, 10000000, NULL, LIVE, "2048") \
	X(rcvbuf,           rcvbuf,            SIZE,     CONF_F_ZERO_OK, 64 * KI, GI, NULL, RESTART, "8Mi") \
	X(fail_open,        fail_open,         ENUM,     0, 0, 0, bool_names, LIVE, "no") \
	X(mark,             mark,              HEX,      0, 1, UINT32_MAX, NULL, LIVE, "0x5347") \
	X(error_verdict,    error_verdict,     ENUM,     0, 0, 0, verdict_names, LIVE, "drop") \
	X(key_rotate,       key_rotate_ms,     DURATION, 0, SEC, DAY, NULL, RESTART, "1m") \
	X(secret_file,      secret_file,       PATH,     CONF_F_EMPTY_OK, 0, 0, NULL, RESTART, "") \
	X(verified_ttl,     verified_ttl_ms,   DURATION, 0, SEC, 30 * DAY, NULL, LIVE, "10m") \
	X(verified_max,     verified_max,      SIZE,     0, 64, 64 * MI, NULL, RESTART, "1Mi") \
	X(verified_prefix4, verified_prefix4,  UINT,     0, 8, 32, NULL, RESTART, "32") \
	X(verified_prefix6, verified_prefix6,  UINT,     0, 16, 128, NULL, RESTART, "64") \
	X(retransmit_min,   retransmit_min_ms, DURATION, 0, 0, 60 * SEC, NULL, LIVE, "500ms") \
	X(retransmit_max,   retransmit_max_ms, DURATION, 0, MS, 60 * SEC, NULL, LIVE, "5s") \
	X(retransmit_table, retransmit_table,  SIZE,     0, 64, 64 * MI, NULL, RESTART, "1Mi") \
	X(socket,           socket,            PATH,     0, 0, 0, NULL, RESTART, CONF_DEFAULT_SOCKET) \
	X(socket_group,     socket_group,      NAME,     CONF_F_EMPTY_OK, 0, 0, NULL, LIVE, "") \
	X(admin_group,      admin_group,       NAME,     CONF_F_EMPTY_OK, 0, 0, NULL, LIVE, "") \
	X(state_file,       state_file,        PATH,     CONF_F_EMPTY_OK, 0, 0, NULL, LIVE, CONF_DEFAULT_STATE) \
	X(state_interval,   state_interval_ms, DURATION, CONF_F_ZERO_OK, SEC, DAY, NULL, LIVE, "1m") \
	X(log_level,        log_level,         ENUM,     0, 0, 0, level_names, LIVE, "info") \
	X(halfopen_max,     halfopen_max,      SIZE,     0, 64, 64 * MI, NULL, RESTART, "256Ki") \
	X(halfopen_timeout, halfopen_timeout_ms, DURATION, 0, SEC, 10 * MIN, NULL, LIVE, "30s") \
	X(track_mark,       track_mark,        HEX,      0, 1, UINT32_MAX, NULL, RESTART, "0x10000000") \
	X(done_mark,        done_mark,         HEX,      0, 1, UINT32_MAX, NULL, RESTART, "0x20000000") \
	X(attack_halfopen_high, attack_halfopen_high, UINT, 0, 1, 100000000, NULL, LIVE, "500") \
	X(attack_halfopen_low,  attack_halfopen_low,  UINT, 0, 0, 100000000, NULL, LIVE, "100") \
	X(attack_synrate_high,  attack_synrate_high,  UINT, 0, 1, 100000000, NULL, LIVE, "1000") \
	X(attack_synrate_low,   attack_synrate_low,   UINT, 0, 0, 100000000, NULL, LIVE, "200") \
	X(attack_hold,      attack_hold_ms,    DURATION, 0, 0, HOUR, NULL, LIVE, "30s") \
	X(limit_prefix4,    limit_prefix4,     UINT,     0, 8, 32, NULL, LIVE, "32") \
	X(limit_prefix6,    limit_prefix6,     UINT,     0, 16, 128, NULL, LIVE, "64") \
	X(limit_table,      limit_table,       SIZE,     0, 64, 64 * MI, NULL, RESTART, "256Ki") \
	X(limit_syn_source, limit_syn_source,  RATE,     0, 1, 10000000, NULL, LIVE, "200/s burst 400") \
	X(limit_syn_service, limit_syn_service, RATE,    0, 1, 10000000, NULL, LIVE, "off") \
	X(limit_synack_dest, limit_synack_dest, RATE,    0, 1, 10000000, NULL, LIVE, "100/s burst 200") \
	X(limit_synack_total, limit_synack_total, RATE,  0, 1, 10000000, NULL, LIVE, "200000/s burst 200000") \
	X(limit_rst_source, limit_rst_source,  RATE,     0, 1, 10000000, NULL, LIVE, "20/s burst 40") \
	X(stats_interval,   stats_interval_ms, DURATION, CONF_F_ZERO_OK, SEC, DAY, NULL, LIVE, "1m") \
	X(census_interval,  census_interval_ms, DURATION, CONF_F_ZERO_OK, SEC, DAY, NULL, LIVE, "1m") \
	X(census_max,       census_max,        SIZE,     0, 1024, 64 * MI, NULL, LIVE, "1Mi") \
	X(challenge,        challenge,         ENUM,     0, 0, 0, challenge_names, LIVE, "auth") \
	X(proxy_max,        proxy_max,         SIZE,     0, 64, 16 * MI, NULL, RESTART, "4Ki") \
	X(proxy_timeout,    proxy_timeout_ms,  DURATION, 0, 100 * MS, MIN, NULL, LIVE, "3s") \
	X(proxy_early_data, proxy_early_data,  SIZE,     CONF_F_ZERO_OK, 1600, 64 * KI, NULL, RESTART, "4Ki") \
	X(accel_interfaces, accel_interfaces,  IFACES,   CONF_F_EMPTY_OK, 0, 0, NULL, RESTART, "") \
	X(accel_mode,       accel_mode,        ENUM,     0, 0, 0, accel_names, RESTART, "auto") \
	X(accel_object,     accel_object,      PATH,     CONF_F_EMPTY_OK, 0, 0, NULL, RESTART, "") \
	X(accel_pin_dir,    accel_pin_dir,     PATH,     CONF_F_EMPTY_OK, 0, 0, NULL, RESTART, "/sys/fs/bpf/synguard") \
	X(accel_ports,      accel_ports,       PORTS,    CONF_F_EMPTY_OK, 0, 0, NULL, LIVE, "") \
	X(service,          services,          SERVICE,  CONF_F_LIST | CONF_F_EMPTY_OK, 0, 0, NULL, LIVE, "") \
	X(allow,            allow,             CIDRS,    CONF_F_LIST | CONF_F_EMPTY_OK, 0, 0, NULL, LIVE, "") \
	X(allow_file,       allow,             CIDRFILE, CONF_F_LIST | CONF_F_EMPTY_OK, 0, 0, NULL, LIVE, "") \
	X(deny,             deny,              CIDRS,    CONF_F_LIST | CONF_F_DENY | CONF_F_EMPTY_OK, 0, 0, NULL, LIVE, "") \
	X(deny_file,        deny,              CIDRFILE, CONF_F_LIST | CONF_F_DENY | CONF_F_EMPTY_OK, 0, 0, NULL, LIVE, "")

enum {
#define X(key, field, type, flags, min, max, names, when, def) CONF_K_##key,
	CONF_TABLE(X)
#undef X
	CONF_NKEYS
};

struct conf_key {
	const char *name;
	enum conf_type type;
	unsigned flags;
	size_t off, size;
	uint64_t min, max;
	const struct conf_name *names;
	enum conf_when when;
	const char *def;
};

#define FIELD_SIZE(f) sizeof(((struct conf *)0)->f)

static const struct conf_key conf_table[CONF_NKEYS] = {
#define X(key, field, type, flags, min, max, names, when, def) \
	{ #key, CONF_T_##type, flags, offsetof(struct conf, field), \
	  FIELD_SIZE(field), min, max, names, CONF_W_##when, def }, /* NOLINT(bugprone-sizeof-expression): a pointer field's size is meant */
	CONF_TABLE(X)
#undef X
};

const char *const conf_keys[] = {
#define X(key, field, type, flags, min, max, names, when, def) #key,
	CONF_TABLE(X)
#undef X
	NULL
};

struct conf_unit {
	const char *suffix;
	uint64_t mult;
};

/* Largest first: conf_print uses the first unit that divides exactly.  The
 * bare "" entry is for parsing only (a bare duration means seconds). */
static const struct conf_unit duration_units[] = {
	{ "d", DAY }, { "h", HOUR }, { "m", MIN }, { "s", SEC }, { "ms", MS },
	{ "", SEC }, { NULL, 0 },
};

static const struct conf_unit size_units[] = {
	{ "Gi", GI }, { "Mi", MI }, { "Ki", KI }, { "", 1 }, { NULL, 0 },
};

static const struct conf_unit no_units[] = {
	{ "", 1 }, { NULL, 0 },
};

void conf_free(struct conf *c)
{
	acl_free(c->allow);
	acl_free(c->deny);
	c->allow = c->deny = NULL;
}

const char *conf_mode_name(enum conf_mode m)
{
	for (const struct conf_name *n = mode_names; n->name; n++)
		if (n->value == (unsigned)m)
			return n->name;
	return "?";
}

static bool service_matches(const struct conf_service *s, int family, const uint8_t dst[16],
			    uint16_t port)
{
	if (s->port != port)
		return false;
	if (s->family == 0)
		return true;
	return s->family == family && memcmp(s->addr, dst, family == AF_INET6 ? 16 : 4) == 0;
}

unsigned conf_service_of(const struct conf *c, int family, const uint8_t dst[16], uint16_t port)
{
	unsigned i;

	for (i = 0; i < c->nservices; i++)
		if (service_matches(&c->services[i], family, dst, port))
			break;
	return i;
}

enum conf_challenge conf_service_challenge(const struct conf *c, unsigned svc)
{
	if (svc < c->nservices && c->services[svc].challenge != CONF_CHALLENGE_DEFAULT)
		return c->services[svc].challenge;
	return c->challenge;
}

const char *conf_service_name(const struct conf *c, unsigned svc)
{
	return svc < c->nservices ? c->services[svc].name : CONF_CATCHALL;
}

/* --- field access -------------------------------------------------------- */

static void field_store(struct conf *c, const struct conf_key *k, uint64_t v)
{
	unsigned char *p = (unsigned char *)c + k->off;
	uint8_t v8 = (uint8_t)v;
	uint16_t v16 = (uint16_t)v;
	uint32_t v32 = (uint32_t)v;

	switch (k->size) {
	case 1: memcpy(p, &v8, 1); break;	/* also bool: stores 0 or 1 */
	case 2: memcpy(p, &v16, 2); break;
	case 4: memcpy(p, &v32, 4); break;	/* also enums and int */
	default: memcpy(p, &v, 8); break;
	}
}

static uint64_t field_load(const struct conf *c, const struct conf_key *k)
{
	const unsigned char *p = (const unsigned char *)c + k->off;
	uint8_t v8;
	uint16_t v16;
	uint32_t v32;
	uint64_t v;

	switch (k->size) {
	case 1: memcpy(&v8, p, 1); return v8;
	case 2: memcpy(&v16, p, 2); return v16;
	case 4: memcpy(&v32, p, 4); return v32;
	default: memcpy(&v, p, 8); return v;
	}
}

static const struct conf_unit *key_units(const struct conf_key *k)
{
	if (k->type == CONF_T_DURATION)
		return duration_units;
	if (k->type == CONF_T_SIZE)
		return size_units;
	return no_units;
}

/* --- formatting (conf_print and messages) -------------------------------- */

static void fmt_number(const struct conf_key *k, uint64_t v, char *buf, size_t size)
{
	const struct conf_unit *u;

	if (k->type == CONF_T_HEX) {
		snprintf(buf, size, "0x%" PRIx64, v);
		return;
	}
	for (u = key_units(k); v != 0 && u->suffix; u++) {
		if (u->suffix[0] != '\0' && v % u->mult == 0) {
			snprintf(buf, size, "%" PRIu64 "%s", v / u->mult, u->suffix);
			return;
		}
	}
	snprintf(buf, size, "%" PRIu64, v);
}

static const char *enum_name(const struct conf_name *names, uint64_t v)
{
	for (; names->name; names++)
		if (names->value == v)
			return names->name;
	return "?";
}

/* The canonical text of a key's value, as conf_print writes it. */
static void fmt_rate(const struct conf_rate *r, char *buf, size_t size)
{
	if (r->rate == 0)
		snprintf(buf, size, "off");
	else
		snprintf(buf, size, "%u/s burst %u", r->rate, r->burst);
}

static void fmt_value(const struct conf *c, const struct conf_key *k, char *buf, size_t size)
{
	if (k->type == CONF_T_RATE)
		fmt_rate((const struct conf_rate *)(const void *)((const char *)c + k->off), buf, size);
	else if (k->type == CONF_T_PATH || k->type == CONF_T_NAME || k->type == CONF_T_IFACES ||
		 k->type == CONF_T_PORTS)
		snprintf(buf, size, "%s", (const char *)c + k->off);
	else if (k->type == CONF_T_ENUM)
		snprintf(buf, size, "%s", enum_name(k->names, field_load(c, k)));
	else
		fmt_number(k, field_load(c, k), buf, size);
}

/* "0..65535", "1s..1d", "0 or 64Ki..1Gi" */
static void fmt_range(const struct conf_key *k, char *buf, size_t size)
{
	char lo[32], hi[32];

	fmt_number(k, k->min, lo, sizeof(lo));
	fmt_number(k, k->max, hi, sizeof(hi));
	snprintf(buf, size, "%s%s..%s", (k->flags & CONF_F_ZERO_OK) ? "0 or " : "", lo, hi);
}

/* "monitor or always", "yes, no, ... 1 or 0" */
static void fmt_names(const struct conf_name *names, char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	for (; names->name && len < size; names++) {
		const char *sep = len == 0 ? "" : names[1].name ? ", " : " or ";
		int n = snprintf(buf + len, size - len, "%s%s", sep, names->name);

		len += n > 0 ? (size_t)n : 0;
	}
}

/* What a key accepts, for "expected ..." in messages. */
static void fmt_expected(const struct conf_key *k, char *buf, size_t size)
{
	char range[80];

	fmt_range(k, range, sizeof(range));
	switch (k->type) {
	case CONF_T_UINT:
		snprintf(buf, size, "an integer %s", range);
		break;
	case CONF_T_HEX:
		snprintf(buf, size, "an integer %s, decimal or 0x hex", range);
		break;
	case CONF_T_SIZE:
		snprintf(buf, size, "a size %s: an integer with optional suffix Ki, Mi or Gi", range);
		break;
	case CONF_T_DURATION:
		snprintf(buf, size, "a duration %s: an integer with optional unit ms, s, m, h or d "
			 "(none = seconds)", range);
		break;
	case CONF_T_ENUM:
		fmt_names(k->names, buf, size);
		break;
	case CONF_T_PATH:
		snprintf(buf, size, "an absolute path of at most %zu bytes%s", k->size - 1,
			 (k->flags & CONF_F_EMPTY_OK) ? ", or empty" : "");
		break;
	case CONF_T_NAME:
		snprintf(buf, size, "a group name or number (letters, digits, '_', '.', '-'; "
			 "at most %zu bytes)%s", k->size - 1,
			 (k->flags & CONF_F_EMPTY_OK) ? ", or empty" : "");
		break;
	case CONF_T_IFACES:
		snprintf(buf, size, "up to %d interface names separated by blanks (letters, digits, "
			 "'_', '.', '-', '@'; at most %d bytes each), or empty", CONF_IFACES_MAX,
			 CONF_IFNAME_MAX - 1);
		break;
	case CONF_T_PORTS:
		snprintf(buf, size, "up to %d TCP ports 1..65535 or ranges LOW:HIGH separated by "
			 "commas (e.g. 80,443,8000:8080), or empty", CONF_PORTS_MAX);
		break;
	case CONF_T_RATE:
		snprintf(buf, size, "'off' or 'RATE/s [burst BURST]' with RATE %s and BURST "
			 "1..%u (default RATE)", range, CONF_BURST_MAX);
		break;
	case CONF_T_SERVICE:
		snprintf(buf, size, "'NAME ADDRESS:PORT [ATTR=VALUE...]': NAME of letters, digits, "
			 "'_', '.', '-' (not '%s'), ADDRESS an IPv4 address, [IPv6 address] or *, "
			 "PORT 1..65535", CONF_CATCHALL);
		break;
	case CONF_T_CIDRS:
		snprintf(buf, size, "IPv4 or IPv6 prefixes (192.0.2.0/24, 2001:db8::/32, or "
			 "a bare address) separated by blanks");
		break;
	case CONF_T_CIDRFILE:
		snprintf(buf, size, "an absolute path to a file of prefixes, one or more per line, "
			 "# comments");
		break;
	}
}

static void print_lists(const struct conf *c, FILE *out)
{
	for (unsigned i = 0; i < c->nservices; i++) {
		const struct conf_service *sv = &c->services[i];
		char a[INET6_ADDRSTRLEN] = "*";

		if (sv->family)
			inet_ntop(sv->family, sv->addr, a, sizeof(a));
		fprintf(out, "service = %s %s%s%s:%u", sv->name, sv->family == AF_INET6 ? "[" : "",
			a, sv->family == AF_INET6 ? "]" : "", sv->port);
		if (sv->challenge != CONF_CHALLENGE_DEFAULT)
			fprintf(out, " challenge=%s", enum_name(challenge_names, sv->challenge));
		if (sv->mss != CONF_OPT_UNSET)
			fprintf(out, " mss=%u", sv->mss);
		if (sv->wscale == CONF_WSCALE_NONE)
			fprintf(out, " wscale=none");
		else if (sv->wscale != CONF_OPT_UNSET)
			fprintf(out, " wscale=%u", sv->wscale);
		if (sv->sack != CONF_OPT_UNSET)
			fprintf(out, " sack=%s", sv->sack ? "yes" : "no");
		fputc('\n', out);
	}
	/* The lists are kept merged, not as written: say how big they are. */
	fprintf(out, "# allow: %u prefixes, deny: %u prefixes (inline and from files)\n",
		c->nallow, c->ndeny);
}

void conf_print(const struct conf *c, FILE *out)
{
	char buf[CONF_PATH_MAX + CONF_SOCKET_MAX];
	size_t i;

	for (i = 0; i < CONF_NKEYS; i++) {
		if (conf_table[i].flags & CONF_F_LIST)
			continue;
		fmt_value(c, &conf_table[i], buf, sizeof(buf));
		fprintf(out, "%s =%s%s\n", conf_table[i].name, buf[0] ? " " : "", buf);
	}
	print_lists(c, out);
}

/* --- reload --------------------------------------------------------------- */

/* Paths and names compare as strings: the bytes after the NUL may be left
 * over from the default. */
static bool field_differs(const struct conf *a, const struct conf *b, const struct conf_key *k)
{
	const char *fa = (const char *)a + k->off, *fb = (const char *)b + k->off;

	if (k->type == CONF_T_PATH || k->type == CONF_T_NAME || k->type == CONF_T_IFACES ||
	    k->type == CONF_T_PORTS)
		return strcmp(fa, fb) != 0;
	return memcmp(fa, fb, k->size) != 0;
}

int conf_keep_restart_only(const struct conf *running, struct conf *next, char *changed,
			   size_t len)
{
	size_t used = 0;
	int n = 0;

	if (len)
		changed[0] = '\0';
	for (size_t i = 0; i < CONF_NKEYS; i++) {
		const struct conf_key *k = &conf_table[i];
		int w = 0;

		if (k->when != CONF_W_RESTART || !field_differs(running, next, k))
			continue;
		memcpy((char *)next + k->off, (const char *)running + k->off, k->size);
		if (used < len)
			w = snprintf(changed + used, len - used, "%s%s", n ? ", " : "", k->name);
		used += w > 0 ? (size_t)w : 0;
		n++;
	}
	return n;
}

/* --- parsing ------------------------------------------------------------- */

struct parser {
	struct conf *c;
	const char *name;
	FILE *errs;
	unsigned line;
	int nerr;
	unsigned seen[CONF_NKEYS];	/* line a key was first given on, 0 = not given */
	bool bad[CONF_NKEYS];		/* its value was rejected */
};

__attribute__((format(printf, 3, 4)))
static void parse_error(struct parser *p, unsigned line, const char *fmt, ...)
{
	va_list ap;

	p->nerr++;
	if (!p->errs)
		return;
	fprintf(p->errs, "%s:%u: ", p->name, line);
	va_start(ap, fmt);
	vfprintf(p->errs, fmt, ap);
	va_end(ap);
	fputc('\n', p->errs);
}

__attribute__((format(printf, 4, 5)))
static void parse_error_at(struct parser *p, const char *where, unsigned line, const char *fmt, ...)
{
	va_list ap;

	p->nerr++;
	if (!p->errs)
		return;
	fprintf(p->errs, "%s:%u: ", where, line);
	va_start(ap, fmt);
	vfprintf(p->errs, fmt, ap);
	va_end(ap);
	fputc('\n', p->errs);
}

static void error_invalid(struct parser *p, const struct conf_key *k, const char *value)
{
	char expected[160];

	fmt_expected(k, expected, sizeof(expected));
	parse_error(p, p->line, "invalid value '%s' for '%s': expected %s", value, k->name, expected);
}

static void error_range(struct parser *p, const struct conf_key *k, const char *value)
{
	char range[80];

	fmt_range(k, range, sizeof(range));
	parse_error(p, p->line, "value '%s' for '%s' out of range: expected %s", value, k->name, range);
}

static int digit_value(char ch, unsigned base)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (base == 16 && ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (base == 16 && ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

enum { NUM_OK, NUM_INVALID, NUM_RANGE };

/* Digits (0x hex if allowed) and one optional unit suffix, nothing else: no
 * sign, no spaces, no fraction.  Overflow of uint64_t is NUM_RANGE. */
static int parse_number(const char *s, bool hex_ok, const struct conf_unit *units, uint64_t *out)
{
	unsigned base = 10;
	uint64_t v = 0;
	bool overflow = false;
	const char *d;
	int dv;

	if (hex_ok && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	for (d = s; (dv = digit_value(*d, base)) >= 0; d++) {
		if (v > (UINT64_MAX - (unsigned)dv) / base)
			overflow = true;
		else
			v = v * base + (unsigned)dv;
	}
	if (d == s)
		return NUM_INVALID;
	while (units->suffix && strcmp(units->suffix, d) != 0)
		units++;
	if (!units->suffix)
		return NUM_INVALID;
	if (overflow || v > UINT64_MAX / units->mult)
		return NUM_RANGE;
	*out = v * units->mult;
	return NUM_OK;
}

static bool set_number(struct parser *p, const struct conf_key *k, const char *value)
{
	uint64_t v = 0;
	int r = parse_number(value, k->type == CONF_T_HEX, key_units(k), &v);

	if (r == NUM_INVALID) {
		error_invalid(p, k, value);
		return false;
	}
	if (r == NUM_RANGE || ((v < k->min || v > k->max) && !(v == 0 && (k->flags & CONF_F_ZERO_OK)))) {
		error_range(p, k, value);
		return false;
	}
	field_store(p->c, k, v);
	return true;
}

static bool set_enum(struct parser *p, const struct conf_key *k, const char *value)
{
	const struct conf_name *n;

	for (n = k->names; n->name; n++) {
		if (strcmp(n->name, value) == 0) {
			field_store(p->c, k, n->value);
			return true;
		}
	}
	error_invalid(p, k, value);
	return false;
}

static bool set_path(struct parser *p, const struct conf_key *k, const char *value)
{
	size_t len = strlen(value);

	if (len > 0 && value[0] != '/' && k->type == CONF_T_PATH) {
		error_invalid(p, k, value);
		return false;
	}
	if (len >= k->size) {
		parse_error(p, p->line, "value '%s' for '%s' too long: %zu bytes, expected at most %zu",
			    value, k->name, len, k->size - 1);
		return false;
	}
	memcpy((char *)p->c + k->off, value, len + 1);
	return true;
}

static bool set_name(struct parser *p, const struct conf_key *k, const char *value)
{
	size_t len = strlen(value);

	if (value[0] == '-' || strspn(value, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				      "0123456789_.-") != len) {
		error_invalid(p, k, value);
		return false;
	}
	return set_path(p, k, value);	/* the length check and the copy */
}

/* Whether name is one of the blank-separated words of list. */
static bool iface_listed(const char *list, const char *name)
{
	size_t len = strlen(name);

	for (const char *s = list; *s;) {
		const char *e = strchr(s, ' ');
		size_t n = e ? (size_t)(e - s) : strlen(s);

		if (n == len && strncmp(s, name, len) == 0)
			return true;
		if (!e)
			break;
		s = e + 1;
	}
	return false;
}

/* Blank-separated interface names, stored one blank apart. */
static bool set_ifaces(struct parser *p, const struct conf_key *k, const char *value)
{
	char buf[CONF_IFACES_MAX * CONF_IFNAME_MAX * 2], out[CONF_IFACES_MAX * CONF_IFNAME_MAX] = "";
	char *save = NULL, *w;
	size_t olen = 0;
	int n = 0;

	if (strlen(value) >= sizeof(buf)) {
		error_invalid(p, k, value);
		return false;
	}
	memcpy(buf, value, strlen(value) + 1);
	for (w = strtok_r(buf, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
		size_t len = strlen(w);

		if (++n > CONF_IFACES_MAX || len >= CONF_IFNAME_MAX || w[0] == '-' ||
		    strspn(w, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-@")
		    != len) {
			error_invalid(p, k, value);
			return false;
		}
		if (iface_listed(out, w)) {
			parse_error(p, p->line, "interface '%s' given twice in '%s': expected each "
				    "interface once", w, k->name);
			return false;
		}
		/* At most CONF_IFACES_MAX names shorter than CONF_IFNAME_MAX,
		 * a space each: out has room. */
		if (n > 1)
			out[olen++] = ' ';
		memcpy(out + olen, w, len + 1);
		olen += len;
	}
	memcpy((char *)p->c + k->off, out, olen + 1);
	return true;
}

/* Ports and LOW:HIGH ranges separated by commas (blanks around them
 * allowed), stored without blanks. */
static bool set_ports(struct parser *p, const struct conf_key *k, const char *value)
{
	char out[CONF_PORTS_LEN] = "";
	size_t used = 0;

	if (conf_ports_each(value, NULL, NULL) < 0) {
		error_invalid(p, k, value);
		return false;
	}
	for (const char *s = value; *s; s++) {
		if (*s == ' ' || *s == '\t')
			continue;
		if (used + 1 >= sizeof(out)) {
			error_invalid(p, k, value);
			return false;
		}
		out[used++] = *s;
	}
	out[used] = 0;
	memcpy((char *)p->c + k->off, out, used + 1);
	return true;
}

int conf_ports_each(const char *ports, void (*fn)(void *arg, unsigned lo, unsigned hi), void *arg)
{
	int n = 0;
	const char *s = ports;

	while (*s == ' ' || *s == '\t')
		s++;
	if (!*s)
		return 0;
	for (;;) {
		unsigned long lo, hi;
		char *end;

		while (*s == ' ' || *s == '\t')
			s++;
		if (*s < '0' || *s > '9')
			return -1;
		lo = strtoul(s, &end, 10);
		hi = lo;
		s = end;
		if (*s == ':') {
			s++;
			if (*s < '0' || *s > '9')
				return -1;
			hi = strtoul(s, &end, 10);
			s = end;
		}
		if (lo < 1 || hi > 65535 || lo > hi || ++n > CONF_PORTS_MAX)
			return -1;
		if (fn)
			fn(arg, (unsigned)lo, (unsigned)hi);
		while (*s == ' ' || *s == '\t')
			s++;
		if (!*s)
			return n;
		if (*s++ != ',')
			return -1;
	}
}

/* A decimal number at *s (digits only), *s moved past it; -1 if there is
 * none, 0 if it does not fit (ERANGE), 1 if read. */
static int take_u64(const char **s, unsigned long long *v)
{
	char *end;

	if (!(**s >= '0' && **s <= '9'))
		return -1;
	errno = 0;
	*v = strtoull(*s, &end, 10);
	*s = end;
	return errno ? 0 : 1;
}

static const char *skip_blanks(const char *s)
{
	return s + strspn(s, " \t");
}

/* "off" | "0" | "N/s" | "N/s burst M" */
static bool set_rate(struct parser *p, const struct conf_key *k, const char *value)
{
	struct conf_rate *r = (struct conf_rate *)(void *)((char *)p->c + k->off);
	unsigned long long rate = 0, burst = 0;
	const char *s = value, *w;
	int fit, bfit = 1;
	bool ok, has_burst = false;

	if (strcmp(value, "off") == 0 || strcmp(value, "0") == 0) {
		*r = (struct conf_rate){ 0, 0 };
		return true;
	}
	fit = take_u64(&s, &rate);
	ok = fit >= 0 && strncmp(s, "/s", 2) == 0;
	if (ok && s[2]) {
		w = skip_blanks(s + 2);
		ok = w != s + 2 && strncmp(w, "burst", 5) == 0 && (w[5] == ' ' || w[5] == '\t');
		if (ok) {
			s = skip_blanks(w + 5);
			bfit = take_u64(&s, &burst);
			ok = bfit >= 0 && *s == '\0';
			has_burst = true;
		}
	}
	if (!ok) {
		error_invalid(p, k, value);
		return false;
	}
	if (!fit || !bfit) {
		error_range(p, k, value);
		return false;
	}
	if (!has_burst)	/* default burst: one second's worth, within the cap */
		burst = rate < CONF_BURST_MAX ? rate : CONF_BURST_MAX;
	if (rate < k->min || rate > k->max || burst < 1 || burst > CONF_BURST_MAX) {
		error_range(p, k, value);
		return false;
	}
	r->rate = (uint32_t)rate;
	r->burst = (uint32_t)burst;
	return true;
}

static bool name_ok(const char *s)
{
	return s[0] != '\0' && s[0] != '-' &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") ==
		       strlen(s);
}

/* "ADDRESS:PORT" with ADDRESS = IPv4, [IPv6] or * */
static bool parse_endpoint(char *s, struct conf_service *sv)
{
	char *colon = strrchr(s, ':'), *end;
	unsigned long port;

	if (!colon || colon[1] < '0' || colon[1] > '9')
		return false;
	port = strtoul(colon + 1, &end, 10);
	if (*end != '\0' || port < 1 || port > 65535)
		return false;
	*colon = '\0';
	sv->port = (uint16_t)port;
	memset(sv->addr, 0, sizeof(sv->addr));
	if (strcmp(s, "*") == 0) {
		sv->family = 0;
		return true;
	}
	if (s[0] == '[' && colon > s + 1 && colon[-1] == ']') {
		colon[-1] = '\0';
		sv->family = AF_INET6;
		return inet_pton(AF_INET6, s + 1, sv->addr) == 1;
	}
	sv->family = AF_INET;
	return inet_pton(AF_INET, s, sv->addr) == 1;
}

/* One "key=value" attribute of a service line. */
static bool service_attr(struct conf_service *sv, const char *attr)
{
	char key[16];
	const char *val = strchr(attr, '=');
	char *end;
	unsigned long v;

	if (!val || (size_t)(val - attr) >= sizeof(key))
		return false;
	snprintf(key, sizeof(key), "%.*s", (int)(val - attr), attr);
	val++;
	if (strcmp(key, "challenge") == 0) {
		for (const struct conf_name *n = challenge_names; n->name; n++)
			if (strcmp(n->name, val) == 0) {
				sv->challenge = (enum conf_challenge)n->value;
				return true;
			}
		return false;
	}
	if (strcmp(key, "sack") == 0 && (!strcmp(val, "yes") || !strcmp(val, "no"))) {
		sv->sack = strcmp(val, "yes") == 0;
		return true;
	}
	if (strcmp(key, "wscale") == 0 && strcmp(val, "none") == 0) {
		sv->wscale = CONF_WSCALE_NONE;
		return true;
	}
	if (!(val[0] >= '0' && val[0] <= '9'))
		return false;
	v = strtoul(val, &end, 10);
	if (*end)
		return false;
	if (strcmp(key, "wscale") == 0 && v <= 14)
		sv->wscale = (uint16_t)v;
	else if (strcmp(key, "mss") == 0 && v >= 536 && v <= 65495)
		sv->mss = (uint16_t)v;
	else
		return false;
	return true;
}

static bool set_service(struct parser *p, const struct conf_key *k, const char *value)
{
	struct conf_service sv = { .family = 0, .challenge = CONF_CHALLENGE_DEFAULT,
				   .mss = CONF_OPT_UNSET, .wscale = CONF_OPT_UNSET,
				   .sack = CONF_OPT_UNSET };
	char buf[CONF_LINE_MAX + 1], name[CONF_LINE_MAX + 1], ep[CONF_LINE_MAX + 1], *save = NULL;
	char *attr;
	int used = 0;

	snprintf(buf, sizeof(buf), "%s", value);
	if (sscanf(buf, "%" CONF_STR(CONF_LINE_MAX) "s %" CONF_STR(CONF_LINE_MAX) "s%n", name, ep,
		   &used) != 2 || !name_ok(name) ||
	    strlen(name) >= sizeof(sv.name) || strcmp(name, CONF_CATCHALL) == 0 ||
	    !parse_endpoint(ep, &sv)) {
		error_invalid(p, k, value);
		return false;
	}
	for (attr = strtok_r(buf + used, " \t", &save); attr; attr = strtok_r(NULL, " \t", &save)) {
		if (!service_attr(&sv, attr)) {
			parse_error(p, p->line, "invalid service attribute '%s': expected "
				    "challenge=auth|proxy|auto, mss=536..65495, wscale=0..14|none or "
				    "sack=yes|no", attr);
			return false;
		}
	}
	for (unsigned i = 0; i < p->c->nservices; i++) {
		if (strcmp(p->c->services[i].name, name) == 0) {
			parse_error(p, p->line, "duplicate service name '%s': each service needs "
				    "its own name", name);
			return false;
		}
	}
	if (p->c->nservices == CONF_SERVICES_MAX) {
		parse_error(p, p->line, "too many services: at most %d allowed", CONF_SERVICES_MAX);
		return false;
	}
	memcpy(sv.name, name, strlen(name) + 1);
	p->c->services[p->c->nservices++] = sv;
	return true;
}

static void mask_addr(int family, const uint8_t addr[16], unsigned prefix, uint8_t out[16])
{
	unsigned len = family == AF_INET6 ? 16 : 4;

	memset(out, 0, 16);
	for (unsigned i = 0; i < len; i++) {
		unsigned bits = prefix > i * 8 ? prefix - i * 8 : 0;

		out[i] = bits >= 8 ? addr[i] : (uint8_t)(addr[i] & (0xff00 >> bits));
	}
}

/* One prefix into the allow or deny list; errors quote where it came from. */
static bool add_cidr(struct parser *p, const struct conf_key *k, const char *tok,
		     const char *where, unsigned line)
{
	bool deny = k->flags & CONF_F_DENY;
	struct acl **a = deny ? &p->c->deny : &p->c->allow;
	uint8_t addr[16], masked[16];
	unsigned prefix;
	int family;
	char fixed[64];

	switch (acl_parse_cidr(tok, &family, addr, &prefix)) {
	case ACL_OK:
		break;
	case ACL_HOST_BITS:
		mask_addr(family, addr, prefix, masked);
		acl_format(family, masked, prefix, fixed, sizeof(fixed));
		parse_error_at(p, where, line, "host bits set in '%s' for '%s': did you mean %s?",
			       tok, k->name, fixed);
		return false;
	default:
		parse_error_at(p, where, line, "invalid prefix '%s' for '%s': expected an IPv4 or "
			       "IPv6 address with optional /LENGTH (0..32, 0..128)", tok, k->name);
		return false;
	}
	if (!*a && !(*a = acl_new())) {
		parse_error_at(p, where, line, "out of memory for '%s'", k->name);
		return false;
	}
	if (acl_add(*a, family, addr, prefix) < 0) {
		parse_error_at(p, where, line, "too many prefixes for '%s': at most %d allowed",
			       k->name, ACL_MAX);
		return false;
	}
	(*(deny ? &p->c->ndeny : &p->c->nallow))++;
	return true;
}

static bool add_cidr_list(struct parser *p, const struct conf_key *k, char *text,
			  const char *where, unsigned line)
{
	bool ok = true;
	char *save = NULL;

	for (char *tok = strtok_r(text, " \t\r", &save); tok; tok = strtok_r(NULL, " \t\r", &save))
		ok = add_cidr(p, k, tok, where, line) && ok;
	return ok;
}

static bool set_cidrs(struct parser *p, const struct conf_key *k, const char *value)
{
	char buf[CONF_LINE_MAX + 1];

	snprintf(buf, sizeof(buf), "%s", value);
	return add_cidr_list(p, k, buf, p->name, p->line);
}

static char *slurp(const char *path, size_t max, size_t *len, char *err, size_t errlen);

/* A list file: prefixes separated by blanks, one or more per line, #
 * comments; errors name the list file's own line. */
static bool set_cidrfile(struct parser *p, const struct conf_key *k, const char *value)
{
	char err[160], *text, *line, *save;
	unsigned lineno = 0;
	size_t len;
	bool ok = true;

	if (value[0] != '/') {
		error_invalid(p, k, value);
		return false;
	}
	text = slurp(value, CONF_LISTFILE_MAX, &len, err, sizeof(err));
	if (!text) {
		parse_error(p, p->line, "cannot use '%s' for '%s': %s", value, k->name, err);
		return false;
	}
	if (memchr(text, '\0', len)) {
		parse_error(p, p->line, "cannot use '%s' for '%s': it contains a NUL byte",
			    value, k->name);
		free(text);
		return false;
	}
	for (line = text; line < text + len; line = save + 1) {
		char *hash;

		save = strchr(line, '\n');
		if (save)
			*save = '\0';
		lineno++;
		if ((hash = strchr(line, '#')))
			*hash = '\0';
		ok = add_cidr_list(p, k, line, value, lineno) && ok;
		if (!save)
			break;
	}
	free(text);
	return ok;
}

static bool set_value(struct parser *p, const struct conf_key *k, const char *value)
{
	/* An empty list line adds nothing (the example config shows "key =").*/
	if (value[0] == '\0' && (k->flags & CONF_F_LIST))
		return true;
	if (value[0] == '\0' && !(k->flags & CONF_F_EMPTY_OK)) {
		char expected[160];

		fmt_expected(k, expected, sizeof(expected));
		parse_error(p, p->line, "empty value for '%s': expected %s", k->name, expected);
		return false;
	}
	switch (k->type) {
	case CONF_T_RATE:
		return set_rate(p, k, value);
	case CONF_T_SERVICE:
		return set_service(p, k, value);
	case CONF_T_CIDRS:
		return set_cidrs(p, k, value);
	case CONF_T_CIDRFILE:
		return set_cidrfile(p, k, value);
	case CONF_T_ENUM:
		return set_enum(p, k, value);
	case CONF_T_PATH:
		return set_path(p, k, value);
	case CONF_T_NAME:
		return set_name(p, k, value);
	case CONF_T_IFACES:
		return set_ifaces(p, k, value);
	case CONF_T_PORTS:
		return set_ports(p, k, value);
	default:
		return set_number(p, k, value);
	}
}

static const struct conf_key *find_key(const char *name)
{
	size_t i;

	for (i = 0; i < CONF_NKEYS; i++)
		if (strcmp(conf_table[i].name, name) == 0)
			return &conf_table[i];
	return NULL;
}

static char *trim(char *s)
{
	char *end = s + strlen(s);

	while (*s == ' ' || *s == '\t' || *s == '\r')
		s++;
	while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
		*--end = '\0';
	return s;
}

/* One line, comment removed and trimmed: empty, or "key = value". */
static void parse_setting(struct parser *p, char *line)
{
	const struct conf_key *k;
	char *eq = strchr(line, '='), *key, *value;
	size_t i;

	if (line[0] == '\0')
		return;
	if (!eq || eq == line) {
		parse_error(p, p->line, "expected 'key = value', got '%s'", line);
		return;
	}
	*eq = '\0';
	key = trim(line);
	value = trim(eq + 1);
	k = find_key(key);
	if (!k) {
		parse_error(p, p->line, "unknown key '%s'", key);
		return;
	}
	i = (size_t)(k - conf_table);
	if (p->seen[i] && !(k->flags & CONF_F_LIST)) {
		parse_error(p, p->line, "duplicate key '%s' (first set on line %u)", key, p->seen[i]);
		return;
	}
	if (!p->seen[i])
		p->seen[i] = p->line;
	p->bad[i] = !set_value(p, k, value) || p->bad[i];
}

/* A raw line of n bytes (no newline, not NUL-terminated). */
static void parse_line(struct parser *p, const char *s, size_t n)
{
	char buf[CONF_LINE_MAX + 1];
	const char *hash;
	size_t i;

	if (n > CONF_LINE_MAX) {
		parse_error(p, p->line, "line too long: %zu bytes, at most %d allowed", n, CONF_LINE_MAX);
		return;
	}
	hash = memchr(s, '#', n);
	if (hash)
		n = (size_t)(hash - s);
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		/* Refused rather than quoted back: they could rewrite a terminal. */
		if ((ch < 0x20 && ch != '\t' && ch != '\r') || ch == 0x7f) {
			parse_error(p, p->line, "control character 0x%02x in column %zu: "
				    "only printable text, tabs and spaces are allowed", ch, i + 1);
			return;
		}
	}
	memcpy(buf, s, n);
	buf[n] = '\0';
	parse_setting(p, trim(buf));
}

/* Checks across keys, once the whole file is read, reported at the line of
 * the key that was given (the later-named one if both were). */
static void check_retransmit(struct parser *p)
{
	const struct conf_key *kmin = &conf_table[CONF_K_retransmit_min];
	const struct conf_key *kmax = &conf_table[CONF_K_retransmit_max];
	unsigned lmin = p->seen[CONF_K_retransmit_min], lmax = p->seen[CONF_K_retransmit_max];
	char vmin[32], vmax[32];

	if (p->bad[CONF_K_retransmit_min] || p->bad[CONF_K_retransmit_max] || (!lmin && !lmax))
		return;
	if (p->c->retransmit_max_ms > p->c->retransmit_min_ms)
		return;
	fmt_value(p->c, kmin, vmin, sizeof(vmin));
	fmt_value(p->c, kmax, vmax, sizeof(vmax));
	if (lmax)
		parse_error(p, lmax, "value '%s' for '%s' must be greater than %s (%s)",
			    vmax, kmax->name, kmin->name, vmin);
	else
		parse_error(p, lmin, "value '%s' for '%s' must be less than %s (%s)",
			    vmin, kmin->name, kmax->name, vmax);
}

/* The RST queue must be another queue: RSTs must not wait behind a flood. */
static void check_queues(struct parser *p)
{
	unsigned lq = p->seen[CONF_K_queue], lr = p->seen[CONF_K_rst_queue];

	if (p->bad[CONF_K_queue] || p->bad[CONF_K_rst_queue] || p->c->queue != p->c->rst_queue)
		return;
	parse_error(p, lr > lq ? lr : lq, "value '%u' for '%s' must differ from %s (%u)",
		    lr > lq ? p->c->rst_queue : p->c->queue, lr > lq ? "rst_queue" : "queue",
		    lr > lq ? "queue" : "rst_queue", lr > lq ? p->c->queue : p->c->rst_queue);
}

/* low must stay below high, or the detector could never calm down. */
static void check_low_high(struct parser *p, int klo, int khi)
{
	unsigned llo = p->seen[klo], lhi = p->seen[khi];
	uint64_t lo = field_load(p->c, &conf_table[klo]), hi = field_load(p->c, &conf_table[khi]);

	if (p->bad[klo] || p->bad[khi] || (!llo && !lhi) || lo < hi)
		return;
	parse_error(p, llo > lhi ? llo : lhi, "'%s' (%llu) must be less than '%s' (%llu)",
		    conf_table[klo].name, (unsigned long long)lo, conf_table[khi].name,
		    (unsigned long long)hi);
}

/* The two handshake-tracking bits are separate flags in one connmark. */
static void check_marks(struct parser *p)
{
	unsigned lt = p->seen[CONF_K_track_mark], ld = p->seen[CONF_K_done_mark];

	if (p->bad[CONF_K_track_mark] || p->bad[CONF_K_done_mark] || (!lt && !ld) ||
	    (p->c->track_mark & p->c->done_mark) == 0)
		return;
	parse_error(p, lt > ld ? lt : ld, "track_mark (0x%x) and done_mark (0x%x) must not share "
		    "bits", p->c->track_mark, p->c->done_mark);
}

static void finish_lists(struct conf *c)
{
	if (c->allow)
		acl_finish(c->allow);
	if (c->deny)
		acl_finish(c->deny);
}

static int parse_buf(struct conf *c, const char *name, const char *text, size_t len, FILE *errs)
{
	struct parser p = { .c = c, .name = name, .errs = errs };
	const char *s = text, *end = text + len;

	while (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		size_t n = nl ? (size_t)(nl - s) : (size_t)(end - s);

		p.line++;
		parse_line(&p, s, n);
		s += n + (nl != NULL);
	}
	check_retransmit(&p);
	check_queues(&p);
	check_low_high(&p, CONF_K_attack_halfopen_low, CONF_K_attack_halfopen_high);
	check_low_high(&p, CONF_K_attack_synrate_low, CONF_K_attack_synrate_high);
	check_marks(&p);
	finish_lists(c);
	return p.nerr;
}

/* Every default goes through the parser, so it is checked like a value in
 * the file; a bad one is a mistake in CONF_TABLE, said on stderr (and the
 * unit tests print every default). */
void conf_defaults(struct conf *c)
{
	struct parser p = { .c = c, .name = "CONF_TABLE default", .errs = stderr };

	memset(c, 0, sizeof(*c));	/* the lists start empty */
	for (size_t i = 0; i < CONF_NKEYS; i++)
		set_value(&p, &conf_table[i], conf_table[i].def);
}

int conf_parse_text(struct conf *c, const char *name, const char *text, FILE *errs)
{
	return parse_buf(c, name, text, strlen(text), errs);
}

/* Read a whole file of at most max bytes, NUL-terminated; NULL with a
 * reason in err.  One byte more than allowed is read to tell "exactly max"
 * from "larger". */
static char *slurp(const char *path, size_t max, size_t *len, char *err, size_t errlen)
{
	FILE *f = fopen(path, "re");
	struct stat st;
	size_t cap, n = 0;
	char *buf = NULL, *nb;

	if (!f) {
		snprintf(err, errlen, "cannot open: %s", strerror(errno));
		return NULL;
	}
	/* Room for a regular file as it is now, else 64 KiB, grown by doubling
	 * up to max + 1 bytes (one more than allowed: a file too large). */
	cap = fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) && (uint64_t)st.st_size <= max
		      ? (size_t)st.st_size + 1
		      : 65536;
	if (cap > max + 1)
		cap = max + 1;
	for (;;) {
		nb = realloc(buf, cap + 1);
		if (!nb) {
			snprintf(err, errlen, "cannot read: %s", strerror(ENOMEM));
			goto fail;
		}
		buf = nb;
		n += fread(buf + n, 1, cap - n, f);
		if (ferror(f)) {
			snprintf(err, errlen, "cannot read: %s", strerror(errno));
			goto fail;
		}
		if (n < cap)
			break;	/* the end of the file */
		if (cap > max) {
			snprintf(err, errlen, "file too large: more than %zu bytes", max);
			goto fail;
		}
		cap = cap > (max + 1) / 2 ? max + 1 : cap * 2;
	}
	buf[n] = '\0';
	*len = n;
	fclose(f);
	return buf;
fail:
	free(buf);
	fclose(f);
	return NULL;
}

int conf_load(struct conf *c, const char *path, FILE *errs)
{
	char err[160], *buf;
	size_t n;
	int r;

	buf = slurp(path, CONF_FILE_MAX, &n, err, sizeof(err));
	if (!buf) {
		if (errs)
			fprintf(errs, "%s: %s\n", path, err);
		return -1;
	}
	/* NUL bytes are not cut here: parse_line reports them. */
	r = parse_buf(c, path, buf, n, errs);
	free(buf);
	return r;
}
