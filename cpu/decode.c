/*
 * decode.c - the instruction decoder: bytes -> struct insn, driven by the
 * rows of cpu/isa.def (SDM Vol 2 chapter 2 "Instruction Format", §2.1-2.3,
 * and the opcode maps of Appendix A).
 *
 * An x86 instruction is, in order (SDM Vol 2 Figure 2-1):
 *
 *   [legacy prefixes] [REX] opcode(1-3 bytes) [ModRM] [SIB] [disp] [imm]
 *     0..14 bytes      64-bit                 1       1     1,2,4  1,2,4,8
 *
 * or, for the VEX-encoded BMI forms, [legacy prefixes] C4/C5 VEX opcode ...
 * The whole thing may not exceed 15 bytes (#GP, SDM Vol 2 §2.3.11).
 *
 * The decoder is table driven: at start-up it indexes isa_forms[] by
 * (map, opcode).  Decoding then is: eat prefixes, find the opcode and its
 * map, read a ModRM byte if any row for that opcode has one, pick the first
 * row whose ModRM.reg/mod/rm, mandatory prefix, mode and W match, and read
 * the SIB/displacement/immediates that row's operands call for.
 */
#include <string.h>

#include "cpu/cpu.h"
#include "cpu/isa.h"
#include "lib/err.h"

#define INSN_MAX 15

/* ---- the (map, opcode) index, built once from isa_forms[] ---- */

struct slot {
	u16 first, count; /* candidate rows in cand[] */
	bool modrm;	  /* a ModRM byte follows the opcode */
};
static struct slot slots[4][256];
static u16 cand[FORM_COUNT * 8];

/* Per row: a bit per operand kind it has (1 << OK_x), filled in by the
 * constructor below so that the decoder's questions are one AND. */
static u32 form_kinds[FORM_COUNT];

static bool form_has_slow(const struct isa_form *f, enum opnd_kind k)
{
	for (int n = 0; n < f->nopnd; n++)
		if (f->opnd[n].kind == k)
			return true;
	return false;
}

static inline bool form_has(const struct isa_form *f, enum opnd_kind k)
{
	return form_kinds[f - isa_forms] & (1u << k);
}

/* Does this row's encoding contain a ModRM byte?  Yes when an operand lives
 * in it (E G M R S C D), when the row is selected by ModRM fields (groups),
 * or for the x87 escapes. */
static bool form_modrm(const struct isa_form *f)
{
	static const u8 kinds[] = {OK_E, OK_G, OK_M, OK_R, OK_S, OK_C, OK_D};
	for (size_t k = 0; k < sizeof kinds; k++)
		if (form_has(f, kinds[k]))
			return true;
	return f->reg >= 0 || f->mod != __ || f->rm >= 0 || (f->flags & F_ESC);
}

/* Runs before main(): no locking needed when several vCPUs decode at once. */
__attribute__((constructor)) static void decode_index_build(void)
{
	unsigned used = 0;

	for (int form = 0; form < FORM_COUNT; form++)
		for (int k = 0; k <= OK_ONE; k++)
			if (form_has_slow(&isa_forms[form], k))
				form_kinds[form] |= 1u << k;
	for (int map = 0; map < 4; map++) {
		for (int op = 0; op < 256; op++) {
			struct slot *s = &slots[map][op];
			s->first = used;
			for (int form = 0; form < FORM_COUNT; form++) {
				const struct isa_form *f = &isa_forms[form];
				/* Z rows (register in the opcode) cover opcode..opcode+7. */
				int span = form_has(f, OK_Z) ? 8 : 1;
				if (f->map != map || op < f->opcode || op >= f->opcode + span)
					continue;
				if (s->count && s->modrm != form_modrm(f))
					panic("isa.def: rows for %s%02X disagree about ModRM (%s)",
					      isa_map_name[map], op, f->name);
				s->modrm = form_modrm(f);
				if (used >= ARRAY_SIZE(cand))
					panic("isa.def: candidate index overflow");
				cand[used++] = form;
				s->count++;
			}
		}
	}
}

/* ---- decoding state ---- */

struct dec {
	const u8 *buf;
	unsigned avail, p; /* bytes available, bytes consumed */
	int status;	   /* 0, or DECODE_TOO_LONG / DECODE_SHORT */
};

