/*
 * test_decode.c - hand-picked encodings for the decoder (cpu/decode.c), each
 * with the length and form the Intel SDM Vol 2 gives it: prefix rules,
 * mode-dependent opcodes, ModRM/SIB/displacement forms, immediates, LOCK and
 * the 15-byte limit.  The bulk check against capstone is tests/decodecheck.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cpu/cpu.h"
#include "cpu/isa.h"

struct tc {
	unsigned mode;	 /* code size 2, 4, 8 */
	const char *hex; /* instruction bytes */
	int len;	 /* expected length or DECODE_* */
	int form;	 /* expected form (when len > 0) */
};

static const struct tc cases[] = {
    /* Basic ALU forms and sizes. */
    {8, "4801d8", 3, FORM_ADD_EvGv},	     /* add rax, rbx */
    {4, "6601d8", 3, FORM_ADD_EvGv},	     /* add ax, bx */
    {8, "4881c078563412", 7, FORM_ADD_EvIz}, /* add rax, imm32 (sign-extended) */
    {8, "83c0ff", 3, FORM_ADD_EvIb},
    {4, "8200ff", 3, FORM_ALU82_EbIb}, /* 82: valid outside 64-bit mode ... */
    {8, "8200ff", DECODE_UD, 0},       /* ... #UD in 64-bit mode */
    /* Mode-dependent one-byte opcodes. */
    {4, "40", 1, FORM_INC_Zv},	  /* INC eAX in 32-bit code */
    {8, "4040", DECODE_SHORT, 0}, /* REX prefixes, opcode missing */
    {4, "63c0", 2, FORM_ARPL_EwGw},
    {8, "4863c0", 3, FORM_MOVSXD_GvEd},
    {4, "c400", 2, FORM_LES_GzMp},	    /* LES: mod != 11 */
    {4, "c4e278f2c0", 5, FORM_ANDN_GyByEy}, /* VEX in 32-bit: mod == 11 */
    {8, "c4e2f8f2c0", 5, FORM_ANDN_GyByEy},
    {8, "c4e27cf2c0", DECODE_UD, 0},	     /* VEX.L = 1: #UD for BMI */
    {8, "c4e370f0c005", DECODE_UD, 0},	     /* RORX with vvvv != 1111b */
    {4, "9a785634120800", 7, FORM_CALLF_Ap}, /* ptr16:32 */
    {8, "9a785634120800", DECODE_UD, 0},
    /* Immediates. */
    {8, "48b88877665544332211", 10, FORM_MOV_ZvIv}, /* mov rax, imm64 */
    {8, "b844332211", 5, FORM_MOV_ZvIv},
    {4, "66b83412", 4, FORM_MOV_ZvIv},
    {4, "c8100001", 4, FORM_ENTER_IwIb},
    {8, "a08877665544332211", 9, FORM_MOV_ALOb}, /* moffs64 */
    {8, "67a044332211", 6, FORM_MOV_ALOb},	 /* 67: moffs32 */
    {2, "a03412", 3, FORM_MOV_ALOb},
    {8, "66e90000", DECODE_SHORT, 0}, /* Intel: 66 ignored, rel32 follows */
    {8, "66e900000000", 6, FORM_JMP_Jz},
    {2, "e93412", 3, FORM_JMP_Jz},
    {4, "f6c001", 3, FORM_TEST_EbIb},
    {4, "f6c801", 3, FORM_TEST_EbIb}, /* F6 /1 alias of TEST */
    {4, "f6d0", 2, FORM_NOT_Eb},
    /* ModRM / SIB / displacement. */
    {8, "8b0424", 3, FORM_MOV_GvEv},	     /* [rsp] needs a SIB */
    {8, "8b4500", 3, FORM_MOV_GvEv},	     /* [rbp+0] */
    {8, "8b0500000000", 6, FORM_MOV_GvEv},   /* [rip+disp32] */
    {8, "8b0425000000", DECODE_SHORT, 0},    /* disp32 truncated */
    {8, "8b042500000000", 7, FORM_MOV_GvEv}, /* [disp32] via SIB, no base */
    {2, "8b4600", 3, FORM_MOV_GvEv},	     /* [bp+0] */
    {2, "8b060000", 4, FORM_MOV_GvEv},	     /* [disp16] */
    {2, "678b0424", 4, FORM_MOV_GvEv},	     /* 32-bit addressing in 16-bit code */
    {4, "0f20c0", 3, FORM_MOV_RdCd},
    {4, "0f2000", 3, FORM_MOV_RdCd}, /* mod ignored: still a register */
    /* Prefixes. */
    {8, "f390", 2, FORM_PAUSE},
    {8, "4190", 2, FORM_XCHG_ZvrAX}, /* xchg r8, rax */
    {8, "90", 1, FORM_NOP},
    {8, "f30f1efa", 4, FORM_ENDBR64},
    {8, "0f1f440000", 5, FORM_NOP_Ev},
    {8, "f30fbcc0", 4, FORM_TZCNT_GvEv},
    {8, "66f30fbcc0", 5, FORM_TZCNT_GvEv}, /* F3 wins over 66 */
    {8, "f3660fbcc0", 5, FORM_TZCNT_GvEv}, /* in any order */
    {8, "0fbcc0", 3, FORM_BSF_GvEv},
    {8, "480fc708", 4, FORM_CMPXCHG16B_Mdq},
    {8, "0fc708", 3, FORM_CMPXCHG8B_Mq},
    {8, "f0480fc708", 5, FORM_CMPXCHG16B_Mdq},
    {8, "f00000", 3, FORM_ADD_EbGb},   /* lock add [rax], al */
    {8, "f000c0", DECODE_UD, 0},       /* LOCK with register destination */
    {8, "f08b00", DECODE_UD, 0},       /* LOCK on MOV */
    {8, "f03800", DECODE_UD, 0},       /* LOCK on CMP */
    {8, "48660f01f8", 5, FORM_SWAPGS}, /* REX then 66: REX ignored */
    {4, "0f01f8", DECODE_UD, 0},       /* SWAPGS is 64-bit only */
    {8, "0f01f9", 3, FORM_RDTSCP_F9},
    {8, "f30f01d1", DECODE_UD, 0}, /* XSETBV is NP */
    {8, "8ec8", DECODE_UD, 0},	   /* MOV CS, ax */
    {8, "8cf0", DECODE_UD, 0},	   /* Sreg 6 */
    {8, "26", DECODE_SHORT, 0},
    {8, "2626262626262626262626262626", DECODE_SHORT, 0},
    {8, "262626262626262626262626262626", DECODE_TOO_LONG, 0},
    {4, "26262626262626262626262626660590", DECODE_TOO_LONG, 0}, /* 16 bytes */
    {4, "2626262626262626262666050000", 14, FORM_ADD_rAXIz},	 /* 66: imm16 */
    {4, "26262626262626262626050000", DECODE_SHORT, 0},		 /* imm32 cut */
    {4, "262626262626262626262666059090", 15, FORM_ADD_rAXIz},
    {4, "d9c0", 2, FORM_ESC_D9}, /* x87: length only */
    {4, "dd8000000000", 6, FORM_ESC_DD},
    {8, "0f0b", 2, FORM_UD2},
    {8, "0fb9c0", 3, FORM_UD1_GvEv},
    {8, "0f0f", DECODE_UD, 0},	 /* 3DNow!: not ours */
    {8, "0f10c0", DECODE_UD, 0}, /* SSE: not ours */
};

