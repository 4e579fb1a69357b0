/*
 * known.c - the forms where the 32-bit QEMU oracle is known to differ from
 * the SDM, read from a file (tests/difftest/qemu32.known) so that every
 * exception to "the oracle is right" is written down with its SDM
 * reference, in one place a reader can see.
 *
 * One entry a line: FORM WHAT WHY...
 *   FORM   an ISA-table form name (cpu/isa.def), or * for every form
 *   WHAT   exc=H/V   the oracle raises H where vmlab raises V (a vector
 *                    number, "none", or "any" for H)
 *          flags=F,F the listed arithmetic flags (CF PF AF ZF SF OF)
 *          reg=R     the listed 32-bit register (EAX ... EDI)
 *          lock      a LOCK-prefixed case vmlab rejects with #UD (SDM Vol 2A
 *                    LOCK) and the oracle runs anyway (or dies on)
 *   WHY    the SDM reference and what QEMU does instead
 * An entry only excuses a case that already differs, and only in what it
 * names: the rest of the case is still compared.  Every excused case is
 * counted per entry and per form and printed at the end of the run.
 * The entries apply to the QEMU oracle only; the host CPU gets none.
 */
#include "tests/difftest/difftest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/cpu.h"
#include "cpu/insn.h"
#include "cpu/isa.h"

enum { K_EXC, K_FLAGS, K_REG, K_LOCK };

struct known {
	int form; /* -1: every form */
	int kind;
	int host_exc, vm_exc; /* K_EXC; host_exc -2 = any */
	u64 flags;	      /* K_FLAGS */
	int reg;	      /* K_REG */
	char what[32], why[200];
	u64 hits;
	u32 *per_form; /* hits per form, for * entries */
};

static struct known known[64];
static unsigned nknown;

static int parse_exc(const char *s)
{
	if (!strcmp(s, "none"))
		return -1;
	if (!strcmp(s, "any"))
		return -2;
	return atoi(s);
}

static int form_by_name(const char *name)
{
	for (int f = 0; f < FORM_COUNT; f++)
		if (!strcmp(isa_forms[f].name, name))
			return f;
	return -3;
}

int dt_known_load(const char *path, bool active)
{
	static const char *const regs[] = {"EAX", "ECX", "EDX", "EBX", "ESP", "EBP", "ESI", "EDI"};
	static const struct {
		const char *n;
		u64 f;
	} fl[] = {{"CF", FL_CF}, {"PF", FL_PF}, {"AF", FL_AF},
		  {"ZF", FL_ZF}, {"SF", FL_SF}, {"OF", FL_OF}};
	FILE *fp = fopen(path, "r");
	char line[512];
	int ln = 0;

	if (!fp) {
		fprintf(stderr, "difftest: %s: cannot open\n", path);
		return -1;
	}
	while (fgets(line, sizeof(line), fp)) {
		char form[64], what[32];
		int off = 0;
		struct known *k;

		ln++;
		if (line[0] == '#' || sscanf(line, "%63s %31s %n", form, what, &off) < 2)
			continue;
		if (!active)
			continue; /* the host CPU is its own reference */
		if (nknown == ARRAY_SIZE(known))
			goto bad;
		k = &known[nknown];
		memset(k, 0, sizeof(*k));
		k->form = strcmp(form, "*") ? form_by_name(form) : -1;
		if (k->form == -3)
			goto bad;
		snprintf(k->what, sizeof(k->what), "%s", what);
		snprintf(k->why, sizeof(k->why), "%.*s", (int)strcspn(line + off, "\n"),
			 line + off);
		if (!strncmp(what, "exc=", 4) && strchr(what, '/')) {
			k->kind = K_EXC;
			*strchr(what, '/') = 0;
			k->host_exc = parse_exc(what + 4);
			k->vm_exc = parse_exc(what + strlen(what) + 1);
		} else if (!strncmp(what, "flags=", 6)) {
			k->kind = K_FLAGS;
			for (char *t = strtok(what + 6, ","); t; t = strtok(NULL, ","))
				for (unsigned j = 0; j < ARRAY_SIZE(fl); j++)
					if (!strcmp(t, fl[j].n))
						k->flags |= fl[j].f;
			if (!k->flags)
				goto bad;
		} else if (!strncmp(what, "reg=", 4)) {
			k->kind = K_REG;
			k->reg = -1;
			for (int j = 0; j < 8; j++)
				if (!strcmp(what + 4, regs[j]))
					k->reg = j;
			if (k->reg < 0)
				goto bad;
		} else if (!strcmp(what, "lock")) {
			k->kind = K_LOCK;
		} else {
			goto bad;
		}
		k->per_form = calloc(FORM_COUNT, sizeof(u32));
		nknown++;
	}
	fclose(fp);
	return 0;
bad:
	fprintf(stderr, "difftest: %s:%d: bad entry (unknown form or WHAT)\n", path, ln);
	fclose(fp);
	return -1;
}

