/*
 * main.c - ptswitch: a 32-bit kernel that exercises shadow page tables the
 * way an OS does (SDM Vol 3 §4.3 32-bit paging, §4.8 A/D flags, §4.10.4
 * TLB invalidation; issue 8).  Two address spaces A and B share the kernel's
 * identity-mapped page table and each has its own page table for a window
 * at 0x40000000 and a self-map of its directory at 0xC0000000.  A seeded
 * random sequence of 3000 steps then:
 *
 *   - switches CR3 between A and B (the VMM's cached shadows);
 *   - rewrites PTEs of the INACTIVE space through a kernel pointer (no
 *     INVLPG needed: the CR3 load that brings it back flushes the TLB; the
 *     VMM must catch the write by tracing, or its cached shadow goes stale);
 *   - rewrites PTEs of the ACTIVE space through the self-map, then INVLPG;
 *   - moves the inactive space's window PDE between two page tables;
 *   - reads and writes the window (A/D bits, demand #PF for cleared PTEs);
 *
 * and folds everything it sees (data, A/D bits, #PF error codes and CR2)
 * into a checksum printed every 500 steps.  Only architecturally defined
 * behaviour is observed, so the output is the same on bare metal, QEMU
 * and under the VMM.  Interrupts stay off; no "hole" instruction is used.
 */
#include "samples/lib/exit.h"
#include "samples/lib/pm32.h"
#include "samples/lib/serial.h"

/* ---- tables -------------------------------------------------------------------- */

#define P      0x001
#define W      0x002
#define A      0x020
#define D      0x040
#define WIN    0x40000000u /* PDE 256: the window, NWIN pages */
#define NWIN   16
#define SELF   0x300u	    /* PDE 0x300: the directory maps itself */
#define SELFVA (SELF << 22) /* 0xC0000000: the page tables of the space */
#define NFRAME 8

static u32 pd[2][1024] __attribute__((aligned(4096)));
static u32 pt_low[1024] __attribute__((aligned(4096))); /* identity 0-4 MiB, shared */
static u32 pt_win[3][1024] __attribute__((aligned(4096)));
static u32 frame[NFRAME][1024] __attribute__((aligned(4096)));

static int cur;	      /* active space: 0 = A, 1 = B */
static int win_pt[2]; /* which pt_win each space's window PDE points to */
static u32 sum, faults, seed = 12345;

static u32 rnd(void)
{
	seed = seed * 1103515245u + 12345u;
	return seed >> 8;
}

static void fold(u32 v)
{
	sum = (sum ^ v) * 16777619u;
}

/* The active space's window PTE j, through the self-map. */
static inline u32 self_pte_va(u32 j)
{
	return SELFVA + (WIN >> 22) * 4096 + j * 4;
}

/* #PF: only window pages whose PTE a step cleared; map a frame and retry
 * (through the self-map: a write to a traced page inside the handler). */
static void ptswitch_pf(u32 err)
{
	u32 cr2, j;

	__asm__ volatile("mov %%cr2, %0" : "=r"(cr2));
	j = (cr2 - WIN) >> 12;
	if (cr2 < WIN || j >= NWIN) {
		serial_write("ptswitch: #PF outside the window at ");
		serial_puthex(cr2, 8);
		serial_tx('\n');
		guest_exit(3);
	}
	faults++;
	fold(err);
	fold(cr2);
	wr(self_pte_va(j), (u32)frame[j % NFRAME] | P | W);
}

/* Every exception comes here (samples/lib/isr32.S): #PF is expected, any
 * other vector is reported and ends the run. */
void pm32_trap(struct frame32 *f)
{
	if (f->vec == 14) {
		ptswitch_pf(f->err);
		return;
	}
	pm32_unexpected("ptswitch", f);
}

