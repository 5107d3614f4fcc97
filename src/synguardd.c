/* synguardd: SYN-flood defence daemon.  Parses the command line and the
 * config, then hands over to the daemon loop. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "daemon.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: synguardd [-c FILE] [-t] [-p] [-h] [-V]\n"
		"  -c FILE  configuration file (default " CONF_DEFAULT_PATH ")\n"
		"  -t       check the configuration and exit (1 if it has errors)\n"
		"  -p       print the effective configuration and exit\n"
		"  -V       print the version and exit\n");
}

int main(int argc, char **argv)
{
	const char *path = CONF_DEFAULT_PATH;
	int check = 0, print = 0, opt, errors;
	struct conf conf;

	while ((opt = getopt(argc, argv, "c:tphV")) != -1) {
		switch (opt) {
		case 'c': path = optarg; break;
		case 't': check = 1; break;
		case 'p': print = 1; break;
		case 'V': puts(PACKAGE_STRING); return 0;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	conf_defaults(&conf);
	errors = conf_load(&conf, path, stderr);
	if (errors != 0) {
		if (errors > 0)
			fprintf(stderr, "%s: %d error%s\n", path, errors, errors == 1 ? "" : "s");
		return 1;
	}
	if (print)
		conf_print(&conf, stdout);
	if (check && !print)
		printf("%s: configuration OK\n", path);
	if (check || print)
		return 0;
	return daemon_run(&conf, path);
}
