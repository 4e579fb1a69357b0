/*
 * exec_mov.c - data movement: MOV (incl. moffs and imm64), MOVZX MOVSX MOVSXD,
 * CMOVcc SETcc, XCHG XADD CMPXCHG CMPXCHG8B/16B, BSWAP MOVBE, LEA, CBW/CWDE/
 * CDQE, CWD/CDQ/CQO, LAHF SAHF, CLC STC CMC CLD STD, ADCX ADOX, CRC32, XLAT,
 * and the NOPs (NOP, NOP Ev, PAUSE, ENDBR32/64).
 *
 * Follows SDM Vol 2 pages of each mnemonic.  The surprises are commented
 * where they happen; the big ones:
 *   - A 32-bit register write zero-extends to 64 bits (cpu_set_reg does it),
 *     even for CMOVcc whose condition is false (SDM "CMOVcc": "in 64-bit
 *     mode, the upper 32 bits are cleared even if the condition is false").
 *   - CMPXCHG always writes a memory destination (with its own value when
 *     the compare fails), but never touches a register destination on failure.
 *   - MOV Ev,Iz with a 64-bit operand sign-extends the 32-bit immediate;
 *     only B8+r with REX.W carries a full imm64.
 */
#include "cpu/alu.h"
#include "cpu/flags.h"
#include "cpu/insn.h"
#include "cpu/operand.h"
#include "cpu/mem.h"

/* ---- MOV and friends -------------------------------------------------------- */

/* dest(0) = src(1), sign-extending a narrower source (Ev,Iz with REX.W). */
static void mov_generic(struct cpu *c, const struct insn *i)
{
	unsigned sz = insn_opnd_size(i, 0);
	u64 v = sext(opnd_load(c, i, 1), insn_opnd_size(i, 1)) & mask_of(sz);
	opnd_store(c, i, 0, v);
}

#define MOV_FORM(NAME)                                                                             \
	void NAME(struct cpu *c, const struct insn *i)                                             \
	{                                                                                          \
		mov_generic(c, i);                                                                 \
	}
/* 88 89 8A 8B; A0-A3 (moffs: an absolute offset in the address size);
 * B0+r Ib, B8+r Iv (imm64 with REX.W); C6 /0, C7 /0. */
MOV_FORM(MOV_EbGb)
MOV_FORM(MOV_EvGv)
MOV_FORM(MOV_GbEb)
MOV_FORM(MOV_GvEv)
MOV_FORM(MOV_ALOb)
MOV_FORM(MOV_rAXOv)
MOV_FORM(MOV_ObAL)
MOV_FORM(MOV_OvrAX)
MOV_FORM(MOV_ZbIb)
MOV_FORM(MOV_ZvIv)
MOV_FORM(MOV_EbIb)
MOV_FORM(MOV_EvIz)
/* MOVNTI My,Gy (0F C3): a store with a non-temporal hint; no cache here. */
MOV_FORM(MOVNTI_MyGy)

/* MOVZX/MOVSX Gv, Eb|Ew (0F B6/B7, 0F BE/BF) and MOVSXD Gv, Ed (63).
 * opnd_read returns the source zero-extended; MOVSX sign-extends it. */
static void mov_extend(struct cpu *c, const struct insn *i, bool sign)
{
	unsigned sz = insn_opnd_size(i, 0), ssz = insn_opnd_size(i, 1);
	u64 v = opnd_load(c, i, 1) & mask_of(ssz);
	opnd_store(c, i, 0, (sign ? (u64)sext(v, ssz) : v) & mask_of(sz));
}
void MOVZX_GvEb(struct cpu *c, const struct insn *i)
{
	mov_extend(c, i, false);
}
void MOVZX_GvEw(struct cpu *c, const struct insn *i)
{
	mov_extend(c, i, false);
}
void MOVSX_GvEb(struct cpu *c, const struct insn *i)
{
	mov_extend(c, i, true);
}
void MOVSX_GvEw(struct cpu *c, const struct insn *i)
{
	mov_extend(c, i, true);
}
/* 63 /r: MOVSXD with REX.W; without it (operand size 32 or 16) it is a plain
 * move of the low part (SDM: "use of MOVSXD without REX.W is discouraged"). */