static void hex(const char *s, u8 *b, unsigned *n)
{
	*n = 0;
	for (; s[0] && s[1]; s += 2) {
		unsigned v;
		sscanf(s, "%2x", &v);
		b[(*n)++] = v;
	}
}

static void test_cases(void **state)
{
	for (size_t k = 0; k < ARRAY_SIZE(cases); k++) {
		u8 b[32];
		unsigned n;
		struct insn in;
		hex(cases[k].hex, b, &n);
		int r = isa_decode(&in, b, n, cases[k].mode);
		if (r != cases[k].len || (r > 0 && in.form != cases[k].form))
			fail_msg("mode %u %s: got %d %s, want %d %s", cases[k].mode * 8,
				 cases[k].hex, r, r > 0 ? isa_forms[in.form].name : "",
				 cases[k].len,
				 cases[k].len > 0 ? isa_forms[cases[k].form].name : "");
	}
}

/* Field-level checks on a few decodes. */
static void test_fields(void **state)
{
	struct insn in;
	u8 b[16];
	unsigned n;

	/* mov r9, [r12 + r13*4 - 8] with fs override */
	hex("644f8b4cacf8", b, &n);
	assert_int_equal(isa_decode(&in, b, n, 8), 6);
	assert_int_equal(in.reg, R9);
	assert_int_equal(in.base, R12);
	assert_int_equal(in.index, R13);
	assert_int_equal(in.scale, 4);
	assert_int_equal(in.disp, -8);
	assert_int_equal(in.seg, SEG_FS);
	assert_int_equal(in.osize, 8);

	/* [rbp+8] defaults to SS; [r13+8] does not (only rBP/rSP do) */
	hex("8b4508", b, &n);
	assert_int_equal(isa_decode(&in, b, n, 4), 3);
	assert_int_equal(in.seg, SEG_SS);
	hex("418b4508", b, &n);
	assert_int_equal(isa_decode(&in, b, n, 8), 4);
	assert_int_equal(in.seg, SEG_DS);

	/* 64-bit mode ignores a DS/ES/CS/SS override */
	hex("268b00", b, &n);
	assert_int_equal(isa_decode(&in, b, n, 8), 3);
	assert_int_equal(in.seg_override, SEG_NONE);

	/* push with 66 in 64-bit: 16-bit; without: 64-bit (d64) */
	hex("6650", b, &n);
	assert_int_equal(isa_decode(&in, b, n, 8), 2);
	assert_int_equal(in.osize, 2);
	hex("50", b, &n);
	assert_int_equal(isa_decode(&in, b, n, 8), 1);
	assert_int_equal(in.osize, 8);

	/* ENTER's two immediates, far pointer's selector */
	hex("c8341202", b, &n);
	assert_int_equal(isa_decode(&in, b, n, 4), 4);
	assert_int_equal(in.imm & 0xffff, 0x1234);
	assert_int_equal(in.imm2, 2);
	hex("ea785634120800", b, &n);
	assert_int_equal(isa_decode(&in, b, n, 4), 7);
	assert_int_equal(in.imm, 0x12345678);
	assert_int_equal(in.imm2, 8);

	/* imm8 sign-extended, rip-relative */
	hex("4883c0ff", b, &n);
	assert_int_equal(isa_decode(&in, b, n, 8), 4);
	assert_true(in.imm == ~0ULL);
	hex("8b05f0ffffff", b, &n);
	assert_int_equal(isa_decode(&in, b, n, 8), 6);
	assert_true(in.rip_rel);
	assert_int_equal(in.disp, -16);

	/* VEX: andn r8, r9, rax -> vvvv names r9 */
	hex("c442b0f2c0", b, &n);
	assert_int_equal(isa_decode(&in, b, n, 8), 5);
	assert_int_equal(in.form, FORM_ANDN_GyByEy);
	assert_int_equal(in.vex_vvvv, R9);
	assert_int_equal(in.reg, R8);
	assert_int_equal(in.rm, R8);
	assert_int_equal(in.osize, 8);

	/* Mnemonic spelling by size */
	char m[ISA_MNEM_MAX];
	hex("4898", b, &n);
	isa_decode(&in, b, n, 8);
	assert_string_equal(isa_mnemonic(&in, m), "cdqe");
	hex("66a5", b, &n);
	isa_decode(&in, b, n, 4);
	assert_string_equal(isa_mnemonic(&in, m), "movsw");
}

