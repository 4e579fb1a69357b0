/*
 * encode.c - turn an ISA-table form into random, valid instruction bytes and
 * a random starting state, for the host-CPU differential tester.
 *
 * The encoder reads the same row of cpu/isa.def the decoder uses (map,
 * opcode, ModRM constraints, mandatory prefix, operand letters) and picks
 * operand sizes, registers, a memory operand inside the shared data area and
 * immediates at random.  The tester then checks that our decoder maps the
 * bytes back to the same form before running anything.
 */
#include "tests/difftest/difftest.h"

#include <cpuid.h>
#include <string.h>

#include "cpu/cpu.h"
#include "cpu/cpuid.h"
#include "cpu/insn.h"
#include "cpu/isa.h"

u64 dt_rand(u64 *s)
{
	/* xorshift64*: reproducible from --seed, good enough for test inputs. */
	u64 x = *s;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545F4914F6CDD1DULL;
}

/* Values that find bugs: zero, all-ones, sign boundaries, small numbers. */
static u64 interesting(u64 *rng)
{
	static const u64 v[] = {0,
				1,
				2,
				0x7f,
				0x80,
				0xff,
				0x7fff,
				0x8000,
				0xffff,
				0x7fffffff,
				0x80000000,
				0xffffffff,
				0x7fffffffffffffffULL,
				0x8000000000000000ULL,
				~0ULL,
				31,
				32,
				63,
				64};
	u64 r = dt_rand(rng);

	switch (r % 4) {
	case 0: return v[(r >> 8) % ARRAY_SIZE(v)];
	case 1: return (r >> 8) & 0xff;
	default: return dt_rand(rng);
	}
}

/* Mnemonics the tester cannot compare: their result differs by design
 * (time, randomness, CPU identity, the host's FS base) or they need the
 * kernel (INT n: Linux gives user mode INT 0x80; INT1 arrives as a SIGTRAP
 * indistinguishable from INT3's). */
static const char *const untestable[] = {
    "cpuid",	"rdtsc",    "rdtscp",	"rdrand",   "rdseed",  "rdpid",	 "rdpmc",
    "int",	"int1",	    "syscall",	"sysenter", "sysexit", "sysret", "xgetbv",
    "rdfsbase", "rdgsbase", "wrfsbase", "wrgsbase", "monitor", "mwait",
};

/* Sensitive (Popek-Goldberg) forms whose user-mode behaviour the host shows
 * plainly: PUSHF/POPF at CPL 3 (IF and IOPL stay), reading a segment
 * selector (the same null/flat selectors on both sides).  Loading one
 * (POP FS, MOV Sreg) would change the host process's own segments. */
static const char *const sensitive_ok[] = {
    "PUSHF_Fv", "POPF_Fv", "MOV_EvSw", "PUSH_FS", "PUSH_GS",
};

/* Privileged forms whose CPL-3 fault is not the SDM's #GP(0) on this AMD
 * host: SYSEXIT is #UD in long mode on AMD processors (APM Vol 3
 * "SYSEXIT"). */
static const char *const priv_not[] = {"SYSEXIT"};

static bool is_listed_in(const char *name, const char *const *list, unsigned n)
{
	for (unsigned k = 0; k < n; k++)
		if (!strcmp(name, list[k]))
			return true;
	return false;
}
#define is_listed(name, list) is_listed_in(name, list, ARRAY_SIZE(list))

static bool host_has(int feature)
{
	unsigned a, b, c, d;

	switch (feature) {
	case BASE:
	case LM:
	case CMOV:
	case CX8:
	case TSC:
	case MSR:
	case SEP:
	case FPU:
	case SSE:
	case SSE2:
	case CLFSH: return true;
	case CX16: __cpuid(1, a, b, c, d); return c & BIT(13);
	case POPCNT: __cpuid(1, a, b, c, d); return c & BIT(23);
	case MOVBE: __cpuid(1, a, b, c, d); return c & BIT(22);
	case SSE42: __cpuid(1, a, b, c, d); return c & BIT(20);
	case LZCNT: __cpuid(0x80000001, a, b, c, d); return c & BIT(5);
	case BMI1: __cpuid_count(7, 0, a, b, c, d); return b & BIT(3);
	case BMI2: __cpuid_count(7, 0, a, b, c, d); return b & BIT(8);
	case ADX: __cpuid_count(7, 0, a, b, c, d); return b & BIT(19);
	default: return false;
	}
}