/* Take the next n bytes (little-endian), or record why we cannot. */
static u64 take(struct dec *d, unsigned n)
{
	u64 v = 0;

	if (d->status)
		return 0;
	if (d->p + n > INSN_MAX) {
		d->status = DECODE_TOO_LONG;
		return 0;
	}
	if (d->p + n > d->avail) {
		d->status = DECODE_SHORT;
		return 0;
	}
	for (unsigned k = 0; k < n; k++)
		v |= (u64)d->buf[d->p + k] << (8 * k);
	d->p += n;
	return v;
}

/* Peek at byte p+k without consuming it; -1 when not available. */
static int peek(const struct dec *d, unsigned k)
{
	unsigned at = d->p + k;
	return at < d->avail && at < INSN_MAX ? d->buf[at] : -1;
}

/* ---- prefixes (SDM Vol 2 §2.1.1 legacy prefixes, §2.2.1 REX) ---- */

static int seg_of_prefix(u8 b)
{
	switch (b) {
	case 0x26: return SEG_ES;
	case 0x2E: return SEG_CS;
	case 0x36: return SEG_SS;
	case 0x3E: return SEG_DS;
	case 0x64: return SEG_FS;
	case 0x65: return SEG_GS;
	}
	return -1;
}

/*
 * Legacy prefixes may come in any order and repeat; for each group the last
 * one counts (segment, REP/REPNE).  A REX byte counts only when it is the
 * last prefix, immediately before the opcode: a legacy prefix after it
 * cancels it (SDM Vol 2 §2.2.1).  Returns the opcode byte's position status.
 */
static void eat_prefixes(struct dec *d, struct insn *i, unsigned code_size)
{
	for (;;) {
		int b = peek(d, 0);
		if (b < 0) {
			take(d, 1); /* sets SHORT or TOO_LONG */
			return;
		}
		int seg = seg_of_prefix(b);
		if (seg >= 0)
			i->seg_override = seg;
		else if (b == 0xF0)
			i->lock = true;
		else if (b == 0xF2 || b == 0xF3)
			i->rep = b;
		else if (b == 0x66)
			i->opsize_prefix = true;
		else if (b == 0x67)
			i->addrsize_prefix = true;
		else if (code_size == 8 && (b & 0xF0) == 0x40) {
			take(d, 1);
			i->rex = b; /* kept only if the opcode comes next */
			continue;
		} else
			return;
		take(d, 1);
		i->rex = 0;
	}
}

#define REX_W(i) (((i)->rex >> 3) & 1)
#define REX_R(i) (((i)->rex >> 2) & 1)
#define REX_X(i) (((i)->rex >> 1) & 1)
#define REX_B(i) ((i)->rex & 1)

/*
 * VEX (SDM Vol 2 §2.3.5): C5 = 2-byte form (map 0F, W0), C4 = 3-byte form.
 * R, X, B and vvvv are stored inverted.  Returns false for #UD.
 */
static bool eat_vex(struct dec *d, struct insn *i, unsigned code_size, u8 *map, u8 *vex_pp,
		    u8 *vrex)
{
	u8 c = take(d, 1), b1 = take(d, 1), b2;
	if (d->status)
		return true;
	/* LOCK, 66, F2, F3 or REX before VEX: #UD (§2.3.2). */
	if (i->lock || i->opsize_prefix || i->rep || i->rex)
		return false;
	i->vex = true;
	if (c == 0xC5) {
		b2 = b1;
		*vrex = (b1 & 0x80) ? 0 : 4; /* R */
		*map = M0F;
	} else {
		b2 = take(d, 1);
		if (d->status)
			return true;
		*vrex = ((~b1 >> 5) & 7); /* R X B in REX bit positions 2..0 */
		if (code_size != 8)
			*vrex &= 4; /* X and B are ignored outside 64-bit mode */
		switch (b1 & 0x1F) {
		case 1: *map = M0F; break;
		case 2: *map = M0F38; break;
		case 3: *map = M0F3A; break;
		default: return false;
		}
		i->vex_w = b2 >> 7;
	}
	i->vex_vvvv = (~b2 >> 3) & 15;
	if (code_size != 8)
		i->vex_vvvv &= 7; /* vvvv[3] is ignored outside 64-bit mode */
	i->vex_l = (b2 >> 2) & 1;
	*vex_pp = b2 & 3;
	return true;
}

