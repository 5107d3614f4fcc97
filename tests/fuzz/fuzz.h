/* fuzz.h: what the fuzz targets share (header-only, one copy per target). */
#ifndef SYNGUARD_FUZZ_H
#define SYNGUARD_FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pkt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Parse buf, making its checksums valid first where only they are wrong
 * (the IPv4 header's, then the TCP segment's), so that random bytes reach
 * what lies behind the checksum checks.  The parse's status. */
static inline enum pkt_status fuzz_parse_fixed(uint8_t *buf, size_t len, struct pkt *p)
{
	enum pkt_status st;

	memset(p, 0, sizeof(*p));
	st = pkt_parse(buf, len, p);
	if (st == PKT_BAD_CSUM && p->family == AF_INET && !p->l4off) {
		size_t hlen = (size_t)(buf[0] & 0x0f) * 4;
		uint16_t c;

		buf[10] = buf[11] = 0;
		c = pkt_csum_fold(pkt_csum_add(0, buf, hlen));
		buf[10] = (uint8_t)(c >> 8);
		buf[11] = (uint8_t)c;
		memset(p, 0, sizeof(*p));
		st = pkt_parse(buf, len, p);
	}
	if (st == PKT_BAD_CSUM && pkt_fix_csum(buf, len, p) == 0) {
		memset(p, 0, sizeof(*p));
		st = pkt_parse(buf, len, p);
	}
	return st;
}

/* Write size bytes to the target's scratch file (created on first use as
 * /tmp/sg-fuzz-NAME.PID.XXXXXX, removed at exit) and return its path. */
static char fuzz_path[64];

static inline void fuzz_remove_file(void)
{
	unlink(fuzz_path);
}

static inline const char *fuzz_file(const char *name, const uint8_t *data, size_t size)
{
	FILE *f;

	if (!fuzz_path[0]) {
		int fd;

		snprintf(fuzz_path, sizeof(fuzz_path), "/tmp/sg-fuzz-%s.%d.XXXXXX", name, (int)getpid());
		fd = mkstemp(fuzz_path);
		if (fd < 0)
			abort();
		close(fd);
		atexit(fuzz_remove_file);
	}
	f = fopen(fuzz_path, "w");
	if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0)
		abort();
	return fuzz_path;
}

/* Where the targets' diagnostics go (parsers print their errors). */
static inline FILE *fuzz_devnull(void)
{
	static FILE *f;

	if (!f)
		f = fopen("/dev/null", "w");
	return f;
}

#endif
