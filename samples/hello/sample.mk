# samples/hello/sample.mk - the minimal multiboot kernel: $(B)/samples/hello.elf
include samples/lib/rules.mk
$(eval $(call sample_image,hello,$(SAMPLE_OBJ)/lib/start32.o $(SAMPLE_OBJ)/hello/main.o \
	$(SAMPLE_OBJ)/hello/work.o $(SAMPLE_LIB_OBJ)))
