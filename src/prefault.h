/* prefault: touch every page of a table just allocated, so that the memory
 * it will use under any flood is resident, and counted, from the start:
 * the daemon's RSS does not creep up as traffic reaches buckets no packet
 * reached before (a soak would take that for a leak, an operator for a
 * surprise in the middle of an attack), and a machine that cannot back the
 * configured tables finds out at start. */
#ifndef SYNGUARD_PREFAULT_H
#define SYNGUARD_PREFAULT_H

#include <stddef.h>

/* mem: zeroed memory (calloc); a zero is written on every page. */
static inline void prefault(void *mem, size_t len)
{
	volatile unsigned char *b = mem;

	/* 4 KiB steps reach every page of any page size the kernel uses. */
	for (size_t i = 0; i < len; i += 4096)
		b[i] = 0;
	if (len)
		b[len - 1] = 0;
}

#endif
