/*
 * test_flags.c - the lazy flags (cpu/flags.c) and the ALU semantics
 * (cpu/alu.h) against the host CPU.
 *
 * The oracle is the processor we run on: every operation is executed natively
 * with inline assembly (flags loaded with POPFQ, read back with PUSHFQ) from
 * the same inputs, and vmlab must produce the same result and the same flags.
 * Flags the SDM leaves undefined are compared too where vmlab claims to
 * follow the host (documented in cpu/exec_*.c); where the SDM says undefined
 * and vendors differ, alu_undefined_flags() names the bits we mask.
 *
 * Inputs are pseudo-random (fixed seed, so failures reproduce) mixed with the
 * edge values where flags change: 0, 1, the sign boundary, all ones.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "cpu/alu.h"
#include "cpu/flags.h"

/* ---- inputs ------------------------------------------------------------------ */

static u64 rng_state = 0x9e3779b97f4a7c15ULL;
static u64 rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* A value of `size` bytes, biased towards the interesting ones. */
static u64 value(unsigned size)
{
	u64 m = mask_of(size), sb = 1ULL << (size * 8 - 1);
	static const u64 edge[] = {0, 1, 2, 0xf, 0x10, 0x7f, 0x80, 0xff};
	switch (rnd() % 6) {
	case 0: return edge[rnd() % ARRAY_SIZE(edge)];
	case 1: return (sb + (rnd() % 5) - 2) & m; /* around the sign bit */
	case 2: return (m - (rnd() % 3)) & m;	   /* around all ones */
	case 3: return rnd() & 0xff;
	default: return rnd() & m;
	}
}

/* Random incoming arithmetic flags. */
static u64 flags_in(void)
{
	return rnd() & FL_ARITH;
}

static void cpu_fresh(struct cpu *c, u64 fin)
{
	memset(c, 0, sizeof(*c));
	c->rflags = FL_1 | fin;
	c->lf.op = LAZY_NONE;
}

#define ITER 3000
static const unsigned sizes[4] = {1, 2, 4, 8};

/* ---- host oracles ----------------------------------------------------------- */

/* Run `insn` natively with the arithmetic flags `fin`; return RFLAGS after.
 * The 128-byte step over the red zone protects the compiler's locals there. */
#define PRE  "sub $128, %%rsp\n\tpushq %[fi]\n\tpopfq\n\t"
#define POST "\n\tpushfq\n\tpopq %[f]\n\tadd $128, %%rsp"

typedef u64 host_bin(u64 a, u64 b, u64 fin, u64 *res);

#define HOST_BIN(name, insn, T)                                                                    \
	static u64 name(u64 a, u64 b, u64 fin, u64 *res)                                           \
	{                                                                                          \
		T x = (T)a, y = (T)b;                                                              \
		u64 f;                                                                             \
		__asm__ volatile(PRE insn " %[y], %[x]" POST                                       \
				 : [x] "+r"(x), [f] "=&r"(f)                                       \
				 : [y] "r"(y), [fi] "r"(fin | FL_1)                                \
				 : "cc", "memory");                                                \
		*res = (u64)x;                                                                     \
		return f & FL_ARITH;                                                               \
	}
/* Shifts: the count in CL. */
#define HOST_SH(name, insn, T)                                                                     \
	static u64 name(u64 a, u64 b, u64 fin, u64 *res)                                           \
	{                                                                                          \
		T x = (T)a;                                                                        \
		u64 f;                                                                             \
		__asm__ volatile(PRE insn " %%cl, %[x]" POST                                       \
				 : [x] "+r"(x), [f] "=&r"(f)                                       \
				 : "c"(b), [fi] "r"(fin | FL_1)                                    \
				 : "cc", "memory");                                                \
		*res = (u64)x;                                                                     \
		return f & FL_ARITH;                                                               \
	}
/* One-operand forms (INC DEC NEG NOT). */
#define HOST_UN(name, insn, T)                                                                     \
	static u64 name(u64 a, u64 b, u64 fin, u64 *res)                                           \
	{                                                                                          \
		T x = (T)a;                                                                        \
		u64 f;                                                                             \
		__asm__ volatile(PRE insn " %[x]" POST                                             \
				 : [x] "+r"(x), [f] "=&r"(f)                                       \
				 : [fi] "r"(fin | FL_1)                                            \
				 : "cc", "memory");                                                \
		*res = (u64)x;                                                                     \
		return f & FL_ARITH;                                                               \
	}

