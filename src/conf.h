/* conf: the configuration file (key = value lines, # comments).  Parsing
 * is pure apart from reading the file: it fills a struct conf, collects
 * every error as "file:line: message", and never touches running state. */
#ifndef SYNGUARD_CONF_H
#define SYNGUARD_CONF_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define CONF_DEFAULT_PATH "/etc/synguard/synguard.conf"
#define CONF_DEFAULT_SOCKET "/run/synguard/synguard.sock"
#define CONF_PATH_MAX 256
#define CONF_SOCKET_MAX 108	/* sizeof(sun_path) */
#define CONF_NAME_MAX 32	/* group names */
#define CONF_IFACES_MAX 8	/* accel_interfaces */
#define CONF_PORTS_MAX 32	/* accel_ports: ports and ranges */
#define CONF_PORTS_LEN (CONF_PORTS_MAX * 12)
#define CONF_IFNAME_MAX 16	/* an interface name with its NUL (IFNAMSIZ) */
#define CONF_DEFAULT_STATE "/var/lib/synguard/verified.state"
#define CONF_SERVICES_MAX 64	/* declared services; one more slot is the catch-all */
#define CONF_CATCHALL "other"	/* name of the catch-all service */

struct acl;

/* off: accept everything (tracking and stats only); monitor: a dry run of
 * adaptive; adaptive: challenge a service only while it is under attack;
 * always: challenge every unverified source. */
enum conf_mode { CONF_MODE_OFF, CONF_MODE_MONITOR, CONF_MODE_ADAPTIVE, CONF_MODE_ALWAYS };
enum conf_accel { CONF_ACCEL_AUTO, CONF_ACCEL_XDP, CONF_ACCEL_XDP_GENERIC, CONF_ACCEL_TC,
		  CONF_ACCEL_OFF };
enum conf_verdict { CONF_VERDICT_ACCEPT, CONF_VERDICT_DROP };

/* A token bucket: rate tokens per second, burst tokens; rate 0 = off. */
struct conf_rate {
	uint32_t rate, burst;
};

/* How unverified sources are challenged: auth = the SYN-authentication
 * cookie (a wrong SYN+ACK, answered by a RST); proxy = the full SYN proxy
 * for every handshake; auto = proxy the first handshake, then verify the
 * source.  CONF_CHALLENGE_DEFAULT in a service: the global setting. */
enum conf_challenge { CONF_CHALLENGE_AUTH, CONF_CHALLENGE_PROXY, CONF_CHALLENGE_AUTO,
		      CONF_CHALLENGE_DEFAULT };
#define CONF_OPT_UNSET 0xffff		/* per-service option not configured */
#define CONF_WSCALE_NONE 15		/* wscale=none: the server does not scale */

/* A protected service: destination address (family 0 = any) and port,
 * with optional per-service settings. */
struct conf_service {
	char name[CONF_NAME_MAX];
	int family;			/* 0, AF_INET or AF_INET6 */
	uint8_t addr[16];
	uint16_t port;			/* 1..65535 */
	enum conf_challenge challenge;	/* CONF_CHALLENGE_DEFAULT: global */
	uint16_t mss;			/* server MSS override, CONF_OPT_UNSET: learn */
	uint16_t wscale;		/* 0..14, CONF_WSCALE_NONE = none, CONF_OPT_UNSET: learn */
	uint16_t sack;			/* 0/1, CONF_OPT_UNSET: learn */
};

/* The settings, a field a key.  Each key's range, its default and whether a
 * reload may change it are in CONF_TABLE (conf.c); synguard.conf(5) has them. */
