/*
 * setup.c - the starting state a form needs beyond random registers:
 * pointers into the data area for the string instructions, XLAT, ENTER and
 * LEAVE, a stack whose top holds something meaningful for RET and POPF, and
 * for near branches a taken target that differs from the fall-through.
 *
 * The rules come from the instructions' pages in the SDM Vol 2 (MOVS, CMPS,
 * SCAS, LODS, STOS, REP/REPE/REPNE, XLAT, ENTER, LEAVE, POPF, Jcc, JMP,
 * CALL, RET, LOOP/LOOPcc, JrCXZ); the layout of the code page is in
 * difftest.h.  Every choice is random within bounds that keep all accesses
 * in the shared data area, so whatever the instruction does, both the host
 * and vmlab can do it and the results can be compared.
 */
#include "tests/difftest/difftest.h"

#include <string.h>

#include "cpu/cpu.h"
#include "cpu/insn.h"

/* An address-size value: with 32-bit addresses (67 prefix) only the low
 * half is used, so the high half gets noise that must not matter. */
static u64 areg_value(const struct dt_case *tc, u64 *rng, u64 v)
{
	if (tc->asize == 4)
		return (dt_rand(rng) << 32) | (u32)v;
	return v;
}

/* A pointer somewhere in the data area with `margin` bytes on both sides. */
static u64 data_ptr(u64 *rng, unsigned margin)
{
	return DT_DATA_VA + margin + dt_rand(rng) % (DT_DATA_LEN - 2 * margin);
}

/* A branch target: forward past the fall-through block, or backward
 * before the instruction; both land on a "taken" block (difftest.h). */
static u64 pick_target(const struct dt_case *tc, u64 *rng, unsigned span)
{
	u64 next = DT_INSN_VA + tc->len;

	if (dt_rand(rng) % 4 == 0)
		return DT_INSN_VA - DT_BLOCK_LEN - dt_rand(rng) % 48;
	return next + DT_BLOCK_LEN + dt_rand(rng) % span;
}

static void put_data(struct dt_case *tc, u64 va, u64 v, unsigned sz)
{
	memcpy(tc->in.data + (va - DT_DATA_VA), &v, sz);
}

/* CMPS/SCAS under REPE/REPNE: make the compared bytes mostly equal, with
 * one difference, so that scans stop in the middle as often as at rCX=0. */
static void shape_compare(struct dt_case *tc, u64 *rng, bool scas)
{
	/* The data area is below 4 GiB: the address is the low half whatever
	 * the address size. */
	u64 di = (u32)tc->in.gpr[RDI], si = (u32)tc->in.gpr[RSI];
	u8 *d = tc->in.data + (di - DT_DATA_VA) - 96, *s = tc->in.data + (si - DT_DATA_VA) - 96;
	u8 pat = (u8)dt_rand(rng);

	if (scas) {
		memset(d, pat, 192);
		tc->in.gpr[RAX] = 0x0101010101010101ULL * pat;
	} else {
		memmove(d, s, 192);
	}
	d[dt_rand(rng) % 192] ^= (u8)(1 + dt_rand(rng) % 255);
}

bool dt_setup(struct dt_case *tc, u64 *rng, int rm, bool mem, u64 ea)
{
	const struct isa_form *f = &isa_forms[tc->form];
	const char *m = f->mnem, *nm = f->name;
	u64 r = dt_rand(rng);

	/* The stack: anywhere in the middle of the data area, usually aligned. */
	tc->in.gpr[RSP] = (data_ptr(rng, 0x300) & ~7ULL) | (r % 8 == 0 ? (r >> 8) % 8 : 0);

	if (dt_form_has(tc->form, OK_X) || dt_form_has(tc->form, OK_Y)) {
		/* Strings: rSI/rDI 0x200 bytes or more from the area's edges,
		 * rCX small under REP so that the run stays inside. */
		tc->in.gpr[RSI] = areg_value(tc, rng, data_ptr(rng, 0x200));
		tc->in.gpr[RDI] = areg_value(tc, rng, data_ptr(rng, 0x200));
		if (tc->rep)
			tc->in.gpr[RCX] = areg_value(tc, rng, dt_rand(rng) % 10);
		if ((f->flags & F_REPZ) && r % 4 != 1)
			shape_compare(tc, rng, !strncmp(m, "scas", 4));
	} else if (!strcmp(nm, "XLAT")) {
		/* AL indexes a 256-byte table at rBX. */
		tc->in.gpr[RBX] =
		    areg_value(tc, rng, DT_DATA_VA + dt_rand(rng) % (DT_DATA_LEN - 256));
	} else if (!strcmp(nm, "ENTER_IwIb")) {
		/* rBP and rSP in the area; the nesting level (mod 32) copies up
		 * to 31 frame pointers from below rBP. */
		tc->in.gpr[RBP] = data_ptr(rng, 0x300);
		tc->in.gpr[RSP] = data_ptr(rng, 0x300);
		tc->bytes[tc->imm_off + 2] = (u8)(r % 8 == 0 ? (r >> 8) : (r >> 8) % 4);
	} else if (!strcmp(nm, "LEAVE")) {
		tc->in.gpr[RBP] = (data_ptr(rng, 0x100) & ~7ULL) | (r % 8 == 0 ? (r >> 8) % 8 : 0);
	} else if (!strcmp(nm, "POPF_Fv")) {
		/* A popped TF would trap after the next instruction, which on
		 * the host is the tester's own stub: keep TF clear. */
		tc->in.data[tc->in.gpr[RSP] - DT_DATA_VA + 1] &= (u8) ~(FL_TF >> 8);
	}

	if (dt_form_has(tc->form, OK_J)) {
		/* Relative branches: the displacement decides the target. */
		unsigned sz = tc->len - tc->imm_off;
		u64 t = pick_target(tc, rng, sz == 1 ? 96 : 0x300);
		s64 rel = (s64)(t - (DT_INSN_VA + tc->len));

		memcpy(tc->bytes + tc->imm_off, &rel, sz);
		tc->target = t;
		if (!strncmp(nm, "LOOP", 4) || !strcmp(nm, "JrCXZ_Jb")) {
			/* rCX of 0, 1 or 2 decides LOOP's and JrCXZ's way. */
			if (r % 2)
				tc->in.gpr[RCX] = areg_value(tc, rng, (r >> 8) % 3);
		}
	} else if (!strcmp(nm, "CALL_Ev") || !strcmp(nm, "JMP_Ev")) {
		/* Indirect: the target is in the register or memory operand. */
		tc->target = pick_target(tc, rng, 64);
		if (mem)
			put_data(tc, ea, tc->target, 8);
		else if (rm == RSP)
			return false; /* the target would also be the stack */
		else
			tc->in.gpr[rm] = tc->target;
	} else if (!strcmp(nm, "RET_near") || !strcmp(nm, "RET_Iw")) {
		tc->target = pick_target(tc, rng, 64);
		put_data(tc, tc->in.gpr[RSP], tc->target, 8);
	}
	return true;
}
