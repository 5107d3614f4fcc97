/* synguardd: SYN-flood defence daemon.  Parses the command line and the
 * config, then hands over to the daemon loop. */
#include <errno.h>
#include <linux/netfilter/ipset/ip_set.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "daemon.h"
#include "ipset.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: synguardd [-c FILE] [-t] [-p] [-S] [-D] [-h] [-V]\n"
		"  -c FILE  configuration file (default " CONF_DEFAULT_PATH ")\n"
		"  -t       check the configuration and exit (1 if it has errors)\n"
		"  -p       print the effective configuration and exit\n"
		"  -S       create the kernel fast-path sets (" IPSET_NAME4 ", " IPSET_NAME6 ") and exit\n"
		"  -D       destroy the kernel fast-path sets and exit\n"
		"  -V       print the version and exit\n"
		"  -h       print this help and exit\n");
}

static int fastpath_sets(const struct conf *c, int what)
{
	int rc = what == 'S' ? ipset_create_sets(c->verified_max, c->verified_ttl_ms / 1000)
			     : ipset_destroy_sets();

	/* Sets made earlier with other sizes: used as they are (each entry
	 * carries its own timeout); new sizes need synguard-rules remove. */
	if (what == 'S' && (rc == -EEXIST || rc == -IPSET_ERR_EXIST)) {
		fprintf(stderr, "synguardd: sets %s/%s exist with other parameters; kept\n",
			IPSET_NAME4, IPSET_NAME6);
		return 0;
	}
	if (rc == 0)
		return 0;
	fprintf(stderr, "synguardd: cannot %s sets %s/%s: %s\n",
		what == 'S' ? "create" : "destroy", IPSET_NAME4, IPSET_NAME6,
		-rc < 4096 ? strerror(-rc) : "ipset protocol error (kernel without hash:net?)");
	return 1;
}

int main(int argc, char **argv)
{
	const char *path = CONF_DEFAULT_PATH;
	int check = 0, print = 0, sets = 0, opt, errors;
	struct conf conf;

	while ((opt = getopt(argc, argv, "c:tpSDhV")) != -1) {
		switch (opt) {
		case 'c': path = optarg; break;
		case 't': check = 1; break;
		case 'p': print = 1; break;
		case 'S': sets = 'S'; break;
		case 'D': sets = 'D'; break;
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
		conf_free(&conf);
		return 1;
	}
	if (!sets && !check && !print)
		return daemon_run(&conf, path);	/* the daemon owns (and frees) the lists */
	errors = sets ? fastpath_sets(&conf, sets) : 0;
	if (print)
		conf_print(&conf, stdout);
	if (check && !print && !sets)
		printf("%s: configuration OK\n", path);
	conf_free(&conf);
	return errors;
}
