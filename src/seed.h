/* seed: random keys for the hash tables, the cookies and the proxy table,
 * from the kernel's getrandom(2). */
#ifndef SYNGUARD_SEED_H
#define SYNGUARD_SEED_H

#include "siphash.h"

/* A random nonzero key (a zero seed is never used): 0, or -1 with errno. */
int seed_key(struct siphash_key *k);

#endif
