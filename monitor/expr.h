/*
 * expr.h - the monitor's address and condition expressions.
 *
 *   expr  := sum [ ("==" | "!=" | "<" | ">" | "<=" | ">=") sum ]   (1 or 0)
 *   sum   := prod { ("+" | "-") prod }
 *   prod  := unary { ("*" | "/") unary }
 *   unary := "-" unary | "*" unary (64-bit load) | "(" expr ")" | atom
 *   atom  := 0x1f | 31 | register (rax, eax, ax, al, rip, ..., $rax) |
 *            symbol (name, name+off via sum)
 * Arithmetic is on u64 (wrapping); comparisons are unsigned.
 */
#ifndef VMLAB_MONITOR_EXPR_H
#define VMLAB_MONITOR_EXPR_H

#include "lib/common.h"
#include "lib/err.h"

/* Where names and memory come from (any callback may be NULL). */
struct expr_env {
	bool (*reg)(void *opaque, const char *name, u64 *val);
	bool (*sym)(void *opaque, const char *name, u64 *val);
	/* 8-byte read at addr; false with e filled when not readable */
	bool (*mem)(void *opaque, u64 addr, u64 *val, struct err *e);
	void *opaque;
};

/* Evaluate s completely; -1 with a one-line message on any error. */
int expr_eval(const struct expr_env *env, const char *s, u64 *out, struct err *e);

#endif
