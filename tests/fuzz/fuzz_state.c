/* Fuzz target: the state file loader (the bytes of the file).  Property:
 * a file that loads gives entries with a known family and time left; a
 * refused file names its line and gave no entry. */
#include <stdlib.h>
#include <sys/socket.h>

#include "fuzz.h"
#include "state.h"

struct seen {
	unsigned n;
};

static void entry(void *arg, int family, const uint8_t addr[16], uint64_t ms_left)
{
	struct seen *s = arg;

	(void)addr;
	if ((family != AF_INET && family != AF_INET6) || ms_left == 0)
		abort();
	s->n++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fuzz_file("state", data, size);
	char err[256] = "";
	struct seen s = { 0 };
	int r;

	r = state_load(path, 1700000000000ULL, entry, &s, err, sizeof(err));
	if (r < 0 ? (s.n != 0 || !err[0]) : (unsigned)r != s.n)
		abort();
	return 0;
}
