/* Fuzz target: every netlink message parser, over the same bytes (a
 * buffer of messages as a receive returns it): ctnetlink entries
 * (ct_parse_msg, per message as the census and the get/seqadj answers
 * walk them), NLMSG_ERROR and NLMSG_DONE codes, and ipset's batch replies
 * (ipset_parse_errors).  Properties: nothing read past the buffer (ASan);
 * a parsed entry is TCP with a state name; an error code is 0 or a
 * positive errno. */
#include <stdlib.h>

#include <libmnl/libmnl.h>

#include "ct.h"
#include "fuzz.h"
#include "ipset.h"
#include "nl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static union {
		struct nlmsghdr align;
		uint8_t bytes[65536];
	} buf;
	const struct nlmsghdr *nlh = (const void *)buf.bytes;
	int rest, last = 0;
	unsigned errors;

	if (size > sizeof(buf.bytes))
		return 0;
	memcpy(buf.bytes, data, size);
	rest = (int)size;
	for (; nl_msg_ok(nlh, rest); nlh = mnl_nlmsg_next(nlh, &rest)) {
		struct ct_entry e;
		int r;

		if (nlh->nlmsg_type == NLMSG_ERROR) {
			if (nl_error_errno(nlh) < 0)
				abort();
			continue;
		}
		if (nlh->nlmsg_type == NLMSG_DONE) {
			if (nl_done_errno(nlh) < 0)
				abort();
			continue;
		}
		r = ct_parse_msg(nlh, nlh->nlmsg_len, &e);
		if (r == 1 && !ct_state_name(e.state))
			abort();
	}
	errors = ipset_parse_errors(buf.bytes, size, &last);
	if (errors && last <= 0)
		abort();
	return 0;
}
