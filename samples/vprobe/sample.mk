# samples/vprobe/sample.mk - vprobe, a 32-bit multiboot guest that probes the
# x86 virtualization holes: $(B)/samples/vprobe.elf (tests/suites/trap.sh).
# A 32-bit guest of samples/lib (pm32.h).
include samples/lib/rules.mk
$(eval $(call sample32_image,vprobe,$(SAMPLE_OBJ)/m32/vprobe/main.o))
