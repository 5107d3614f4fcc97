/* render: turn a control-socket reply body ("name value" lines) into what
 * people and programs read: aligned text, one JSON object, or the
 * Prometheus text exposition format.  Pure: writes to a FILE. */
#ifndef SYNGUARD_RENDER_H
#define SYNGUARD_RENDER_H

#include <stdio.h>

enum render_format { RENDER_TEXT, RENDER_JSON, RENDER_PROMETHEUS };

/* body is modified (split into lines).  Returns 0. */
int render_body(char *body, enum render_format fmt, FILE *out);

#endif
