/*
 * err.h - the two error channels of vmlab's host side (STYLE.md §7).
 *
 * Host or user problems (a missing file, a bad config line) travel as a
 * `struct err` filled with ONE line naming the file/option and the problem;
 * the function returns -1 and the caller cleans up and passes it on.
 * A broken internal invariant is a bug in vmlab: panic() prints and aborts.
 * Guest-caused conditions never use either: they are architectural events.
 */
#ifndef VMLAB_LIB_ERR_H
#define VMLAB_LIB_ERR_H

#include "lib/common.h"

#define ERR_MSG_MAX 512

struct err {
	char msg[ERR_MSG_MAX];
};

/* Fill e (which may be NULL) with a formatted one-line message; returns -1. */
int err_set(struct err *e, const char *fmt, ...) PRINTF(2, 3);

/* Same, appending ": strerror(errno)". */
int err_errno(struct err *e, const char *fmt, ...) PRINTF(2, 3);

/* Internal invariant broken: message to stderr, abort(). */
NORETURN void panic_at(const char *file, int line, const char *fmt, ...) PRINTF(3, 4);
#define panic(...) panic_at(__FILE__, __LINE__, __VA_ARGS__)

/* Allocation that cannot fail (out-of-memory on the host is a panic). */
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t size);
char *xstrdup(const char *s);

#endif
