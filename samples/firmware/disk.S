/*
 * disk.S - vmlab's BIOS, INT 13h fixed-disk services on the primary ATA
 * channel (ports 0x1F0-0x1F7, 0x3F6), by programmed I/O with polling.
 *
 * Drive 0x80 is the master, 0x81 the slave.  POST (disk_detect) sends each
 * an IDENTIFY DEVICE (ATA/ATAPI-6 §8.15) and keeps, in the EBDA, the CHS
 * geometry the drive reports (words 1, 3, 6), its size (words 60-61, or
 * 100-103 with LBA48, word 83 bit 10) - see DISK_* in bios.h.  Interrupts
 * stay off at the drive (nIEN in the device control register): the BIOS
 * polls the status register, as PC BIOSes do in PIO mode.
 *
 *   AH=00h reset            AH=01h status of the last call
 *   AH=02h read  (CHS)      AH=03h write (CHS)       AH=04h verify (CHS)
 *   AH=08h drive parameters AH=0Ch seek, 0Dh reset, 10h ready, 11h recalibrate
 *   AH=15h disk type
 *   AH=41h extensions present (EDD 3.0)   AH=42h read (LBA)  AH=43h write (LBA)
 *   AH=44h verify (LBA)     AH=47h seek (LBA)        AH=48h drive parameters
 *
 * CHS (cylinder c, head h, sector s, counted from 1) maps to the linear
 * address LBA = (c * heads + h) * sectors_per_track + s - 1, the formula of
 * every PC BIOS; CL bits 7-6 are cylinder bits 9-8.  A request outside the
 * disk returns AH = 04h ("sector not found") and moves nothing.
 */
#include "samples/firmware/bios.h"

	.code16
	.text

/* ---- ATA primitives ------------------------------------------------------ */

/* Wait until BSY clears: AL = status, CF set after ~1M polls (a dead drive
 * must not hang the BIOS). */
ata_wait_idle:
	pushl %ecx
	pushw %dx
	movl $0x100000, %ecx
	movw $ATA_STATUS, %dx
1:	inb %dx, %al
	testb $ATA_SR_BSY, %al
	jz 2f
	decl %ecx
	jnz 1b
	stc
	jmp 3f
2:	clc
3:	popw %dx
	popl %ecx
	ret

/* Wait for the drive to offer (or ask for) a sector: BSY clear and DRQ set.
 * CF set on timeout, on ERR/DF, or when BSY cleared without DRQ. */
ata_wait_drq:
	call ata_wait_idle
	jc 1f
	testb $(ATA_SR_ERR | ATA_SR_DF), %al
	jnz 2f
	testb $ATA_SR_DRQ, %al
	jnz 1f /* TEST cleared CF: success */
2:	stc
1:	ret

/* The 400 ns the drive needs after a device select: four reads of the
 * alternate status register (ATA/ATAPI-6 §9.6). */
ata_delay:
	pushw %ax
	pushw %dx
	movw $ATA_CONTROL, %dx
	inb %dx, %al
	inb %dx, %al
	inb %dx, %al
	inb %dx, %al
	popw %dx
	popw %ax
	ret

/* ---- POST: find the drives ------------------------------------------------ */

	.globl disk_detect
disk_detect:
	pushw %es
	pushw %fs
	movw $EBDA_SEG, %ax
	movw %ax, %es
	movw %ax, %fs
	movw $ATA_CONTROL, %dx /* nIEN: no IRQ 14, we poll */
	movb $0x02, %al
	outb %al, %dx
	movw $EBDA_DISK, %bx
	movb $0xE0, %cl /* device register: LBA mode, master */
	xorb %ch, %ch   /* drives found */
1:	movb %cl, %fs:DISK_SEL(%bx)
	call disk_identify
	addb %fs:DISK_PRESENT(%bx), %ch
	addw $DISK_REC_SIZE, %bx
	addb $0x10, %cl /* 0xF0: the slave; then 0x00: done */
	jnz 1b
	pushw %ds
	movw $BDA_SEG, %ax
	movw %ax, %ds
	movb %ch, BDA_NUM_DISKS
	popw %ds
	popw %fs
	popw %es
	ret

