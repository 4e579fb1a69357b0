#!/usr/bin/env bash
# tests/bench/run.sh - `make bench`: the benchmark guests (samples/bench/)
# on vmlab, block cache on and off, and on QEMU TCG, in one table (issue 9).
#
#   usage: tests/bench/run.sh VMLAB IMAGE.elf      (BENCH_RUNS=3 by default)
#
# Method.  Every guest runs twice per engine, with N1 and N2 iterations of
# its loop; each run is repeated BENCH_RUNS times and the median host CPU
# time (user + system, from /usr/bin/time) is kept.  The loop's cost is the
# difference, so the boot (loading the image, the guest's set-up, QEMU's own
# start-up) cancels out:
#     seconds  = t(N2) - t(N1)
#     insns    = guest instructions of the N2 run - those of the N1 run,
#                counted by `vmlab run --stats`; QEMU has no counter, but it
#                runs the same image, so it executes the same instructions
#     MIPS     = insns / seconds;  ns/op = seconds / (N2 - N1)
#     ratio    = vmlab time per operation / QEMU's (> 1: vmlab is slower)
# (vmlab with its block cache and QEMU run a longer N2, see X below, so
# that the difference is long against the 10 ms clock.)
#     RSS      = peak resident set of the N2 run (MiB)
# QEMU's CPU time includes its helper threads; vmlab has none.
set -u
vmlab=${1:?usage: run.sh VMLAB IMAGE}
img=${2:?usage: run.sh VMLAB IMAGE}
runs=${BENCH_RUNS:-3}
mem=256M
work=$(mktemp -d "${TMPDIR:-/tmp}/vmlab-bench.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT

# name N1 N2 unit-of-one-op X: vmlab (block cache) and QEMU run N1 and
# N1 + X * (N2 - N1), so that their measured difference lasts about a
# second (the CPU-time clock ticks every 10 ms); the slow no-cache engine
# runs N1 and N2.
benches="sieve 2 62 iter 12
rmw 200000 2000000 access 2
calls 1000 61000 iter 8
syscall 20000 2020000 round-trip 8
int80 20000 520000 round-trip 16
smc 10000 110000 patch+call 8"

qemu=$(command -v qemu-system-x86_64 || true)

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# run ENGINE NAME N -> "cpu_seconds rss_kib insns" (median cpu, max rss)
run() {
	local eng=$1 name=$2 n=$3 i out=$work/out
	: >"$work/t"
	for ((i = 0; i < runs; i++)); do
		case $eng in
		vmlab)   /usr/bin/time -f "%U %S %M" -o "$work/time" "$vmlab" run --kernel "$img" \
				--mem $mem --append "$name $n" --stats </dev/null >"$out" 2>"$work/err" ;;
		nocache) /usr/bin/time -f "%U %S %M" -o "$work/time" "$vmlab" run --kernel "$img" \
				--mem $mem --append "$name $n" --stats --no-block-cache </dev/null \
				>"$out" 2>"$work/err" ;;
		qemu)    /usr/bin/time -f "%U %S %M" -o "$work/time" "$qemu" -accel tcg -m $mem \
				-kernel "$img" -append "$name $n" \
				-device isa-debug-exit,iobase=0xf4,iosize=4 -serial file:"$out" \
				-display none -nodefaults -no-reboot </dev/null 2>"$work/err" ;;
		esac
		if ! grep -q "^\[bench\] $name $n:" "$out"; then
			echo "bench: $eng $name $n did not finish:" >&2
			cat "$out" "$work/err" >&2
			return 1
		fi
		tail -1 "$work/time" >>"$work/t"
	done
	local cpu rss insns
	cpu=$(awk '{print $1 + $2}' "$work/t" | median)
	rss=$(awk '{print $3}' "$work/t" | sort -n | tail -1)
	insns=$(sed -n 's/.*stats: \([0-9]*\) instructions.*/\1/p' "$work/err" | head -1)
	echo "$cpu $rss ${insns:-0}"
}

printf "%-8s %-8s %12s %9s %9s %12s %8s %10s\n" guest engine "guest insns" seconds MIPS \
	"ns per op" "RSS MiB" "vs QEMU"
while read -r name n1 n2 unit x; do
	declare -A sec=() ins=() rss=() ops=()
	# vmlab first: QEMU has no instruction counter and reports vmlab's.
	for eng in vmlab qemu nocache; do
		[ "$eng" = qemu ] && [ -z "$qemu" ] && continue
		top=$n2
		[ "$eng" != nocache ] && top=$((n1 + x * (n2 - n1)))
		read -r c1 _ i1 < <(run $eng "$name" "$n1") || exit 1
		read -r c2 r2 i2 < <(run $eng "$name" "$top") || exit 1
		sec[$eng]=$(awk -v a="$c1" -v b="$c2" 'BEGIN {d = b - a; print (d > 0.001 ? d : 0.001)}')
		ins[$eng]=$((i2 - i1))
		[ "$eng" = qemu ] && ins[qemu]=${ins[vmlab]}
		ops[$eng]=$((top - n1))
		rss[$eng]=$((r2 / 1024))
	done
	for eng in vmlab nocache qemu; do
		[ -z "${sec[$eng]:-}" ] && continue
		label=$eng; [ $eng = nocache ] && label=no-cache
		ratio="-" # time per operation, vmlab / QEMU
		[ -n "${sec[qemu]:-}" ] && [ $eng != qemu ] &&
			ratio=$(awk -v a="${sec[$eng]}" -v na="${ops[$eng]}" -v b="${sec[qemu]}" \
				-v nb="${ops[qemu]}" 'BEGIN {printf "%.2fx", (a / na) / (b / nb)}')
		awk -v n="$name" -v e="$label" -v i="${ins[$eng]}" -v s="${sec[$eng]}" -v r="${rss[$eng]}" \
			-v ops="${ops[$eng]}" -v u="$unit" -v q="$ratio" 'BEGIN {
			printf "%-8s %-8s %12d %9.3f %9.1f %9.1f/%s %8d %10s\n", n, e, i, s, i / s / 1e6,
				s * 1e9 / ops, substr(u, 1, 2), r, q }'
	done
done <<<"$benches"

# Peak RSS of an idle 512 MiB guest (the target is < 64 MiB): guest RAM is
# mmap'd with MAP_NORESERVE and costs only the pages the guest touches.
/usr/bin/time -f "%M" -o "$work/time" "$vmlab" run --kernel "$img" --mem 512M --append "calls 1" \
	</dev/null >/dev/null 2>&1
echo "idle 512 MiB guest: peak RSS $(($(tail -1 "$work/time") / 1024)) MiB"
