/* control: accept, read a line, answer from a fixed buffer, repeat.  A
 * client that sends too much, never reads, or idles is dropped; nothing a
 * client does can block the loop that serves the queue. */
#include "control.h"

#include <errno.h>
#include <ev.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"

/* Seconds on the monotonic clock: the accept tokens and the clients' last
 * activity must not follow a wall-clock step (ev_now is wall time: 6 h
 * back, the tokens went 4 million into debt and nothing was accepted). */
static ev_tstamp mono_now(void)
{
	return (ev_tstamp)clock_mono_us() / 1e6;
}

struct control_client {
	struct control *ctl;
	ev_io io;
	ev_timer idle;
	struct control_conn conn;
	size_t outoff;		/* bytes of conn.out already sent */
	ev_tstamp active;	/* when it last sent or took a reply */
};

struct control {
	struct ev_loop *loop;
	ev_io accept_io;
	int fd;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	control_cmd_fn fn;
	void *arg;
	gid_t admin_gid;	/* (gid_t)-1: root only */
	unsigned long long evicted;	/* clients closed to make room */
	/* Accepts: a token bucket (CONTROL_ACCEPT_RATE per second, burst
	 * CONTROL_ACCEPT_BURST); when empty the listening socket is left
	 * alone until the pause timer, its backlog holding the callers. */
	double tokens;
	ev_tstamp refilled;
	ev_timer pause;
	struct control_client *clients[CONTROL_CLIENTS_MAX];	/* NULL: slot free */
	/* The clients' state, allocated once with the server: accepting a
	 * client allocates nothing (a connect storm cannot grow the heap). */
	struct control_client slots[CONTROL_CLIENTS_MAX];
};

static void vappend(struct control_reply *r, const char *fmt, va_list ap)
{
	int n;

	if (r->len >= r->cap)
		return;
	n = vsnprintf(r->buf + r->len, r->cap - r->len, fmt, ap);
	if (n < 0)
		return;
	r->len += (size_t)n < r->cap - r->len ? (size_t)n : r->cap - r->len - 1;
}

void control_printf(struct control_reply *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vappend(r, fmt, ap);
	va_end(ap);
}

void control_error(struct control_reply *r, const char *fmt, ...)
{
	va_list ap;

	r->len = 0;
	r->error = 1;
	va_start(ap, fmt);
	vappend(r, fmt, ap);
	va_end(ap);
}

static void client_free(struct control_client *cl)
{
	struct control *c = cl->ctl;

	for (size_t i = 0; i < CONTROL_CLIENTS_MAX; i++)
		if (c->clients[i] == cl)
			c->clients[i] = NULL;
	ev_io_stop(c->loop, &cl->io);
	ev_timer_stop(c->loop, &cl->idle);
	close(cl->io.fd);
}

/* Body lines must not contain an empty line (it ends the reply). */
static void answer(struct control_conn *c, const char *line, control_cmd_fn fn, void *arg)
{
	static char body[CONTROL_OUT_MAX - 128];	/* one loop: one answer at a time */
	struct control_reply r = { body, 0, sizeof(body), 0, c->admin };
	char cmd[64] = "";
	const char *args;
	size_t room = sizeof(c->out) - c->outlen;
	int n;

	args = line + strcspn(line, " \t");
	snprintf(cmd, sizeof(cmd), "%.*s", (int)(args - line), line);
	args += strspn(args, " \t");
	body[0] = '\0';
	if (cmd[0] == '\0')
		control_error(&r, "empty command");
	else
		fn(arg, cmd, args, &r);
	if (r.error)
		n = snprintf(c->out + c->outlen, room, "%s error %.*s\n\n", CONTROL_PROTO,
			     (int)strcspn(body, "\n"), body);
	else
		n = snprintf(c->out + c->outlen, room, "%s ok\n%.*s%s\n", CONTROL_PROTO,
			     (int)r.len, body, r.len && body[r.len - 1] != '\n' ? "\n" : "");
	if (n < 0 || (size_t)n >= room) {
		c->closing = 1;	/* a client that does not read its replies */
		return;
	}
	c->outlen += (size_t)n;
}

bool control_conn_pending(const struct control_conn *c)
{
	return !c->closing && memchr(c->in, '\n', c->inlen) != NULL;
}

