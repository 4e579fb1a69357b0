/*
 * bios.h - constants shared by the files of vmlab's BIOS (samples/firmware).
 *
 * The BIOS is 16-bit real-mode code (GNU as, .code16) linked at offset 0 of
 * segment F000: the 64 KiB ROM appears at physical 0xF0000-0xFFFFF (and at
 * 0xFFFF0000-0xFFFFFFFF, where the CPU fetches its first instruction).  The
 * ROM is read-only, so everything the BIOS remembers lives in RAM:
 *
 *   0x00000-0x003FF  the interrupt vector table (IVT): 256 far pointers
 *   0x00400-0x004FF  the BIOS data area (BDA, segment 0x40), IBM PC/AT layout
 *   0x9FC00-0x9FFFF  the extended BIOS data area (EBDA, segment 0x9FC0): our
 *                    disk table and E820 map (see EBDA_* below)
 *
 * Sources for the layouts: the IBM PC/AT Technical Reference (BDA, INT
 * services), Ralf Brown's Interrupt List (register conventions), the
 * Phoenix "BIOS Enhanced Disk Drive Specification" 3.0 (INT 13h 41h-48h),
 * ACPI 6.x §15 (INT 15h E820), ATA/ATAPI-6 (the IDE registers).
 */
/* Included by assembly (.S) files: keep clang-format's C rules away. */
/* clang-format off */
#ifndef VMLAB_FIRMWARE_BIOS_H
#define VMLAB_FIRMWARE_BIOS_H

/* ---- the interrupt handler frame ------------------------------------------
 * Every service handler starts with BIOS_ENTER (push ds, es, then the eight
 * 32-bit general registers with PUSHAD) and leaves through bios_iret_ok /
 * bios_iret_err (post.S), which pop them back and IRET.  With BP = SP after
 * BIOS_ENTER, the caller's registers are at these offsets from SS:BP, so a
 * handler returns a value by writing the frame: movw %ax, F_EAX(%bp). */
#define F_EDI   0
#define F_ESI   4
#define F_EBP   8
#define F_EBX   16
#define F_EDX   20
#define F_ECX   24
#define F_EAX   28
#define F_ES    32
#define F_DS    34
#define F_IP    36
#define F_CS    38
#define F_FLAGS 40
#define F_AL    (F_EAX)
#define F_AH    (F_EAX + 1)
#define F_BL    (F_EBX)
#define F_BH    (F_EBX + 1)
#define F_CL    (F_ECX)
#define F_CH    (F_ECX + 1)
#define F_DL    (F_EDX)
#define F_DH    (F_EDX + 1)

/* ---- the BIOS data area (segment 0x40) ------------------------------------ */
#define BDA_SEG        0x40
#define BDA_COM1       0x00 /* I/O base of COM1..COM4 (words) */
#define BDA_EBDA_SEG   0x0E /* segment of the EBDA */
#define BDA_EQUIPMENT  0x10 /* INT 11h word */
#define BDA_MEM_KB     0x13 /* INT 12h: conventional memory in KiB */
#define BDA_KB_FLAGS   0x17 /* keyboard shift flags */
#define BDA_KB_HEAD    0x1A /* keyboard ring buffer: head offset (in seg 0x40) */
#define BDA_KB_TAIL    0x1C /*   tail offset */
#define BDA_KB_BUF     0x1E /*   16 words 0x1E-0x3D */
#define BDA_KB_BUF_END 0x3E
#define BDA_VMODE      0x49 /* current video mode (3 = 80x25 colour text) */
#define BDA_VCOLS      0x4A /* columns on screen (word) */
#define BDA_VPAGE_SIZE 0x4C /* bytes per page (word) */
#define BDA_CURSOR     0x50 /* cursor of page 0: column (byte), row (byte) */
#define BDA_CURSOR_SHAPE 0x60 /* end line, start line */
#define BDA_VPAGE      0x62 /* active page */
#define BDA_CRTC_BASE  0x63 /* 0x3D4 for colour adapters (word) */
#define BDA_TICKS      0x6C /* INT 08h tick counter (dword) */
#define BDA_MIDNIGHT   0x70 /* set when the counter passed midnight */
#define BDA_DISK_STATUS 0x74 /* status of the last INT 13h hard-disk call */
#define BDA_NUM_DISKS  0x75 /* number of hard disks */
#define BDA_VROWS      0x84 /* rows on screen - 1 */

