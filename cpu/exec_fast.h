/*
 * exec_fast.h - specialised handlers for the hottest forms, used by the
 * block cache only (cpu/exec_fast.c says how they stay exact: anything
 * unusual goes to the form's generic handler, untouched).
 */
#ifndef VMLAB_CPU_EXEC_FAST_H
#define VMLAB_CPU_EXEC_FAST_H

#include "cpu/insn.h"

/* The fast handler for decoded instruction i in code of size code_size
 * (2, 4, 8), or NULL when the form has none. */
insn_handler *exec_fast_handler(const struct insn *i, unsigned code_size);

#endif
