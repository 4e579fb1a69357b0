#!/usr/bin/env bash
# tests/trap/bisect.sh - find where --virt=trap stops retiring like bare metal
# (issue 8, hypervisor/vmm.h "virtual time"; vm.c run_slice).
#
# Virtual time is the count of retired guest instructions, so under the VMM
# every event the guest can observe must happen at the SAME retired
# instruction as under --virt=none: each interrupt or exception delivered
# to the guest (bare metal: the CPU's `int`/`exc` trace events; under the
# VMM: `reflect` events, plus the CPU's own deliveries in the real-mode
# phase), each port I/O, and on which CPU.  This script runs one guest in
# both modes with those events traced, rewrites both streams to the same
# form
#
#     [ICOUNT] cpuN deliver VECTOR         (interrupt, INT n or exception)
#     [ICOUNT] cpuN io in|out PORT ...
#
# and prints the first divergence with its context: the instruction count
# where the VMM first miscounts (or delivers an interrupt at another
# instruction boundary, or switches CPUs elsewhere), and what each mode did
# there.  Then look at the VMM's work just before that count
# (--events adds trap,hole,... to the trap stream: `--trace trap`).
#
# usage: tests/trap/bisect.sh [options] (--hda IMG | --kernel ELF) [-- vmlab options]
#   --smp N          CPUs (default 1)
#   --input FILE     what to type on COM1 (default: minios.sh's input;
#                    --input /dev/null for none)
#   --max N          stop both runs after N instructions (--max-insns)
#   --no-io          compare deliveries only
#   --at N           also stop both runs at exactly N retired instructions
#                    and diff the BSP's registers (monitor `regs`; under the
#                    VMM CS/SS hold RPL 1 and RFLAGS.IF is the real one:
#                    ring compression, expected) and the virtual CPU (`vcpu`)
#   --switches       also compare WHERE the round robin changes CPUs (--smp
#                    N): every instruction is traced (`--trace insn`, the
#                    reference interpreter also under --virt=none), only the
#                    [ICOUNT] cpuN lines where the CPU changes are kept;
#                    slow (~20 s per 10M instructions): use --max
#   --keep DIR       keep the raw traces and outputs in DIR
# Exit status: 0 identical, 1 a divergence (printed), 2 usage or run error.
# B (build dir, default build) as in tests/run.sh.
set -u
B=${B:-build}
VMLAB=${VMLAB:-$B/vmlab}
BIOS=$B/samples/firmware/bios.bin
smp=1 input="" max="" at="" io=1 keep="" switches=0 boot=()
while [ $# -gt 0 ]; do
	case $1 in
	--smp) smp=$2; shift 2 ;;
	--input) input=$2; shift 2 ;;
	--max) max=$2; shift 2 ;;
	--at) at=$2; shift 2 ;;
	--no-io) io=0; shift ;;
	--switches) switches=1; shift ;;
	--keep) keep=$2; shift 2 ;;
	--hda | --kernel) boot=("$1" "$2"); shift 2 ;;
	--) shift; break ;;
	*) echo "bisect: unknown option $1 (see the comment at the top)" >&2; exit 2 ;;
	esac