/* Does a LOCK prefix (F0) stand among the case's legacy prefixes? */
static bool has_lock(const struct dt_case *tc)
{
	static const u8 legacy[] = {0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65, 0x66, 0x67, 0xf2, 0xf3};

	for (unsigned k = 0; k < tc->len; k++) {
		if (tc->bytes[k] == 0xf0)
			return true;
		if (!memchr(legacy, tc->bytes[k], sizeof(legacy)))
			return false;
	}
	return false;
}

/* Is the LOCK prefix architecturally allowed here: a lockable form (F_LOCK
 * in the ISA table) with a memory operand, as the encoder chose it (not as
 * our decoder reads it)?  Then a #UD from vmlab is vmlab's error, and no
 * entry may excuse it. */
static bool lock_allowed(const struct dt_case *tc)
{
	return (isa_forms[tc->form].flags & F_LOCK) && tc->mem;
}

static void hit(struct known *k, int form)
{
	k->hits++;
	k->per_form[form]++;
}

bool dt_known_excuse(const struct dt_case *tc, const struct dt_state *host,
		     const struct dt_state *ours, u64 *flags, u32 *regs)
{
	*flags = 0;
	*regs = 0;
	for (unsigned n = 0; n < nknown; n++) {
		struct known *k = &known[n];

		if (k->form != -1 && k->form != tc->form)
			continue;
		switch (k->kind) {
		case K_LOCK:
			if (has_lock(tc) && !lock_allowed(tc) && ours->exc == EXC_UD &&
			    host->exc != EXC_UD) {
				hit(k, tc->form);
				return true;
			}
			break;
		case K_EXC:
			if ((k->host_exc == -2 || k->host_exc == host->exc) &&
			    k->vm_exc == ours->exc) {
				hit(k, tc->form);
				return true;
			}
			break;
		case K_FLAGS:
			if (host->exc == -1 && ours->exc == -1 &&
			    ((host->rflags ^ ours->rflags) & k->flags)) {
				*flags |= k->flags;
				hit(k, tc->form);
			}
			break;
		case K_REG:
			if (host->exc == -1 && ours->exc == -1 &&
			    (u32)(host->gpr[k->reg] ^ ours->gpr[k->reg])) {
				*regs |= 1u << k->reg;
				hit(k, tc->form);
			}
			break;
		}
	}
	return false;
}

void dt_known_report(void)
{
	for (unsigned n = 0; n < nknown; n++) {
		struct known *k = &known[n];

		if (!k->hits)
			continue;
		printf("known %-14s %-10s %llu cases:", k->form < 0 ? "*" : isa_forms[k->form].name,
		       k->what, (unsigned long long)k->hits);
		if (k->form < 0)
			for (int f = 0; f < FORM_COUNT; f++)
				if (k->per_form[f])
					printf(" %s(%u)", isa_forms[f].name, k->per_form[f]);
		printf("\n      %s\n", k->why);
	}
}
