/*
 * mm.c - minios's memory: physical frames, 32-bit paging and a kernel heap.
 *
 * Physical layout:   0x00000-0x0FFFF  BIOS data, boot sector
 *                    0x10000-0x8FFFF  the kernel image, its BSS and stack
 *                    0x100000-0x1FFFFF  kmalloc's heap (first fit, coalescing)
 *                    0x200000-0x3FFFFF  page frames (a free-frame stack)
 * Paging (Intel SDM Vol. 3A §5.3 "32-bit paging", 4 KiB pages): one page
 * directory; its first table maps 0-4 MiB one-to-one, supervisor only,
 * except the pages of the ring-3 program (user.o), which get U/S = 1.
 * CR0.WP = 1 so the kernel also honours read-only pages.
 * Addresses DEMAND_BASE-DEMAND_END are "demand paged": the first touch
 * faults (#PF, not present) and the handler maps a fresh zeroed frame.
 */
#include "samples/minios/kernel.h"

#define HEAP_BASE   0x100000u
#define HEAP_END    0x200000u
#define FRAMES_BASE 0x200000u
#define FRAMES_END  0x400000u
#define NFRAMES	    ((FRAMES_END - FRAMES_BASE) / PAGE_SIZE)

static u32 page_dir[1024] __attribute__((aligned(4096)));
static u32 pt_low[1024] __attribute__((aligned(4096)));
static u32 free_frames[NFRAMES];
static u32 nfree;
u32 demand_faults;
extern char user_start[], user_end[]; /* kernel.ld */

/* ---- frames --------------------------------------------------------------- */
u32 frame_alloc(void)
{
	u32 f = irq_save(), pa = 0;
	if (nfree)
		pa = free_frames[--nfree];
	irq_restore(f);
	return pa;
}

void frame_free(u32 pa)
{
	if (pa < FRAMES_BASE || pa >= FRAMES_END || (pa & (PAGE_SIZE - 1)) || nfree >= NFRAMES)
		panic("frame_free: bad frame %08x", pa);
	u32 f = irq_save();
	free_frames[nfree++] = pa;
	irq_restore(f);
}

u32 frame_free_count(void)
{
	return nfree;
}

/* ---- page tables ------------------------------------------------------------ */
static void invlpg(u32 va)
{
	__asm__ volatile("invlpg (%0)" : : "r"(va) : "memory");
}

static u32 *pte_of(u32 va, int create)
{
	u32 *pde = &page_dir[va >> 22]; /* bits 31-22: directory index */
	if (!(*pde & PTE_P)) {
		if (!create)
			return 0;
		u32 pt = frame_alloc();
		if (!pt)
			return 0;
		memset((void *)pt, 0, PAGE_SIZE);  /* frames are identity-mapped */
		*pde = pt | PTE_P | PTE_W | PTE_U; /* the PTE decides U and W */
	}
	u32 *pt = (u32 *)(*pde & ~0xFFFu);
	return &pt[(va >> 12) & 0x3FF]; /* bits 21-12: table index */
}

int page_map(u32 va, u32 pa, u32 flags)
{
	u32 *pte = pte_of(va, 1);
	if (!pte)
		return -1;
	*pte = (pa & ~0xFFFu) | flags | PTE_P;
	invlpg(va);
	return 0;
}

void page_unmap(u32 va)
{
	u32 *pte = pte_of(va, 0);
	if (pte) {
		*pte = 0;
		invlpg(va);
	}
}

u32 page_lookup(u32 va)
{
	u32 *pte = pte_of(va, 0);
	return pte ? *pte : 0;
}

