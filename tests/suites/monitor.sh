#!/usr/bin/env bash
# Monitor transcript tests (tests/monitor/*.cmd): each script runs in batch
# mode (-x) against the sample kernel named on its "# kernel: NAME" line,
# serial output off; stdout plus a final "[exit N]" line must equal
# NAME.expected.  Then the real readline path: the interactive prompt in a
# pseudo-terminal (script -qc), typing a few commands.
# B and VMLAB come from tests/run.sh.  UPDATE=1 rewrites the .expected
# files (then review every line against nm/objdump before keeping them).
set -u
B=${B:-build}
VMLAB=${VMLAB:-$B/vmlab}
VMLAB=$(cd "$(dirname "$VMLAB")" && pwd)/$(basename "$VMLAB")
top=$PWD
# The kernel path reaches the guest (on the multiboot command line), so it
# is always spelled build/samples/NAME.elf, whatever B is: run from a
# folder whose build/ is B.
tree=$(mktemp -d)
trap 'rm -rf "$tree"' EXIT
ln -s "$(cd "$B" && pwd)" "$tree/build"
ln -s "$top/tests" "$tree/tests"
fail=0
for cmd in tests/monitor/*.cmd; do
	name=${cmd%.cmd}
	kernel=$(sed -n 's/^# kernel: *//p' "$cmd" | head -1)
	out=$(mktemp)
	(cd "$tree" && "$VMLAB" run --kernel "build/samples/$kernel.elf" --serial none \
		-x "$cmd") >"$out" 2>&1
	echo "[exit $?]" >>"$out"
	if [ "${UPDATE:-0}" = 1 ]; then
		cp "$out" "$name.expected"
	elif ! diff -u "$name.expected" "$out"; then
		echo "FAIL monitor/$(basename "$name")"
		fail=1
	else
		echo "PASS monitor/$(basename "$name")"
	fi
	rm -f "$out"
done

# Oracles for what the transcripts show (nm/objdump, python's JSON parser).
work=$(mktemp -d)
tour=$B/samples/tour.elf
check() { # NAME COMMAND...: one PASS/FAIL line
	local name=$1
	shift
	if "$@"; then echo "PASS monitor/$name"; else echo "FAIL monitor/$name"; fail=1; fi
}

# --trace=insn,regdiff on the tour's first instructions against objdump:
# the same addresses with the same <sym+off> labels, and every
# `mov REG, IMM` shows "rREG 0x0 -> IMM".
regdiff_oracle() {
	"$VMLAB" run --kernel "$tour" --serial none --trace=insn,regdiff --max-insns 9 \
		2>"$work/regdiff.txt" >/dev/null
	objdump -d -M intel --start-address=0x$(nm "$tour" | awk '$3=="_start"{print $1}') \
		"$tour" | head -40 >"$work/objdump.txt"
	python3 - "$work/regdiff.txt" "$work/objdump.txt" <<'EOF'
import re, sys
trace = open(sys.argv[1]).read().splitlines()
dump = open(sys.argv[2]).read().splitlines()
ins = [l for l in trace if " insn " in l]
want = []
for l in dump:
    m = re.match(r"\s+([0-9a-f]+):\t([0-9a-f ]+)\t(.*)", l)
    if m and m.group(3).strip():
        want.append((int(m.group(1), 16), m.group(3)))
start = want[0][0]
assert len(ins) == 9, ins
movs = 0
for line, (addr, text) in zip(ins, want):
    label = "_start" if addr == start else "_start+0x%x" % (addr - start)
    assert ("insn 0x%x <%s>:" % (addr, label)) in line, (line, addr, label)
    m = re.match(r"mov\s+e(\w\w),0x([0-9a-f]+)$", text.strip())
    if m:
        movs += 1
        diff = "r%s 0x0 -> 0x%s" % (m.group(1), m.group(2))
        assert any(diff in t for t in trace), diff
assert movs >= 2, movs
EOF
}
check regdiff-objdump regdiff_oracle

# bt on samples/btdemo against objdump: the return address of each call in
# the chain sample_main -> bt_outer -> bt_middle -> bt_leaf.
bt_oracle() {
	(cd "$tree" && "$VMLAB" run --kernel build/samples/btdemo.elf --serial none \
		-x tests/monitor/btdemo_bt.cmd) >"$work/bt.txt" 2>&1
	objdump -d "$B/samples/btdemo.elf64" >"$work/bt.dump"
	python3 - "$work/bt.txt" "$work/bt.dump" <<'EOF'
import re, sys
outs = open(sys.argv[1]).read().split("(vmlab) bt\n")[1:]
lines = open(sys.argv[2]).read().splitlines()
ret = {}
for i, l in enumerate(lines):
    m = re.search(r"call\s+[0-9a-f]+ <(\w+)>", l)
    if m and m.group(1) in ("bt_leaf", "bt_middle", "bt_outer", "sample_main"):
        ret[m.group(1)] = int(re.match(r"\s+([0-9a-f]+):", lines[i + 1]).group(1), 16)
want = [ret["bt_leaf"], ret["bt_middle"], ret["bt_outer"], ret["sample_main"]]
assert len(outs) == 4, len(outs)
for k, out in enumerate(outs):
    frames = [int(x, 16) for x in re.findall(r"#\d+\s+0x([0-9a-f]+)", out.split("(vmlab)")[0])]
    # three bt inside bt_leaf (entry, after push, frame built), one after finish
    assert frames[1:] == (want if k < 3 else want[1:]), (k, frames, want)
EOF
}
check bt-objdump bt_oracle