static void tables_init(void)
{
	pm32_gdt_load();
	for (int v = 0; v < 32; v++)
		pm32_set_gate(v, isr32_table[v], GATE_INTR32, 0);
	pm32_idt_load();

	for (u32 k = 0; k < 1024; k++)
		pt_low[k] = (k << 12) | P | W;
	for (int s = 0; s < 2; s++) {
		pd[s][0] = (u32)pt_low | P | W;
		pd[s][SELF] = (u32)pd[s] | P | W;
		pd[s][WIN >> 22] = (u32)pt_win[s] | P | W;
		win_pt[s] = s;
	}
	for (int t = 0; t < 3; t++)
		for (u32 j = 0; j < NWIN; j++)
			pt_win[t][j] = (u32)frame[(j + t) % NFRAME] | P | W;
	for (int f = 0; f < NFRAME; f++)
		frame[f][0] = 0x1000u * (u32)f;
}

/* ---- the steps -------------------------------------------------------------- */

static void step(void)
{
	u32 r = rnd(), j = (r >> 4) % NWIN, f = (r >> 9) % NFRAME;
	int other = !cur, t;

	switch (r % 8) {
	case 0: /* CR3 switch */
		cur = other;
		set_cr3((u32)pd[cur]);
		break;
	case 1: /* an inactive space's PTE, through a kernel pointer */
		pt_win[win_pt[other]][j] = (r & 0x10000) ? (u32)frame[f] | P | W : 0;
		break;
	case 2: /* the active space's PTE, through the self-map, then INVLPG */
		wr(self_pte_va(j), (u32)frame[f] | P | ((r & 0x20000) ? W : 0));
		invlpg(WIN + j * 4096);
		break;
	case 3: /* the inactive space's window PDE moves to another table */
		t = (win_pt[other] + 1 + (int)(r >> 20) % 2) % 3;
		if (t == win_pt[cur])
			t = win_pt[other];
		win_pt[other] = t;
		pd[other][WIN >> 22] = (u32)pt_win[t] | P | W;
		break;
	case 4:
	case 5: /* read the window, and what A/D say */
		fold(rd(WIN + j * 4096));
		fold(rd(self_pte_va(j)) & (P | W | A | D));
		break;
	default: /* write the window, if the PTE lets us */
		if (rd(self_pte_va(j)) & W || !(rd(self_pte_va(j)) & P)) {
			u32 v = rd(WIN + j * 4096 + 4) + r;

			wr(WIN + j * 4096 + 4, v);
			fold(v);
			fold(rd(self_pte_va(j)) & (P | W | A | D));
		}
		break;
	}
}

int sample_main(u32 magic __attribute__((unused)), u32 mbi_phys __attribute__((unused)))
{
	serial_write("ptswitch: two address spaces, self-mapped tables\n");
	tables_init();
	pm32_paging_on((u32)pd[0]); /* CR0.PG and CR0.WP */
	for (u32 n = 1; n <= 3000; n++) {
		step();
		if (n % 500 == 0) {
			serial_write("step ");
			serial_puthex(n, 8);
			serial_write(" sum ");
			serial_puthex(sum, 8);
			serial_write(" #PF ");
			serial_puthex(faults, 8);
			serial_tx('\n');
		}
	}
	/* Touch the whole window once more (reads, then a write to page 0
	 * and a read of its PTE) so the shadows are full when it stops. */
	for (u32 j = 0; j < NWIN; j++)
		if (rd(self_pte_va(j)) & P)
			fold(rd(WIN + j * 4096));
	if ((rd(self_pte_va(0)) & (P | W)) == (P | W))
		wr(WIN + 8, sum);
	fold(rd(self_pte_va(0)) & (P | W | A | D));
	serial_write("final sum ");
	serial_puthex(sum, 8);
	serial_tx('\n');
	/* The spaces really differ: each window PDE is its own. */
	serial_write(pd[0][WIN >> 22] != pd[1][WIN >> 22] ? "ptswitch: spaces distinct\n"
							  : "ptswitch: spaces SAME\n");
	serial_write("ptswitch: done\n");
	return 0; /* to the debug-exit port (entry32.S) */
}
