/* acl: each family keeps inclusive [lo, hi] ranges as 128-bit integers
 * (IPv4 in the low 32 bits), so one code path serves both.  acl_finish
 * sorts by lo and merges in place; acl_match then looks for the last range
 * starting at or below the address and checks that it reaches it. */
#include "acl.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

typedef unsigned __int128 acl_u128;

struct acl_range {
	acl_u128 lo, hi;
};

struct acl_list {
	struct acl_range *r;
	size_t n, cap;
};

struct acl {
	struct acl_list v4, v6;
	size_t added;
	bool dirty;		/* added to since the last acl_finish */
};

struct acl *acl_new(void)
{
	return calloc(1, sizeof(struct acl));
}

void acl_free(struct acl *a)
{
	if (!a)
		return;
	free(a->v4.r);
	free(a->v6.r);
	free(a);
}

static bool acl_family_ok(int family)
{
	return family == AF_INET || family == AF_INET6;
}

static unsigned acl_bits(int family)
{
	return family == AF_INET ? 32 : 128;
}

/* Network byte order to integer and back. */
static acl_u128 acl_load(int family, const uint8_t *addr)
{
	acl_u128 x = 0;

	for (unsigned i = 0; i < acl_bits(family) / 8; i++)
		x = x << 8 | addr[i];
	return x;
}

static void acl_store(int family, acl_u128 x, uint8_t *addr)
{
	memset(addr, 0, 16);
	for (unsigned i = acl_bits(family) / 8; i-- > 0; x >>= 8)
		addr[i] = (uint8_t)x;
}

static acl_u128 acl_hostmask(unsigned bits, unsigned prefix)
{
	unsigned host = bits - prefix;

	return host == 128 ? ~(acl_u128)0 : ((acl_u128)1 << host) - 1;
}

/* Digits only, no sign or leading zero (so "/08" cannot be read as octal
 * by one tool and decimal by another), at most bits. */
static enum acl_parse acl_parse_prefix(const char *p, unsigned bits, unsigned *prefix)
{
	size_t len = strlen(p);
	unsigned v = 0;

	if (len == 0 || strspn(p, "0123456789") != len)
		return ACL_BAD_SYNTAX;
	if (len > 3 || (len > 1 && p[0] == '0'))
		return ACL_BAD_PREFIX;
	for (size_t i = 0; i < len; i++)
		v = v * 10 + (unsigned)(p[i] - '0');
	if (v > bits)
		return ACL_BAD_PREFIX;
	*prefix = v;
	return ACL_OK;
}

/* inet_pton already refuses spaces, zones and (for IPv4) leading zeros and
 * short forms like "10.1"; the address is copied out so the prefix is not
 * passed to it. */
enum acl_parse acl_parse_cidr(const char *s, int *family, uint8_t addr[16], unsigned *prefix)
{
	char text[INET6_ADDRSTRLEN];
	const char *slash = strchr(s, '/');
	size_t alen = slash ? (size_t)(slash - s) : strlen(s);
	enum acl_parse rc;

	memset(addr, 0, 16);
	if (alen == 0 || alen >= sizeof(text))
		return ACL_BAD_SYNTAX;
	memcpy(text, s, alen);
	text[alen] = '\0';
	*family = memchr(text, ':', alen) ? AF_INET6 : AF_INET;
	if (inet_pton(*family, text, addr) != 1)
		return ACL_BAD_SYNTAX;
	*prefix = acl_bits(*family);
	if (slash && (rc = acl_parse_prefix(slash + 1, acl_bits(*family), prefix)) != ACL_OK)
		return rc;
	if (acl_load(*family, addr) & acl_hostmask(acl_bits(*family), *prefix))
		return ACL_HOST_BITS;
	return ACL_OK;
}

void acl_format(int family, const uint8_t addr[16], unsigned prefix, char *buf, size_t size)
{
	char text[INET6_ADDRSTRLEN];
	uint8_t masked[16];
	unsigned bits;

	if (size == 0)
		return;
	if (!acl_family_ok(family)) {
		snprintf(buf, size, "?");
		return;
	}
	bits = acl_bits(family);
	if (prefix > bits)
		prefix = bits;
	acl_store(family, acl_load(family, addr) & ~acl_hostmask(bits, prefix), masked);
	if (!inet_ntop(family, masked, text, sizeof(text)))
		snprintf(text, sizeof(text), "?");
	snprintf(buf, size, "%s/%u", text, prefix);
}