/* IDENTIFY the drive selected by CL into the record at FS:BX (ES = FS). */
disk_identify:
	pushw %cx
	movw $ATA_DEVICE, %dx
	movb %cl, %al
	outb %al, %dx
	call ata_delay
	movw $ATA_STATUS, %dx
	inb %dx, %al
	cmpb $0xFF, %al /* floating bus: no controller */
	je 9f
	movb $ATA_CMD_IDENTIFY, %al
	outb %al, %dx
	call ata_delay
	inb %dx, %al
	testb %al, %al  /* status 0: no device */
	jz 9f
	call ata_wait_drq
	jc 9f           /* ERR: not an ATA disk (ATAPI aborts IDENTIFY) */
	movw $EBDA_SECTOR, %di
	movw $256, %cx
	movw $ATA_DATA, %dx
	rep insw
	/* CHS geometry: words 1 (cylinders), 3 (heads), 6 (sectors/track) */
	movw %es:EBDA_SECTOR + 2, %ax
	movw %es:EBDA_SECTOR + 6, %cx
	movw %es:EBDA_SECTOR + 12, %dx
	testw %cx, %cx
	jz 1f
	testw %dx, %dx
	jnz 2f
1:	movw $16, %cx   /* no geometry reported: the usual 16 x 63 */
	movw $63, %dx
	movw $1024, %ax
2:	cmpw $1024, %ax /* INT 13h CHS addresses at most 1024 cylinders */
	jbe 3f
	movw $1024, %ax
3:	testw %ax, %ax
	jnz 4f
	incw %ax
4:	movw %ax, %fs:DISK_CYLS(%bx)
	movw %cx, %fs:DISK_HEADS(%bx)
	movw %dx, %fs:DISK_SPT(%bx)
	/* size: words 60-61 (LBA28), or 100-103 when word 83 bit 10 says LBA48 */
	movl %es:EBDA_SECTOR + 120, %eax
	xorl %edx, %edx
	movb $0, %fs:DISK_LBA48(%bx)
	testw $0x0400, %es:EBDA_SECTOR + 166
	jz 5f
	movb $1, %fs:DISK_LBA48(%bx)
	movl %es:EBDA_SECTOR + 200, %eax
	movl %es:EBDA_SECTOR + 204, %edx
5:	movl %eax, %fs:DISK_SECTORS(%bx)
	movl %edx, %fs:DISK_SECTORS + 4(%bx)
	movb $1, %fs:DISK_PRESENT(%bx)
9:	popw %cx
	ret

/* ---- the transfer engine -------------------------------------------------- */

/*
 * Move CX sectors between the disk of record FS:BX, starting at sector
 * EDX:EAX, and the buffer ES:DI (OP_WRITE says which way).  Returns AH =
 * INT 13h status, CF on error, and the sectors moved in OP_DONE.  The buffer
 * address is renormalised after every sector, so a transfer may cross
 * 64 KiB boundaries.  Clobbers EAX, ECX, EDX, SI, DI, ES, DS.
 */
disk_transfer:
	movl %eax, %fs:OP_LBA
	movl %edx, %fs:OP_LBA + 4
	movw %cx, %fs:OP_LEFT
	movw $0, %fs:OP_DONE
	/* the whole request must lie inside the disk: LBA + count <= size */
	movzwl %cx, %ecx
	addl %ecx, %eax
	adcl $0, %edx
	cmpl %fs:DISK_SECTORS + 4(%bx), %edx
	ja t_not_found
	jb 1f
	cmpl %fs:DISK_SECTORS(%bx), %eax
	ja t_not_found
1:
t_chunk:
	cmpw $0, %fs:OP_LEFT
	je t_ok
	/* at most 128 sectors per ATA command */
	movzwl %fs:OP_LEFT, %ecx
	cmpw $128, %cx
	jbe 1f
	movw $128, %cx
1:	movb %cl, %fs:OP_N
	call ata_wait_idle
	jc t_timeout
	movl %fs:OP_LBA, %eax
	movl %fs:OP_LBA + 4, %edx
	/* LBA28 reaches sector 0x0FFFFFFF; beyond it we need LBA48 */
	testl %edx, %edx
	jnz t_lba48
	movl %eax, %esi
	addl %ecx, %esi
	cmpl $0x0FFFFFFF, %esi
	ja t_lba48
	/* LBA28 (ATA/ATAPI-6 §8.27): device = sel | LBA bits 27-24 */
	pushl %eax
	shrl $24, %eax
	andb $0x0F, %al
	orb %fs:DISK_SEL(%bx), %al
	movw $ATA_DEVICE, %dx
	outb %al, %dx
	call ata_delay
	popl %eax
	movw $ATA_COUNT, %dx
	pushw %ax
	movb %cl, %al
	outb %al, %dx
	popw %ax
	incw %dx        /* LBA 7-0, 15-8, 23-16 */
	outb %al, %dx
	incw %dx
	movb %ah, %al
	outb %al, %dx
	incw %dx
	shrl $16, %eax
	outb %al, %dx
	movb $ATA_CMD_READ, %al
	cmpb $0, %fs:OP_WRITE
	je 2f
	movb $ATA_CMD_WRITE, %al
	jmp 2f
