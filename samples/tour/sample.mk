# samples/tour/sample.mk - the narrated tour, the default `make run` guest:
# $(B)/samples/tour.elf
include samples/lib/rules.mk
$(eval $(call sample_image,tour,$(SAMPLE_OBJ)/tour/entry.o $(SAMPLE_OBJ)/lib/serial32.o \
	$(SAMPLE_OBJ)/tour/main.o $(SAMPLE_OBJ)/tour/insns.o $(SAMPLE_OBJ)/tour/faults.o \
	$(SAMPLE_LIB_OBJ)))
