/* lat: log-linear latency buckets.  Values below LAT_SUB have a bucket
 * each; above, a power of two [2^e, 2^(e+1)) is cut into LAT_SUB equal
 * parts by the LAT_SUB_BITS bits after the leading one. */
#include "lat.h"

#include <string.h>

static unsigned log2_floor(uint64_t v)
{
	return 63u - (unsigned)__builtin_clzll(v);
}

unsigned lat_bucket(uint64_t us)
{
	unsigned e, b;

	if (us < LAT_SUB)
		return (unsigned)us;
	e = log2_floor(us);	/* >= LAT_SUB_BITS */
	b = LAT_SUB * (e - LAT_SUB_BITS + 1) +
	    (unsigned)((us >> (e - LAT_SUB_BITS)) & (LAT_SUB - 1));
	return b < LAT_BUCKETS ? b : LAT_BUCKETS - 1;
}

uint64_t lat_bucket_max(unsigned b)
{
	unsigned e, sub;

	if (b < LAT_SUB)
		return b;
	if (b >= LAT_BUCKETS - 1)
		return UINT64_MAX;
	e = b / LAT_SUB + LAT_SUB_BITS - 1;
	sub = b % LAT_SUB;
	return ((uint64_t)(LAT_SUB + sub + 1) << (e - LAT_SUB_BITS)) - 1;
}

void lat_record(struct lat_hist *h, uint64_t us)
{
	h->cur[lat_bucket(us)]++;
	h->ncur++;
}

void lat_rotate(struct lat_hist *h)
{
	memcpy(h->prev, h->cur, sizeof(h->prev));
	memset(h->cur, 0, sizeof(h->cur));
	h->nprev = h->ncur;
	h->ncur = 0;
}

uint64_t lat_count(const struct lat_hist *h)
{
	return h->ncur + h->nprev;
}

uint64_t lat_quantile(const struct lat_hist *h, double q)
{
	uint64_t n = lat_count(h), want, seen = 0;

	if (n == 0)
		return 0;
	want = (uint64_t)(q * (double)n + 0.999999);
	if (want == 0)
		want = 1;
	for (unsigned b = 0; b < LAT_BUCKETS; b++) {
		seen += (uint64_t)h->cur[b] + h->prev[b];
		if (seen >= want)
			return lat_bucket_max(b);
	}
	return lat_bucket_max(LAT_BUCKETS - 1);
}
