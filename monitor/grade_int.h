/*
 * grade_int.h - what the grader's two halves share: the grader's state and
 * the recorder one check writes into, and the call from monitor/grade.c
 * (the command: options, scoring, result files) into monitor/grade_vm.c
 * (one check on a fresh virtual machine).  Private to those two files; the
 * check file and its evaluation are monitor/grade.h / grade_check.c.
 */
#ifndef VMLAB_MONITOR_GRADE_INT_H
#define VMLAB_MONITOR_GRADE_INT_H

#include "monitor/grade.h"
#include "monitor/symbols.h"
#include "monitor/trace_text.h"

struct grader {
	struct grade_lab lab;
	const char *labdir;
	char *kernel; /* resolved image path */
	char *out;    /* folder for result.json and failure files */
	struct symtab syms;
	bool block_cache;
	const char *only; /* --check NAME */
};

/* What the sink and the serial port write into while a check runs. */
struct recorder {
	struct grade_run *run;
	struct trace_text tt; /* only for trace_text_format */
	char *text;
	size_t len, cap;
	bool truncated;
};

/* Run check c on a fresh machine: fills r (serial output, events, expect
 * results, exit status, virtual time) and rec (the trace as text).
 * -1 with e set when the machine cannot be built or a break location does
 * not resolve. */
int grader_run_check(struct grader *g, const struct grade_check *c, struct grade_run *r,
		     struct recorder *rec, struct err *e);

#endif