void MOVSXD_GvEd(struct cpu *c, const struct insn *i)
{
	mov_extend(c, i, true);
}

/* ---- conditional moves and sets (cc = low nibble of the opcode) ---------- */

static void cmov(struct cpu *c, const struct insn *i, unsigned cc)
{
	u64 v = opnd_load(c, i, 1); /* the source is read (and may fault) always */
	if (cpu_cond_fast(c, cc))
		opnd_store(c, i, 0, v);
	else if (insn_opnd_size(i, 0) == 4)
		opnd_store(c, i, 0, opnd_load(c, i, 0)); /* zero-extends to 64 */
}

static void setcc(struct cpu *c, const struct insn *i, unsigned cc)
{
	opnd_store(c, i, 0, cpu_cond_fast(c, cc));
}

#define CC_FORMS(CC, NUM)                                                                          \
	void CMOV##CC##_GvEv(struct cpu *c, const struct insn *i)                                  \
	{                                                                                          \
		cmov(c, i, NUM);                                                                   \
	}                                                                                          \
	void SET##CC##_Eb(struct cpu *c, const struct insn *i)                                     \
	{                                                                                          \
		setcc(c, i, NUM);                                                                  \
	}
CC_FORMS(O, 0x0)
CC_FORMS(NO, 0x1)
CC_FORMS(B, 0x2)
CC_FORMS(NB, 0x3)
CC_FORMS(Z, 0x4)
CC_FORMS(NZ, 0x5)
CC_FORMS(BE, 0x6)
CC_FORMS(NBE, 0x7)
CC_FORMS(S, 0x8)
CC_FORMS(NS, 0x9)
CC_FORMS(P, 0xa)
CC_FORMS(NP, 0xb)
CC_FORMS(L, 0xc)
CC_FORMS(NL, 0xd)
CC_FORMS(LE, 0xe)
CC_FORMS(NLE, 0xf)

/* ---- exchanges -------------------------------------------------------------- */

/* XCHG: 86/87 Eb,Gb / Ev,Gv and 90+r Zv,rAX.  With a memory operand it is
 * implicitly locked (no visible effect in a one-CPU-at-a-time interpreter).
 * Operand 0 (the possibly-memory one) is written first: only it can fault. */
static void xchg(struct cpu *c, const struct insn *i)
{
	u64 a = opnd_load_rmw(c, i, 0), b = opnd_load(c, i, 1);
	opnd_store(c, i, 0, b);
	opnd_store(c, i, 1, a);
}
void XCHG_EbGb(struct cpu *c, const struct insn *i)
{
	xchg(c, i);
}
void XCHG_EvGv(struct cpu *c, const struct insn *i)
{
	xchg(c, i);
}
void XCHG_ZvrAX(struct cpu *c, const struct insn *i)
{
	xchg(c, i);
}

/* XADD Eb,Gb / Ev,Gv (0F C0/C1): TEMP = SRC + DEST; SRC = DEST; DEST = TEMP.
 * That order matters for XADD reg,reg with the same register: the sum wins.
 * A memory destination is written first instead (it is the one that can
 * fault, and then it cannot be the same as the register). */
static void xadd(struct cpu *c, const struct insn *i)
{
	unsigned sz = insn_opnd_size(i, 0);
	u64 d = opnd_load_rmw(c, i, 0), s = opnd_load(c, i, 1);
	u64 r = (d + s) & mask_of(sz);
	if (i->mem) {
		opnd_store(c, i, 0, r);
		opnd_store(c, i, 1, d);
	} else {
		opnd_store(c, i, 1, d);
		opnd_store(c, i, 0, r);
	}
	alu_arith_flags(c, ALU_ADD, r, d, s, sz);
}
void XADD_EbGb(struct cpu *c, const struct insn *i)
{
	xadd(c, i);
}
void XADD_EvGv(struct cpu *c, const struct insn *i)
{
	xadd(c, i);
}