/* The decoder never reads past avail, whatever the bytes. */
static void test_bounds(void **state)
{
	u8 b[15];
	struct insn in;
	u64 s = 88172645463325252ULL;
	for (int t = 0; t < 200000; t++) {
		unsigned avail = t % 16;
		for (unsigned k = 0; k < sizeof b; k++) {
			s ^= s << 13, s ^= s >> 7, s ^= s << 17;
			b[k] = s;
		}
		int r = isa_decode(&in, b, avail, (unsigned[]){2, 4, 8}[t % 3]);
		assert_true(r <= (int)avail);
		assert_true(r > 0 || r == DECODE_UD || r == DECODE_SHORT || r == DECODE_TOO_LONG);
		if (r > 0)
			assert_int_equal(in.len, r);
	}
}

/* Every row's table entries are consistent. */
static void test_table(void **state)
{
	int sensitive_holes = 0;
	for (int f = 0; f < FORM_COUNT; f++) {
		const struct isa_form *r = &isa_forms[f];
		assert_non_null(r->handler);
		assert_true(r->pg < PG_CLASS_COUNT);
		assert_true(r->nopnd <= OPND_MAX);
		if (r->pg == PG_CTL || r->pg == PG_BEH)
			sensitive_holes++;
	}
	/* Robin & Irvine's 17 instructions span more than 17 forms. */
	assert_true(sensitive_holes >= 17);
	assert_int_equal(isa_forms[FORM_SGDT_Ms].pg, PG_BEH);
	assert_int_equal(isa_forms[FORM_POPF_Fv].pg, PG_CTL);
	assert_int_equal(isa_forms[FORM_CLI].pg, PG_PRIV_IOPL);
	assert_int_equal(isa_forms[FORM_LGDT_Ms].pg, PG_PRIV);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_cases),
	    cmocka_unit_test(test_fields),
	    cmocka_unit_test(test_bounds),
	    cmocka_unit_test(test_table),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
