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
#define CONF_DEFAULT_STATE "/var/lib/synguard/verified.state"

enum conf_mode { CONF_MODE_MONITOR, CONF_MODE_ALWAYS };
enum conf_verdict { CONF_VERDICT_ACCEPT, CONF_VERDICT_DROP };

struct conf {
	uint16_t queue;			/* 0..65535: SYNs */
	uint16_t rst_queue;		/* 0..65535, != queue: the clients' RSTs */
	enum conf_mode mode;
	uint32_t copy_range;		/* bytes, 64..65535 */
	uint32_t queue_maxlen;		/* packets, 1..10000000 */
	uint32_t rcvbuf;		/* bytes, 0 = kernel default; 65536..1 GiB */
	bool fail_open;
	uint32_t mark;			/* 1..0xffffffff */
	enum conf_verdict error_verdict;
	uint32_t key_rotate_ms;		/* 1 s .. 1 day */
	char secret_file[CONF_PATH_MAX];	/* "" = random keys */
	uint32_t verified_ttl_ms;	/* 1 s .. 30 days */
	uint32_t verified_max;		/* entries, 64 .. 64 Mi */
	uint8_t verified_prefix4;	/* 8..32 */
	uint8_t verified_prefix6;	/* 16..128 */
	uint32_t retransmit_min_ms;
	uint32_t retransmit_max_ms;	/* > retransmit_min, <= 60 s */
	uint32_t retransmit_table;	/* entries, 64 .. 64 Mi */
	char socket[CONF_SOCKET_MAX];
	char socket_group[CONF_NAME_MAX];	/* "" = the daemon's own group */
	char admin_group[CONF_NAME_MAX];	/* "" = only root may change state */
	char state_file[CONF_PATH_MAX];	/* "" = no state kept across restarts */
	int log_level;			/* LOG_ERR..LOG_DEBUG from <syslog.h> */
};

void conf_defaults(struct conf *c);

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

/* Names of every key the parser knows, NULL-terminated (for the docs test). */
extern const char *const conf_keys[];

#endif