void control_conn_input(struct control_conn *c, control_cmd_fn fn, void *arg)
{
	char *nl;

	if (!c->closing && (nl = memchr(c->in, '\n', c->inlen)) != NULL) {
		size_t linelen = (size_t)(nl - c->in);

		*nl = '\0';
		if (linelen && c->in[linelen - 1] == '\r')
			c->in[linelen - 1] = '\0';
		answer(c, c->in, fn, arg);
		memmove(c->in, nl + 1, c->inlen - linelen - 1);
		c->inlen -= linelen + 1;
		return;
	}
	if (!c->closing && c->inlen == sizeof(c->in)) {
		int n = snprintf(c->out + c->outlen, sizeof(c->out) - c->outlen,
				 "%s error line too long (max %d bytes)\n\n", CONTROL_PROTO,
				 CONTROL_LINE_MAX - 1);

		if (n > 0 && (size_t)n < sizeof(c->out) - c->outlen)
			c->outlen += (size_t)n;
		c->closing = 1;
	}
}

static int client_write(struct control_client *cl)
{
	struct control_conn *c = &cl->conn;

	while (cl->outoff < c->outlen) {
		ssize_t n = send(cl->io.fd, c->out + cl->outoff, c->outlen - cl->outoff,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
		cl->outoff += (size_t)n;
	}
	cl->outoff = c->outlen = 0;
	return 0;
}

static int client_read(struct control_client *cl)
{
	struct control_conn *c = &cl->conn;
	ssize_t n = recv(cl->io.fd, c->in + c->inlen, sizeof(c->in) - c->inlen, MSG_DONTWAIT);

	if (n == 0)
		return -1;
	if (n < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
	c->inlen += (size_t)n;
	control_conn_input(c, cl->ctl->fn, cl->ctl->arg);
	return 0;
}

static void client_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct control_client *cl = w->data;
	int events;

	ev_timer_again(loop, &cl->idle);
	cl->active = mono_now();
	if ((revents & EV_READ) && cl->conn.outlen == 0 && !cl->conn.closing &&
	    client_read(cl) < 0) {
		client_free(cl);
		return;
	}
	if (client_write(cl) < 0 || (cl->conn.closing && cl->conn.outlen == 0)) {
		client_free(cl);
		return;
	}
	/* One request per turn of the loop, and the next only once the last
	 * reply is out: a client that sends many requests and reads none gets
	 * one answered, and the queues' work is never kept waiting for long. */
	if (cl->conn.outlen == 0 && (revents & EV_WRITE) && control_conn_pending(&cl->conn)) {
		control_conn_input(&cl->conn, cl->ctl->fn, cl->ctl->arg);
		if (client_write(cl) < 0 || (cl->conn.closing && cl->conn.outlen == 0)) {
			client_free(cl);
			return;
		}
	}
	events = cl->conn.outlen || control_conn_pending(&cl->conn) ? EV_WRITE : EV_READ;
	if ((w->events & (EV_READ | EV_WRITE)) != events) {
		ev_io_stop(loop, w);
		ev_io_set(w, w->fd, events);
		ev_io_start(loop, w);
	}
}

static void idle_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	client_free(w->data);
}

/* Decided once per connection from the kernel's view of the peer
 * (SO_PEERCRED, SO_PEERGROUPS), never from anything the client says. */
static int peer_is_admin(const struct control *c, int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	gid_t groups[256];

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return 0;
	if (cred.uid == 0)
		return 1;
	if (c->admin_gid == (gid_t)-1)
		return 0;
	if (cred.gid == c->admin_gid)
		return 1;
	len = sizeof(groups);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) < 0)
		return 0;
	for (size_t i = 0; i < len / sizeof(gid_t); i++)
		if (groups[i] == c->admin_gid)
			return 1;
	return 0;
}

int control_set_groups(struct control *c, unsigned socket_gid, unsigned admin_gid)
{
	c->admin_gid = (gid_t)admin_gid;
	if ((gid_t)socket_gid != (gid_t)-1 && chown(c->path, (uid_t)-1, (gid_t)socket_gid) < 0) {
		log_err("control: cannot give %s to group %u: %s (a daemon not running as "
			"root must be in that group: SupplementaryGroups= in its unit)", c->path,
			socket_gid, strerror(errno));
		return -1;
	}
	return 0;
}

static void resume_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct control *c = w->data;

	ev_io_start(loop, &c->accept_io);
}

