#!/usr/bin/env bash
# tests/suites/gdb.sh - stock gdb drives vmlab's gdb stub (monitor/gdbstub.c,
# DESIGN.md §7 "stock gdb drives the gdb stub").
#
# Expectations come from facts, not from vmlab: symbol addresses from `nm`,
# instruction lengths and return addresses from `objdump -d`, the initial
# value of a variable from the ELF's .data bytes, and - when QEMU is
# installed - the value gdb sees after a watchpoint hit under QEMU's own
# gdb stub.  Three sessions:
#   1. break sample_main, continue, info registers, x/4gx $rsp, stepi,
#      watch checksum, continue, detach -> the guest runs to its end (33);
#   2. continue to the end with gdb attached -> "exited with code 041";
#   3. raw protocol (tests/gdb/rawgdb.py): checksums, NAK, unknown and
#      malformed packets, unmapped memory (E14), Ctrl-C (T02), kill.
# Every process runs under `timeout`: the suite cannot hang.
set -u
B=${B:-build}
VMLAB=${VMLAB:-$B/vmlab}
ELF=$B/samples/hello.elf     # what vmlab boots (ELF32 wrapper, multiboot)
SYM=$B/samples/hello.elf64   # the same code as ELF64: gdb's symbol file
T=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$T"' EXIT
fail=0
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fail=1; }

command -v gdb >/dev/null || { echo "gdb not installed (apt-get install gdb)"; exit 1; }
[ -f "$ELF" ] && [ -f "$SYM" ] || { echo "missing $ELF / $SYM (make samples)"; exit 1; }
if ! "$VMLAB" help run 2>/dev/null | grep -q -- '--gdb'; then
	echo "$VMLAB has no --gdb option yet: wire gdbstub_serve() (monitor/gdbstub.h)"
	exit 1
fi

