/* daemon: the loop owner.  Builds the context (tables, keys, queue, raw
 * sockets, control socket), runs the libev loop and tears it down. */
#ifndef SYNGUARD_DAEMON_H
#define SYNGUARD_DAEMON_H

#include "conf.h"

/* Run until SIGTERM/SIGINT.  conf_path is re-read on SIGHUP.
 * Returns the process exit status. */
int daemon_run(const struct conf *conf, const char *conf_path);

#endif