/* ---- choosing the row ---- */

struct match {
	u8 mp;		  /* mandatory prefix in effect: P__ (none), P66, PF3, PF2 */
	bool w;		  /* REX.W or VEX.W */
	int reg, mod, rm; /* raw ModRM fields, -1 without ModRM */
	bool mode64;
};

static bool row_matches(const struct isa_form *f, const struct insn *i, const struct match *m)
{
	if (!!(f->flags & F_VEX) != i->vex)
		return false;
	if (f->reg >= 0 && f->reg != m->reg)
		return false;
	if (f->mod == MM && m->mod == 3)
		return false;
	if (f->mod == MR && m->mod != 3)
		return false;
	if (f->rm >= 0 && f->rm != m->rm)
		return false;
	switch (f->pfx) {
	case P__: break;
	/* PNP: neither F2 nor F3; a 66 is then just the operand-size prefix
	 * (MOVBE).  VEX rows want exactly VEX.pp = 00. */
	case PNP:
		if (m->mp == PF3 || m->mp == PF2 || (i->vex && m->mp != P__))
			return false;
		break;
	/* P0: no 66/F2/F3 at all (the SDM's NP). */
	case P0:
		if (m->mp != P__ || i->opsize_prefix)
			return false;
		break;
	default:
		if (m->mp != f->pfx)
			return false;
		break;
	}
	if ((f->flags & F_I64) && m->mode64)
		return false;
	if ((f->flags & F_O64) && !m->mode64)
		return false;
	if ((f->flags & F_W1) && !m->w)
		return false;
	if ((f->flags & F_W0) && m->w)
		return false;
	return true;
}

/* ---- operand and address size (SDM Vol 1 §3.6, Vol 2 §2.2.1.2) ---- */

static unsigned operand_size(const struct isa_form *f, const struct insn *i, unsigned code_size,
			     bool w)
{
	if (code_size != 8) {
		if (f->flags & F_NOOSZ)
			return 4;
		return (code_size == 4) != i->opsize_prefix ? 4 : 2;
	}
	if (w || (f->flags & F_F64))
		return 8;
	if (f->flags & F_NOOSZ)
		return 4;
	if (f->flags & F_D64)
		return i->opsize_prefix ? 2 : 8;
	return i->opsize_prefix ? 2 : 4;
}

static unsigned address_size(unsigned code_size, bool prefix)
{
	switch (code_size) {
	case 2: return prefix ? 4 : 2;
	case 4: return prefix ? 2 : 4;
	default: return prefix ? 4 : 8;
	}
}

/* ---- ModRM / SIB / displacement (SDM Vol 2 §2.1.5 Tables 2-1..2-3) ---- */

static void decode_mem16(struct dec *d, struct insn *i)
{
	/* rm: 0 BX+SI  1 BX+DI  2 BP+SI  3 BP+DI  4 SI  5 DI  6 BP (disp16 if mod 0)  7 BX */
	static const s8 base16[8] = {RBX, RBX, RBP, RBP, RSI, RDI, RBP, RBX};
	static const s8 index16[8] = {RSI, RDI, RSI, RDI, -1, -1, -1, -1};
	unsigned rm = i->modrm & 7;

	i->base = base16[rm];
	i->index = index16[rm];
	if (i->mod == 0 && rm == 6) {
		i->base = -1;
		i->disp = (s16)take(d, 2);
	} else if (i->mod == 1) {
		i->disp = (s8)take(d, 1);
	} else if (i->mod == 2) {
		i->disp = (s16)take(d, 2);
	}
}

