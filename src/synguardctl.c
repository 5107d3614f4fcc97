/* synguardctl: talk to synguardd over its control socket and render the
 * answers for people (aligned text) or programs (JSON). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "conf.h"
#include "control.h"
#include "render.h"

#define REPLY_MAX (CONTROL_OUT_MAX + 1)

static void usage(FILE *out)
{
	fprintf(out,
		"usage: synguardctl [-s SOCKET] COMMAND [ARGUMENT] [--json | --prometheus]\n"
		"  -s SOCKET  control socket (default " CONF_DEFAULT_SOCKET ")\n"
		"read-only commands:\n"
		"  stats [--json | --prometheus]  counters and gauges\n"
		"  ping               check that the daemon answers\n"
		"  version            daemon and protocol version\n"
		"state-changing commands (root and admin_group):\n"
		"  reload             re-read the configuration file\n"
		"  verify ADDRESS     trust a source for verified_ttl\n"
		"  unverify ADDRESS   stop trusting a source\n"
		"  clear-counters     reset the counters\n");
}

static int connect_to(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "synguardctl: socket path too long: %s\n", path);
		return -1;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr, "synguardctl: cannot connect to %s: %s (is synguardd running?)\n",
			path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* Send one request and read its reply up to the terminating empty line. */
static int request(const char *path, const char *line, char *reply, size_t cap)
{
	int fd = connect_to(path);
	size_t len = 0;

	if (fd < 0)
		return -1;
	if (send(fd, line, strlen(line), MSG_NOSIGNAL) < 0) {
		fprintf(stderr, "synguardctl: send: %s\n", strerror(errno));
		close(fd);
		return -1;
	}
	while (len + 1 < cap) {
		ssize_t n = recv(fd, reply + len, cap - 1 - len, 0);

		if (n <= 0)
			break;
		len += (size_t)n;
		reply[len] = '\0';
		if (strstr(reply, "\n\n"))
			break;
	}
	close(fd);
	reply[len] = '\0';
	return 0;
}

/* Split "synguard/1 ok\nbody\n\n": returns the body or NULL on error. */
static char *reply_body(char *reply)
{
	size_t plen = strlen(CONTROL_PROTO);
	char *nl = strchr(reply, '\n');
	char *end;

	if (strncmp(reply, CONTROL_PROTO " ", plen + 1) != 0 || !nl) {
		fprintf(stderr, "synguardctl: unexpected reply (protocol mismatch?)\n");
		return NULL;
	}
	*nl = '\0';
	if (strncmp(reply + plen + 1, "ok", 2) != 0) {
		fprintf(stderr, "synguardctl: daemon says: %s\n", reply + plen + 1);
		return NULL;
	}
	end = strstr(nl + 1, "\n\n");
	if (end)
		end[1] = '\0';
	return nl + 1;
}

int main(int argc, char **argv)
{
	const char *path = CONF_DEFAULT_SOCKET;
	static char reply[REPLY_MAX];
	enum render_format fmt = RENDER_TEXT;
	int opt;
	char line[CONTROL_LINE_MAX];
	char *body;

	while ((opt = getopt(argc, argv, "+s:h")) != -1) {
		switch (opt) {
		case 's': path = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	snprintf(line, sizeof(line), "%s", argv[optind]);
	for (int i = optind + 1; i < argc; i++) {
		size_t len = strlen(line);

		if (strcmp(argv[i], "--json") == 0) {
			fmt = RENDER_JSON;
		} else if (strcmp(argv[i], "--prometheus") == 0) {
			fmt = RENDER_PROMETHEUS;
		} else if (strpbrk(argv[i], " \t\r\n") ||
			   (size_t)snprintf(line + len, sizeof(line) - len, " %s", argv[i]) >=
				   sizeof(line) - len - 1) {
			fprintf(stderr, "synguardctl: invalid argument '%s'\n", argv[i]);
			return 2;
		}
	}
	/* Other words go to the daemon as they are: it knows its commands (and
	 * a newer daemon may know more) and answers unknown ones with an error. */
	if (strpbrk(argv[optind], " \t\r\n")) {
		fprintf(stderr, "synguardctl: invalid command '%s'\n", argv[optind]);
		return 2;
	}
	strcat(line, "\n");
	if (request(path, line, reply, sizeof(reply)) < 0)
		return 1;
	body = reply_body(reply);
	if (!body)
		return 1;
	render_body(body, fmt, stdout);
	return 0;
}