#define SIZED(M, name, insn)                                                                       \
	M(name##_1, insn, u8)                                                                      \
	M(name##_2, insn, u16)                                                                     \
	M(name##_4, insn, u32) M(name##_8, insn, u64) static host_bin *const name[4] = {           \
	    name##_1, name##_2, name##_4, name##_8};

SIZED(HOST_BIN, h_add, "add")
SIZED(HOST_BIN, h_or, "or")
SIZED(HOST_BIN, h_adc, "adc")
SIZED(HOST_BIN, h_sbb, "sbb")
SIZED(HOST_BIN, h_and, "and")
SIZED(HOST_BIN, h_sub, "sub")
SIZED(HOST_BIN, h_xor, "xor")
SIZED(HOST_BIN, h_cmp, "cmp")
SIZED(HOST_SH, h_rol, "rol")
SIZED(HOST_SH, h_ror, "ror")
SIZED(HOST_SH, h_rcl, "rcl")
SIZED(HOST_SH, h_rcr, "rcr")
SIZED(HOST_SH, h_shl, "shl")
SIZED(HOST_SH, h_shr, "shr")
SIZED(HOST_SH, h_sar, "sar")
SIZED(HOST_UN, h_inc, "inc")
SIZED(HOST_UN, h_dec, "dec")
SIZED(HOST_UN, h_neg, "neg")

/* All sixteen condition codes for RFLAGS value f, by SETcc on the host. */
static unsigned host_conds(u64 f)
{
	u8 s[16];
	__asm__ volatile("sub $128, %%rsp\n\tpushq %[fi]\n\tpopfq\n\t"
			 "seto 0(%[s])\n\tsetno 1(%[s])\n\tsetb 2(%[s])\n\tsetnb 3(%[s])\n\t"
			 "setz 4(%[s])\n\tsetnz 5(%[s])\n\tsetbe 6(%[s])\n\tsetnbe 7(%[s])\n\t"
			 "sets 8(%[s])\n\tsetns 9(%[s])\n\tsetp 10(%[s])\n\tsetnp 11(%[s])\n\t"
			 "setl 12(%[s])\n\tsetnl 13(%[s])\n\tsetle 14(%[s])\n\tsetnle 15(%[s])\n\t"
			 "add $128, %%rsp"
			 :
			 : [s] "r"(s), [fi] "r"(f | FL_1)
			 : "cc", "memory");
	unsigned m = 0;
	for (int k = 0; k < 16; k++)
		m |= (unsigned)s[k] << k;
	return m;
}

static unsigned emu_conds(struct cpu *c)
{
	unsigned m = 0;
	for (unsigned k = 0; k < 16; k++)
		m |= (unsigned)cpu_cond(c, k) << k;
	return m;
}

/* Report a mismatch with everything needed to reproduce it. */
static int report(const char *what, unsigned size, u64 a, u64 b, u64 fin, u64 er, u64 hr, u64 ef,
		  u64 hf)
{
	print_error("%s size %u a=%#llx b=%#llx fin=%#llx: result vmlab %#llx host %#llx, "
		    "flags vmlab %#llx host %#llx\n",
		    what, size, (unsigned long long)a, (unsigned long long)b,
		    (unsigned long long)fin, (unsigned long long)er, (unsigned long long)hr,
		    (unsigned long long)ef, (unsigned long long)hf);
	return 1;
}

/* ---- the eight ALU operations, and the condition codes after them ------- */

static void test_arith(void **state)
{
	static host_bin *const *const host[8] = {h_add, h_or,  h_adc, h_sbb,
						 h_and, h_sub, h_xor, h_cmp};
	static const char *const name[8] = {"add", "or", "adc", "sbb", "and", "sub", "xor", "cmp"};
	int bad = 0;

	for (int op = 0; op < 8; op++)
		for (int s = 0; s < 4; s++)
			for (int n = 0; n < ITER; n++) {
				unsigned sz = sizes[s];
				u64 a = value(sz), b = value(sz), fin = flags_in(), hr, er;
				struct cpu c;
				cpu_fresh(&c, fin);
				u64 hf = host[op][s](a, b, fin, &hr);
				er = alu_arith(&c, (enum alu_op)op, a, b, sz);
				if (op == ALU_CMP)
					hr = (a - b) & mask_of(sz);
				unsigned ec = emu_conds(&c); /* from the lazy record */
				u64 ef = flags_get(&c);
				if ((er != (hr & mask_of(sz)) || ef != hf) && bad < 10)
					bad += report(name[op], sz, a, b, fin, er, hr, ef, hf);
				if (ec != host_conds(hf) && bad < 10)
					bad += report("cond", sz, a, b, fin, ec, host_conds(hf), ef,
						      hf);
				flags_materialize(&c);
				if ((c.rflags & FL_ARITH) != hf && bad < 10)
					bad += report("materialize", sz, a, b, fin, 0, 0, c.rflags,
						      hf);
			}
	assert_int_equal(bad, 0);
}

/* INC DEC NEG, and INC/DEC keeping a CF that is still lazy. */
static void test_unary(void **state)
{
	static host_bin *const *const host[3] = {h_inc, h_dec, h_neg};
	int bad = 0;

	for (int op = 0; op < 3; op++)
		for (int s = 0; s < 4; s++)
			for (int n = 0; n < ITER; n++) {
				unsigned sz = sizes[s];
				u64 a = value(sz), b = value(sz), fin = flags_in(), hr, er, t;
				struct cpu c;
				cpu_fresh(&c, 0);
				/* A lazy ADD first: its CF must survive INC/DEC. */
				u64 hf0 = h_add[s](a, b, fin, &t);
				alu_arith(&c, ALU_ADD, a, b, sz);
				u64 hf = host[op][s](t, 0, hf0, &hr);
				if (op == 2) {
					er = (0 - t) & mask_of(sz);
					flags_lazy(&c, LAZY_SUB, sz, er, 0, t);
				} else {
					er = (op ? t - 1 : t + 1) & mask_of(sz);
					flags_lazy(&c, op ? LAZY_DEC : LAZY_INC, sz, er, t, 1);
				}
				if ((er != (hr & mask_of(sz)) || flags_get(&c) != hf) && bad < 10)
					bad += report(op == 2 ? "neg"
						      : op    ? "dec"
							      : "inc",
						      sz, t, 0, hf0, er, hr, flags_get(&c), hf);
				if (emu_conds(&c) != host_conds(hf) && bad < 10)
					bad += report("cond after inc/dec/neg", sz, t, 0, hf0, 0, 0,
						      flags_get(&c), hf);
			}
	assert_int_equal(bad, 0);
}

/* ---- shifts and rotates ------------------------------------------------------ */

static void test_shift(void **state)
{
	static host_bin *const *const host[8] = {h_rol, h_ror, h_rcl, h_rcr,
						 h_shl, h_shr, h_shl, h_sar};
	static const char *const name[8] = {"rol", "ror", "rcl", "rcr", "shl", "shr", "sal", "sar"};
	int bad = 0;

	for (int op = 0; op < 8; op++)
		for (int s = 0; s < 4; s++)
			for (int n = 0; n < ITER; n++) {
				unsigned sz = sizes[s];
				unsigned cnt = (n < 70) ? (unsigned)n : (unsigned)(rnd() % 72);
				u64 a = value(sz), fin = flags_in(), hr, er;
				struct cpu c;
				cpu_fresh(&c, fin);
				u64 hf = host[op][s](a, cnt, fin, &hr);
				er = alu_shift(&c, (enum shift_op)op, a, cnt, sz);
				u64 ef = flags_get(&c);
				if ((er != (hr & mask_of(sz)) || ef != hf) && bad < 10)
					bad += report(name[op], sz, a, cnt, fin, er, hr, ef, hf);
			}
	assert_int_equal(bad, 0);
}

/* SHLD/SHRD, including 16-bit counts above 16 (undefined in the SDM). */
#define HOST_SHXD(name, insn, T)                                                                   \
	static u64 name(u64 a, u64 b, u64 cnt, u64 fin, u64 *res)                                  \
	{                                                                                          \
		T x = (T)a, y = (T)b;                                                              \
		u64 f;                                                                             \
		__asm__ volatile(PRE insn " %%cl, %[y], %[x]" POST                                 \
				 : [x] "+r"(x), [f] "=&r"(f)                                       \
				 : [y] "r"(y), "c"(cnt), [fi] "r"(fin | FL_1)                      \
				 : "cc", "memory");                                                \
		*res = (u64)x;                                                                     \
		return f & FL_ARITH;                                                               \
	}
HOST_SHXD(h_shld_2, "shld", u16)
HOST_SHXD(h_shld_4, "shld", u32)
HOST_SHXD(h_shld_8, "shld", u64)
HOST_SHXD(h_shrd_2, "shrd", u16)
HOST_SHXD(h_shrd_4, "shrd", u32)
HOST_SHXD(h_shrd_8, "shrd", u64)

static void test_shxd(void **state)
{
	bool host_intel = __builtin_cpu_is("intel");
	typedef u64 fn(u64, u64, u64, u64, u64 *);
	static fn *const host[2][3] = {{h_shrd_2, h_shrd_4, h_shrd_8},
				       {h_shld_2, h_shld_4, h_shld_8}};
	int bad = 0;

	for (int left = 0; left < 2; left++)
		for (int s = 0; s < 3; s++)
			for (int n = 0; n < ITER; n++) {
				unsigned sz = sizes[s + 1];
				unsigned cnt = (n < 70) ? (unsigned)n : (unsigned)(rnd() % 72);
				u64 a = value(sz), b = value(sz), fin = flags_in(), hr, er;
				struct cpu c;
				cpu_fresh(&c, fin);
				u64 hf = host[left][s](a, b, cnt, fin, &hr);
				er = alu_shxd(&c, left, a, b, cnt, sz);
				u64 ef = flags_get(&c);
				/* 16-bit counts > 16 are undefined in the SDM.  We model Intel
				 * (P6 and later: the 48-bit dst:src:dst); AMD differs (SHRD
				 * shifts src:src:dst), so the result is compared on Intel
				 * hosts only.  Flags from count 16 up: vendor-specific. */
				bool undef = sz == 2 && (cnt & 31) >= 16;
				u64 mask = undef ? 0 : FL_ARITH;
				u64 rmask =
				    undef && (cnt & 31) > 16 && !host_intel ? 0 : mask_of(sz);
				if (((er & rmask) != (hr & rmask) || (ef & mask) != (hf & mask)) &&
				    bad < 10)
					bad += report(left ? "shld" : "shrd", sz, a,
						      b | (u64)cnt << 56, fin, er, hr, ef, hf);
			}
	assert_int_equal(bad, 0);
}

/* ---- multiply and divide ----------------------------------------------------- */

/* One-operand MUL/IMUL/DIV/IDIV: rDX:rAX (AH:AL for bytes) with operand y. */
#define HOST_MD(name, insn, T)                                                                     \
	static u64 name(u64 lo, u64 hi, u64 y, u64 fin, u64 *olo, u64 *ohi)                        \
	{                                                                                          \
		u64 a = lo, d = hi, f;                                                             \
		T yy = (T)y;                                                                       \
		if (sizeof(T) == 1)                                                                \
			a = (lo & 0xff) | (hi & 0xff) << 8;                                        \
		__asm__ volatile(PRE insn " %[y]" POST                                             \
				 : "+a"(a), "+d"(d), [f] "=&r"(f)                                  \
				 : [y] "r"(yy), [fi] "r"(fin | FL_1)                               \
				 : "cc", "memory");                                                \
		if (sizeof(T) == 1) {                                                              \
			*olo = a & 0xff;                                                           \
			*ohi = (a >> 8) & 0xff;                                                    \
		} else {                                                                           \
			*olo = a & mask_of(sizeof(T));                                             \
			*ohi = d & mask_of(sizeof(T));                                             \
		}                                                                                  \
		return f & FL_ARITH;                                                               \
	}
typedef u64 host_md(u64, u64, u64, u64, u64 *, u64 *);
#define SIZED_MD(name, insn)                                                                       \
	HOST_MD(name##_1, insn, u8)                                                                \
	HOST_MD(name##_2, insn, u16)                                                               \
	HOST_MD(name##_4, insn, u32)                                                               \
	HOST_MD(name##_8, insn, u64)                                                               \
	static host_md *const name[4] = {name##_1, name##_2, name##_4, name##_8};
SIZED_MD(h_mul, "mul")
SIZED_MD(h_imul, "imul")
SIZED_MD(h_div, "div")
SIZED_MD(h_idiv, "idiv")

static void test_mul(void **state)
{
	int bad = 0;

	for (int sign = 0; sign < 2; sign++)
		for (int s = 0; s < 4; s++)
			for (int n = 0; n < ITER; n++) {
				unsigned sz = sizes[s];
				u64 a = value(sz), b = value(sz), fin = flags_in();
				u64 hlo, hhi, elo, ehi;
				struct cpu c;
				cpu_fresh(&c, fin);
				u64 hf = (sign ? h_imul : h_mul)[s](a, 0, b, fin, &hlo, &hhi);
				alu_mul(&c, sign, a, b, sz, &elo, &ehi);
				u64 ef = flags_get(&c);
				if ((elo != hlo || ehi != hhi || ef != hf) && bad < 10)
					bad += report(sign ? "imul" : "mul", sz, a, b, fin,
						      ehi << 32 | elo, hhi << 32 | hlo, ef, hf);
			}
	assert_int_equal(bad, 0);
}

/* #DE on the host arrives as SIGFPE: jump back out of the handler. */
static sigjmp_buf fpe_jmp;
static void on_fpe(int sig)
{
	siglongjmp(fpe_jmp, 1);
}

/* Divide on the host; false when it raised #DE. */
static bool host_divide(bool sign, int s, u64 lo, u64 hi, u64 d, u64 fin, u64 *q, u64 *r)
{
	if (sigsetjmp(fpe_jmp, 1) != 0)
		return false;
	(sign ? h_idiv : h_div)[s](lo, hi, d, fin, q, r);
	return true;
}

static void test_div(void **state)
{
	struct sigaction sa = {.sa_handler = on_fpe}, old;
	int bad = 0, faults = 0;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGFPE, &sa, &old);
	for (int sign = 0; sign < 2; sign++)
		for (int s = 0; s < 4; s++)
			for (int n = 0; n < ITER; n++) {
				unsigned sz = sizes[s];
				/* Small high halves so that most divisions do not overflow. */
				u64 lo = value(sz), hi = n & 1 ? value(sz) : rnd() % 3;
				u64 d = value(sz), fin = flags_in();
				u64 hq = 0, hr = 0, eq = 0, er = 0;
				if (sign && (n & 2))
					hi = (lo & (1ULL << (sz * 8 - 1))) ? mask_of(sz) : 0;
				bool hfault = !host_divide(sign, s, lo, hi, d, fin, &hq, &hr);
				bool ok = alu_div(sign, lo, hi, d, sz, &eq, &er);
				faults += hfault;
				if ((ok == hfault || (ok && (eq != hq || er != hr))) && bad < 10)
					bad +=
					    report(sign ? "idiv" : "div", sz, hi << 32 | lo, d, fin,
						   ok ? eq : ~0ULL, hfault ? ~0ULL : hq, er, hr);
			}
	sigaction(SIGFPE, &old, NULL);
	assert_int_equal(bad, 0);
	assert_true(faults > 0); /* the #DE cases were exercised */
}

/* ---- bit-manipulation helpers with no flags ------------------------------- */

static void test_pdep_pext_crc(void **state)
{
	int bad = 0;

	if (!__builtin_cpu_supports("bmi2"))
		skip();
	for (int n = 0; n < ITER * 4; n++) {
		u64 s = rnd(), m = n & 1 ? rnd() & rnd() : rnd(), hd, he;
		__asm__("pdep %[m], %[s], %[d]" : [d] "=r"(hd) : [s] "r"(s), [m] "r"(m));
		__asm__("pext %[m], %[s], %[d]" : [d] "=r"(he) : [s] "r"(s), [m] "r"(m));
		if (alu_pdep(s, m) != hd || alu_pext(s, m) != he)
			bad++;
		u64 crc = rnd() & 0xffffffff, h8 = crc, h64 = crc;
		__asm__("crc32b %b[v], %k[c]" : [c] "+r"(h8) : [v] "r"(s));
		__asm__("crc32q %[v], %[c]" : [c] "+r"(h64) : [v] "r"(s));
		if (alu_crc32c((u32)crc, s, 1) != h8 || alu_crc32c((u32)crc, s, 8) != h64)
			bad++;
	}
	assert_int_equal(bad, 0);
}

/* ---- lazy-flag bookkeeping ---------------------------------------------------- */

/* flags_write over a lazy record keeps the untouched flags' lazy values. */
static void test_flags_write(void **state)
{
	struct cpu c;
	cpu_fresh(&c, 0);
	alu_arith(&c, ALU_SUB, 0, 1, 4); /* CF SF AF PF set, ZF OF clear */
	flags_write(&c, FL_CF, 0);
	assert_int_equal(c.lf.op, LAZY_NONE);
	assert_int_equal(c.rflags & FL_ARITH, FL_SF | FL_AF | FL_PF);
	assert_false(cpu_cond(&c, 2)); /* B */
	assert_true(cpu_cond(&c, 8));  /* S */
	/* INC right after a materialized state keeps CF from rflags. */
	flags_write(&c, FL_CF, FL_CF);
	flags_lazy(&c, LAZY_INC, 1, 0, 0xff, 1);
	assert_true(flag_cf(&c));
	assert_true(flag_zf(&c));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_arith),	  cmocka_unit_test(test_unary),
	    cmocka_unit_test(test_shift),	  cmocka_unit_test(test_shxd),
	    cmocka_unit_test(test_mul),		  cmocka_unit_test(test_div),
	    cmocka_unit_test(test_pdep_pext_crc), cmocka_unit_test(test_flags_write),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