static void decode_mem32(struct dec *d, struct insn *i, unsigned code_size, u8 rex)
{
	unsigned rm = i->modrm & 7;

	if (rm == 4) {
		/* SIB: scale index base (Table 2-3).  index 100b means "none"
		 * unless REX.X makes it r12; base 101b with mod 0 means disp32. */
		u8 sib = take(d, 1);
		if (d->status)
			return;
		i->has_sib = true;
		i->scale = 1 << (sib >> 6);
		i->index = ((sib >> 3) & 7) | ((rex & 2) << 2);
		if (i->index == 4)
			i->index = -1;
		i->base = (sib & 7) | ((rex & 1) << 3);
		if ((sib & 7) == 5 && i->mod == 0) {
			i->base = -1;
			i->disp = (s32)take(d, 4);
			return;
		}
	} else if (rm == 5 && i->mod == 0) {
		/* disp32 alone; in 64-bit mode this is RIP-relative (§2.2.1.6). */
		i->base = -1;
		i->rip_rel = code_size == 8;
		i->disp = (s32)take(d, 4);
		return;
	} else {
		i->base = rm | ((rex & 1) << 3);
	}
	if (i->mod == 1)
		i->disp = (s8)take(d, 1);
	else if (i->mod == 2)
		i->disp = (s32)take(d, 4);
}

/* ---- immediates ---- */

static unsigned imm_bytes(const struct opnd_desc *o, const struct insn *i)
{
	switch (o->size) {
	case OS_b: return 1;
	case OS_w: return 2;
	case OS_d: return 4;
	case OS_q: return 8;
	case OS_v: return i->osize;
	case OS_z: return i->osize == 2 ? 2 : 4;
	}
	panic("isa.def: immediate of size %d", o->size);
}

/* Read the immediates the row's operands ask for, in operand order. */
static void decode_imms(struct dec *d, struct insn *i, const struct isa_form *f)
{
	int nimm = 0;

	for (int n = 0; n < f->nopnd; n++) {
		const struct opnd_desc *o = &f->opnd[n];
		unsigned sz;
		switch (o->kind) {
		case OK_I:
		case OK_J:
			sz = imm_bytes(o, i);
			/* Stored sign-extended from its width; opnd_read masks it. */
			if (nimm++ == 0)
				i->imm = sext(take(d, sz), sz);
			else
				i->imm2 = take(d, sz); /* ENTER's nesting level */
			break;
		case OK_O: /* moffs: an address-size offset */ i->imm = take(d, i->asize); break;
		case OK_A: /* ptr16:16 / ptr16:32: offset, then selector */
			i->imm = take(d, i->osize == 2 ? 2 : 4);
			i->imm2 = take(d, 2);
			break;
		default: break;
		}
	}
}

/* ---- operand sizes and decode-time resolution (struct insn opr/opsz ...) ---- */

#define IMM_SX 1 /* cpu/operands.def: sign-extend the immediate to the operand size */

/* Sizes of SDM Vol 2 Appendix A.2.2, in bytes, for this instruction.
 * (insn_opnd_size() in cpu/insn.h returns the resolved opsz[n] when set.) */
static inline unsigned opnd_size_of(const struct opnd_desc *o, const struct insn *i)
{
	switch (o->size) {
	case OS_b: return 1;
	case OS_w: return 2;
	case OS_d: return 4;
	case OS_q: return 8;
	case OS_v: return i->osize;
	case OS_z: return i->osize == 2 ? 2 : 4;
	case OS_y: return i->osize == 8 ? 8 : 4;
	case OS_p: return i->osize + 2;		  /* offset + 16-bit selector */
	case OS_s: return i->osize == 8 ? 10 : 6; /* pseudo-descriptor (rows are F64) */
	case OS_a: return 2 * i->osize;
	case OS_dq: return 16;
	default: return 0;
	}
}

unsigned insn_opnd_size_slow(const struct insn *i, int n)
{
	const struct isa_form *f = &isa_forms[i->form];

	if (n < 0 || n >= f->nopnd)
		panic("%s has no operand %d", f->name, n);
	return opnd_size_of(&f->opnd[n], i);
}

/*
 * Decode-time resolution (struct insn opr/opsz/opreg/opsh/immv): work that
 * depends only on the instruction's bytes and the code size, done once so
 * that cpu/operand.h's inline accessors reach a register, the memory
 * operand or an immediate with one switch.  The answers are exactly those of
 * opnd_read()/opnd_write() in cpu/operand.c, which stay the reference (and serve every
 * operand left OPR_SLOW: segment, control, debug registers, strings, moffs,
 * relative targets, far pointers, VEX.vvvv).
 */
