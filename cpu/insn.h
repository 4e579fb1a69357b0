/*
 * insn.h - a decoded instruction and the ISA table's vocabulary.
 *
 * cpu/isa.def has one row per instruction *form* (SDM Vol 2 opcode tables,
 * Appendix A).  Every consumer -- the decoder, the handler dispatch array, the
 * mnemonic names, CPUID gating, the Popek-Goldberg class, the VM-exit reason,
 * `vmlab isa`, the per-form tests -- is generated from those rows:
 *
 *   X(name, "mnem", map, opcode, reg, mod, rm, pfx, operands, feature, pg, exit, flags)
 *
 *   name      handler and enum name, after the SDM form: ADD_EbGb, SGDT_Ms.
 *             The handler is `void name(struct cpu *, const struct insn *)`.
 *   mnem      the mnemonic as capstone/objdump print it ("add", "je").
 *   map       M1 (one byte), M0F, M0F38, M0F3A.
 *   opcode    the opcode byte in that map.
 *   reg       ModRM.reg opcode extension /0../7, or __ (any / not used).
 *   mod       MM (ModRM.mod != 3, memory), MR (mod == 3, register), __ (any).
 *   rm        ModRM.rm for forms like 0F 01 F8 (SWAPGS), or __.
 *   pfx       mandatory prefix: PNP (no F2/F3), P66, PF3, PF2, P0 (no 66/F2/F3),
 *             or P__ (any).
 *   operands  the SDM operand letters joined by '_' (cpu/operands.def).
 *   feature   the CPUID feature that gates the form (BASE = always there).
 *   pg        Popek-Goldberg class: PG_INNOCUOUS, PG_PRIV (always traps at
 *             CPL > 0), PG_PRIV_IOPL (traps when CPL > IOPL), PG_CTL
 *             (control-sensitive, does not trap: a virtualization hole),
 *             PG_BEH (behaviour-sensitive, does not trap: a hole).
 *   exit      the VM-exit reason it causes in hardware-assisted mode
 *             (SDM Vol 3 Appendix C basic exit reasons), EX_NONE if none.
 *   flags     F_* below, or'ed; 0 for none.
 */
#ifndef VMLAB_CPU_INSN_H
#define VMLAB_CPU_INSN_H

#include "lib/common.h"

struct cpu;
struct insn;

enum isa_map { M1, M0F, M0F38, M0F3A };

/* Wildcards and ModRM.mod classes used in isa.def rows. */
#define __ (-1)
enum { MM = 1, MR = 2 };
enum isa_pfx {
	P__,
	PNP,
	P66,
	PF3,
	PF2,
	P0, /* none of 66/F2/F3 at all: the SDM's "NP" (PNP is its "NFx") */
};

/* Operand kinds (SDM Vol 2 Appendix A.2.1 letters) and sizes (A.2.2). */
enum opnd_kind {
	OK_NONE,
	OK_E,	/* ModRM r/m: register or memory */
	OK_G,	/* ModRM reg: general register */
	OK_M,	/* ModRM r/m: memory only */
	OK_R,	/* ModRM r/m: register only */
	OK_I,	/* immediate */
	OK_J,	/* relative branch offset (immediate added to next RIP) */
	OK_O,	/* moffs: absolute offset, no ModRM (MOV AL, [moffs]) */
	OK_Z,	/* register in opcode bits 2:0 (+REX.B) */
	OK_S,	/* segment register in ModRM.reg */
	OK_C,	/* control register in ModRM.reg */
	OK_D,	/* debug register in ModRM.reg */
	OK_A,	/* far pointer immediate seg:offset (JMP ptr16:32) */
	OK_X,	/* string source DS:rSI (segment overridable) */
	OK_Y,	/* string destination ES:rDI */
	OK_B,	/* VEX.vvvv general register */
	OK_REG, /* a fixed register: reg field gives which (AL, rAX, CL, DX ...) */
	OK_SEG, /* a fixed segment register (PUSH ES ...): reg field */
	OK_ONE, /* the constant 1 (shift by one) */
};
enum opnd_size {
	OS_NONE,
	OS_b,  /* byte */
	OS_w,  /* word */
	OS_d,  /* doubleword */
	OS_q,  /* quadword */
	OS_v,  /* word, doubleword or quadword: the operand size */
	OS_z,  /* word for 16-bit operand size, doubleword otherwise (immediates) */
	OS_y,  /* doubleword, or quadword with REX.W */
	OS_p,  /* far pointer: 32 or 48 bits (80 with REX.W) */
	OS_s,  /* 6-byte (10 in 64-bit mode) pseudo-descriptor */
	OS_a,  /* two v-sized operands in memory (BOUND) */
	OS_dq, /* 16 bytes (CMPXCHG16B) */
	OS_x,  /* no size (LEA's M, INVLPG's M) */
};