t_lba48:
	/* LBA48 (§8.28): the "previous" (high) bytes go first into each
	 * register, then the current (low) ones. */
	cmpb $0, %fs:DISK_LBA48(%bx)
	je t_not_found
	movb %fs:DISK_SEL(%bx), %al
	andb $0xF0, %al
	movw $ATA_DEVICE, %dx
	outb %al, %dx
	call ata_delay
	movw $ATA_COUNT, %dx
	xorb %al, %al   /* count 15-8 (at most 128 sectors here) */
	outb %al, %dx
	movb %cl, %al   /* count 7-0 */
	outb %al, %dx
	movl %fs:OP_LBA, %eax
	movw %fs:OP_LBA + 4, %cx
	movw $ATA_LBA0, %dx
	pushl %eax
	shrl $24, %eax
	outb %al, %dx   /* LBA 31-24 */
	incw %dx
	movb %cl, %al
	outb %al, %dx   /* LBA 39-32 */
	incw %dx
	movb %ch, %al
	outb %al, %dx   /* LBA 47-40 */
	popl %eax
	movw $ATA_LBA0, %dx
	outb %al, %dx   /* LBA 7-0 */
	incw %dx
	movb %ah, %al
	outb %al, %dx   /* LBA 15-8 */
	incw %dx
	shrl $16, %eax
	outb %al, %dx   /* LBA 23-16 */
	movb $ATA_CMD_READ_EXT, %al
	cmpb $0, %fs:OP_WRITE
	je 2f
	movb $ATA_CMD_WRITE_EXT, %al
2:	movw $ATA_STATUS, %dx
	outb %al, %dx
	call ata_delay

	/* one DRQ block (256 words) per sector */
	movzbw %fs:OP_N, %cx
t_sector:
	pushw %cx
	call ata_wait_drq
	jc t_drive_error
	movw $256, %cx
	movw $ATA_DATA, %dx
	cmpb $0, %fs:OP_WRITE
	jne 1f
	rep insw        /* drive -> ES:DI */
	jmp 2f
1:	pushw %es
	popw %ds
	movw %di, %si
	rep outsw       /* DS:SI -> drive */
	movw %si, %di
2:	/* renormalise ES:DI so the next sector cannot wrap the offset */
	movw %di, %ax
	shrw $4, %ax
	movw %es, %dx
	addw %ax, %dx
	movw %dx, %es
	andw $0x000F, %di
	incw %fs:OP_DONE
	popw %cx
	loop t_sector
	/* after a write, wait for the drive to finish the last sector */
	cmpb $0, %fs:OP_WRITE
	je 3f
	call ata_wait_idle
	jc t_timeout
	testb $(ATA_SR_ERR | ATA_SR_DF), %al
	jnz t_error
3:	movzbl %fs:OP_N, %ecx
	addl %ecx, %fs:OP_LBA
	adcl $0, %fs:OP_LBA + 4
	subw %cx, %fs:OP_LEFT
	jmp t_chunk

t_drive_error:
	popw %cx
	testb $(ATA_SR_ERR | ATA_SR_DF), %al
	jnz t_error
t_timeout:
	movb $DISK_TIMEOUT, %ah
	stc
	ret
t_error:
	/* the drive refused (ERR): for a PIO disk that is a sector not found
	 * or an uncorrectable error; report "sector not found" */
t_not_found:
	movb $DISK_NOT_FOUND, %ah
	stc
	ret
t_ok:
	xorb %ah, %ah
	clc
	ret

/* ---- INT 13h ---------------------------------------------------------------- */

	.globl int13_disk