# --symbols FILE replaces the kernel's symbols: the address nm gives.
symbols_option() {
	local addr
	addr=$(nm "$B/samples/btdemo.elf" | awk '$3=="bt_leaf"{print $1}' | sed 's/^0*//')
	printf 'info symbol bt_leaf+2\ninfo symbol tour_main\nquit\n' >"$work/sym.cmd"
	"$VMLAB" run --kernel "$tour" --serial none --symbols "$B/samples/btdemo.elf" \
		-x "$work/sym.cmd" >"$work/sym.txt" 2>&1
	grep -qx "0x$(printf '%x' $((0x$addr + 2))) is bt_leaf+0x2" "$work/sym.txt" &&
		grep -q "no register or symbol named 'tour_main'" "$work/sym.txt"
}
check symbols-option symbols_option

# --trace-file F.json (Chrome trace format): valid JSON, named tracks, the
# tour's mode slices protected-32 -> compat-32 -> long-64 back to back, ts
# monotonic on every track; also when the run ends on its budget.
json_check() { # FILE MODES...
	python3 -m json.tool "$1" >/dev/null || return 1
	python3 - "$@" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
ev = d["traceEvents"]
names = {(e["pid"], e["tid"]): e["args"]["name"] for e in ev
         if e["ph"] == "M" and e["name"] == "thread_name"}
assert names.get((1, 1)) == "mode cpu0", names
modes = [e for e in ev if e["ph"] == "X" and (e["pid"], e["tid"]) == (1, 1)]
seq = [e["name"] for e in modes]
want = sys.argv[2:]
assert any(seq[i:i + len(want)] == want for i in range(len(seq))), seq
for a, b in zip(modes, modes[1:]):
    assert abs(a["ts"] + a["dur"] - b["ts"]) < 1e-6, (a, b)
last = {}
for e in ev:
    if e["ph"] == "M":
        continue
    k = (e["pid"], e["tid"], e["ph"] == "C")
    assert e["ts"] >= last.get(k, 0), e
    last[k] = e["ts"]
assert any(e["ph"] == "C" for e in ev)
assert any(e["ph"] == "i" and e["cat"] == "io" for e in ev)
EOF
}
json_tour() {
	"$VMLAB" run --kernel "$tour" --serial none --trace=mode,exc,int,io \
		--trace-file "$work/tour.json" >/dev/null 2>&1
	[ $? -eq 33 ] && json_check "$work/tour.json" protected-32 compat-32 long-64 &&
		! ls "$work" | grep -q '\.tmp\.'
}
json_budget() {
	"$VMLAB" run --kernel "$tour" --serial none --trace=mode,io --max-insns 50000 \
		--trace-file "$work/budget.json" >/dev/null 2>&1
	[ $? -eq 6 ] && json_check "$work/budget.json" protected-32 compat-32
}
check chrome-trace json_tour
check chrome-trace-budget json_budget
rm -rf "$work"

# The interactive console under a pseudo-terminal: readline's prompt, a
# command, a breakpoint, continue, quit.
if command -v script >/dev/null; then
	out=$(mktemp)
	printf 'break tour_main\ncontinue\ninfo symbol rip\nquit\n' |
		timeout 30 script -qec "$VMLAB run --kernel $B/samples/tour.elf --serial none --monitor" /dev/null >"$out" 2>&1
	rc=$?
	# readline's bracketed-paste switches and CRs are not ours to check
	tr -d '\r' <"$out" | sed 's/\x1b\[[?0-9;]*[a-zA-Z]//g' >"$out.txt"
	if grep -q '^(vmlab) ' "$out.txt" && grep -q 'breakpoint 1 at 0x1005e0 <tour_main>' "$out.txt" &&
		grep -q '0x1005e0 is tour_main' "$out.txt" && [ $rc -eq 0 ]; then
		echo "PASS monitor/pty"
	else
		echo "FAIL monitor/pty (exit $rc)"
		cat "$out.txt"
		fail=1
	fi
	rm -f "$out" "$out.txt"
else
	echo "SKIP monitor/pty (no script(1))"
fi
exit $fail
