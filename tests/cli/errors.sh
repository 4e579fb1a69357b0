#!/usr/bin/env bash
# tests/cli/errors.sh - vmlab's command-line errors: each bad input gives
# exactly ONE line on stderr naming the file/option and the problem, and
# exit status 2 (DESIGN.md §8).  Usage: errors.sh path/to/vmlab
set -u
VMLAB=${1:?usage: errors.sh path/to/vmlab}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
n=0

# expect STATUS "STDERR LINE" ARGS...: run vmlab ARGS, compare status and stderr.
expect() {
	local want_status=$1 want_err=$2 status err
	shift 2
	n=$((n + 1))
	"$VMLAB" "$@" >"$T/out" 2>"$T/err" </dev/null
	status=$?
	err=$(cat "$T/err")
	if [ "$status" != "$want_status" ] || [ "$err" != "$want_err" ]; then
		fails=$((fails + 1))
		echo "FAIL: vmlab $*"
		echo "   want status $want_status, stderr: $want_err"
		echo "   got  status $status, stderr: $err"
	fi
}

# expect_status STATUS ARGS...: only the status (and, for 2, one stderr line).
expect_status() {
	local want_status=$1 status
	shift
	n=$((n + 1))
	"$VMLAB" "$@" >"$T/out" 2>"$T/err" </dev/null
	status=$?
	if [ "$status" != "$want_status" ]; then
		fails=$((fails + 1))
		echo "FAIL: vmlab $*: want status $want_status, got $status"
		sed 's/^/   | /' "$T/err"
	fi
}

# ---- inputs ------------------------------------------------------------------
printf 'hello, I am not a kernel\n' >"$T/foo.bin"
printf 'int x;\n' >"$T/x.c"
cc -c -o "$T/plain.o" "$T/x.c"                  # an ELF without a multiboot header
# A real multiboot ELF32 kernel loaded at 1 MiB (GNU as/ld, i386).
cat >"$T/k.S" <<'ASM'
	.section .text
	.align 4
	.long 0x1BADB002, 0x00000003, -(0x1BADB002 + 0x00000003)
	.globl _start
_start:	hlt
	jmp _start
ASM
as --32 -o "$T/k.o" "$T/k.S"
ld -m elf_i386 -N -Ttext=0x100000 -e _start -o "$T/k.elf" "$T/k.o" 2>/dev/null
# Where binutils says the segment is (the oracle for the out-of-RAM message).
read -r seg_start seg_size < <(readelf -lW "$T/k.elf" | awk '$1 == "LOAD" { print $4, $6; exit }')
seg_end=$(printf '0x%x' $((seg_start + seg_size - 1)))
seg_start=$(printf '0x%x' $((seg_start)))
printf 'memsize = "64"\nthis is not a key value line\n' >"$T/bad.vmx"
printf 'memsize = "64"\nfoo.bar = "1"\nvmlab.kernel = "k.elf"\n' >"$T/good.vmx"
: >"$T/disk.img"

# ---- commands ------------------------------------------------------------------
expect_status 2
expect 2 "vmlab: unknown command 'rnu' (did you mean run?)" rnu
expect 2 "vmlab: help: no such command 'bogus' (commands: run, isa)" help bogus
expect_status 0 --version
expect_status 0 --help
expect_status 0 help run
expect 2 "vmlab: isa: unknown argument '--pgx' (try: vmlab isa --pg)" isa --pgx

# ---- options -----------------------------------------------------------------
expect 2 "vmlab: unknown option '--kernal' (did you mean --kernel?)" run --kernal x
expect 2 "vmlab: unknown option '--max-insn' (did you mean --max-insns?)" run --max-insn=5
expect 2 "vmlab: --kernel: missing value (FILE)" run --kernel
expect 2 "vmlab: --no-block-cache: takes no value" run --no-block-cache=1
expect 2 "vmlab: --mem: expected a size like 128M or 2G, got \"lots\"" run --mem lots
expect 2 "vmlab: --mem: 2001K is not a whole number of 4 KiB pages" run --mem 2001K
expect 2 "vmlab: --smp: 0 is out of range (1..64)" run --smp 0
expect 2 "vmlab: --serial: expected stdio, none or file:PATH, got \"tty\"" run --serial tty
expect 2 "vmlab: --max-insns: expected a number, got \"-3\"" run --max-insns -3
expect 2 "vmlab: --timeout: expected a number of seconds, got \"soon\"" run --timeout soon
expect 2 "vmlab: --trace: unknown event kind 'bogus' (try: mode,int,exc,io,...)" run --trace=mode,bogus
expect 2 "vmlab: unexpected argument 'b.vmx' (CONFIG is already a.vmx)" run a.vmx b.vmx

# ---- files ---------------------------------------------------------------------
expect 2 "vmlab: $T/none.elf: No such file or directory" run --kernel "$T/none.elf"
expect 2 "vmlab: $T: is a directory" run --kernel "$T"
expect 2 "vmlab: $T/foo.bin: not an ELF file" run --kernel "$T/foo.bin"
expect 2 "vmlab: $T/plain.o: no multiboot header in the first 8192 bytes" run --kernel "$T/plain.o"
expect 2 "vmlab: $T/k.elf: segment 0 ($seg_start-$seg_end) does not fit in guest RAM (1 MiB)" \
	run --mem 1M --kernel "$T/k.elf"
expect 2 "vmlab: $T/nomod: No such file or directory" run --kernel "$T/k.elf" --initrd "$T/nomod"
expect 2 "vmlab: $T/none.img: No such file or directory" run --hda "$T/none.img"
# An empty disk boots through our BIOS, which finds nothing to boot and
# halts with interrupts off: vmlab says so (status 6), no usage error.
expect_status 6 run --hda "$T/disk.img" --timeout 5
expect_status 6 run --hdb "$T/disk.img" --timeout 5
expect 2 "vmlab: --trace-file: $T/no/such/t.json: No such file or directory" \
	run --kernel "$T/k.elf" --trace=mode --trace-file "$T/no/such/t.json"
expect 2 "vmlab: $T/no/such/dir: No such file or directory" run --kernel "$T/k.elf" --serial "file:$T/no/such/dir"

# ---- config files ----------------------------------------------------------------
expect 2 "vmlab: $T/none.vmx: No such file or directory" run "$T/none.vmx"
expect 2 "vmlab: $T/bad.vmx:2: expected key = \"value\"" run "$T/bad.vmx"
expect_status 0 run --check-config "$T/good.vmx"
grep -q '^unknown keys: 1 ' "$T/out" || { fails=$((fails + 1)); echo "FAIL: --check-config does not list the unknown key"; cat "$T/out"; }
grep -q "foo.bar = \"1\"" "$T/out" || { fails=$((fails + 1)); echo "FAIL: --check-config does not show foo.bar"; }
grep -q "^kernel:       $T/k.elf" "$T/out" || { fails=$((fails + 1)); echo "FAIL: config path not relative to its folder"; }
# Options override the file.
expect_status 0 run --check-config "$T/good.vmx" --mem 32M
grep -q '^memory:       32 MiB' "$T/out" || { fails=$((fails + 1)); echo "FAIL: --mem does not override memsize"; }

echo "$((n - fails))/$n CLI checks passed"
[ $fails -eq 0 ]
