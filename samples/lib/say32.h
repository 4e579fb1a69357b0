/*
 * say32.h - assembler macros to print from 32-bit boot code (serial32.S).
 *
 *   SAY "text\n"      print a string literal
 *   SAYHEX reg        print a 32-bit register as 0x%08x
 *   SAYQ mem          print the quadword at mem as 0x%016llx
 *   SAYBIT reg, n     print "1" or "0": bit n of reg
 * All of them preserve every register and the arithmetic flags are not
 * relied upon by callers.
 */
#ifndef SAMPLES_LIB_SAY32_H
#define SAMPLES_LIB_SAY32_H

/* clang-format off */
.macro SAY msg
	.pushsection .rodata.say, "a"
9001:	.asciz "\msg"
	.popsection
	pushl %esi
	movl $9001b, %esi
	call serial32_puts
	popl %esi
.endm

.macro SAYHEX reg
	pushl %eax
	movl \reg, %eax
	call serial32_puthex
	popl %eax
.endm

.macro SAYQ mem
	pushl %eax
	pushl %edx
	movl \mem, %eax
	movl 4 + \mem, %edx
	call serial32_puthex64
	popl %edx
	popl %eax
.endm

.macro SAYBIT reg, n
	pushl %eax
	movl \reg, %eax
	shrl $\n, %eax
	andl $1, %eax
	addl $'0', %eax
	call serial32_putc
	popl %eax
.endm
/* clang-format on */

#endif