struct conf {
	uint16_t queue;			/* SYNs */
	uint16_t rst_queue;		/* the clients' RSTs, != queue */
	enum conf_mode mode;
	uint32_t copy_range;		/* bytes */
	uint32_t queue_maxlen;		/* packets */
	uint32_t rcvbuf;		/* bytes, 0 = kernel default */
	bool fail_open;
	uint32_t mark;
	enum conf_verdict error_verdict;
	uint32_t key_rotate_ms;
	char secret_file[CONF_PATH_MAX];	/* "" = random keys */
	uint32_t verified_ttl_ms;
	uint32_t verified_max;		/* entries */
	uint8_t verified_prefix4;
	uint8_t verified_prefix6;
	uint32_t retransmit_min_ms;
	uint32_t retransmit_max_ms;	/* > retransmit_min_ms */
	uint32_t retransmit_table;	/* entries */
	char socket[CONF_SOCKET_MAX];
	char socket_group[CONF_NAME_MAX];	/* "" = the daemon's own group */
	char admin_group[CONF_NAME_MAX];	/* "" = only root may change state */
	char state_file[CONF_PATH_MAX];	/* "" = no state kept across restarts */
	uint32_t state_interval_ms;	/* state_file written this often too; 0 = at exit only */
	int log_level;			/* LOG_ERR..LOG_DEBUG from <syslog.h> */
	/* handshake tracking and attack detection */
	uint32_t halfopen_max;		/* entries */
	uint32_t halfopen_timeout_ms;
	uint32_t track_mark, done_mark;	/* packet/conntrack mark bits, disjoint */
	uint32_t attack_halfopen_high, attack_halfopen_low;	/* per service */
	uint32_t attack_synrate_high, attack_synrate_low;	/* unverified SYNs/s */
	uint32_t attack_hold_ms;
	/* rate limits */
	uint8_t limit_prefix4, limit_prefix6;
	uint32_t limit_table;		/* buckets */
	struct conf_rate limit_syn_source, limit_syn_service, limit_synack_dest,
		limit_synack_total, limit_rst_source;
	/* operations */
	uint32_t stats_interval_ms;	/* 0 = off */
	uint32_t census_interval_ms;	/* 0 = only on demand */
	uint32_t census_max;		/* conntrack entries per census */
	/* full SYN proxy */
	enum conf_challenge challenge;
	uint32_t proxy_max;		/* in-flight proxied handshakes */
	uint32_t proxy_timeout_ms;	/* the server's answer */
	uint32_t proxy_early_data;	/* bytes of client data held per handshake */
	/* the kernel fast path */
	char accel_interfaces[CONF_IFACES_MAX * CONF_IFNAME_MAX];	/* blank-separated */
	enum conf_accel accel_mode;
	char accel_object[CONF_PATH_MAX];	/* "" = the one installed with synguardd */
	char accel_pin_dir[CONF_PATH_MAX];	/* "" = nothing pinned */
	char accel_ports[CONF_PORTS_LEN];	/* "80,443,8000:8080": the catch-all's, "" none */
	/* lists: services (first match wins), allow and deny CIDRs */
	unsigned nservices;
	struct conf_service services[CONF_SERVICES_MAX];
	struct acl *allow, *deny;	/* owned: conf_free(); NULL = empty */
	unsigned nallow, ndeny;		/* prefixes given (inline and from files) */
};

/* Every key's default; the lists empty. */
void conf_defaults(struct conf *c);
/* Free what a parsed conf owns (the lists); the struct itself is the caller's. */
void conf_free(struct conf *c);
const char *conf_mode_name(enum conf_mode m);

/* The index of the first service matching a destination, or c->nservices
 * (the catch-all) if none does. */
unsigned conf_service_of(const struct conf *c, int family, const uint8_t dst[16], uint16_t port);
const char *conf_service_name(const struct conf *c, unsigned svc);
/* The challenge method of a service slot (its own, else the global one). */
enum conf_challenge conf_service_challenge(const struct conf *c, unsigned svc);

/* Parse text (NUL-terminated) named 'name' in messages into *c, which the
 * caller has set to defaults.  Every error is printed to errs as
 * "name:line: message".  Returns the number of errors. */
int conf_parse_text(struct conf *c, const char *name, const char *text, FILE *errs);

/* Read and parse the file at path.  Returns the number of errors, or -1
 * with a message on errs if the file cannot be read. */
int conf_load(struct conf *c, const char *path, FILE *errs);

/* Print the effective configuration in canonical form (every key, one per
 * line, parseable by conf_parse_text). */
void conf_print(const struct conf *c, FILE *out);
/* Each port range of an accel_ports value: fn(arg, lo, hi) (fn may be
 * NULL: a check).  Returns how many, or -1 if the text is not a valid
 * list (ports 1..65535, LOW <= HIGH, at most CONF_PORTS_MAX). */
int conf_ports_each(const char *ports, void (*fn)(void *arg, unsigned lo, unsigned hi), void *arg);

/* For a reload: each restart-only key whose value in next differs from the
 * running one gets the running value back, and its name is appended to
 * changed (", "-separated, cut at len bytes).  Returns how many did. */
int conf_keep_restart_only(const struct conf *running, struct conf *next, char *changed,
			   size_t len);

/* Names of every key the parser knows, NULL-terminated (for the docs test). */
extern const char *const conf_keys[];

#endif
