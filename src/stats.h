/* stats: the daemon's counters.  One X-macro list gives each counter its
 * stable name, used verbatim on the control socket, in text, JSON and the
 * docs, so the names cannot drift apart. */
#ifndef SYNGUARD_STATS_H
#define SYNGUARD_STATS_H

#include <stdint.h>

#define STATS_COUNTERS(X) \
	X(packets,             "packets received from the queue") \
	X(syn,                 "TCP SYNs seen") \
	X(syn_accepted,        "SYNs accepted (verified source, retransmission, or monitor mode)") \
	X(syn_verified,        "SYNs accepted because their source was verified") \
	X(challenges_sent,     "cookie SYN+ACKs sent") \
	X(challenges_failed,   "cookie SYN+ACKs that could not be sent") \
	X(would_challenge,     "SYNs monitor mode would have challenged") \
	X(cookies_valid,       "RSTs carrying a valid cookie (source verified)") \
	X(cookies_invalid,     "RSTs without ACK carrying an invalid cookie (dropped)") \
	X(rst_other,           "RSTs with ACK set: not a cookie answer, accepted") \
	X(rst_established,     "RSTs of connections conntrack follows (accepted: the server judges)") \
	X(ct_timeouts_restored,"entries an inexact RST left ESTABLISHED whose timeout was restored") \
	X(ct_restore_errors,   "timeouts that could not be restored (ctnetlink refused)") \
	X(tcp_other,           "other TCP packets queued (accepted)") \
	X(not_tcp,             "non-TCP packets queued (accepted)") \
	X(malformed,           "malformed or truncated packets (dropped)") \
	X(bad_checksum,        "packets with a bad checksum (dropped)") \
	X(fragments,           "IP fragments (dropped)") \
	X(retransmit_accepted, "SYN retransmissions accepted without verification") \
	X(retransmit_evictions,"challenged-SYN table evictions") \
	X(verified_evictions,  "verified-source table evictions") \
	X(verdicts_accept,     "packets given ACCEPT") \
	X(verdicts_drop,       "packets given DROP") \
	X(verdict_msgs,        "verdict messages sent to the kernel") \
	X(verdict_errors,      "verdict errors (send failure, missing id, lost packets)") \
	X(nfq_overruns,        "netlink receive buffer overruns (ENOBUFS)") \
	X(nfq_lost,            "queued packets whose message was lost (id gap)") \
	X(key_rotations,       "cookie key rotations") \
	X(ipset_adds,          "verified prefixes pushed to the kernel fast-path set") \
	X(ipset_errors,        "kernel fast-path set updates refused") \
	X(syn_denied,          "SYNs from deny-listed sources (dropped)") \
	X(syn_allowed,         "SYNs from allow-listed sources (accepted, never limited)") \
	X(syn_passive,         "SYNs of unverified sources accepted because their service was not under attack") \
	X(limited_syn_source,  "SYNs over the per-source-prefix limit (dropped)") \
	X(limited_syn_service, "SYNs over the per-service limit (dropped)") \
	X(limited_synack_dest, "challenges not sent: per-destination-prefix SYN+ACK limit (SYN dropped)") \
	X(limited_synack_total,"challenges not sent: total SYN+ACK limit (SYN dropped)") \
	X(limited_rst_source,  "RSTs not checked: the source prefix spent its invalid-cookie budget (dropped)") \
	X(handshake_synacks,   "server SYN+ACKs of followed handshakes") \
	X(handshakes_completed,"followed handshakes completed by the client's ACK") \
	X(handshake_bad_acks,  "ACKs of followed handshakes not acknowledging the server's SYN+ACK (ignored)") \
	X(handshakes_reset,    "followed handshakes ended by a RST") \
	X(passive_verified,    "sources verified by completing a handshake") \
	X(attacks_started,     "attack starts detected (all services)") \
	X(attacks_ended,       "attack ends detected (all services)") \
	X(proxy_synacks,       "proxy cookie SYN+ACKs built (challenges of proxied services)") \
	X(proxy_started,       "proxied handshakes started: valid proxy cookie, SYN sent to the server") \
	X(proxy_invalid,       "segments without SYN of no connection to a proxied service, no valid cookie (dropped)") \
	X(proxy_completed,     "proxied handshakes handed over to the kernel (conntrack entry with seqadj)") \
	X(proxy_failed_refused,"proxied handshakes the server refused (RST): client reset") \
	X(proxy_failed_timeout,"proxied handshakes the server did not answer in proxy_timeout: client reset") \
	X(proxy_failed_ct,     "proxied handshakes whose conntrack entry was refused: both sides reset") \
	X(proxy_aborted,       "proxied handshakes the client reset") \
	X(proxy_evicted,       "proxied handshakes evicted from a full table: client reset") \
	X(proxy_early_held,    "early client packets held during a proxied handshake") \
	X(proxy_early_dropped, "early client packets dropped: over proxy_early_data, or not whole") \
	X(proxy_reinjected,    "held client packets re-injected after the handover") \
	X(proxy_forwarded,     "client packets read just after the handover (sent before it), passed on") \
	X(proxy_forward_capped,"late packets of a handed-over connection past PROXY_FORWARD_MAX (dropped)") \
	X(proxy_send_errors,   "proxy segments that could not be sent") \
	X(proxy_ct_replaced,   "stale conntrack entries (an earlier connection on the same ports) replaced") \
	X(census_runs,         "conntrack censuses completed") \
	X(census_errors,       "conntrack censuses that failed") \
	X(accel_packets,       "kernel fast path: packets its program saw") \
	X(accel_syn,           "kernel fast path: pure SYNs with valid checksums") \
	X(accel_challenges,    "kernel fast path: cookie SYN+ACKs sent from the kernel (auth and proxy)") \
	X(accel_proxy_challenges, "kernel fast path: proxy cookie SYN+ACKs sent from the kernel") \
	X(accel_syn_options,   "kernel fast path: SYNs with options it leaves to the daemon") \
	X(accel_syn_verified,  "kernel fast path: SYNs of verified sources passed on") \
	X(accel_syn_passed,    "kernel fast path: SYNs to services not challenging passed on") \
	X(accel_unprotected,   "kernel fast path: SYNs and RSTs to ports no service or accel_ports names, passed untouched") \
	X(accel_trips,         "kernel fast path: adaptive services its tripwire turned to challenging") \
	X(accel_syn_allowed,   "kernel fast path: SYNs of allowed sources passed on") \
	X(accel_syn_denied,    "kernel fast path: SYNs of denied sources dropped") \
	X(accel_retransmits,   "kernel fast path: challenged SYNs seen again in the fallback window, passed on") \
	X(accel_limited,       "kernel fast path: SYNs not answered for a SYN+ACK limit (dropped)") \
	X(accel_bad_checksum,  "kernel fast path: packets with a bad checksum passed on (for the queue)") \
	X(accel_malformed,     "kernel fast path: malformed, truncated or fragmented packets passed on") \
	X(accel_errors,        "kernel fast path: SYNs it could not answer (no keys yet, no room), passed on") \
	X(accel_rst_valid,     "kernel fast path: RSTs echoing a valid cookie (source verified there, dropped)") \
	X(accel_rst_invalid,   "kernel fast path: RSTs of no connection with a wrong cookie (dropped)") \
	X(accel_rst_limited,   "kernel fast path: RSTs of a prefix out of limit_rst_source (dropped unchecked)") \
	X(accel_rst_passed,    "kernel fast path: RSTs of connections conntrack knows (passed on)") \
	X(accel_ack_invalid,   "kernel fast path: segments without SYN of no connection to proxied services, no valid cookie (dropped)") \
	X(accel_ack_cookie,    "kernel fast path: ACKs to proxied services with a valid proxy cookie (passed to the daemon)") \
	X(accel_stray_conn,    "kernel fast path: segments without SYN to proxied services of connections conntrack knows (passed)") \
	X(accel_events_lost,   "kernel fast path: sources it verified that the daemon missed (ring buffer full)") \
	X(accel_syn_fragments, "kernel fast path: SYNs in IP fragments to challenging services (dropped)") \
	X(key_epoch_steps,     "cookie epoch moved by other than one period: the wall clock was stepped") \
	X(state_saves,         "state file written (periodically and at exit)") \
	X(state_save_errors,   "state file writes that failed (the previous file stays)")