done
if [ ${#boot[@]} = 0 ]; then
	echo "usage: tests/trap/bisect.sh [--smp N] [--input FILE] [--max N] [--at N] (--hda IMG | --kernel ELF)" >&2
	exit 2
fi
T=${keep:-$(mktemp -d "${TMPDIR:-/tmp}/vmlab-bisect.XXXXXX")}
mkdir -p "$T"
[ -z "$keep" ] && trap 'rm -rf "$T"' EXIT
if [ -z "$input" ]; then
	input=$T/input
	printf '\necho typed on COM1\nticks\nexit\n' >"$input"
fi
events=int,exc,reflect
[ $io = 1 ] && events=$events,io

# run MODE [extra options]: the guest under one mode, a disk copied afresh.
run() {
	local mode=$1 img
	shift
	local opts=(--smp "$smp" --stats)
	[ "$mode" = trap ] && opts+=(--virt=trap --cpu=pg-strict) || opts+=(--virt=none)
	[ -n "$max" ] && opts+=(--max-insns "$max")
	if [ "${boot[0]}" = --hda ]; then
		cp "${boot[1]}" "$T/$mode.img"
		img=(--hda "$T/$mode.img" --timeout 120)
	else
		img=(--kernel "${boot[1]}")
		[ -z "$max" ] && img+=(--max-insns 400000000)
	fi
	VMLAB_BIOS=$BIOS timeout 600 "$VMLAB" run "${img[@]}" "${opts[@]}" "$@" <"$input"
}

# The two streams in one form (see the top).  Exception names -> vectors.
normalize() {
	awk '
	BEGIN {
		split("DE DB NMI BP OF BR UD NM DF CSO TS NP SS GP PF RES MF AC MC XM VE CP", n, " ")
		for (i in n) vec["#" n[i]] = i - 1
	}
	$3 == "int" || $3 == "reflect" { printf "%s %s deliver %s\n", $1, $2, $4; next }
	$3 == "exc" { x = $4; sub(/\(.*/, "", x); printf "%s %s deliver 0x%x\n", $1, $2, vec[x]; next }
	$3 == "io" { print; next }
	' "$1"
}

for mode in none trap; do
	run $mode --trace "$events" --trace-file "$T/$mode.trace" >"$T/$mode.out" 2>"$T/$mode.err"
	echo $? >"$T/$mode.rc"
	normalize "$T/$mode.trace" >"$T/$mode.ev"
done
for mode in none trap; do
	printf '%-5s status %s, %s, %s events\n' "$mode" "$(cat "$T/$mode.rc")" \
		"$(grep -o '[0-9]* instructions' "$T/$mode.err" || echo '? instructions')" \
		"$(wc -l <"$T/$mode.ev")"
done
status=0
if [ ! -s "$T/none.ev" ]; then
	echo "bisect: no events traced under --virt=none (did the guest run?): $(head -1 "$T/none.err")"
	exit 2
fi
if cmp -s "$T/none.ev" "$T/trap.ev"; then
	echo "identical: every delivery${io:+ and port access} at the same instruction on the same CPU"
else
	status=1
	# The first differing line of each stream, with what led to it.
	first=$(cmp "$T/none.ev" "$T/trap.ev" 2>/dev/null | sed -n 's/.* line \([0-9]*\).*/\1/p')
	[ -z "$first" ] && first=$(($(wc -l <"$T/none.ev") + 1))
	from=$((first > 4 ? first - 4 : 1))
	echo "first divergence at event $first:"
	echo "--- none"
	sed -n "${from},$((first + 3))p" "$T/none.ev"
	echo "--- trap"
	sed -n "${from},$((first + 3))p" "$T/trap.ev"
fi
if ! cmp -s "$T/none.out" "$T/trap.out"; then
	echo "serial output differs (none <, trap >):"
	diff "$T/none.out" "$T/trap.out" | head -6
	status=1
fi

# --switches: the round robin's CPU changes, as [ICOUNT] cpuN.
if [ $switches = 1 ]; then
	for mode in none trap; do
		run $mode --trace insn --trace-file >(awk '$2 != p { print $1, $2; p = $2 }' >"$T/$mode.sw") \
			>/dev/null 2>&1
	done
	sleep 1 # (the awk behind the process substitution finishes writing)
	if cmp -s "$T/none.sw" "$T/trap.sw"; then
		echo "identical CPU switches: $(wc -l <"$T/none.sw") slices"
	else
		status=1
		echo "the CPUs switch at different instructions (none <, trap >):"
		diff "$T/none.sw" "$T/trap.sw" | head -8
	fi
fi

# --at N: both machines stopped at the same retired instruction.
if [ -n "$at" ]; then
	printf 'regs\nvcpu\n' >"$T/at.cmd"
	for mode in none trap; do
		max=$at run $mode -x "$T/at.cmd" 2>&1 | sed -n '/^(vmlab) regs/,$p' >"$T/$mode.at"
	done
	echo "state at instruction $at (none <, trap >; CS/SS RPL and IF differ by ring compression):"
	diff "$T/none.at" "$T/trap.at" && echo "  (identical)"
fi
exit $status
