# samples/smp/sample.mk - the SMP test kernel: $(B)/samples/smp.elf
# (MP table, local APIC timer, INIT-SIPI-SIPI, IPIs, I/O APIC routing;
# run with --smp 2 / QEMU -smp 2 by tests/suites/smp.sh).
include samples/lib/rules.mk
$(eval $(call sample_image,smp,$(SAMPLE_OBJ)/lib/start32.o $(SAMPLE_OBJ)/smp/main.o \
	$(SAMPLE_OBJ)/smp/apic.o $(SAMPLE_OBJ)/smp/trampoline.o $(SAMPLE_OBJ)/smp/irq.o \
	$(SAMPLE_LIB_OBJ)))