bool dt_form_testable(int form, unsigned mode, const char **why)
{
	const struct isa_form *f = &isa_forms[form];
	static struct cpu probe; /* zeroed: only read by cpu_has_feature */
	bool sens_ok = is_listed(f->name, sensitive_ok);
	bool priv = f->pg == PG_PRIV || f->pg == PG_PRIV_IOPL;
	if (!isa_form_implemented(form))
		return *why = "not implemented", false;
	if ((mode == 64 && (f->flags & F_I64)) || (mode == 32 && (f->flags & F_O64)))
		return *why = "not valid in this mode", false;
	if (mode == 32 && (f->flags & F_W1) && !(f->flags & F_VEX))
		return *why = "needs REX.W, which 32-bit mode does not have", false;
	if (f->flags & F_ESC)
		return *why = "x87: vmlab has no FPU (#UD/#NM), the host executes it", false;
	if (priv && is_listed(f->name, priv_not))
		return *why = "privileged: at CPL 3 this host faults differently (AMD)", false;
	/* Privileged forms stay: at CPL 3 (IOPL 0) they must fault, and the
	 * host shows with which exception. */
	if (f->pg != PG_INNOCUOUS && !sens_ok && !priv)
		return *why =
			   "sensitive: reads or loads descriptor tables or segments (system tests)",
		       false;
	if ((f->flags & F_SERIAL) && !sens_ok && !priv)
		return *why = "serializing: changes mode or paging state", false;
	for (unsigned k = 0; k < ARRAY_SIZE(untestable); k++)
		if (!strcmp(f->mnem, untestable[k]))
			return *why = "result differs by design or needs the OS", false;
	for (int k = 0; k < f->nopnd; k++) {
		switch (f->opnd[k].kind) {
		case OK_C:
		case OK_D:
			if (priv)
				break;
			/* fall through */
		case OK_A: return *why = "control, debug register or far pointer operand", false;
		}
	}
	if (!host_has(f->feature))
		return *why = "the host CPU lacks the feature", false;
	if (f->feature != BASE && !cpu_has_feature(&probe, f->feature))
		return *why = "vmlab does not advertise the feature", false;
	return true;
}

static bool has_size(const struct isa_form *f, int sz)
{
	for (int k = 0; k < f->nopnd; k++)
		if (f->opnd[k].size == sz)
			return true;
	return false;
}

static bool has_kind(const struct isa_form *f, int kind)
{
	for (int k = 0; k < f->nopnd; k++)
		if (f->opnd[k].kind == kind)
			return true;
	return false;
}

/* Pick the effective operand size the bytes will select. */
static unsigned pick_osize(const struct isa_form *f, unsigned mode, u64 *rng)
{
	u64 r = dt_rand(rng);

	if (f->flags & F_NOOSZ)
		return 4;
	if (mode == 64) {
		if (f->flags & F_F64)
			return 8;
		if (f->flags & F_D64)
			return r & 1 ? 8 : 2;
		if (f->flags & F_W1)
			return 8;
		if (f->flags & F_W0)
			return 4;
		if (f->pfx == P66 || (has_size(f, OS_y) && !has_size(f, OS_v)))
			return r & 1 ? 8 : 4;
		return (unsigned[]){2, 4, 8}[r % 3];
	}
	if (f->pfx == P66 || (has_size(f, OS_y) && !has_size(f, OS_v)))
		return 4;
	return r & 1 ? 4 : 2;
}

static unsigned imm_size(int size, unsigned osize)
{
	switch (size) {
	case OS_b: return 1;
	case OS_w: return 2;
	case OS_d: return 4;
	case OS_q: return 8;
	case OS_z: return osize == 2 ? 2 : 4;
	case OS_v: return osize;
	default: return 4;
	}
}