void insn_resolve(struct insn *i)
{
	const struct isa_form *f = &isa_forms[i->form];
	bool rex = i->rex != 0, have_imm = false;

	for (int n = 0; n < OPND_MAX; n++) {
		i->opr[n] = OPR_SLOW;
		i->opsz[n] = i->opreg[n] = i->opsh[n] = 0;
	}
	for (int n = 0; n < f->nopnd && n < OPND_MAX; n++) {
		const struct opnd_desc *o = &f->opnd[n];
		unsigned sz = opnd_size_of(o, i);
		int reg = -1;
		bool scalar = sz == 1 || sz == 2 || sz == 4 || sz == 8;

		i->opsz[n] = (u8)sz;
		if (!scalar)
			continue;
		switch (o->kind) {
		case OK_E:
			if (i->mem) {
				i->opr[n] = OPR_MEM;
				break;
			}
			reg = i->rm;
			break;
		case OK_M: i->opr[n] = OPR_MEM; break;
		case OK_G: reg = i->reg; break;
		case OK_R:
		case OK_Z: reg = i->rm; break;
		case OK_REG: reg = o->reg; break;
		case OK_I:
			if (have_imm)
				break; /* ENTER's second: one immv only */
			have_imm = true;
			/* The value opnd_read() computes: not machine state. */
			if (o->reg == IMM_SX)
				i->immv = i->imm & mask_of(i->osize);
			else if (n == 1 && f->opnd[0].kind == OK_I)
				i->immv = i->imm2 & mask_of(sz);
			else
				i->immv = i->imm & mask_of(sz);
			i->opr[n] = OPR_IMM;
			break;
		default: break;
		}
		if (reg >= 0) {
			/* Byte registers 4-7 without REX are AH CH DH BH: bits
			 * 15:8 of registers 0-3 (SDM Vol 2 §3.7.2.1). */
			i->opr[n] = OPR_GPR;
			i->opreg[n] = (u8)reg;
			if (sz == 1 && !rex && reg >= 4 && reg < 8) {
				i->opreg[n] = (u8)(reg - 4);
				i->opsh[n] = 8;
			}
		}
	}
}

/* ---- the decoder ---- */

