/*
 * disas.c - capstone disassembly for the monitor (see disas.h).
 *
 * capstone is one of vmlab's oracles (DESIGN.md §7): the decoder tests
 * compare our decoder with it, so the monitor shows capstone's view of the
 * bytes, never our own decoder's.
 */
#include "monitor/disas.h"

#include <capstone/capstone.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int disas_open(struct disas *d, const struct symtab *syms, struct err *e)
{
	static const cs_mode modes[3] = {CS_MODE_16, CS_MODE_32, CS_MODE_64};

	memset(d, 0, sizeof(*d));
	d->syms = syms;
	for (int i = 0; i < 3; i++) {
		csh h;

		if (cs_open(CS_ARCH_X86, modes[i], &h) != CS_ERR_OK) {
			disas_close(d);
			return err_set(e, "capstone: cannot open the x86 disassembler");
		}
		d->cs[i] = (size_t)h;
	}
	return 0;
}

void disas_close(struct disas *d)
{
	for (int i = 0; i < 3; i++) {
		if (d->cs[i]) {
			csh h = (csh)d->cs[i];
			cs_close(&h);
		}
		d->cs[i] = 0;
	}
}

/* Branches (jmp, jcc, call, loop, jrcxz) whose operand is an address. */
static bool is_branch(const char *mn)
{
	return mn[0] == 'j' || !strncmp(mn, "call", 4) || !strncmp(mn, "loop", 4);
}

unsigned disas_one(struct disas *d, int bits, const u8 *buf, size_t len, u64 addr, char *text,
		   size_t tlen)
{
	int which = bits == 16 ? 0 : bits == 32 ? 1 : 2;
	cs_insn *ci = NULL;
	unsigned n = 0;

	snprintf(text, tlen, "(bad)");
	if (!d->cs[which] || cs_disasm((csh)d->cs[which], buf, len, addr, 1, &ci) != 1)
		return 0;
	snprintf(text, tlen, "%s%s%s", ci->mnemonic, ci->op_str[0] ? " " : "", ci->op_str);
	if (d->syms && is_branch(ci->mnemonic) && !strncmp(ci->op_str, "0x", 2)) {
		char *end, sym[128];
		u64 target = strtoull(ci->op_str, &end, 16);

		if (!*end && symtab_format(d->syms, target, sym, sizeof(sym))) {
			size_t w = strlen(text);
			snprintf(text + w, tlen - w, " <%s>", sym);
		}
	}
	n = ci->size;
	cs_free(ci, 1);
	return n;
}
