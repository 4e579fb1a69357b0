# samples/trap32/sample.mk - trap32, a small 32-bit protected-mode kernel
# (GDT, IDT, PIC, PIT, TSS, a ring-3 task with int 0x80 system calls,
# exceptions, UART I/O) whose serial output must be the same bare, under
# --virt=trap --cpu=pg-strict and under QEMU: $(B)/samples/trap32.elf
# (tests/suites/trap.sh).  A 32-bit guest of samples/lib (pm32.h).
include samples/lib/rules.mk
$(eval $(call sample32_image,trap32,$(SAMPLE_OBJ)/m32/trap32/main.o))