int13_disk:
	BIOS_ENTER
	sti
	cld
	movw $EBDA_SEG, %ax
	movw %ax, %fs
	movb F_AH(%bp), %ah
	cmpb $0x01, %ah
	je d_last_status
	/* the drive: 0x80 or 0x81, and present */
	movb F_DL(%bp), %dl
	subb $0x80, %dl
	jb d_bad_cmd
	cmpb $2, %dl
	jae d_bad_cmd
	movzbw %dl, %bx
	shlw $5, %bx
	addw $EBDA_DISK, %bx
	cmpb $0, %fs:DISK_PRESENT(%bx)
	je d_bad_cmd
	movb F_AH(%bp), %ah
	cmpb $0x02, %ah
	je d_chs
	cmpb $0x03, %ah
	je d_chs
	cmpb $0x04, %ah
	je d_chs
	cmpb $0x42, %ah
	je d_ext
	cmpb $0x43, %ah
	je d_ext
	cmpb $0x44, %ah
	je d_ext
	cmpb $0x08, %ah
	je d_params
	cmpb $0x15, %ah
	je d_type
	cmpb $0x41, %ah
	je d_ext_check
	cmpb $0x48, %ah
	je d_ext_params
	cmpb $0x00, %ah /* reset, seek, ready, recalibrate: nothing to do */
	je d_ok
	cmpb $0x0C, %ah
	je d_ok
	cmpb $0x0D, %ah
	je d_ok
	cmpb $0x10, %ah
	je d_ok
	cmpb $0x11, %ah
	je d_ok
	cmpb $0x47, %ah
	je d_ok
d_bad_cmd:
	movb $DISK_BAD_CMD, %ah
d_err:
	movb %ah, F_AH(%bp)
	call d_save_status
	jmp bios_iret_err
d_ok:
	xorb %ah, %ah
	movb %ah, F_AH(%bp)
	call d_save_status
	jmp bios_iret_ok

d_save_status:
	pushw %ds
	pushw %ax
	movw $BDA_SEG, %ax
	movw %ax, %ds
	popw %ax
	movb %ah, BDA_DISK_STATUS
	popw %ds
	ret

d_last_status:
	pushw %ds
	movw $BDA_SEG, %ax
	movw %ax, %ds
	movb BDA_DISK_STATUS, %ah
	popw %ds
	movb %ah, F_AH(%bp)
	testb %ah, %ah
	jz bios_iret_ok
	jmp bios_iret_err

/* AH=02h/03h/04h: AL sectors from cylinder CH (+ CL bits 7-6), head DH,
 * sector CL bits 5-0, to/from ES:BX.  AL returns the sectors moved. */
d_chs:
	movzbw F_AL(%bp), %cx
	testw %cx, %cx
	jz d_bad_cmd
	cmpw $128, %cx
	ja d_bad_cmd
	movzbl F_CL(%bp), %esi
	andw $0x3F, %si         /* sector, from 1 */
	jz d_chs_bad
	cmpw %fs:DISK_SPT(%bx), %si
	ja d_chs_bad
	movzbl F_DH(%bp), %edi  /* head */
	cmpw %fs:DISK_HEADS(%bx), %di
	jae d_chs_bad
	movzbl F_CL(%bp), %eax  /* cylinder: CL bits 7-6 are bits 9-8 */
	shll $2, %eax
	andl $0x300, %eax
	movb F_CH(%bp), %al
	cmpw %fs:DISK_CYLS(%bx), %ax
	jae d_chs_bad
	/* LBA = (c * heads + h) * spt + s - 1 */
	movzwl %fs:DISK_HEADS(%bx), %edx
	imull %edx, %eax
	addl %edi, %eax
	movzwl %fs:DISK_SPT(%bx), %edx
	imull %edx, %eax
	addl %esi, %eax
	decl %eax
	xorl %edx, %edx
	cmpb $0x04, F_AH(%bp)   /* verify: the range check is all there is */
	je d_verify
	movb $0, %fs:OP_WRITE
	cmpb $0x03, F_AH(%bp)
	jne 1f
	movb $1, %fs:OP_WRITE
1:	movw F_ES(%bp), %es
	movw F_EBX(%bp), %di
	call disk_transfer
	movb %fs:OP_DONE, %cl
	movb %cl, F_AL(%bp)
	jc d_err
	jmp d_ok
d_verify:
	movw F_EAX(%bp), %cx
	movzbw %cl, %cx
	call d_check_range
	jc d_err
	jmp d_ok
d_chs_bad:
	movb $0, F_AL(%bp)
	movb $DISK_NOT_FOUND, %ah
	jmp d_err

/* CF/AH = 04h unless sectors EDX:EAX .. + CX - 1 are on the disk. */
d_check_range:
	movzwl %cx, %ecx
	addl %ecx, %eax
	adcl $0, %edx
	cmpl %fs:DISK_SECTORS + 4(%bx), %edx
	ja 1f
	jb 2f
	cmpl %fs:DISK_SECTORS(%bx), %eax
	ja 1f