/* gcc -fanalyzer (12) loses the block once it is stored through l and
 * reports it leaked on acl_add's later returns; acl_free frees l->r. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wanalyzer-malloc-leak"
#endif
static int acl_list_grow(struct acl_list *l)
{
	size_t cap = l->cap ? 2 * l->cap : 16;
	struct acl_range *r = realloc(l->r, cap * sizeof(*r));

	if (!r)
		return -1;
	l->r = r;
	l->cap = cap;
	return 0;
}

int acl_add(struct acl *a, int family, const uint8_t addr[16], unsigned prefix)
{
	struct acl_list *l;
	acl_u128 x, host;

	if (!acl_family_ok(family) || prefix > acl_bits(family)) {
		errno = EINVAL;
		return -1;
	}
	if (a->added >= ACL_MAX) {
		errno = ENOSPC;
		return -1;
	}
	l = family == AF_INET ? &a->v4 : &a->v6;
	if (l->n == l->cap && acl_list_grow(l) < 0)
		return -1;
	x = acl_load(family, addr);
	host = acl_hostmask(acl_bits(family), prefix);
	l->r[l->n++] = (struct acl_range){ x & ~host, x | host };
	a->added++;
	a->dirty = true;
	return 0;
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

static int acl_range_cmp(const void *pa, const void *pb)
{
	const struct acl_range *a = pa, *b = pb;

	return (a->lo > b->lo) - (a->lo < b->lo);
}

/* Sorted by lo, a range overlapping or touching the previous one extends
 * it.  hi + 1 cannot wrap for IPv4; for IPv6 the all-ones hi is checked. */
static void acl_list_merge(struct acl_list *l)
{
	size_t out = 0;

	if (l->n == 0)
		return;
	qsort(l->r, l->n, sizeof(*l->r), acl_range_cmp);
	for (size_t i = 1; i < l->n; i++) {
		struct acl_range *cur = &l->r[out];

		if (cur->hi == ~(acl_u128)0 || l->r[i].lo <= cur->hi + 1) {
			if (l->r[i].hi > cur->hi)
				cur->hi = l->r[i].hi;
		} else {
			l->r[++out] = l->r[i];
		}
	}
	l->n = out + 1;
}

void acl_finish(struct acl *a)
{
	acl_list_merge(&a->v4);
	acl_list_merge(&a->v6);
	a->dirty = false;
}

/* Only reached when acl_finish was forgotten: slow but never wrong. */
static bool acl_list_scan(const struct acl_list *l, acl_u128 x)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->r[i].lo <= x && x <= l->r[i].hi)
			return true;
	return false;
}

bool acl_match(const struct acl *a, int family, const uint8_t addr[16])
{
	const struct acl_list *l;
	acl_u128 x;
	size_t lo = 0, hi;

	if (!a || !acl_family_ok(family))
		return false;
	l = family == AF_INET ? &a->v4 : &a->v6;
	x = acl_load(family, addr);
	if (a->dirty)
		return acl_list_scan(l, x);
	for (hi = l->n; lo < hi;) {	/* lo: the first range starting above x */
		size_t mid = lo + (hi - lo) / 2;

		if (l->r[mid].lo <= x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo > 0 && x <= l->r[lo - 1].hi;
}

size_t acl_count(const struct acl *a)
{
	return a ? a->added : 0;
}

/* One range as prefixes: from lo, the largest aligned block that stays
 * within hi, then the next; at most 2 * bits of them. */
static int walk_range(const struct acl_range *r, int family, acl_prefix_fn fn, void *arg)
{
	unsigned bits = acl_bits(family);
	acl_u128 lo = r->lo;

	for (;;) {
		unsigned host = 0;
		uint8_t addr[16];
		int rc;

		while (host < bits && !(lo >> host & 1))
			host++;
		while (host > 0 && (lo | acl_hostmask(bits, bits - host)) > r->hi)
			host--;
		acl_store(family, lo, addr);
		rc = fn(arg, family, addr, bits - host);
		if (rc)
			return rc;
		lo |= acl_hostmask(bits, bits - host);
		if (lo >= r->hi)
			return 0;
		lo++;
	}
}

int acl_walk(const struct acl *a, acl_prefix_fn fn, void *arg)
{
	const struct acl_list *l[2] = { &a->v4, &a->v6 };
	const int fam[2] = { AF_INET, AF_INET6 };
	int rc;

	for (int f = 0; f < 2; f++)
		for (size_t i = 0; i < l[f]->n; i++)
			if ((rc = walk_range(&l[f]->r[i], fam[f], fn, arg)) != 0)
				return rc;
	return 0;
}