/* Take an accept token; without one, stop accepting until there is one. */
static bool accept_token(struct control *c)
{
	ev_tstamp now = mono_now();

	c->tokens += (now - c->refilled) * CONTROL_ACCEPT_RATE;
	if (c->tokens > CONTROL_ACCEPT_BURST)
		c->tokens = CONTROL_ACCEPT_BURST;
	c->refilled = now;
	if (c->tokens >= 1.0) {
		c->tokens -= 1.0;
		return true;
	}
	ev_io_stop(c->loop, &c->accept_io);
	ev_timer_set(&c->pause, (1.0 - c->tokens) / CONTROL_ACCEPT_RATE, 0.);
	ev_timer_start(c->loop, &c->pause);
	return false;
}

static void accept_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct control *c = w->data;
	struct control_client *cl;
	size_t slot;
	int fd;

	if (!accept_token(c))
		return;
	fd = accept4(c->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return;
	for (slot = 0; slot < CONTROL_CLIENTS_MAX && c->clients[slot]; slot++)
		;
	/* All taken: the client quiet longest makes room (connections left
	 * idle or never read cannot lock the others out; each slot holds a
	 * full reply buffer, so their number stays bounded). */
	if (slot == CONTROL_CLIENTS_MAX) {
		size_t oldest = 0;

		for (size_t i = 1; i < CONTROL_CLIENTS_MAX; i++)
			if (c->clients[i]->active < c->clients[oldest]->active)
				oldest = i;
		client_free(c->clients[oldest]);
		c->evicted++;
		slot = oldest;
	}
	cl = &c->slots[slot];
	/* Only the small fields: the buffers' old bytes are never read. */
	cl->conn.inlen = cl->conn.outlen = 0;
	cl->conn.closing = 0;
	cl->outoff = 0;
	cl->ctl = c;
	cl->active = mono_now();
	cl->conn.admin = peer_is_admin(c, fd);
	c->clients[slot] = cl;
	ev_io_init(&cl->io, client_cb, fd, EV_READ);
	cl->io.data = cl;
	ev_io_start(loop, &cl->io);
	ev_timer_init(&cl->idle, idle_cb, 0., CONTROL_IDLE_S);
	cl->idle.data = cl;
	ev_timer_again(loop, &cl->idle);
}

/* A socket file that accepts connections belongs to a live instance. */
static int socket_in_use(const struct sockaddr_un *sa)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int live;

	if (fd < 0)
		return 0;
	live = connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0;
	close(fd);
	return live;
}

static void make_parent_dir(const char *path)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		if (mkdir(dir, 0755) < 0 && errno != EEXIST)
			log_warn("control: cannot create %s: %s", dir, strerror(errno));
	}
}

static int listen_at(struct control *c, const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	if (strlen(path) >= sizeof(sa.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if (socket_in_use(&sa)) {
		log_err("control: %s is in use: another synguardd is running", path);
		errno = EADDRINUSE;
		return -1;
	}
	unlink(path);	/* stale socket of a dead instance */
	make_parent_dir(path);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0 || bind(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    chmod(path, 0660) < 0 || listen(c->fd, 16) < 0)
		return -1;
	snprintf(c->path, sizeof(c->path), "%s", path);
	return 0;
}

struct control *control_open(struct ev_loop *loop, const char *path, control_cmd_fn fn,
			     void *arg)
{
	struct control *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->loop = loop;
	c->fn = fn;
	c->arg = arg;
	c->fd = -1;
	c->admin_gid = (gid_t)-1;
	if (listen_at(c, path) < 0) {
		if (errno != EADDRINUSE)
			log_err("control: cannot listen on %s: %s", path, strerror(errno));
		if (c->fd >= 0)
			close(c->fd);
		free(c);
		return NULL;
	}
	ev_io_init(&c->accept_io, accept_cb, c->fd, EV_READ);
	c->accept_io.data = c;
	ev_io_start(loop, &c->accept_io);
	ev_timer_init(&c->pause, resume_cb, 0., 0.);
	c->pause.data = c;
	c->tokens = CONTROL_ACCEPT_BURST;
	c->refilled = mono_now();
	return c;
}

unsigned long long control_evictions(const struct control *c)
{
	return c ? c->evicted : 0;
}

void control_close(struct control *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < CONTROL_CLIENTS_MAX; i++)
		if (c->clients[i])
			client_free(c->clients[i]);
	ev_io_stop(c->loop, &c->accept_io);
	ev_timer_stop(c->loop, &c->pause);
	close(c->fd);
	unlink(c->path);
	free(c);
}
