# samples/systest/sample.mk - system-architecture test kernels whose output
# QEMU judges (tests/systest.mk): $(B)/samples/systest64.elf
include samples/lib/rules.mk
$(eval $(call sample_image,systest64,$(SAMPLE_OBJ)/lib/start32.o $(SAMPLE_OBJ)/systest/main64.o \
	$(SAMPLE_OBJ)/systest/setup64.o $(SAMPLE_OBJ)/systest/probe64.o \
	$(SAMPLE_OBJ)/systest/exc64.o $(SAMPLE_OBJ)/systest/ring64.o \
	$(SAMPLE_OBJ)/systest/paging64.o $(SAMPLE_LIB_OBJ)))
