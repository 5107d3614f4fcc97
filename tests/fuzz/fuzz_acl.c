/* Fuzz target: CIDR parsing and the prefix lists built from it.  Input:
 * lines of CIDRs.  Properties: every accepted prefix formats and parses back
 * to itself; after acl_finish, each added prefix's address matches; the
 * walk gives prefixes that parse and match. */
#include <stdlib.h>
#include <sys/socket.h>

#include "acl.h"
#include "fuzz.h"

static int walk_one(void *arg, int family, const uint8_t addr[16], unsigned prefix)
{
	const struct acl *a = arg;
	char buf[64];
	int f2;
	uint8_t a2[16];
	unsigned p2;

	acl_format(family, addr, prefix, buf, sizeof(buf));
	if (acl_parse_cidr(buf, &f2, a2, &p2) != ACL_OK || f2 != family || p2 != prefix ||
	    !acl_match(a, family, addr))
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char line[256];
	static struct { int family; uint8_t addr[16]; } added[256];
	struct acl *a = acl_new();
	size_t i = 0, n = 0;

	if (!a)
		abort();
	while (i < size) {
		size_t len = 0;
		int family;
		uint8_t addr[16];
		unsigned prefix;

		while (i < size && data[i] != '\n' && len < sizeof(line) - 1)
			line[len++] = (char)data[i++];
		i++;
		line[len] = 0;
		if (acl_parse_cidr(line, &family, addr, &prefix) != ACL_OK)
			continue;
		{
			char buf[64];
			int f2;
			uint8_t a2[16];
			unsigned p2;

			acl_format(family, addr, prefix, buf, sizeof(buf));
			if (acl_parse_cidr(buf, &f2, a2, &p2) != ACL_OK || f2 != family ||
			    p2 != prefix || memcmp(a2, addr, family == AF_INET ? 4 : 16) != 0)
				abort();
		}
		if (acl_add(a, family, addr, prefix) != 0)
			break;
		if (n < sizeof(added) / sizeof(added[0])) {
			added[n].family = family;
			memcpy(added[n].addr, addr, 16);
			n++;
		}
	}
	acl_finish(a);
	for (i = 0; i < n; i++)
		if (!acl_match(a, added[i].family, added[i].addr))
			abort();
	(void)acl_count(a);
	acl_walk(a, walk_one, a);
	acl_free(a);
	return 0;
}
