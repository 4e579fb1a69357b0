# samples/bench/sample.mk - the benchmark guests of `make bench`:
# $(B)/samples/bench.elf (tests/bench.mk runs it).
include samples/lib/rules.mk
$(eval $(call sample_image,bench,$(SAMPLE_OBJ)/lib/start32.o $(SAMPLE_OBJ)/bench/main.o \
	$(SAMPLE_OBJ)/bench/rings.o $(SAMPLE_LIB_OBJ)))
