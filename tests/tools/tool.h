/* tool: what the test tools share: number arguments, the monotonic clock,
 * addresses, bounded waits and a listener.  Errors start with the tool's
 * name; a bad argument exits 2, a failed system call 1. */
#ifndef SYNGUARD_TESTS_TOOL_H
#define SYNGUARD_TESTS_TOOL_H

#include <sys/socket.h>

/* text as a decimal number in lo..hi, else exit 2 naming the argument. */
long long tool_num(const char *text, long long lo, long long hi, const char *name);
/* Monotonic milliseconds. */
double tool_now_ms(void);
/* An IPv4 or IPv6 literal and a port into *ss: its length, 0 if host is
 * neither. */
socklen_t tool_addr(struct sockaddr_storage *ss, const char *host, int port);
/* Poll fd for events until deadline (tool_now_ms time): 0 when ready, -1
 * with errno (ETIMEDOUT when the deadline passed). */
int tool_wait(int fd, short events, double deadline);
/* connect() the non-blocking fd to ss and wait for the outcome until
 * deadline: 0, or -1 with errno (the connect's error, or ETIMEDOUT). */
int tool_connect(int fd, const struct sockaddr_storage *ss, socklen_t len, double deadline);
/* A non-blocking listening socket on host:port ("::" serves both families,
 * whatever net.ipv6.bindv6only says).  rcvbuf > 0 is set before listen():
 * accepted sockets inherit it and their SYN+ACK's window scale follows it. */
int tool_listen(const char *host, int port, int backlog, int rcvbuf);
/* SO_RCVBUFFORCE (root), else SO_RCVBUF; bytes <= 0 leaves the default. */
void tool_rcvbuf(int fd, int bytes);

#endif
