/*
 * irq.S - interrupt entry stubs of the SMP test kernel, 64-bit mode
 * (Intel SDM Vol 3A §6.14: the CPU pushes SS, RSP, RFLAGS, CS, RIP, no
 * error code for external interrupts and IPIs).
 *
 * Each stub pushes its vector and jumps to irq_common, which saves the
 * registers the System V ABI lets C clobber, calls irq_handler(vector)
 * with RSP 16-byte aligned, restores them and returns with IRETQ.
 */
	.text
	.code64

	.macro stub vec
	.globl irq_stub_\vec
irq_stub_\vec:
	pushq $\vec
	jmp irq_common
	.endm

	stub 0x40
	stub 0x41
	stub 0x42
	stub 0x43
	stub 0x44
	stub 0x45
	stub 0xff

irq_common:
	/* RSP: 5 CPU words + vector = 48 bytes below a 16-byte boundary. */
	pushq %rax
	pushq %rcx
	pushq %rdx
	pushq %rsi
	pushq %rdi
	pushq %r8
	pushq %r9
	pushq %r10
	pushq %r11
	movq 72(%rsp), %rdi     /* the vector */
	subq $8, %rsp           /* 48 + 72 + 8 = 128: aligned for the call */
	cld
	call irq_handler
	addq $8, %rsp
	popq %r11
	popq %r10
	popq %r9
	popq %r8
	popq %rdi
	popq %rsi
	popq %rdx
	popq %rcx
	popq %rax
	addq $8, %rsp           /* drop the vector */
	iretq
