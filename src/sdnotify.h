/* sdnotify: systemd's readiness/watchdog datagram protocol, reimplemented
 * (systemd documents it as stable and meant to be; no libsystemd). */
#ifndef SYNGUARD_SDNOTIFY_H
#define SYNGUARD_SDNOTIFY_H

#include <stdint.h>
#include <sys/socket.h>
#include <sys/un.h>

struct sdnotify {
	int fd;				/* -1: not started by systemd */
	struct sockaddr_un addr;
	socklen_t addrlen;
	uint64_t watchdog_usec;		/* 0: no watchdog */
};

/* Read NOTIFY_SOCKET (path or @abstract) and WATCHDOG_USEC/WATCHDOG_PID.
 * Returns 0; n->fd is -1 when there is nothing to notify. */
int sdnotify_init(struct sdnotify *n);
/* Send one message ("READY=1\nSTATUS=..."); a no-op without a socket. */
int sdnotify_send(const struct sdnotify *n, const char *msg);
void sdnotify_close(struct sdnotify *n);

#endif