# ---- facts from the image ---------------------------------------------------
addr() { nm "$SYM" | awk -v s="$1" '$3 == s { print "0x" $1 }' | sed 's/0x0*/0x/'; }
MAIN=$(addr sample_main)
CHECKSUM=$(addr checksum)
PML4=$(addr boot_pml4)
# The instruction after sample_main's first one (stepi lands there), and the
# return address the call into sample_main pushed (the insn after the call).
NEXT=$(objdump -d --start-address=$MAIN "$SYM" | awk '/^ +[0-9a-f]+:/ { n++; if (n == 2) { sub(":", "", $1); print "0x" $1; exit } }')
RET=$(objdump -d "$SYM" | awk -v m="${MAIN#0x}" '
	/^ +[0-9a-f]+:/ { if (want) { sub(":", "", $1); print "0x" $1; exit }
	                  if ($0 ~ "call +" m " ") want = 1 }')
# checksum's initial value: its 8 bytes in the ELF, little-endian, as decimal.
INIT=$(python3 - "$SYM" "$CHECKSUM" <<'EOF'
import struct, sys
f = open(sys.argv[1], 'rb').read(); a = int(sys.argv[2], 16)
shoff, = struct.unpack_from('<Q', f, 0x28); shentsz, shnum = struct.unpack_from('<HH', f, 0x3a)
for i in range(shnum):
    _, typ, _, sa, off, size = struct.unpack_from('<IIQQQQ', f, shoff + i * shentsz)
    if typ == 1 and sa <= a < sa + size:
        print(struct.unpack_from('<Q', f, off + a - sa)[0])
EOF
)
echo "facts: sample_main=$MAIN next=$NEXT ret=$RET checksum=$CHECKSUM init=$INIT pml4=$PML4"
[ -n "$MAIN" ] && [ -n "$NEXT" ] && [ -n "$RET" ] && [ -n "$INIT" ] || { echo "cannot read facts"; exit 1; }

# Start vmlab waiting for gdb on a free port (--gdb 0: vmlab picks and says).
start_vmlab() { # start_vmlab NAME
	: >"$T/$1.err"
	timeout 60 "$VMLAB" run --gdb 0 --kernel "$ELF" >"$T/$1.out" 2>"$T/$1.err" </dev/null &
	VPID=$!
	for _ in $(seq 600); do # up to 30 s on a loaded machine
		PORT=$(sed -n 's/.*waiting for gdb on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$T/$1.err")
		[ -n "$PORT" ] && return 0
		sleep 0.05
	done
	cat "$T/$1.err"
	return 1
}
run_gdb() { # run_gdb PORT-SPEC OUT gdb-commands...
	local target=$1 out=$2
	shift 2
	local args=()
	for c in "$@"; do args+=(-ex "$c"); done
	timeout 30 gdb -batch -nx -ex 'set architecture i386:x86-64' -ex 'set confirm off' \
		-ex "target remote $target" -ex "symbol-file $SYM" "${args[@]}" </dev/null >"$out" 2>&1
}
has() { grep -qE -- "$2" "$1" && ok "$3" || { bad "$3 (no /$2/ in $1)"; sed 's/^/    /' "$1" | head -60; }; }

# ---- 1. a debugging session ------------------------------------------------
SESSION=('break sample_main' 'continue' 'info registers' 'x/4gx $rsp' 'stepi' 'p/x $pc'
	 'watch checksum' 'continue' 'p/x $pc' 'delete' 'detach')
if start_vmlab s1; then
	run_gdb ":$PORT" "$T/s1.gdb" "${SESSION[@]}"
	wait $VPID
	status=$?
	has "$T/s1.gdb" "Breakpoint 1, (0x0*${MAIN#0x} in )?sample_main" "breakpoint at sample_main ($MAIN)"
	has "$T/s1.gdb" "^rip +$MAIN +$MAIN <sample_main>" "info registers: rip = $MAIN"
	has "$T/s1.gdb" "^cs +0x8 " "info registers: cs = 0x8 (64-bit code selector of boot_data.S)"
	has "$T/s1.gdb" "^cr3 +$PML4 " "info registers: cr3 = boot_pml4 ($PML4)"
	has "$T/s1.gdb" "^efer +0x[0-9a-f]+ +\[ (SCE )?LME LMA" "info registers: EFER.LME/LMA set"
	has "$T/s1.gdb" "^cr0 +0x[0-9a-f]+ +\[ PE .*PG \]" "info registers: CR0.PE/PG set"
	has "$T/s1.gdb" "^0x[0-9a-f]+:\s+0x0*${RET#0x}\s" "x/4gx \$rsp: return address $RET on the stack"
	has "$T/s1.gdb" "^\\\$1 = $NEXT$" "stepi: pc = $NEXT"
	has "$T/s1.gdb" "Hardware watchpoint 2: checksum" "watchpoint hit on checksum"
	has "$T/s1.gdb" "^Old value = $INIT$" "watchpoint: old value $INIT (from the ELF)"
	has "$T/s1.gdb" "^New value = [0-9]+$" "watchpoint: new value shown"
	has "$T/s1.gdb" "Inferior 1 .* detached" "detach"
	[ "$status" = 33 ] && ok "after detach the guest ran to its end (status 33)" ||
		bad "status after detach: $status, want 33"
	grep -q "all self-checks passed" "$T/s1.out" && ok "guest serial output complete" ||
		bad "guest serial output incomplete"
	# The oracle for the watchpoint's new value: QEMU's gdb stub.
	if command -v qemu-system-x86_64 >/dev/null; then
		QPORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
		timeout 60 qemu-system-x86_64 -display none -no-reboot -serial null -m 128M \
			-device isa-debug-exit,iobase=0xf4,iosize=0x04 -kernel "$ELF" \
			-gdb tcp:127.0.0.1:$QPORT -S </dev/null >/dev/null 2>&1 &
		QPID=$!
		for _ in $(seq 600); do # until QEMU listens (30 s at most)
			(exec 3<>/dev/tcp/127.0.0.1/$QPORT) 2>/dev/null && break
			sleep 0.05
		done
		run_gdb ":$QPORT" "$T/q.gdb" "${SESSION[@]/detach/kill}"
		kill $QPID 2>/dev/null
		wait $QPID 2>/dev/null
		for pat in '^New value = ' '^Old value = ' '^\$1 = ' '^\$2 = '; do
			v=$(grep -E "$pat" "$T/s1.gdb" | head -1)
			q=$(grep -E "$pat" "$T/q.gdb" | head -1)
			[ -n "$q" ] && [ "$v" = "$q" ] && ok "same as QEMU: $v" ||
				bad "vmlab '$v' vs QEMU '$q'"
		done
	fi
else
	bad "vmlab did not start listening"
fi

# ---- 2. the guest ends while gdb is attached: W packet ------------------------
if start_vmlab s2; then
	run_gdb ":$PORT" "$T/s2.gdb" 'continue'
	wait $VPID
	status=$?
	# 33 = 0x21 = octal 041, as gdb prints exit codes.
	has "$T/s2.gdb" "Inferior 1 \(.*\) exited with code 041" "exit seen by gdb (W21)"
	[ "$status" = 33 ] && ok "vmlab status 33" || bad "status $status, want 33"
else
	bad "vmlab did not start listening"
fi

# ---- 3. raw protocol -------------------------------------------------------------
if start_vmlab s3; then
	timeout 30 python3 tests/gdb/rawgdb.py "$PORT" "$SYM" >"$T/s3.log" 2>&1 &&
		ok "raw protocol ($(grep -c '^ok' "$T/s3.log") checks)" ||
		{ bad "raw protocol"; sed 's/^/    /' "$T/s3.log"; }
	wait $VPID
	status=$?
	[ "$status" = 0 ] && ok "k: vmlab ended (status 0)" || bad "status after k: $status, want 0"
else
	bad "vmlab did not start listening"
fi
exit $fail