struct opnd_desc {
	u8 kind, size, reg; /* reg: for OK_REG/OK_SEG, which register */
};

#define OPND_MAX 4

/* Row flags. */
enum {
	F_LOCK = BIT(0),   /* LOCK prefix allowed (memory destination) */
	F_REP = BIT(1),	   /* REP (F3) meaningful: string instruction */
	F_REPZ = BIT(2),   /* REPE/REPNE meaningful: CMPS, SCAS */
	F_I64 = BIT(3),	   /* invalid in 64-bit mode */
	F_O64 = BIT(4),	   /* valid only in 64-bit mode */
	F_D64 = BIT(5),	   /* default operand size 64 in 64-bit mode */
	F_F64 = BIT(6),	   /* operand size forced to 64 in 64-bit mode */
	F_BRANCH = BIT(7), /* may change RIP other than to the next insn: ends a block */
	F_SERIAL = BIT(8), /* changes mode/paging state: ends a block */
	F_VEX = BIT(9),	   /* VEX-encoded (BMI1/BMI2) */
	F_W1 = BIT(10),	   /* VEX.W / REX.W must be 1 for this row */
	F_W0 = BIT(11),	   /* VEX.W must be 0 for this row */
	F_NOOSZ = BIT(12), /* 66 prefix does not change this form's size (fixed size) */
	F_ESC = BIT(13),   /* x87 escape: decoded for length, executed as #NM/#UD policy */
};

/* CPUID features that gate rows (cpu/cpuid.c advertises them). */
enum isa_feature {
	BASE,
	LM,
	CMOV,
	CX8,
	CX16,
	POPCNT,
	LZCNT,
	BMI1,
	BMI2,
	MOVBE,
	ADX,
	RDTSCP,
	SSE42,
	FSGSBASE,
	RDRAND,
	RDSEED,
	RDPID,
	CLFSH,
	SEP,
	MSR,
	TSC,
	FPU,
	SSE,
	SSE2,
	XSAVE,
	INVPCID,
	SMAP_F,
	FEATURE_COUNT
};

/* Popek-Goldberg classes (Popek & Goldberg 1974; Robin & Irvine 2000). */
enum pg_class { PG_INNOCUOUS, PG_PRIV, PG_PRIV_IOPL, PG_CTL, PG_BEH, PG_CLASS_COUNT };
extern const char *const pg_class_name[PG_CLASS_COUNT];

/* VM-exit reasons an instruction can cause (SDM Vol 3 Appendix C numbering). */
enum isa_exit {
	EX_NONE = -1,
	EX_CPUID = 10,
	EX_GETSEC = 11,
	EX_HLT = 12,
	EX_INVD = 13,
	EX_INVLPG = 14,
	EX_RDPMC = 15,
	EX_RDTSC = 16,
	EX_RSM = 17,
	EX_VMCALL = 18,
	EX_CR_ACCESS = 28,
	EX_DR_ACCESS = 29,
	EX_IO = 30,
	EX_RDMSR = 31,
	EX_WRMSR = 32,
	EX_MWAIT = 36,
	EX_MONITOR = 39,
	EX_PAUSE = 40,
	EX_GDTR_IDTR = 46,
	EX_LDTR_TR = 47,
	EX_RDTSCP = 51,
	EX_WBINVD = 54,
	EX_XSETBV = 55,
	EX_RDRAND = 57,
	EX_INVPCID = 58,
	EX_RDSEED = 61,
	EX_XSAVES = 63,
	EX_INT_N = 70, /* not an SDM exit reason: software interrupts, for trap mode */
};

/* The form identifiers, one per isa.def row. */
enum isa_form_id {
#define X(name, ...) FORM_##name,
#include "cpu/isa.def"
#undef X
	FORM_COUNT
};

typedef void insn_handler(struct cpu *c, const struct insn *i);

struct isa_form {
	const char *name, *mnem;
	u8 map, opcode;
	s8 reg, mod, rm;
	u8 pfx;
	u8 nopnd;
	struct opnd_desc opnd[OPND_MAX];
	u8 feature, pg;
	s16 exit;
	u32 flags;
	insn_handler *handler;
};
extern const struct isa_form isa_forms[FORM_COUNT];

