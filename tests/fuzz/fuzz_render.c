/* Fuzz target: the stats renderer (a reply body, "name value" lines) in
 * each format: text, JSON, Prometheus.  Property: no crash, no leak, and
 * render_body answers 0. */
#include <stdlib.h>

#include "fuzz.h"
#include "render.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char body[65536 + 1];
	enum render_format f;

	if (size >= sizeof(body))
		return 0;
	for (f = RENDER_TEXT; f <= RENDER_PROMETHEUS; f++) {
		memcpy(body, data, size);
		body[size] = 0;
		if (render_body(body, f, fuzz_devnull()) != 0)
			abort();
	}
	return 0;
}