/* CMPXCHG Eb,Gb / Ev,Gv (0F B0/B1): compare the accumulator with DEST;
 * equal: DEST = SRC; else accumulator = DEST.  Flags as CMP acc, DEST. */
static void cmpxchg(struct cpu *c, const struct insn *i)
{
	unsigned sz = insn_opnd_size(i, 0);
	u64 d = opnd_load_rmw(c, i, 0), s = opnd_load(c, i, 1);
	u64 acc = cpu_get_reg(c, RAX, sz, false);
	bool eq = acc == d;

	if (eq)
		opnd_store(c, i, 0, s);
	else if (i->mem)
		opnd_store(c, i, 0, d); /* "the destination receives a write cycle" */
	if (!eq)
		cpu_set_reg(c, RAX, sz, false, d);
	alu_arith_flags(c, ALU_CMP, (acc - d) & mask_of(sz), acc, d, sz);
}
void CMPXCHG_EbGb(struct cpu *c, const struct insn *i)
{
	cmpxchg(c, i);
}
void CMPXCHG_EvGv(struct cpu *c, const struct insn *i)
{
	cmpxchg(c, i);
}

/* CMPXCHG8B m64 / CMPXCHG16B m128 (0F C7 /1, the latter with REX.W):
 * compare rDX:rAX with the memory operand; equal: memory = rCX:rBX, ZF = 1;
 * else rDX:rAX = memory, ZF = 0.  Only ZF changes.  CMPXCHG16B needs a
 * 16-byte aligned operand, else #GP(0).  Memory is always written. */
static void cmpxchg_wide(struct cpu *c, const struct insn *i, unsigned h)
{
	u64 ea = insn_ea_fast(c, i), lo, hi, m = mask_of(h);
	bool eq;

	if (h == 8 && (cpu_linear(c, i->seg, ea, 16, ACC_WRITE) & 15))
		cpu_raise(c, EXC_GP, 0);
	if (h == 4) {
		u64 v = cpu_rmw_read(c, i->seg, ea, 8);
		lo = v & m;
		hi = v >> 32;
	} else {
		lo = cpu_rmw_read(c, i->seg, ea, 8);
		hi = cpu_rmw_read(c, i->seg, ea + 8, 8);
	}
	eq = lo == cpu_get_reg(c, RAX, h, false) && hi == cpu_get_reg(c, RDX, h, false);
	if (eq) {
		lo = cpu_get_reg(c, RBX, h, false);
		hi = cpu_get_reg(c, RCX, h, false);
	}
	if (h == 4) {
		cpu_write(c, i->seg, ea, 8, (hi << 32) | lo);
	} else {
		cpu_write(c, i->seg, ea, 8, lo);
		cpu_write(c, i->seg, ea + 8, 8, hi);
	}
	if (!eq) {
		cpu_set_reg(c, RAX, h, false, lo);
		cpu_set_reg(c, RDX, h, false, hi);
	}
	flags_write(c, FL_ZF, eq ? FL_ZF : 0);
}
void CMPXCHG8B_Mq(struct cpu *c, const struct insn *i)
{
	cmpxchg_wide(c, i, 4); /* the row requires W = 0 */
}
void CMPXCHG16B_Mdq(struct cpu *c, const struct insn *i)
{
	cmpxchg_wide(c, i, 8);
}

/* ---- byte order ------------------------------------------------------------- */

static u64 byteswap(u64 v, unsigned sz)
{
	switch (sz) {
	case 2: return __builtin_bswap16((u16)v);
	case 4: return __builtin_bswap32((u32)v);
	default: return __builtin_bswap64(v);
	}
}

/* BSWAP Zv (0F C8+r).  With a 16-bit operand the result is undefined; Intel
 * and AMD hardware write 0 to the low 16 bits, and so do we. */
void BSWAP_Zv(struct cpu *c, const struct insn *i)
{
	unsigned sz = insn_opnd_size(i, 0);
	opnd_store(c, i, 0, sz == 2 ? 0 : byteswap(opnd_load(c, i, 0), sz));
}

