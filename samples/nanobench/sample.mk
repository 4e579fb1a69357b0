# samples/nanobench/sample.mk - nanobench, Adams & Agesen's nanobenchmarks
# as a 32-bit paging kernel that marks its phases on vmlab's phase-marker
# port: $(B)/samples/nanobench.elf (tests/suites/nanobench.sh, `make
# nanobench`).  A 32-bit guest of samples/lib (pm32.h); its timed handlers
# (start.S) and loops (bench.S) are its own.
include samples/lib/rules.mk
$(eval $(call sample32_image,nanobench,$(addprefix $(SAMPLE_OBJ)/m32/nanobench/,start.o bench.o \
	main.o)))
