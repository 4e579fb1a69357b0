/*
 * kernel.h - what the parts of minios share: types, port I/O (Intel SDM
 * Vol. 2 IN/OUT), the trap frame pushed by entry.S, and each driver's
 * interface.  minios is a 32-bit protected-mode kernel with paging, booted
 * from a disk by boot.S through the PC BIOS.
 */
#ifndef MINIOS_KERNEL_H
#define MINIOS_KERNEL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;

/* ---- segment selectors (GDT layout in trap.c) ---------------------------- */
#define SEL_KCODE 0x08
#define SEL_KDATA 0x10
#define SEL_UCODE (0x18 | 3)
#define SEL_UDATA (0x20 | 3)
#define SEL_TSS	  0x28

/* ---- port I/O: IN/OUT as inline functions (samples/lib/io.h) ------------- */
#include "samples/lib/io.h"

static inline void cli(void)
{
	__asm__ volatile("cli" ::: "memory");
}
static inline void sti(void)
{
	__asm__ volatile("sti" ::: "memory");
}
static inline u32 irq_save(void)
{
	u32 f;
	__asm__ volatile("pushfl; popl %0; cli" : "=r"(f) : : "memory");
	return f;
}
static inline void irq_restore(u32 f)
{
	__asm__ volatile("pushl %0; popfl" : : "r"(f) : "memory", "cc");
}
/* Sleep until the next interrupt: STI's one-instruction shadow makes
 * "sti; hlt" atomic, so a wake-up between the check and HLT is not lost. */
static inline void wait_irq(void)
{
	__asm__ volatile("sti; hlt; cli" ::: "memory");
}

/* ---- the trap frame: what entry.S pushes, lowest address first ----------- */
struct trapframe {
	u32 edi, esi, ebp, esp_dummy, ebx, edx, ecx, eax; /* PUSHA */
	u32 ds, es;
	u32 vector, error;
	u32 eip, cs, eflags;   /* pushed by the CPU (SDM Vol. 3A §7.12.1) */
	u32 user_esp, user_ss; /* only when coming from ring 3 */
};

