# samples/ptswitch/sample.mk - ptswitch, a 32-bit paging kernel that switches
# between two address spaces many times and rewrites its own page tables
# while running; its serial output must be the same bare, under --virt=trap
# (with and without --cpu=pg-strict) and under QEMU: $(B)/samples/ptswitch.elf
# (tests/suites/trap.sh, issue 8).  A 32-bit guest of samples/lib (pm32.h).
include samples/lib/rules.mk
$(eval $(call sample32_image,ptswitch,$(SAMPLE_OBJ)/m32/ptswitch/main.o))
