/*
 * seg32.c - samples/systest: protected-mode segmentation in the 32-bit
 * kernel: segment-register loads and every check of SDM Vol 2 "MOV"
 * (Sreg forms) and Vol 3 §5.5-5.7; limit checks on normal, expand-down and
 * byte-granular segments (§3.4.5.1, §5.3); LLDT and an LDT segment
 * (§3.5.1); ARPL, LAR, LSL, VERR, VERW on several descriptor types
 * (Vol 2 pages of each, Vol 3 §5.10).
 */
#include "samples/systest/sys32.h"

extern uint32_t probe_val;

/* LAR / LSL / VERR / VERW: ZF says whether the descriptor passed. */
static void probe_sel(uint32_t sel)
{
	uint32_t ar = 0, lim = 0;
	uint8_t zl, zs, zr, zw;

	__asm__ volatile("larl %2, %0; setz %1" : "+r"(ar), "=q"(zl) : "r"(sel));
	__asm__ volatile("lsll %2, %0; setz %1" : "+r"(lim), "=q"(zs) : "r"(sel));
	__asm__ volatile("verr %w1; setz %0" : "=q"(zr) : "r"(sel));
	__asm__ volatile("verw %w1; setz %0" : "=q"(zw) : "r"(sel));
	printf("  sel 0x%02x: lar %u 0x%08x lsl %u 0x%08x verr %u verw %u\n", sel, zl, zl ? ar : 0,
	       zs, zs ? lim : 0, zr, zw);
}

static void arpl(uint32_t dst, uint32_t src)
{
	uint8_t z;

	__asm__ volatile("arpl %w2, %w0; setz %1" : "+r"(dst), "=q"(z) : "r"(src));
	printf("  arpl: -> 0x%x zf=%u\n", dst & 0xffff, z);
}

void test_segments32(void)
{
	static const uint32_t sels[] = {
	    0,	     K_CS,    K_DS,    U_CS | 3, U_DS | 3,  TSS_SEL, CG3_SEL,	NP_SEL,
	    ED_SEL,  LIM_SEL, LDT_SEL, K1_CS,	 XO_CS,	    CF_CS,   CF_CS | 3, RO_DS,
	    CG0_SEL, EDS_SEL, ITG_SEL, K_DS | 3, GDT_BYTES, LDT_DS,  LDT_U,
	};

	printf("== segment loads at CPL 0\n");
	RUN0(p_ds_limit);
	RUN0(p_ds_np);
	RUN0(p_ss_np);
	RUN0(p_ss_rpl);
	RUN0(p_ss_null);
	RUN0(p_ss_dpl3);
	RUN0(p_ss_ro);
	RUN0(p_ss_code);
	RUN0(p_ds_xo);
	RUN0(p_ds_conf);
	RUN0(p_ds_rpl3);
	RUN0(p_ds_tss);
	RUN0(p_ds_gate);
	RUN0(p_ds_ldt); /* LDTR is null */
	RUN0(p_fs_null);
	RUN0(p_mov_cs);

	/* QEMU's TCG checks no segment limits, types or null selectors on
	 * data references in protected mode: those lines are masked. */
	printf("== limit checks\n");
	RUN0(p_lim_ok);
	QEMU_DIFFERS();
	RUN0(p_lim_over);
	QEMU_DIFFERS();
	RUN0(p_lim_byte);
	QEMU_DIFFERS();
	RUN0(p_ed_low);
	QEMU_DIFFERS();
	RUN0(p_ed_edge);
	RUN0(p_ed_ok);
	RUN0(p_ed_top);
	RUN0(p_eds_ok);
	QEMU_DIFFERS();
	RUN0(p_eds_high);
	QEMU_DIFFERS();
	RUN0(p_eds_64k);
	QEMU_DIFFERS();
	RUN0(p_ro_write);
	RUN0(p_ro_read);
	QEMU_DIFFERS();
	RUN0(p_null_read);

	printf("== LLDT and the LDT\n");
	RUN0(p_lldt_data);
	RUN0(p_lldt_gdt_only);
	__asm__ volatile("lldt %w0" : : "r"(LDT_SEL));
	if (!RUN0(p_ldt_read))
		printf("  LDT_DS:0 = 0x%x\n", probe_val);
	RUN0(p_ds_ldt);
	RUN0(p_ds_ldt_u);
	RUN0(p_ds_ldt_beyond);

	printf("== LAR LSL VERR VERW at CPL 0\n");
	for (unsigned k = 0; k < sizeof(sels) / sizeof(sels[0]); k++) {
		if (sels[k] == K_CS) /* QEMU: far JMP leaves the accessed bit clear */
			QEMU_DIFFERS();
		probe_sel(sels[k]);
	}
	printf("== ARPL\n");
	arpl(0x10, 0x1b);
	arpl(0x13, 0x19);
	arpl(0x12, 0x11);
}