u64 dt_interesting(u64 *rng)
{
	return interesting(rng);
}

/*
 * The legacy prefixes of a case, beyond the operand-size and mandatory
 * prefixes the form needs (SDM Vol 2A §2.1.1): a flat segment override,
 * 67 (32-bit addresses in 64-bit mode), LOCK, REP/REPNE, and now and then a
 * redundant repeat of one of them.  Each is legal and has an architectural
 * answer the host gives: ignored (CS/DS/ES/SS overrides in 64-bit mode, REP
 * on a non-string instruction), honoured (67, LOCK on a memory
 * destination) or #UD (LOCK elsewhere).  FS/GS overrides are not used:
 * the host's FS base is its thread pointer.
 */
static unsigned pick_prefixes(const struct isa_form *f, struct dt_case *tc, u64 *rng, bool mem,
			      bool addr_user, u8 *out)
{
	static const u8 segs64[] = {0x26, 0x2e, 0x36, 0x3e}, segs32[] = {0x26, 0x36, 0x3e};
	u8 p[8];
	unsigned n = 0;
	u64 r = dt_rand(rng);

	if ((mem || has_kind(f, OK_X)) && r % 4 == 0)
		p[n++] = tc->mode == 64 ? segs64[(r >> 8) % 4] : segs32[(r >> 8) % 3];
	if (tc->mode == 64 && addr_user && (r >> 16) % 4 == 0) {
		p[n++] = 0x67;
		tc->asize = 4;
	}
	/* (Not on privileged forms: on AMD, LOCK MOV CRn is MOV CR8.) */
	if (!(f->flags & F_VEX) && (((f->flags & F_LOCK) && (r >> 24) % 4 == 0) ||
				    ((r >> 24) % 64 == 1 && f->pg == PG_INNOCUOUS)))
		p[n++] = 0xf0;
	if (!(f->flags & F_VEX) && f->pfx == P__ &&
	    ((f->flags & (F_REP | F_REPZ)) ? (r >> 32) % 3 != 0
					   : (f->map == M1 && (r >> 32) % 16 == 1))) {
		p[n++] = (r >> 40) & 1 ? 0xf3 : 0xf2;
		tc->rep = true;
	}
	if (n && (r >> 44) % 8 == 0) {
		p[n] = p[(r >> 48) % n]; /* redundant: the same prefix twice */
		n++;
	}
	/* Legacy prefixes may come in any order. */
	for (unsigned k = n; k > 1; k--) {
		unsigned j = dt_rand(rng) % k;
		u8 t = p[k - 1];
		p[k - 1] = p[j];
		p[j] = t;
	}
	memcpy(out, p, n);
	return n;
}

/* Forms whose address size matters without a ModRM memory operand. */
static bool uses_address_size(const struct isa_form *f)
{
	return has_kind(f, OK_O) || has_kind(f, OK_X) || has_kind(f, OK_Y) ||
	       !strcmp(f->name, "XLAT") || !strncmp(f->name, "LOOP", 4) ||
	       !strcmp(f->name, "JrCXZ_Jb");
}