/* ---- lib.c ------------------------------------------------------------- */
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void panic(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
u32 crc32(const void *p, size_t n);
u64 udivmod64(u64 n, u64 d, u64 *rem);
void machine_exit(u8 v) __attribute__((noreturn));

/* ---- console.c: COM1 (16550, IRQ 4) + VGA text + the input queue ---------- */
void console_init(void);
void console_putc(char c);
void console_write(const char *s, size_t n);
void console_flush(void);
int console_getc(void); /* blocks; -1 never */
int console_trygetc(void);
void console_input(char c); /* from an interrupt handler */
void uart_irq(void);
void console_rearm(void); /* a fresh IRQ 4 edge for whatever is pending */
void vga_putc(char c);
u16 vga_crtc_port(void);
extern u32 uart_rx_irqs, uart_tx_irqs;

/* ---- trap.c: GDT, TSS, IDT, 8259 PIC -------------------------------------- */
typedef void (*irq_handler)(void);
void trap_init(void);
void irq_set_handler(int irq, irq_handler h);
void pic_unmask(int irq);
void tss_set_esp0(u32 esp0);
#define LAPIC_BASE 0xFEE00000u /* the MP specification's default address */
int lapic_virtual_wire(void);
void trap_init_ap(int cpu); /* an AP's own GDT + TSS, the shared IDT */
void irq_use_ioapic(void);  /* mask the 8259s, route IRQs through the I/O APIC */
void irq_use_pic(void);	    /* and back */
void irq_rearm(void);	    /* new edges for device requests already asserted */
extern int irq_via_ioapic;
#define V_PING 48 /* IPI vectors: "do this", and the answer */
#define V_PONG 49
extern u32 exc_count[32];
/* a kernel-mode exception at a "probe" jumps to fixup_eip (see probe_*) */
extern volatile u32 fixup_eip, fixup_vector, fixup_error, fixup_cr2;
extern u32 irq_count[16];

/* ---- apic.c: the MP tables (MP spec 1.4 ch. 4), local APIC, I/O APIC ------ */
#define MAX_CPUS	8
#define LAPIC_ID	0x020 /* local APIC registers, SDM Vol. 3A Table 12-1 */
#define LAPIC_TPR	0x080
#define LAPIC_EOI	0x0B0
#define LAPIC_SVR	0x0F0
#define LAPIC_ESR	0x280
#define LAPIC_ICR_LO	0x300
#define LAPIC_ICR_HI	0x310
#define LAPIC_LVT_TIMER 0x320
#define LAPIC_LVT_LINT0 0x350
#define LAPIC_LVT_LINT1 0x360
#define LAPIC_LVT_ERROR 0x370
#define LAPIC_MASKED	0x10000
struct mp_config {
	int found; /* floating pointer and a valid configuration table */
	int imcrp; /* FEATURE2 bit 7: the IMCR selects PIC mode */
	int ncpus; /* enabled processor entries */
	u8 cpu_apic_id[MAX_CPUS];
	u32 ioapic_addr; /* 0: no I/O APIC entry */
	u8 ioapic_id;
	int isa_pin[16];   /* I/O APIC pin of ISA IRQ n, -1 when not listed */
	u16 isa_flags[16]; /* the entry's polarity and trigger mode */
};
extern struct mp_config mp;
void mp_scan(void); /* with paging off: the pointer is found through the BDA */
u32 lapic_read(u32 reg);
void lapic_write(u32 reg, u32 v);
void lapic_eoi(void);
unsigned lapic_id(void);
void lapic_send_ipi(unsigned dest, u32 icr_lo);
int ioapic_init(void); /* 1: an I/O APIC is there and every pin is masked */
extern int ioapic_ready;
void ioapic_unmask_irq(int irq);
void ioapic_mask_all(void);

/* ---- smp.c: application processors, IPIs, the SMP self-test ------------------ */
extern int ncpus_online;
void smp_init(void);	  /* INIT-SIPI-SIPI every AP the MP table lists */
void smp_ipi(u32 vector); /* from trap_dispatch */
int smp_run(int verbose); /* the SMP work on all CPUs: failures */

/* ---- timer.c: 8254 PIT channel 0 on IRQ 0 --------------------------------- */
#define HZ 100
void timer_init(void);
extern volatile u32 ticks;
void timer_sleep(u32 n);

/* ---- mm.c: frames, paging, kmalloc ----------------------------------------- */
#define PAGE_SIZE   4096
#define DEMAND_BASE 0x00800000u /* touched pages get a frame on their #PF */
#define DEMAND_END  0x00C00000u
void mm_init(void);
u32 frame_alloc(void);
void frame_free(u32 pa);
u32 frame_free_count(void);
int page_map(u32 va, u32 pa, u32 flags);
void page_unmap(u32 va);
u32 page_lookup(u32 va); /* the PTE, 0 when unmapped */
int mm_page_fault(struct trapframe *tf, u32 cr2);
void *kmalloc(size_t n);
void kfree(void *p);
size_t kheap_free_bytes(void);
extern u32 demand_faults;
#define PTE_P	1u
#define PTE_W	2u
#define PTE_U	4u
#define PTE_PCD 0x10u /* cache disable: for device registers */

/* ---- ide.c: ATA PIO, primary channel, master ------------------------------ */
int ide_init(void);
int ide_read(u32 lba, unsigned count, void *buf);
int ide_write(u32 lba, unsigned count, const void *buf);
void ide_set_polling(int on);
extern u32 ide_sectors, ide_irqs;
extern char ide_model[41];

/* ---- kbd.c: i8042 keyboard, scancode set 1, IRQ 1 -------------------------- */
void kbd_init(void);
void kbd_inject(u8 scancode);
void kbd_rearm(void); /* take a byte left waiting: IRQ 1 drops, the next one rises */
extern u32 kbd_irqs;
extern char *kbd_capture;
extern volatile unsigned kbd_captured;
extern unsigned kbd_capture_max;

/* ---- user.c / syscall.c: ring 3 and int 0x80 ------------------------------- */
enum { SYS_WRITE = 1, SYS_EXIT = 2, SYS_TICKS = 3, SYS_GETPID = 4 };
int user_run(int which); /* the program's exit code, or -1 - vector if killed */
void syscall_dispatch(struct trapframe *tf);
void user_kill(struct trapframe *tf);
int user_active(void);
extern u32 syscall_count;

/* ---- shell.c, selftest.c ---------------------------------------------------- */
void shell_run(void);
int selftest_run(void); /* the number of failures */
int disk_test(int sectors);
extern int selftest_failures;
extern u32 boot_drive;
#define SCRIPT_LBA  260	 /* the boot-time script (minios.mk writes it) */
#define SCRATCH_LBA 2048 /* the disk tests write from here on */

#endif