/* Called for every #PF before anything else looks at it. */
int mm_page_fault(struct trapframe *tf, u32 cr2)
{
	/* error code (SDM Vol. 3A §5.7): bit 0 P, bit 1 W/R, bit 2 U/S */
	if ((tf->error & 1) || (tf->error & 4) || cr2 < DEMAND_BASE || cr2 >= DEMAND_END)
		return 0;
	u32 pa = frame_alloc();
	if (!pa)
		return 0;
	memset((void *)pa, 0, PAGE_SIZE);
	if (page_map(cr2 & ~0xFFFu, pa, PTE_W)) {
		frame_free(pa);
		return 0;
	}
	demand_faults++;
	return 1;
}

/* ---- the heap: a singly linked free list sorted by address ----------------- */
struct block {
	u32 size; /* bytes including this header, a multiple of 16 */
	u32 magic;
	struct block *next;
	u32 pad;
};
#define MAGIC_FREE 0xF2EEB10Cu
#define MAGIC_USED 0xA110CA7Eu
static struct block *free_list;

void *kmalloc(size_t n)
{
	u32 need = (u32)((n + sizeof(struct block) + 15) & ~15u);
	u32 f = irq_save();
	for (struct block **pp = &free_list, *b; (b = *pp); pp = &b->next) {
		if (b->size < need)
			continue;
		if (b->size - need >= 64) { /* split: the tail stays free */
			struct block *rest = (struct block *)((u8 *)b + need);
			rest->size = b->size - need;
			rest->magic = MAGIC_FREE;
			rest->next = b->next;
			b->size = need;
			*pp = rest;
		} else
			*pp = b->next;
		b->magic = MAGIC_USED;
		b->next = 0;
		irq_restore(f);
		return b + 1;
	}
	irq_restore(f);
	return 0;
}

void kfree(void *p)
{
	if (!p)
		return;
	struct block *b = (struct block *)p - 1;
	if (b->magic != MAGIC_USED)
		panic("kfree: %p is not an allocated block", p);
	u32 f = irq_save();
	struct block **pp = &free_list;
	while (*pp && *pp < b)
		pp = &(*pp)->next;
	b->magic = MAGIC_FREE;
	b->next = *pp;
	*pp = b;
	/* merge with the next block, then the previous one with us */
	if (b->next && (u8 *)b + b->size == (u8 *)b->next) {
		b->size += b->next->size;
		b->next = b->next->next;
	}
	if (pp != &free_list) {
		struct block *prev = (struct block *)((u8 *)pp - offsetof(struct block, next));
		if ((u8 *)prev + prev->size == (u8 *)b) {
			prev->size += b->size;
			prev->next = b->next;
		}
	}
	irq_restore(f);
}

size_t kheap_free_bytes(void)
{
	size_t n = 0;
	for (struct block *b = free_list; b; b = b->next)
		n += b->size;
	return n;
}

void mm_init(void)
{
	/* frames, pushed so the lowest comes out first */
	for (u32 pa = FRAMES_END; pa > FRAMES_BASE; pa -= PAGE_SIZE)
		free_frames[nfree++] = pa - PAGE_SIZE;
	/* the heap: one free block */
	free_list = (struct block *)HEAP_BASE;
	free_list->size = HEAP_END - HEAP_BASE;
	free_list->magic = MAGIC_FREE;
	free_list->next = 0;
	/* 0-4 MiB one-to-one; page 0 left out so NULL dereferences fault */
	for (u32 i = 1; i < 1024; i++) {
		u32 pa = i * PAGE_SIZE, fl = PTE_P | PTE_W;
		if (pa >= (u32)user_start && pa < (u32)user_end)
			fl |= PTE_U;
		pt_low[i] = pa | fl;
	}
	page_dir[0] = (u32)pt_low | PTE_P | PTE_W | PTE_U;
	/* CR3 = the directory; CR0.PG (bit 31) and CR0.WP (bit 16) on */
	__asm__ volatile("movl %0, %%cr3\n\t"
			 "movl %%cr0, %%eax\n\t"
			 "orl $0x80010000, %%eax\n\t"
			 "movl %%eax, %%cr0\n\t"
			 "jmp 1f\n1:"
			 :
			 : "r"(page_dir)
			 : "eax", "memory");
}