bool dt_encode(struct dt_case *tc, u64 *rng)
{
	const struct isa_form *f = &isa_forms[tc->form];
	unsigned mode = tc->mode, osize = pick_osize(f, mode, rng);
	unsigned nregs = mode == 64 ? 16 : 8, n = 0;
	u8 *b = tc->bytes, rex = 0, pfx[8];
	int reg, rm = 0, mod = 3;
	bool need_modrm, mem = false, byte_regs = has_size(f, OS_b);
	u64 ea = 0;
	s32 disp = 0;
	unsigned npfx;

	tc->asize = mode == 64 ? 8 : 4;
	/* Random starting state: registers, arithmetic flags and DF, memory. */
	for (int r = 0; r < 16; r++)
		tc->in.gpr[r] = mode == 64 ? interesting(rng) : interesting(rng) & 0xffffffff;
	tc->in.gpr[RSP] = DT_DATA_VA + 0x1000;
	tc->in.rflags = FL_1 | FL_IF | (dt_rand(rng) & (FL_ARITH | FL_DF));
	for (unsigned k = 0; k < DT_DATA_LEN; k += 8) {
		u64 v = dt_rand(rng);
		memcpy(tc->in.data + k, &v, 8);
	}

	need_modrm = f->reg >= 0 || f->mod > 0 || f->rm >= 0;
	for (int k = 0; k < f->nopnd; k++) {
		int kd = f->opnd[k].kind;
		if (kd == OK_E || kd == OK_G || kd == OK_M || kd == OK_R)
			need_modrm = true;
	}

	/* ModRM.reg and r/m choices. */
	reg = f->reg >= 0 ? f->reg : (int)(dt_rand(rng) % nregs);
	if (need_modrm) {
		if (f->rm >= 0 || f->mod == MR || has_kind(f, OK_R))
			mem = false;
		else if (f->mod == MM || has_kind(f, OK_M))
			mem = true;
		else
			mem = has_kind(f, OK_E) && (dt_rand(rng) & 1);
	}
	npfx = pick_prefixes(f, tc, rng, mem, mem || uses_address_size(f), pfx);
	if (need_modrm) {
		if (mem) {
			/* [base + disp32] with a base that is neither rSP nor r12
			 * (those need a SIB byte). */
			do
				rm = dt_rand(rng) % nregs;
			while ((rm & 7) == 4);
			mod = 2;
			/* The operand lies in the data area, sometimes across the
			 * page boundary in its middle. */
			ea = DT_DATA_VA + (dt_rand(rng) & 1 ? 0x1000 - (dt_rand(rng) % 16)
							    : dt_rand(rng) % (DT_DATA_LEN - 64));
			if (!strcmp(f->mnem, "cmpxchg16b") && (dt_rand(rng) & 3))
				ea &= ~15ULL;
			disp = (s32)(dt_rand(rng) % 256) - 128;
			tc->in.gpr[rm] = ea - disp;
			/* With 32-bit addresses only the low half of the base
			 * counts (SDM Vol 1 §3.3.7): fill the high half. */
			if (tc->asize == 4)
				tc->in.gpr[rm] = (dt_rand(rng) << 32) | (u32)(ea - disp);
		} else {
			rm = f->rm >= 0 ? f->rm : (int)(dt_rand(rng) % nregs);
		}
	}
	/* Bit-test instructions with a register bit offset address memory far
	 * from the operand: keep the offset small so it stays in the area. */
	if (mem && has_kind(f, OK_G) && !strncmp(f->mnem, "bt", 2)) {
		u64 off = (dt_rand(rng) % 2048) - 1024;
		tc->in.gpr[reg] = mode == 64 ? off : off & 0xffffffff;
		if (reg == rm)
			return false;
	}

	/* Prefixes: the extra legacy ones, operand size, mandatory prefix,
	 * REX, then the opcode map. */
	memcpy(b, pfx, npfx);
	n = npfx;
	if (osize == 2 && !(f->flags & F_NOOSZ) && f->pfx != P66)
		b[n++] = 0x66;
	if (f->pfx == P66)
		b[n++] = 0x66;
	else if (f->pfx == PF3)
		b[n++] = 0xf3;
	else if (f->pfx == PF2)
		b[n++] = 0xf2;

	if (f->flags & F_VEX) {
		/* Three-byte VEX: C4 [R X B mmmmm] [W vvvv L pp]; fields inverted. */
		/* VEX.vvvv names the B operand; forms without one need 1111b
		 * (register 0 after inversion), anything else is #UD. */
		unsigned vvvv = has_kind(f, OK_B) ? dt_rand(rng) % nregs : 0,
			 mmmmm = f->map == M0F38   ? 2
				 : f->map == M0F3A ? 3
						   : 1;
		unsigned pp = 0, w = osize == 8;
		/* The VEX pp field encodes the mandatory prefix instead of a byte. */
		if (n > npfx && (b[n - 1] == 0x66 || b[n - 1] == 0xf3 || b[n - 1] == 0xf2)) {
			pp = b[n - 1] == 0x66 ? 1 : b[n - 1] == 0xf3 ? 2 : 3;
			n--;
		}
		if (mode == 32 && !mem)
			; /* register forms are fine: C4 with mod=3 is VEX in 32-bit mode */
		else if (mode == 32)
			return false; /* would decode as LES in 32-bit mode */
		b[n++] = 0xc4;
		b[n++] =
		    (u8)((((~reg >> 3) & 1) << 7) | (1 << 6) | (((~rm >> 3) & 1) << 5) | mmmmm);
		b[n++] = (u8)((w << 7) | ((~vvvv & 15) << 3) | pp);
	} else {
		if (mode == 64) {
			if (osize == 8 && !(f->flags & (F_D64 | F_F64)))
				rex |= 0x48;
			if (reg & 8)
				rex |= 0x44;
			if (rm & 8)
				rex |= 0x41;
			if (byte_regs && (dt_rand(rng) & 1))
				rex |= 0x40;
		}
		/* Register-in-opcode forms (B8+r, 50+r, 90+r, BSWAP): rm is the reg. */
		if (has_kind(f, OK_Z)) {
			rm = dt_rand(rng) % nregs;
			if (rm & 8)
				rex |= 0x41;
		}
		if (rex)
			b[n++] = rex;
		if (f->map != M1)
			b[n++] = 0x0f;
		if (f->map == M0F38)
			b[n++] = 0x38;
		else if (f->map == M0F3A)
			b[n++] = 0x3a;
	}
	b[n++] = (u8)(f->opcode | (has_kind(f, OK_Z) ? (rm & 7) : 0));
	if (need_modrm) {
		b[n++] = (u8)((mod << 6) | ((reg & 7) << 3) | (rm & 7));
		if (mod == 2) {
			memcpy(b + n, &disp, 4);
			n += 4;
		}
	}
	tc->imm_off = n;
	for (int k = 0; k < f->nopnd; k++) {
		const struct opnd_desc *o = &f->opnd[k];
		unsigned sz;
		u64 v;

		if (o->kind == OK_O) {
			/* moffs: an absolute address of the address size. */
			sz = tc->asize;
			v = DT_DATA_VA + dt_rand(rng) % (DT_DATA_LEN - 16);
		} else if (o->kind == OK_I || o->kind == OK_J) {
			sz = imm_size(o->size, osize);
			if (has_kind(f, OK_Z) && o->size == OS_v && osize == 8)
				sz = 8; /* MOV r64, imm64 */
			if (o->kind == OK_J && o->size == OS_z)
				/* rel32 in 64-bit mode (the operand size is 64,
				 * F64); rel16 with a 16-bit operand size in
				 * 32-bit mode (SDM Vol 2A Jcc, JMP, CALL). */
				sz = mode == 32 && osize == 2 ? 2 : 4;
			v = interesting(rng);
		} else {
			continue;
		}
		if (n + sz > sizeof(tc->bytes))
			return false;
		memcpy(b + n, &v, sz);
		n += sz;
	}
	if (n > 15)
		return false;
	tc->len = n;
	tc->mem = mem;
	tc->osize = byte_regs && !has_size(f, OS_v) ? 1 : osize;
	if (!dt_setup(tc, rng, rm, mem, ea))
		return tc->len = 0, false;
	return true;
}

