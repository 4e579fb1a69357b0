# samples/btdemo/sample.mk - a call chain built with frame pointers, the
# oracle for the monitor's `bt` (tests/monitor/btdemo_bt.cmd):
# $(B)/samples/btdemo.elf
include samples/lib/rules.mk
# Frame pointers, the classic prologue (push rbp; mov rbp, rsp at -O0)
# and real calls (no tail calls): the chain bt walks.
$(SAMPLE_OBJ)/btdemo/main.o: SAMPLE_CFLAGS += -O0 -fno-omit-frame-pointer -mno-omit-leaf-frame-pointer \
	-fno-optimize-sibling-calls
$(eval $(call sample_image,btdemo,$(SAMPLE_OBJ)/lib/start32.o $(SAMPLE_OBJ)/btdemo/main.o \
	$(SAMPLE_LIB_OBJ)))
