/*
 * isa.h - the ISA table as data: the handler of every isa.def row, the
 * mnemonic spelled for a decoded instruction, and the table listing behind
 * `vmlab isa` (DESIGN.md §2 "One ISA table").
 *
 * The table itself, struct isa_form and isa_forms[] are in cpu/insn.h.
 */
#ifndef VMLAB_CPU_ISA_H
#define VMLAB_CPU_ISA_H

#include <stdio.h>

#include "cpu/insn.h"

/* Every row's handler, `void NAME(struct cpu *, const struct insn *)`.
 * Rows nobody has written yet resolve to insn_unimplemented (weak alias). */
#define X(name, ...) insn_handler name;
#include "cpu/isa.def"
#undef X

/* The default handler: raises #UD.  Recognisable by pointer. */
void insn_unimplemented(struct cpu *c, const struct insn *i);

/* True when the row's handler has been written (is not insn_unimplemented). */
bool isa_form_implemented(int form);

/* Print the table (name, mnemonic, encoding, PG class, exit, implemented),
 * or with pg_only the sensitive instructions (Popek-Goldberg classes other
 * than innocuous) grouped by class. */
void isa_print(FILE *f, bool pg_only);

/* The mnemonic as capstone spells it for this decoded instruction: resolves
 * the "a|b|c" (operand size), "@a|b|c" (address size), "#a|..|h" (ModRM.reg)
 * and trailing-'%' (b/w/d/q suffix) notations of isa.def.  buf must hold
 * ISA_MNEM_MAX bytes; returns buf. */
#define ISA_MNEM_MAX 24
const char *isa_mnemonic(const struct insn *i, char *buf);

/* Names of the isa.def vocabulary, for listings. */
extern const char *const isa_map_name[4];
extern const char *const isa_feature_name[FEATURE_COUNT];

#endif