/* Why each queued packet got its verdict: the decision's leaf.  Every
 * packet the queue delivers is counted under exactly one reason (the sum of
 * the reasons is `packets`), so that a flood's packets can be accounted
 * for; the counters above are finer or cut across these.  Shown as
 * packets_by_reason{reason="NAME"} lines.  "dropped" is in adaptive and
 * always mode; off and monitor mode only count. */
#define STATS_REASONS(X) \
	X(no_payload,          "queue messages without the packet (error verdict)") \
	X(not_tcp,             "not TCP (accepted)") \
	X(fragment,            "IP fragments (dropped)") \
	X(bad_checksum,        "bad checksums (dropped)") \
	X(malformed,           "malformed or truncated (dropped)") \
	X(syn_denied,          "SYNs of deny-listed sources (dropped)") \
	X(syn_allowed,         "SYNs of allow-listed sources (accepted)") \
	X(syn_off,             "SYNs in mode off (accepted)") \
	X(syn_verified,        "SYNs of verified sources (accepted)") \
	X(syn_retransmit,      "SYN retransmissions of challenged SYNs (accepted)") \
	X(syn_passive,         "SYNs to services not challenging (accepted)") \
	X(syn_would_challenge, "SYNs monitor mode would have challenged (accepted)") \
	X(syn_limited_source,  "SYNs over limit_syn_source (dropped)") \
	X(syn_limited_service, "SYNs over limit_syn_service (dropped)") \
	X(syn_challenged,      "SYNs answered with a cookie SYN+ACK (dropped)") \
	X(syn_limited_synack,  "SYNs not challenged for a SYN+ACK limit (dropped)") \
	X(rst_established,     "RSTs of connections conntrack follows (accepted)") \
	X(rst_handshake,       "RSTs of followed handshakes (accepted)") \
	X(rst_cookie_valid,    "RSTs echoing a valid cookie (dropped; the source verified)") \
	X(rst_cookie_invalid,  "RSTs with a wrong cookie (dropped)") \
	X(rst_limited,         "RSTs of a prefix out of limit_rst_source (dropped)") \
	X(rst_ack,             "RSTs with ACK of no proxied service: not a cookie answer (accepted)") \
	X(handshake_synack,    "server SYN+ACKs of followed handshakes (accepted)") \
	X(handshake_ack,       "ACKs completing followed handshakes (accepted)") \
	X(handshake_bad_ack,   "ACKs of followed handshakes not acknowledging the SYN+ACK (accepted)") \
	X(proxy,               "segments of proxied handshakes and of just handed-over connections (the proxy acts)") \
	X(stray,               "segments without SYN to proxied services of no connection, no valid cookie (dropped)") \
	X(other,               "other TCP segments (accepted)")

enum stats_reason {
#define STATS_REASON_ENUM(name, help) STATS_R_##name,
	STATS_REASONS(STATS_REASON_ENUM)
#undef STATS_REASON_ENUM
	STATS_REASON_MAX
};

struct stats {
#define STATS_FIELD(name, help) uint64_t name;
	STATS_COUNTERS(STATS_FIELD)
#undef STATS_FIELD
	uint64_t reason[STATS_REASON_MAX];
};



typedef void (*stats_visit_fn)(const char *name, const char *help, uint64_t value, void *arg);
void stats_foreach(const struct stats *s, stats_visit_fn fn, void *arg);
/* The reasons: fn(name without prefix, help, count, arg). */
void stats_foreach_reason(const struct stats *s, stats_visit_fn fn, void *arg);
/* The sum of the reasons (equals packets). */
uint64_t stats_reason_total(const struct stats *s);
/* The identities between the reasons and the finer counters policy keeps
 * (e.g. syn is the sum of the syn_ reasons, cookies_invalid is
 * rst_cookie_invalid): NULL if they hold, else the first that does not. */
const char *stats_reasons_disagree(const struct stats *s);
#endif