/* MOVBE Gv,Mv (0F 38 F0) / Mv,Gv (0F 38 F1): a move that swaps bytes. */
static void movbe(struct cpu *c, const struct insn *i)
{
	opnd_store(c, i, 0, byteswap(opnd_load(c, i, 1), insn_opnd_size(i, 0)));
}
void MOVBE_GvMv(struct cpu *c, const struct insn *i)
{
	movbe(c, i);
}
void MOVBE_MvGv(struct cpu *c, const struct insn *i)
{
	movbe(c, i);
}

/* ---- addresses and accumulator extensions ---------------------------------- */

/* LEA Gv,M (8D): the effective address (already truncated to the address
 * size by insn_ea), truncated again to the operand size.  No memory access. */
void LEA_GvM(struct cpu *c, const struct insn *i)
{
	opnd_store(c, i, 0, insn_ea_fast(c, i) & mask_of(insn_opnd_size(i, 0)));
}

/* 98: CBW (AX = sext AL), CWDE (EAX = sext AX), CDQE (RAX = sext EAX). */
void CBW(struct cpu *c, const struct insn *i)
{
	unsigned sz = i->osize, h = sz / 2;
	cpu_set_reg(c, RAX, sz, false, (u64)sext(cpu_get_reg(c, RAX, h, false), h) & mask_of(sz));
}

/* 99: CWD (DX:AX), CDQ (EDX:EAX), CQO (RDX:RAX) = sign extension of rAX. */
void CWD(struct cpu *c, const struct insn *i)
{
	unsigned sz = i->osize;
	bool neg = cpu_get_reg(c, RAX, sz, false) >> (sz * 8 - 1);
	cpu_set_reg(c, RDX, sz, false, neg ? mask_of(sz) : 0);
}

/* XLAT (D7): AL = [seg:rBX + AL], the sum wrapping at the address size. */
void XLAT(struct cpu *c, const struct insn *i)
{
	u64 off =
	    (cpu_get_reg(c, RBX, 8, false) + cpu_get_reg(c, RAX, 1, false)) & mask_of(i->asize);
	cpu_set_reg(c, RAX, 1, false, cpu_read(c, i->seg, off, 1));
}

/* ---- direct flag manipulation ---------------------------------------------- */

/* LAHF (9F): AH = SF:ZF:0:AF:0:PF:1:CF, the low byte of FLAGS. */
void LAHF(struct cpu *c, const struct insn *i)
{
	u64 f = cpu_rflags(c) & (FL_ARITH & 0xff);
	cpu_set_reg(c, 4, 1, false, f | FL_1); /* reg 4 without REX = AH */
}

/* SAHF (9E): SF ZF AF PF CF = the corresponding bits of AH. */
void SAHF(struct cpu *c, const struct insn *i)
{
	flags_write(c, FL_SF | FL_ZF | FL_AF | FL_PF | FL_CF, cpu_get_reg(c, 4, 1, false));
}

void CLC(struct cpu *c, const struct insn *i)
{
	flags_write(c, FL_CF, 0);
}
void STC(struct cpu *c, const struct insn *i)
{
	flags_write(c, FL_CF, FL_CF);
}
void CMC(struct cpu *c, const struct insn *i)
{
	flags_write(c, FL_CF, flag_cf(c) ? 0 : FL_CF);
}
/* DF is not an arithmetic flag: it always lives in c->rflags. */
void CLD(struct cpu *c, const struct insn *i)
{
	c->rflags &= ~(u64)FL_DF;
}
void STD(struct cpu *c, const struct insn *i)
{
	c->rflags |= FL_DF;
}

/* SALC (D6, undocumented, invalid in 64-bit mode): AL = CF ? 0xFF : 0x00. */
void SALC(struct cpu *c, const struct insn *i)
{
	cpu_set_reg(c, RAX, 1, false, flag_cf(c) ? 0xff : 0);
}

/* ---- ADX: add-with-carry on one flag only (SDM "ADCX", "ADOX") ---------- */

