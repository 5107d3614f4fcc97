/* seed: random keys (see seed.h). */
#include "seed.h"

#include <errno.h>
#include <sys/random.h>

int seed_key(struct siphash_key *k)
{
	do {
		ssize_t n = getrandom(k, sizeof(*k), 0);

		if (n != (ssize_t)sizeof(*k)) {
			if (n >= 0)
				errno = EIO;
			return -1;
		}
	} while (k->k0 == 0 && k->k1 == 0);
	return 0;
}
