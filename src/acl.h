/* acl: CIDR allow/deny lists for IPv4 and IPv6.  Prefixes are parsed
 * strictly, collected, then sorted and merged into disjoint ranges once
 * (acl_finish), so a per-packet match is a binary search: O(log n), no
 * allocation, whatever the flood.  Pure (inet_pton/inet_ntop only). */
#ifndef SYNGUARD_ACL_H
#define SYNGUARD_ACL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ACL_MAX 65536		/* prefixes per list, both families together */
#define ACL_TEXT_MAX 50		/* longest acl_format output, with the NUL */

struct acl;

struct acl *acl_new(void);
void acl_free(struct acl *a);

enum acl_parse { ACL_OK = 0, ACL_BAD_SYNTAX, ACL_BAD_PREFIX, ACL_HOST_BITS };

/* "192.0.2.0/24", "192.0.2.7" (= /32), "2001:db8::/32", "2001:db8::1"
 * (= /128).  Strict: no spaces, no empty or signed prefix, no leading zeros
 * in the prefix ("/08" is ACL_BAD_PREFIX, as is /33 or /129).  An address
 * with a ':' is IPv6.  ACL_HOST_BITS when bits beyond the prefix are set;
 * family, addr and prefix are then still filled in so the caller can
 * suggest acl_format's masked form.  IPv4 uses addr[0..3]. */
enum acl_parse acl_parse_cidr(const char *s, int *family, uint8_t addr[16], unsigned *prefix);

/* Canonical text: host bits masked, the prefix always shown
 * ("192.0.2.0/24", "192.0.2.7/32", "2001:db8::/32"). */
void acl_format(int family, const uint8_t addr[16], unsigned prefix, char *buf, size_t size);

/* family is AF_INET or AF_INET6; host bits are ignored.  0, or -1 with
 * errno EINVAL (bad family or prefix), ENOSPC (beyond ACL_MAX), ENOMEM.
 * Adding after acl_finish is allowed; finish again before matching. */
int acl_add(struct acl *a, int family, const uint8_t addr[16], unsigned prefix);
/* Sort and merge overlapping and adjacent ranges.  Call it before matching:
 * an unfinished list still matches correctly, but by a linear scan. */
void acl_finish(struct acl *a);
/* A NULL or empty list matches nothing; a v4 list never matches v6 and back. */
bool acl_match(const struct acl *a, int family, const uint8_t addr[16]);
/* Prefixes added (before merging). */
size_t acl_count(const struct acl *a);

/* The list as the fewest prefixes that cover exactly what it matches (an
 * LPM table's entries, e.g. the kernel fast path's): fn for each, IPv4
 * first; stops at and returns fn's first nonzero result.  Finish first. */
typedef int (*acl_prefix_fn)(void *arg, int family, const uint8_t addr[16], unsigned prefix);
int acl_walk(const struct acl *a, acl_prefix_fn fn, void *arg);

#endif
