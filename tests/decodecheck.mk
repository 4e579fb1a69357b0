# tests/decodecheck.mk - the decoder against capstone, and the decoder fuzzer.
#
# vmlab-decodecheck decodes random byte strings in 16/32/64-bit mode with our
# decoder and with capstone and requires the same length (and mnemonic where
# both decode); `make test` runs 10^6 strings per mode (tests/suites/decode.sh).
#   make fuzz            libFuzzer + ASan/UBSan on the decoder, the gdb packet
#                        parser and the monitor's commands, FUZZ_SECONDS (default 600) each

DECODECHECK := $(B)/vmlab-decodecheck
# Only the decoder and its table: the tool has its own cpu_raise stub.
DECODER_SRC := cpu/decode.c cpu/isa.c lib/err.c

$(DECODECHECK): tests/decodecheck/decodecheck.c $(DECODER_SRC) cpu/isa.def cpu/operands.def | $(DEPS_STAMP)
	$(CC) $(CFLAGS) -o $@ tests/decodecheck/decodecheck.c $(DECODER_SRC) $(PKG_LIBS)

TESTS += $(DECODECHECK)

FUZZ_SECONDS ?= 600
FUZZ_DEB_PKGS := clang libclang-rt-14-dev
FUZZ_STAMP := $(B)/.fuzz-deps-ok
$(FUZZ_STAMP): | $(DEPS_STAMP)
	$(call ensure_pkgs,$(FUZZ_DEB_PKGS))

$(B)/fuzz/fuzz_decode: tests/fuzz/fuzz_decode.c $(DECODER_SRC) | $(FUZZ_STAMP)
	@mkdir -p $(dir $@)
	clang -std=gnu11 -g -O1 -I. -fsanitize=fuzzer,address,undefined -o $@ $^

$(B)/fuzz/fuzz_gdbpkt: tests/fuzz/fuzz_gdbpkt.c monitor/gdb_packet.c lib/err.c | $(FUZZ_STAMP)
	@mkdir -p $(dir $@)
	clang -std=gnu11 -g -O1 -I. -fsanitize=fuzzer,address,undefined -o $@ $^

# The monitor's command dispatcher on a live VM (the hello sample).
$(B)/fuzz/fuzz_monitor: tests/fuzz/fuzz_monitor.c $(CORE_SRC) | $(FUZZ_STAMP)
	@mkdir -p $(dir $@)
	clang -std=gnu11 -g -O1 -I. $(PKG_CFLAGS) -fsanitize=fuzzer,address,undefined -o $@ $^ \
		$(PKG_LIBS) -lm

fuzz: $(B)/fuzz/fuzz_decode $(B)/fuzz/fuzz_gdbpkt $(B)/fuzz/fuzz_monitor $(B)/samples/hello.elf
	@mkdir -p $(B)/fuzz/corpus-decode $(B)/fuzz/corpus-gdbpkt $(B)/fuzz/corpus-monitor
	$(B)/fuzz/fuzz_decode -max_total_time=$(FUZZ_SECONDS) -max_len=32 $(B)/fuzz/corpus-decode
	$(B)/fuzz/fuzz_gdbpkt -max_total_time=$(FUZZ_SECONDS) $(B)/fuzz/corpus-gdbpkt
	VMLAB_FUZZ_KERNEL=$(B)/samples/hello.elf $(B)/fuzz/fuzz_monitor \
		-max_total_time=$(FUZZ_SECONDS) -timeout=30 $(B)/fuzz/corpus-monitor

.PHONY: fuzz