int isa_decode(struct insn *i, const u8 *buf, unsigned avail, unsigned code_size)
{
	struct dec d = {.buf = buf, .avail = avail};
	struct match m = {.reg = -1, .mod = -1, .rm = -1, .mode64 = code_size == 8};
	u8 map = M1, op, vex_pp = 0, vrex = 0;

	memset(i, 0, sizeof *i);
	i->seg_override = SEG_NONE;
	i->index = i->base = -1;
	i->scale = 1;

	/* 1. Prefixes. */
	eat_prefixes(&d, i, code_size);
	if (d.status)
		return d.status;

	/* 2. Opcode and map: VEX, 0F, 0F 38, 0F 3A.  C4/C5 are LES/LDS outside
	 *    64-bit mode unless the next byte has mod = 11b (which LES/LDS,
	 *    memory-only, cannot use): that is how VEX fits into 32-bit code. */
	int b = peek(&d, 0);
	if ((b == 0xC4 || b == 0xC5) && (code_size == 8 || (peek(&d, 1) >= 0xC0))) {
		if (!eat_vex(&d, i, code_size, &map, &vex_pp, &vrex))
			return DECODE_UD;
		if (d.status)
			return d.status;
		i->rex = 0; /* VEX carries its own R X B W */
	} else if (b == 0x0F) {
		take(&d, 1);
		map = M0F;
		b = peek(&d, 0);
		if (b == 0x38 || b == 0x3A) {
			take(&d, 1);
			map = b == 0x38 ? M0F38 : M0F3A;
		}
	} else if ((b == 0xC4 || b == 0xC5) && peek(&d, 1) < 0) {
		/* 32-bit mode C4/C5 as the last available byte: LES/LDS or VEX? */
		take(&d, 2);
		return d.status;
	}
	op = take(&d, 1);
	if (d.status)
		return d.status;
	i->map = map;
	i->opcode = op;

	const struct slot *s = &slots[map][op];
	if (s->count == 0)
		return DECODE_UD;

	/* 3. ModRM. */
	u8 rex = i->vex ? vrex : i->rex;
	m.w = i->vex ? i->vex_w : REX_W(i);
	if (i->vex)
		m.mp = (const u8[]){P__, P66, PF3, PF2}[vex_pp];
	else if (i->rep)
		m.mp = i->rep == 0xF3 ? PF3 : PF2; /* F2/F3 beat 66 (§2.1.2) */
	else
		m.mp = i->opsize_prefix ? P66 : P__;
	if (s->modrm) {
		/* (From a local: reading i->modrm back right after the
		 * memset above stalls on store forwarding.) */
		u8 modrm = take(&d, 1);
		if (d.status)
			return d.status;
		i->modrm = modrm;
		i->has_modrm = true;
		i->mod = m.mod = modrm >> 6;
		m.reg = (modrm >> 3) & 7;
		m.rm = modrm & 7;
		i->reg = m.reg | ((rex & 4) << 1);
		i->rm = m.rm | ((rex & 1) << 3);
		/* F6/F7 /1: undocumented alias of TEST /0 on every x86. */
		if (map == M1 && (op == 0xF6 || op == 0xF7) && m.reg == 1)
			m.reg = 0;
	} else {
		/* Register in the opcode (PUSH r, MOV r,imm, BSWAP r): in rm. */
		i->rm = (op & 7) | ((rex & 1) << 3);
	}

	/* 4. The row. */
	const struct isa_form *f = NULL;
	for (unsigned k = 0; k < s->count; k++) {
		const struct isa_form *c = &isa_forms[cand[s->first + k]];
		/* 90 with REX.B is XCHG r8, rAX, not NOP/PAUSE. */
		if (map == M1 && op == 0x90 && (rex & 1) && !form_has(c, OK_Z))
			continue;
		if (row_matches(c, i, &m)) {
			f = c;
			break;
		}
	}
	if (!f)
		return DECODE_UD;
	i->form = f - isa_forms;

	/* Sreg in ModRM.reg: only ES CS SS DS FS GS exist, and MOV to CS is
	 * #UD (SDM Vol 2 MOV: "loading CS register with MOV is invalid"). */
	if (form_has(f, OK_S) &&
	    ((i->reg & 7) >= SEG_COUNT || (f->opnd[0].kind == OK_S && (i->reg & 7) == SEG_CS)))
		return DECODE_UD;

	if (i->vex) {
		/* BMI: VEX.L must be 0; vvvv must be 1111b unless it names an operand. */
		if (i->vex_l || (!form_has(f, OK_B) && i->vex_vvvv != 0))
			return DECODE_UD;
	}

	/* 5. Sizes. */
	i->osize = operand_size(f, i, code_size, m.w && (code_size == 8 || !i->vex));
	i->asize = address_size(code_size, i->addrsize_prefix);

	/* 6. Memory operand.  MOV CR/DR (R operands) ignore mod: always registers. */
	if (i->has_modrm && i->mod != 3 && !form_has(f, OK_R)) {
		i->mem = true;
		if (i->asize == 2)
			decode_mem16(&d, i);
		else
			decode_mem32(&d, i, code_size, rex);
		if (d.status)
			return d.status;
	}

	/* 7. Immediates. */
	decode_imms(&d, i, f);
	if (d.status)
		return d.status;

	/* 8. LOCK is legal only on the read-modify-write forms with a memory
	 *    destination; anything else is #UD (SDM Vol 2 LOCK).  82 /7 is CMP. */
	if (i->lock &&
	    (!(f->flags & F_LOCK) || !i->mem || (i->form == FORM_ALU82_EbIb && m.reg == 7)))
		return DECODE_UD;

	/* 9. Segment.  In 64-bit mode ES/CS/SS/DS overrides are ignored (the
	 *    segments are flat) and only FS/GS count (Vol 1 §3.4.2.1). */
	if (code_size == 8 && i->seg_override < SEG_FS)
		i->seg_override = SEG_NONE;
	if (i->seg_override != SEG_NONE)
		i->seg = i->seg_override;
	else if (i->mem && (i->base == RSP || i->base == RBP))
		i->seg = SEG_SS; /* stack-based addressing defaults to SS */
	else
		i->seg = SEG_DS;

	/* 10. Resolve the operands once for every later execution (operand.c). */
	insn_resolve(i);

	i->len = d.p;
	return d.p;
}
