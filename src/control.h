/* control: the Unix-socket control server.  Line protocol, version 1:
 * the client sends one command per line; every reply starts with
 * "synguard/1 ok" or "synguard/1 error <text>", then body lines, then an
 * empty line.  Non-blocking, bounded per client, served from the loop. */
#ifndef SYNGUARD_CONTROL_H
#define SYNGUARD_CONTROL_H

#include <stdbool.h>
#include <stddef.h>

#define CONTROL_PROTO "synguard/1"
#define CONTROL_LINE_MAX 512
#define CONTROL_OUT_MAX (256 * 1024)
#define CONTROL_CLIENTS_MAX 16
#define CONTROL_IDLE_S 30.0
#define CONTROL_ACCEPT_RATE 200.0	/* new clients per second, at most */
#define CONTROL_ACCEPT_BURST 32.0

struct ev_loop;
struct control;

struct control_reply {
	char *buf;
	size_t len, cap;
	int error;		/* set by control_error */
	int admin;		/* the peer may change state (root or admin_group) */
};

/* Fill r for the command line (without newline): body via control_printf,
 * or control_error. */
typedef void (*control_cmd_fn)(void *arg, const char *cmd, const char *args,
			       struct control_reply *r);

/* One client's request and reply buffers: the protocol without the socket
 * (control.c serves it from the loop; tests/fuzz/fuzz_control feeds it). */
struct control_conn {
	char in[CONTROL_LINE_MAX];	/* bytes received, not yet a whole line */
	size_t inlen;
	char out[CONTROL_OUT_MAX];	/* replies not yet sent */
	size_t outlen;
	int closing;		/* send what out holds, then close */
	int admin;		/* the peer may change state */
};

/* Answer the first complete line in c->in (fn fills the reply into out),
 * keeping the rest; the server calls it again once the reply is sent
 * (control_conn_pending: a complete line is waiting).  A line that fills
 * c->in without ending, or a reply that does not fit in what is left of
 * out, set closing; once closing, nothing more is answered. */
void control_conn_input(struct control_conn *c, control_cmd_fn fn, void *arg);
bool control_conn_pending(const struct control_conn *c);

/* Create the socket at path (its directory too, if missing).  A live
 * socket of another instance makes this fail; a stale one is replaced. */
struct control *control_open(struct ev_loop *loop, const char *path, control_cmd_fn fn,
			     void *arg);
/* The socket's group (mode 0660) and the group whose members are admins;
 * (gid_t)-1 leaves the group as created / allows only root. */
int control_set_groups(struct control *c, unsigned socket_gid, unsigned admin_gid);
void control_close(struct control *c);
/* Clients closed so far to make room for a new one (all slots taken; the
 * one quiet longest goes); 0 for NULL. */
unsigned long long control_evictions(const struct control *c);

void control_printf(struct control_reply *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void control_error(struct control_reply *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
