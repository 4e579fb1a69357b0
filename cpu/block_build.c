/*
 * block_build.c - decoding a basic block once (DESIGN.md §2 "Block cache";
 * the rules are in cpu/block.h).
 *
 * A block is a run of instructions decoded with the one ISA table
 * (cpu/isa.def) and stored with what running it needs: for each
 * instruction its threaded routine and its one-call handler, chosen once
 * here (cpu/exec_fast.c); after the last one a terminator, which either
 * returns to the run loop or chains into the next block (cpu/block_run.c).
 */
#include <string.h>

#include "cpu/block_int.h"
#include "cpu/cpuid.h"
#include "cpu/insn.h"
#include "lib/err.h"

/* Forms after which a block must end: anything that may branch, change the
 * mode, paging or interrupt state, touch a device, or repeat itself. */
static bool ends_block(const struct insn *i)
{
	const struct isa_form *f = &isa_forms[i->form];

	if (f->flags & (F_BRANCH | F_SERIAL))
		return true;
	if (f->pg != PG_INNOCUOUS) /* every sensitive form: CLI, IN/OUT, LMSW ... */
		return true;
	if ((f->flags & (F_REP | F_REPZ)) && i->rep)
		return true; /* may leave RIP at itself, one iteration at a time */
	return false;
}

/*
 * Decode the block at linear lin = physical pa (host points at its byte).
 * Decoding stops at a block-ending form, at the end of the page (an
 * instruction straddling into the next page is taken only when that page
 * is already in the TLB), at an undecodable instruction (cpu_step will
 * raise its #UD/#GP in order), or after BLOCK_MAX_INSNS.
 */
struct block *block_build(struct cpu *c, struct block_cache *bc, u64 lin, u64 pa, const u8 *host,
			  u32 key)
{
	struct binsn tmp[BLOCK_MAX_INSNS + 1];
	unsigned avail = 4096 - (lin & 0xfff), pos = 0, n = 0;
	u64 pa2 = ~0ULL;
	int last_form = -1;
	struct block *b;
	size_t size;

	while (n < BLOCK_MAX_INSNS && pos < avail) {
		struct insn *i = &tmp[n].i;
		unsigned left = avail - pos;
		int len = isa_decode(i, host + pos, left < 15 ? left : 15, c->code_size);
		bool straddle = false;

		if (len == DECODE_SHORT && left < 15) {
			/* Continues on the next page: only if that page's fetch
			 * translation is already cached (no walk, no fault here). */
			u8 buf[15];
			u8 *h2;
			u64 l2 = (lin & ~0xfffULL) + 4096, p2;

			if (c->mode != CPU_MODE_LONG64)
				l2 &= 0xffffffff;
			if (!cpu_fetch_probe(c, l2, &p2, &h2))
				break;
			memcpy(buf, host + pos, left);
			memcpy(buf + left, h2, 15 - left);
			len = isa_decode(i, buf, 15, c->code_size);
			pa2 = p2 & ~0xfffULL;
			straddle = true;
		}
		if (len < 0)
			break;
		last_form = i->form;
		/* A specialised handler for the hottest forms (exec_fast.c). */
		tmp[n].handler = exec_fast_handler(i, c->code_size);
		if (!tmp[n].handler)
			tmp[n].handler = isa_forms[i->form].handler;
		tmp[n].gated = isa_forms[i->form].feature != BASE;
		tmp[n].run = exec_fast_threaded(i, c->code_size, tmp[n].gated);
		tmp[n].mask = mask_of(c->code_size);
		tmp[n].self = false;
		n++;
		pos += len;
		if (straddle || ends_block(i))
			break;
	}
	if (!n)
		return NULL;

	size = sizeof(*b) + (n + 1) * sizeof(struct binsn);
	b = block_arena_alloc(bc, size);
	if (!b) {
		block_cache_flush(bc); /* full: start over */
		b = block_arena_alloc(bc, size);
		if (!b)
			panic("block cache: a %zu-byte block does not fit the arena", size);
	}
	memset(b, 0, sizeof(*b));
	b->pa = pa;
	b->pa2 = pos > avail ? pa2 : ~0ULL;
	b->key = key;
	b->n = (u16)n;
	b->bytes = (u16)pos;
	b->valid = true;
	b->simple = b->pa2 == ~0ULL && c->mode == CPU_MODE_LONG64;
	b->fast = b->simple;
	/* Sensitive and serializing forms (CLI/STI, POPF, MOV SS, port I/O,
	 * HLT, INT, SYSCALL, MOV CR ...) may change what the boundary checks
	 * of cpu_run() would find: after them, control goes back there. */
	b->chain_ok =
	    isa_forms[last_form].pg == PG_INNOCUOUS && !(isa_forms[last_form].flags & F_SERIAL);
	/* Self-loops and fused pairs (exec_fast.c). */
	exec_fast_block_end(tmp, n, pos, c->code_size, b->simple);
	/* The terminator: chain on (applying the RIP wrap the routines leave
	 * to it, exec_fast.h), or return to the run loop. */
	memset(&tmp[n], 0, sizeof(tmp[n]));
	tmp[n].run = b->chain_ok ? block_thr_chain : exec_thr_stop;
	tmp[n].mask = mask_of(c->code_size);
	for (unsigned k = 0; k <= n; k++) {
		tmp[k].blk = b;
		tmp[k].left = (u16)(n - k); /* the terminator: 0 */
	}
	memcpy(b->insn, tmp, (n + 1) * sizeof(struct binsn));
	if (!block_page_add(bc, pa >> 12, b) ||
	    (b->pa2 != ~0ULL && !block_page_add(bc, b->pa2 >> 12, b))) {
		block_cache_flush(bc);
		return NULL;
	}
	b->hnext = bc->hash[hash_of(pa, key)];
	bc->hash[hash_of(pa, key)] = b;
	bc->stats.built++;
	return b;
}
