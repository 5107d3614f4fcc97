/* Fuzz target: the config parser (conf_parse_text) over any text, then the
 * printer over what it accepted.  Property: a config that parsed without an
 * error prints, and the printed form parses again without an error. */
#include <stdlib.h>

#include "conf.h"
#include "fuzz.h"

/* The defaults, set once: a copy of them is what conf_defaults gives (they
 * hold no list), without setting every key from its text twice an input. */
static struct conf defaults;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	conf_defaults(&defaults);
	if (defaults.allow || defaults.deny)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char text[65536 + 1], printed[1 << 20];
	struct conf c, again;
	FILE *out;
	int errs;

	if (size >= sizeof(text))
		return 0;
	memcpy(text, data, size);
	text[size] = 0;
	c = defaults;
	errs = conf_parse_text(&c, "fuzz.conf", text, fuzz_devnull());
	if (errs == 0) {
		out = fmemopen(printed, sizeof(printed) - 1, "w");
		if (!out)
			abort();
		conf_print(&c, out);
		fputc(0, out);
		fclose(out);
		printed[sizeof(printed) - 1] = 0;
		again = defaults;
		if (conf_parse_text(&again, "printed.conf", printed, fuzz_devnull()) != 0)
			abort();
		conf_free(&again);
	}
	conf_free(&c);
	return 0;
}