bool dt_form_has(int form, int kind)
{
	return has_kind(&isa_forms[form], kind);
}

u64 dt_undefined_flags(int form, const struct dt_case *tc)
{
	const char *m = isa_forms[form].mnem;
	const u64 all = FL_ARITH;

#define IS(s) (!strcmp(m, s))
	/* REP/REPNE on a non-string instruction is reserved (SDM Vol 2A
	 * §2.1.1).  Most CPUs ignore it; this host's LOOPE/LOOPNE take their
	 * ZF condition from it (F3: loop while ZF = 1, F2: while ZF = 0). */
	if (tc->rep && (IS("loope") || IS("loopne")))
		return DT_RESULT_UNDEFINED | all;
	if (IS("mul") || IS("imul"))
		return FL_SF | FL_ZF | FL_AF | FL_PF;
	if (IS("div") || IS("idiv"))
		return all;
	if (IS("and") || IS("or") || IS("xor") || IS("test"))
		return FL_AF;
	if (IS("andn"))
		return FL_AF | FL_PF;
	if (IS("shl") || IS("sal") || IS("shr") || IS("sar") || IS("rol") || IS("ror") ||
	    IS("rcl") || IS("rcr") || IS("shld") || IS("shrd")) {
		/* The count: 1, an imm8 (the last byte), or CL; masked to 5 bits
		 * (6 for 64-bit operands).  A zero count changes nothing; OF is
		 * defined only for a count of 1; shifts leave AF undefined,
		 * rotates do not touch it (SDM Vol 2 SAL/SAR/SHL/SHR, RCL/RCR/ROL/ROR). */
		const struct isa_form *f = &isa_forms[form];
		bool rotate = m[0] == 'r';
		unsigned count = tc->in.gpr[RCX] & 0xff, bits = tc->osize * 8;
		u64 u;
		for (int k = 0; k < f->nopnd; k++) {
			if (f->opnd[k].kind == OK_ONE)
				count = 1;
			else if (f->opnd[k].kind == OK_I)
				count = tc->bytes[tc->len - 1];
		}
		count &= tc->osize == 8 ? 63 : 31;
		if (count == 0)
			return 0;
		u = (count != 1 ? FL_OF : 0) | (rotate ? 0 : FL_AF);
		if ((IS("shld") || IS("shrd")) && count > bits)
			return DT_RESULT_UNDEFINED | all;
		return u;
	}
	/* BSWAP of a 16-bit register: "the result is undefined" (SDM Vol 2A
	 * BSWAP); silicon clears it, QEMU swaps 32 bits. */
	if (IS("bswap") && tc->osize == 2)
		return DT_RESULT_UNDEFINED;
	if (IS("bsf") || IS("bsr"))
		return FL_CF | FL_OF | FL_SF | FL_AF | FL_PF;
	if (IS("bt") || IS("bts") || IS("btr") || IS("btc"))
		return FL_OF | FL_SF | FL_AF | FL_PF;
	if (IS("daa") || IS("das"))
		return FL_OF;
	if (IS("aaa") || IS("aas"))
		return FL_OF | FL_SF | FL_ZF | FL_PF;
	if (IS("aam") || IS("aad"))
		return FL_OF | FL_AF | FL_CF;
	if (IS("lzcnt") || IS("tzcnt"))
		return FL_OF | FL_SF | FL_AF | FL_PF;
	if (IS("bextr") || IS("bzhi"))
		return FL_AF | FL_SF | FL_PF;
	if (IS("blsi") || IS("blsmsk") || IS("blsr"))
		return FL_AF | FL_PF;
#undef IS
	(void)tc;
	return 0;
}

/*
 * Memory the SDM lets the implementation choose: PUSH of a segment register
 * with a 32/64-bit operand size writes either the zero-extended selector or
 * only its 16 bits (SDM Vol 2B PUSH: "recent Core and Atom processors
 * perform a 16-bit move").  The bytes above the selector are taken from the
 * host's image.  Returns true when something was masked.
 */
bool dt_mask_memory(const struct dt_case *tc, const struct dt_state *host, struct dt_state *ours)
{
	const char *nm = isa_forms[tc->form].name;
	u64 sp = host->gpr[RSP];

	if ((!strcmp(nm, "PUSH_FS") || !strcmp(nm, "PUSH_GS")) && tc->osize > 2 &&
	    sp == ours->gpr[RSP] && sp >= DT_DATA_VA &&
	    sp + tc->osize <= DT_DATA_VA + DT_DATA_LEN) {
		memcpy(ours->data + (sp - DT_DATA_VA) + 2, host->data + (sp - DT_DATA_VA) + 2,
		       tc->osize - 2);
		return true;
	}
	return false;
}