2:	clc
	ret
1:	movb $DISK_NOT_FOUND, %ah
	stc
	ret

/* AH=42h/43h/44h: the disk address packet at DS:SI (EDD 3.0 §3.2):
 *   +0 size (>= 16)  +2 sector count (updated: sectors moved)
 *   +4 buffer offset  +6 buffer segment  +8 starting LBA (qword) */
d_ext:
	movw F_DS(%bp), %ds
	movw F_ESI(%bp), %si
	cmpb $0x10, (%si)
	jb d_bad_cmd
	movw 2(%si), %cx
	testw %cx, %cx
	jz d_ok
	lesw 4(%si), %di
	movl 8(%si), %eax
	movl 12(%si), %edx
	cmpb $0x44, F_AH(%bp)
	jne 1f
	call d_check_range
	jc d_err
	jmp d_ok
1:	movb $0, %fs:OP_WRITE
	cmpb $0x43, F_AH(%bp)
	jne 2f
	movb $1, %fs:OP_WRITE
2:	call disk_transfer
	pushf
	pushw %ax
	movw F_DS(%bp), %ds
	movw F_ESI(%bp), %si
	movw %fs:OP_DONE, %cx
	movw %cx, 2(%si)
	popw %ax
	popf
	jc d_err
	jmp d_ok

/* AH=08h: CH = last cylinder bits 7-0, CL = sectors per track | last
 * cylinder bits 9-8 << 6, DH = last head, DL = number of hard disks. */
d_params:
	movw %fs:DISK_CYLS(%bx), %ax
	decw %ax
	movb %al, F_CH(%bp)
	shrw $2, %ax
	andb $0xC0, %al
	orb %fs:DISK_SPT(%bx), %al
	movb %al, F_CL(%bp)
	movb %fs:DISK_HEADS(%bx), %al
	decb %al
	movb %al, F_DH(%bp)
	pushw %ds
	movw $BDA_SEG, %ax
	movw %ax, %ds
	movb BDA_NUM_DISKS, %al
	popw %ds
	movb %al, F_DL(%bp)
	movb $0, F_AL(%bp)
	jmp d_ok

/* AH=15h: AH = 03h (a fixed disk), CX:DX = its number of sectors. */
d_type:
	movl %fs:DISK_SECTORS(%bx), %eax
	cmpl $0, %fs:DISK_SECTORS + 4(%bx)
	je 1f
	movl $0xFFFFFFFF, %eax
1:	movw %ax, F_EDX(%bp)
	shrl $16, %eax
	movw %ax, F_ECX(%bp)
	movb $0x03, F_AH(%bp)
	pushw %ds
	movw $BDA_SEG, %ax
	movw %ax, %ds
	movb $0, BDA_DISK_STATUS
	popw %ds
	jmp bios_iret_ok

/* AH=41h, BX=55AAh: BX = AA55h, AH = 30h (EDD 3.0), CX bit 0 = the fixed
 * disk access subset (42h-44h, 47h, 48h). */
d_ext_check:
	cmpw $0x55AA, F_EBX(%bp)
	jne d_bad_cmd
	movw $0xAA55, F_EBX(%bp)
	movw $0x0001, F_ECX(%bp)
	movb $0x30, F_AH(%bp)
	jmp bios_iret_ok

/* AH=48h: the result buffer at DS:SI (EDD 3.0 §3.6), first word = its size
 * (at least 1Ah): flags (bit 1: the CHS fields are valid), cylinders,
 * heads, sectors per track (dwords), total sectors (qword), bytes/sector. */
d_ext_params:
	movw F_DS(%bp), %ds
	movw F_ESI(%bp), %si
	cmpw $0x1A, (%si)
	jb d_bad_cmd
	movw $0x1A, (%si)
	movw $0x0002, 2(%si)
	movzwl %fs:DISK_CYLS(%bx), %eax
	movl %eax, 4(%si)
	movzwl %fs:DISK_HEADS(%bx), %eax
	movl %eax, 8(%si)
	movzwl %fs:DISK_SPT(%bx), %eax
	movl %eax, 12(%si)
	movl %fs:DISK_SECTORS(%bx), %eax
	movl %eax, 16(%si)
	movl %fs:DISK_SECTORS + 4(%bx), %eax
	movl %eax, 20(%si)
	movw $512, 24(%si)
	jmp d_ok
