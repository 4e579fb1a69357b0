/*
 * clock.S - vmlab's BIOS: the timer tick (IRQ 0, INT 08h) and the time
 * services of INT 1Ah.
 *
 * The 8254's channel 0 runs at 1193182 / 65536 = 18.2065 Hz (set in POST);
 * every tick increments the dword at BDA 0x6C.  After 0x1800B0 ticks
 * (24 hours) it wraps to 0 and sets the midnight flag at BDA 0x70, the
 * IBM PC/AT convention.  Each tick also calls INT 1Ch, the user hook.
 *
 *   INT 1Ah AH=00h read ticks: CX:DX, AL = midnight flag (then cleared)
 *           AH=01h set ticks from CX:DX
 *           AH=02h RTC time: CH hours, CL minutes, DH seconds (BCD), DL DST
 *           AH=04h RTC date: CH century, CL year, DH month, DL day (BCD)
 * The RTC registers are read when no update is in progress (register A
 * bit 7, UIP: MC146818A datasheet), so the fields belong to one second.
 */
#include "samples/firmware/bios.h"

	.code16
	.text

#define TICKS_PER_DAY 0x1800B0

	.globl int08_timer
int08_timer:
	pushw %ds
	pushl %eax
	movw $BDA_SEG, %ax
	movw %ax, %ds
	incl BDA_TICKS
	cmpl $TICKS_PER_DAY, BDA_TICKS
	jb 1f
	movl $0, BDA_TICKS
	movb $1, BDA_MIDNIGHT
1:	int $0x1C
	movb $PIC_EOI, %al
	outb %al, $PIC1_CMD
	popl %eax
	popw %ds
	iret

	.globl int1a_time
int1a_time:
	BIOS_ENTER
	movw $BDA_SEG, %ax
	movw %ax, %ds
	movb F_AH(%bp), %ah
	cmpb $0x00, %ah
	je t_get_ticks
	cmpb $0x01, %ah
	je t_set_ticks
	cmpb $0x02, %ah
	je t_rtc_time
	cmpb $0x04, %ah
	je t_rtc_date
	jmp bios_iret_err

t_get_ticks:
	cli /* the tick must not change between the two halves */
	movl BDA_TICKS, %eax
	movb BDA_MIDNIGHT, %cl
	movb $0, BDA_MIDNIGHT
	movw %ax, F_EDX(%bp)
	shrl $16, %eax
	movw %ax, F_ECX(%bp)
	movb %cl, F_AL(%bp)
	jmp bios_iret_ok

t_set_ticks:
	cli
	movw F_ECX(%bp), %ax
	shll $16, %eax
	movw F_EDX(%bp), %ax
	movl %eax, BDA_TICKS
	movb $0, BDA_MIDNIGHT
	jmp bios_iret_ok

/* Wait (bounded) until register A says no update is in progress. */
rtc_wait:
	pushw %cx
	movw $0xFFFF, %cx
1:	movb $0x0A, %al
	call cmos_read
	testb $0x80, %al
	jz 2f
	loop 1b
2:	popw %cx
	ret

t_rtc_time:
	cli
	call rtc_wait
	movb $0x04, %al
	call cmos_read
	movb %al, F_CH(%bp)
	movb $0x02, %al
	call cmos_read
	movb %al, F_CL(%bp)
	movb $0x00, %al
	call cmos_read
	movb %al, F_DH(%bp)
	movb $0x0B, %al
	call cmos_read
	andb $0x01, %al /* register B bit 0: daylight saving enabled */
	movb %al, F_DL(%bp)
	jmp bios_iret_ok

t_rtc_date:
	cli
	call rtc_wait
	movb $0x32, %al /* the century byte */
	call cmos_read
	movb %al, F_CH(%bp)
	movb $0x09, %al
	call cmos_read
	movb %al, F_CL(%bp)
	movb $0x08, %al
	call cmos_read
	movb %al, F_DH(%bp)
	movb $0x07, %al
	call cmos_read
	movb %al, F_DL(%bp)
	jmp bios_iret_ok