static void adx(struct cpu *c, const struct insn *i, u64 flag)
{
	unsigned sz = insn_opnd_size(i, 0);
	u64 a = opnd_load(c, i, 0), b = opnd_load(c, i, 1);
	u64 cin = (cpu_rflags(c) & flag) != 0;
	u128 sum = (u128)a + b + cin;
	opnd_store(c, i, 0, (u64)sum & mask_of(sz));
	flags_write(c, flag, (sum >> (sz * 8)) & 1 ? flag : 0);
}
void ADCX_GyEy(struct cpu *c, const struct insn *i)
{
	adx(c, i, FL_CF);
}
void ADOX_GyEy(struct cpu *c, const struct insn *i)
{
	adx(c, i, FL_OF);
}

/* ---- CRC32 (SDM "CRC32", SSE4.2) ------------------------------------------- */

/*
 * CRC-32C (Castagnoli, polynomial 0x1EDC6F41) in the bit-reflected form the
 * instruction uses: no initial or final inversion -- software does those.
 * Bit-serial on purpose: eight shifts per byte are easy to check by hand.
 */
u32 alu_crc32c(u32 crc, u64 data, unsigned bytes)
{
	for (unsigned k = 0; k < bytes * 8; k++) {
		bool b = (crc ^ (u32)(data >> k)) & 1;
		crc = (crc >> 1) ^ (b ? 0x82F63B78u : 0);
	}
	return crc;
}

/* F2 0F 38 F0 Gd,Eb / F1 Gd,Ev (Gq with REX.W: the result is zero-extended). */
static void crc32(struct cpu *c, const struct insn *i)
{
	u64 src = opnd_load(c, i, 1);
	u32 crc = (u32)opnd_load(c, i, 0);
	opnd_store(c, i, 0, alu_crc32c(crc, src, insn_opnd_size(i, 1)));
}
void CRC32_GdEb(struct cpu *c, const struct insn *i)
{
	crc32(c, i);
}
void CRC32_GdEv(struct cpu *c, const struct insn *i)
{
	crc32(c, i);
}

/* ---- NOPs --------------------------------------------------------------------- */

/* 90 NOP (XCHG eAX,eAX -- which in 64-bit mode does NOT zero-extend RAX,
 * hence its own row), 0F 1F /0 NOP Ev (the multi-byte NOP: the ModRM memory
 * operand is never accessed), F3 90 PAUSE (a spin-loop hint), F3 0F 1E FA/FB
 * ENDBR64/ENDBR32 (CET branch targets: NOPs while CET is off). */
void NOP(struct cpu *c, const struct insn *i)
{
}
void NOP_Ev(struct cpu *c, const struct insn *i)
{
}
void PAUSE(struct cpu *c, const struct insn *i)
{
}
void ENDBR64(struct cpu *c, const struct insn *i)
{
}
void ENDBR32(struct cpu *c, const struct insn *i)
{
}

/* 0F 18-1E: reserved-NOP space (hint NOPs); the ones with a defined meaning
 * (PREFETCHh 0F 18 /0-/3, PREFETCHW 0F 0D) are hints with no architectural
 * effect either: they never fault, even on an unmapped address. */
#define NOP_FORM(NAME)                                                                             \
	void NAME(struct cpu *c, const struct insn *i)                                             \
	{                                                                                          \
	}
NOP_FORM(NOP_Ev_0F18)
NOP_FORM(NOP_Ev_0F19)
NOP_FORM(NOP_Ev_0F1A)
NOP_FORM(NOP_Ev_0F1B)
NOP_FORM(NOP_Ev_0F1C)
NOP_FORM(NOP_Ev_0F1D)
NOP_FORM(NOP_Ev_0F1E)
NOP_FORM(PREFETCH_Mb)
NOP_FORM(PREFETCHW_Mb)
NOP_FORM(PREFETCHWT1_Mb)
NOP_FORM(PREFETCHNTA_Mb)
NOP_FORM(PREFETCHT0_Mb)
NOP_FORM(PREFETCHT1_Mb)
NOP_FORM(PREFETCHT2_Mb)
