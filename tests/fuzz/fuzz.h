/* fuzz.h: what the fuzz targets share (header-only, one copy per target). */
#ifndef SYNGUARD_FUZZ_H
#define SYNGUARD_FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "pkt.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
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

/* Put size bytes in the target's scratch file and return a path that opens
 * it.  The file is a memfd (created on first use, named NAME), reached as
 * /proc/self/fd/N: the loaders open a path as the daemon does, but no input
 * goes through a disk file system (rewriting a file on ext4 each input cost
 * most of a run: the truncate flushes the old blocks). */
static char fuzz_path[64];

static inline const char *fuzz_file(const char *name, const uint8_t *data, size_t size)
{
	static int fd = -1;

	if (fd < 0) {
		fd = memfd_create(name, MFD_CLOEXEC);
		if (fd < 0)
			abort();
		snprintf(fuzz_path, sizeof(fuzz_path), "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) != 0 || (size && pwrite(fd, data, size, 0) != (ssize_t)size))
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
