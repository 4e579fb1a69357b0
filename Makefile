# vmlab - one non-recursive Makefile (DESIGN.md §1).  All outputs go to build/.
#
#   make            build build/vmlab and the sample guests
#   make run        boot the default guest (samples/tour) on the console
#   make test       unit tests, decoder/capstone and host-CPU differential
#                   checks, whole-guest tests against QEMU-made goldens
#   make asan       the same binaries with AddressSanitizer + UBSan in build-asan/
#   make fuzz       libFuzzer targets (clang)          make difftest  long CPU run
#   make format     clang-format every source file
#
# Missing Debian packages are installed with apt-get when we are root
# (the list is DEB_PKGS below); otherwise make says which ones to install.

B        ?= build
CC       ?= cc
ifeq ($(origin CC),default)
CC := gcc
endif
WERROR   := $(if $(CI),-Werror,)
OPT      ?= -O2
CFLAGS   = -std=gnu11 $(OPT) -g -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers \
           $(WERROR) -I. $(PKG_CFLAGS) $(EXTRA_CFLAGS) -MMD -MP
LDFLAGS  = $(EXTRA_LDFLAGS)
PKG_CFLAGS = $(shell pkg-config --cflags capstone libelf 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs capstone libelf readline 2>/dev/null)
CMOCKA_LIBS = $(shell pkg-config --libs cmocka 2>/dev/null)

# ---- dependencies (installed on demand) ------------------------------------
DEB_PKGS := pkg-config libcapstone-dev libelf-dev libreadline-dev libcmocka-dev \
            binutils gcc make
TEST_DEB_PKGS := qemu-system-x86 gdb tmux python3 bsdutils iproute2 qemu-user gcc-multilib
DEPS_STAMP := $(B)/.deps-ok
TEST_DEPS_STAMP := $(B)/.test-deps-ok

define ensure_pkgs
	@mkdir -p $(B); missing=""; \
	for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "vmlab: installing$$missing"; \
	    export DEBIAN_FRONTEND=noninteractive; \
	    (apt-get update -qq && apt-get install -y -qq --no-install-recommends $$missing) >$(B)/apt.log 2>&1 \
	      || { cat $(B)/apt.log; echo "vmlab: apt-get install$$missing failed"; exit 1; }; \
	  else echo "vmlab: missing packages:$$missing (run as root, or: sudo apt-get install$$missing)"; exit 1; fi; \
	fi; touch $@
endef

$(DEPS_STAMP):
	$(call ensure_pkgs,$(DEB_PKGS))
$(TEST_DEPS_STAMP): | $(DEPS_STAMP)
	$(call ensure_pkgs,$(TEST_DEB_PKGS))

# ---- the emulator ----------------------------------------------------------
CORE_DIRS := lib devices mmu cpu hypervisor monitor
CORE_SRC  := $(filter-out monitor/main.c,$(foreach d,$(CORE_DIRS),$(wildcard $(d)/*.c)))
CORE_OBJ  := $(CORE_SRC:%.c=$(B)/obj/%.o)
MAIN_OBJ  := $(B)/obj/monitor/main.o
VMLAB     := $(B)/vmlab

all: $(VMLAB) samples

$(B)/obj/%.o: %.c | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(VMLAB): $(CORE_OBJ) $(MAIN_OBJ)
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) -lm

# ---- guests, tests, labs: each folder contributes a fragment ---------------
SAMPLES :=
TESTS :=
include $(wildcard samples/*/sample.mk)
include $(wildcard tests/*.mk)
include $(wildcard labs/*.mk)

samples: $(SAMPLES)

# The tour ends by writing 0x10 to the debug-exit port: vmlab's status is
# then (0x10 << 1) | 1 = 33, which is the tour's success.
run: $(VMLAB) samples
	@$(VMLAB) run --kernel $(B)/samples/tour.elf; s=$$?; \
	if [ $$s -eq 33 ]; then echo "make run: the tour finished (vmlab exit status 33 = debug-exit 0x10)"; \
	else echo "make run: vmlab exited with status $$s"; exit 1; fi

# Adams & Agesen's nanobenchmarks (samples/nanobench): the per-iteration
# cost table, bare (--virt=none) and under the trap-and-emulate VMM.
NANOBENCH_N ?= 100000
nanobench: $(VMLAB) $(B)/samples/nanobench.elf
	@for v in none trap; do $(VMLAB) run --kernel $(B)/samples/nanobench.elf \
	  --append n=$(NANOBENCH_N) --virt=$$v --stats </dev/null 2>&1 >/dev/null | grep '^vmlab: phase'; done

# Sanitizer build of everything in a separate tree.
asan:
	$(MAKE) B=build-asan OPT=-O1 EXTRA_CFLAGS="-fsanitize=address,undefined -fno-omit-frame-pointer" \
	  EXTRA_LDFLAGS="-fsanitize=address,undefined" all

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(B) build-asan

.PHONY: all samples run asan format clean test nanobench
-include $(shell find $(B) -name '*.d' 2>/dev/null)