/* A decoded instruction (the decoder's only output). */
struct insn {
	u16 form; /* enum isa_form_id */
	u8 len;	  /* total length in bytes, 1..15 */
	u8 map, opcode;
	u8 osize;	 /* effective operand size in bytes: 2, 4, 8 */
	u8 asize;	 /* effective address size in bytes: 2, 4, 8 */
	u8 seg;		 /* segment of the memory operand (override or default) */
	u8 seg_override; /* SEG_NONE when no override prefix */
	u8 rep;		 /* 0, 0xF3 or 0xF2 (last one seen) */
	bool lock;
	bool opsize_prefix, addrsize_prefix;
	u8 rex; /* the REX byte (0x40-0x4F), 0 when absent */
	bool has_modrm, has_sib, mem, rip_rel;
	u8 modrm, mod, reg, rm; /* reg and rm already include REX.R / REX.B */
	u8 scale;		/* 1, 2, 4, 8 */
	s8 index, base;		/* 0-15, or -1 when absent */
	bool vex;
	u8 vex_vvvv, vex_l, vex_w;
	s64 disp;
	u64 imm, imm2; /* imm2: ENTER's second immediate, far pointer's selector */

	/*
	 * Resolved at decode time (cpu/decode.c, insn_resolve) so that the
	 * per-execution operand access is a table lookup, not a walk through
	 * the row's descriptors: the block cache stores decoded instructions,
	 * so this work is paid once per block, not once per execution.
	 * opr[n] == OPR_SLOW (0, as in a zeroed struct built by hand) means
	 * "not resolved": the generic path in cpu/operand.c decides.
	 */
	u8 opr[OPND_MAX];   /* enum opnd_res */
	u8 opsz[OPND_MAX];  /* operand size in bytes (0: use insn_opnd_size_slow) */
	u8 opreg[OPND_MAX]; /* OPR_GPR: index into c->gpr[] */
	u8 opsh[OPND_MAX];  /* OPR_GPR: 8 for AH/CH/DH/BH, else 0 */
	u64 immv;	    /* OPR_IMM: the operand's value, already extended */
};

/* How operand n of a decoded instruction is reached (struct insn opr[]). */
enum opnd_res {
	OPR_SLOW, /* anything else: cpu/operand.c's generic code */
	OPR_GPR,  /* a general register (E with mod = 3, G, Z, R, fixed AL/rAX ...) */
	OPR_MEM,  /* the ModRM memory operand, 1..8 bytes */
	OPR_IMM,  /* an immediate: immv */
};

/* Decoder results other than a length. */
enum { DECODE_UD = -1, DECODE_TOO_LONG = -2, DECODE_SHORT = -3 };

/*
 * Decode one instruction from buf[0..avail) for a code segment of default
 * size code_size (2, 4 or 8).  Returns the length (1..15), DECODE_UD for an
 * invalid opcode or prefix use, DECODE_TOO_LONG past 15 bytes (#GP), or
 * DECODE_SHORT when more than `avail` bytes would be needed.  Never reads
 * buf beyond avail nor beyond 15 bytes.
 */
int isa_decode(struct insn *i, const u8 *buf, unsigned avail, unsigned code_size);

/* Fill the resolved fields (opr, opsz, ...) of a decoded instruction; the
 * decoder calls it, hand-built instructions may skip it (cpu/operand.c). */
void insn_resolve(struct insn *i);

/*
 * Operand access for handlers: n is the operand index.  The generic code is
 * in cpu/operand.c; cpu/operand.h has inline fast paths with the same
 * names' semantics that handlers on the hot path include.
 */
unsigned insn_opnd_size_slow(const struct insn *i, int n);
static inline unsigned insn_opnd_size(const struct insn *i, int n) /* bytes */
{
	return likely(i->opsz[n]) ? i->opsz[n] : insn_opnd_size_slow(i, n);
}
u64 insn_ea(struct cpu *c, const struct insn *i); /* memory operand offset */
u64 opnd_read(struct cpu *c, const struct insn *i, int n);
void opnd_write(struct cpu *c, const struct insn *i, int n, u64 v);
/* For read-modify-write destinations: read with write intent. */
u64 opnd_read_rmw(struct cpu *c, const struct insn *i, int n);

#endif
