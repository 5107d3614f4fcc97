/* Fuzz target: an allow_file/deny_file list (the bytes of the file), read
 * through the config parser as the daemon reads it.  Property: no crash,
 * no leak; a list that loads gives lists that answer matches. */
#include <stdlib.h>
#include <sys/socket.h>

#include "acl.h"
#include "conf.h"
#include "fuzz.h"

/* The defaults, set once: a copy of them is what conf_defaults gives (they
 * hold no list), without setting every key from its text each input. */
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
	static char text[128];
	static const uint8_t a4[16] = { 192, 0, 2, 1 }, a6[16] = { 0x20, 0x01, 0x0d, 0xb8 };
	const char *path = fuzz_file("list", data, size);
	struct conf c;

	if (!text[0])
		snprintf(text, sizeof(text), "allow_file = %s\ndeny_file = %s\n", path, path);
	c = defaults;
	if (conf_parse_text(&c, "fuzz.conf", text, fuzz_devnull()) == 0) {
		if (c.allow) {
			(void)acl_match(c.allow, AF_INET, a4);
			(void)acl_match(c.allow, AF_INET6, a6);
		}
	}
	conf_free(&c);
	return 0;
}