/* ---- the extended BIOS data area (segment 0x9FC0, 1 KiB) ------------------- */
#define EBDA_SEG       0x9FC0
#define EBDA_KB        1    /* its size in KiB: conventional memory is 639 KiB */
#define EBDA_SIZE_KB   0x00 /* byte: size in KiB (the PC convention) */
#define EBDA_RAM_TOP   0x04 /* dword: end of the RAM that starts at 1 MiB (< 4 GiB) */
#define EBDA_RAM_HIGH  0x08 /* dword: RAM above 4 GiB in 64 KiB units */
#define EBDA_E820_N    0x0C /* word: number of E820 entries */
/* The disk transfer in progress (disk.S), too many values for registers. */
#define OP_LBA         0x10 /* qword: next sector */
#define OP_LEFT        0x18 /* word: sectors still to transfer */
#define OP_DONE        0x1A /* word: sectors transferred */
#define OP_WRITE       0x1C /* byte: 1 write, 0 read */
#define OP_N           0x1D /* byte: sectors in the current ATA command */
/* Per hard disk (0x80, 0x81): a 32-byte record at EBDA_DISK + 32 * n. */
#define EBDA_DISK      0x20
#define DISK_PRESENT   0x00 /* byte: 1 when IDENTIFY answered */
#define DISK_SEL       0x01 /* byte: ATA device register (0xE0 master, 0xF0 slave) */
#define DISK_CYLS      0x02 /* word: CHS cylinders (at most 1024) */
#define DISK_HEADS     0x04 /* word: CHS heads */
#define DISK_SPT       0x06 /* word: CHS sectors per track */
#define DISK_SECTORS   0x08 /* qword: total sectors (LBA48 when supported) */
#define DISK_LBA48     0x10 /* byte: 1 when the drive supports LBA48 */
#define DISK_REC_SIZE  0x20
#define EBDA_E820      0x60 /* E820 entries, 20 bytes each (at most 12) */
#define E820_ENTRY     20
#define E820_MAX       12
#define EBDA_SECTOR    0x200 /* a 512-byte scratch buffer (IDENTIFY data) */

/* ---- memory map policy (the same as hypervisor/multiboot.c) --------------- */
#define LOW_RAM_AVAIL  0x9FC00  /* conventional RAM below the EBDA */
#define FW_RESERVED    0x20000  /* top 128 KiB below the PCI hole: firmware tables */

/* ---- devices ---------------------------------------------------------------- */
#define PIC1_CMD  0x20
#define PIC1_DATA 0x21
#define PIC2_CMD  0xA0
#define PIC2_DATA 0xA1
#define PIC_EOI   0x20
#define PIT_CH0   0x40
#define PIT_MODE  0x43
#define KBC_DATA  0x60
#define KBC_STAT  0x64
#define CMOS_ADDR 0x70
#define CMOS_DATA 0x71
#define PORT_A20  0x92
#define COM1      0x3F8
#define CRTC_ADDR 0x3D4
#define CRTC_DATA 0x3D5
#define DEBUG_EXIT 0xF4

/* ATA primary channel (ATA/ATAPI-6 §7). */
#define ATA_DATA    0x1F0
#define ATA_ERROR   0x1F1
#define ATA_COUNT   0x1F2
#define ATA_LBA0    0x1F3
#define ATA_LBA1    0x1F4
#define ATA_LBA2    0x1F5
#define ATA_DEVICE  0x1F6
#define ATA_STATUS  0x1F7 /* read: status; write: command */
#define ATA_CONTROL 0x3F6 /* write: device control (bit 1 nIEN, bit 2 SRST) */
#define ATA_SR_ERR  0x01
#define ATA_SR_DRQ  0x08
#define ATA_SR_DF   0x20
#define ATA_SR_DRDY 0x40
#define ATA_SR_BSY  0x80
#define ATA_CMD_READ      0x20
#define ATA_CMD_READ_EXT  0x24
#define ATA_CMD_WRITE     0x30
#define ATA_CMD_WRITE_EXT 0x34
#define ATA_CMD_FLUSH     0xE7
#define ATA_CMD_IDENTIFY  0xEC

/* INT 13h status codes (AH on return). */
#define DISK_OK          0x00
#define DISK_BAD_CMD     0x01
#define DISK_NOT_FOUND   0x04 /* sector not found / out of range */
#define DISK_TIMEOUT     0x80
#define DISK_CTRL_FAIL   0x20

/* Save the caller's registers and point BP at the frame (see F_* above). */
#define BIOS_ENTER   \
	pushw %ds;   \
	pushw %es;   \
	pushal;      \
	movw %sp, %bp

#endif
