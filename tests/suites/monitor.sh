#!/usr/bin/env bash
# Monitor transcript tests (tests/monitor/*.cmd): each script runs in batch
# mode (-x) against the sample kernel named on its "# kernel: NAME" line
# (or the boot disk build/samples/NAME.img of a "# hda: NAME" line, from
# the reset vector; "# symbols: PATH" adds --symbols build/samples/PATH),
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
	hda=$(sed -n 's/^# hda: *//p' "$cmd" | head -1)
	syms=$(sed -n 's/^# symbols: *//p' "$cmd" | head -1)
	if [ -n "$hda" ]; then # a boot disk from the reset vector (BIOS)
		# a private copy: the guest may write it, and build/samples' image
		# must stay pristine for the other suites (minios.sh compares it)
		mkdir -p "$tree/disks" && cp "$B/samples/$hda.img" "$tree/disks/$hda.img"
		guest=(--hda "disks/$hda.img")
	else
		guest=(--kernel "build/samples/$kernel.elf")
	fi
	[ -n "$syms" ] && guest+=(--symbols "build/samples/$syms")
	out=$(mktemp)
	(cd "$tree" && timeout 120 "$VMLAB" run "${guest[@]}" --serial none \
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

# minios_boot.cmd's output against the facts: the BIOS's reset-vector bytes
# (bios.bin at 0xFFF0: a far JMP ptr16:16) and its target, the boot
# sector's MOV CR0 (objdump of boot.elf) for real -> protected, kmain and
# its first instructions (nm/objdump of kernel.elf), CR3 = page_dir, the
# 32-bit walk's indexes, the conditional breakpoint's argument and return
# address, and the disk dump against the image bytes.
minios_oracle() {
	local k=$B/samples/minios/kernel.elf
	objdump -d -M intel "$k" >"$work/mk.dump" &&
		objdump -d -M intel "$B/samples/minios/boot.elf" >"$work/mb.dump" &&
		nm "$k" >"$work/mk.nm" || return 1
	# a fresh run, so the facts hold for the minios just built even when
	# minios_boot.expected is stale (regenerate it with UPDATE=1)
	mkdir -p "$tree/disks" && cp "$B/samples/minios.img" "$tree/disks/minios-facts.img"
	(cd "$tree" && timeout 120 "$VMLAB" run --hda disks/minios-facts.img --serial none \
		--symbols build/samples/minios/kernel.elf -x tests/monitor/minios_boot.cmd) \
		>"$work/mb.txt" 2>&1
	python3 - "$work/mb.txt" "$B/samples/firmware/bios.bin" \
		"$work/mk.dump" "$work/mb.dump" "$work/mk.nm" "$B/samples/minios.img" <<'EOF'
import re, sys
out = open(sys.argv[1]).read()
bios = open(sys.argv[2], "rb").read()
kd, bd = open(sys.argv[3]).read(), open(sys.argv[4]).read()
sym = {l.split()[2]: int(l.split()[0], 16) for l in open(sys.argv[5]) if len(l.split()) == 3}
img = open(sys.argv[6], "rb").read()
def insns(dump):
    r = []
    for l in dump.splitlines():
        m = re.match(r"\s+([0-9a-f]+):\t([0-9a-f ]+?)\s*\t(.*)", l)
        if m:
            r.append((int(m.group(1), 16), m.group(2).split(), m.group(3)))
    return r
# reset vector: F000:FFF0 holds EA off16 seg16 (SDM Vol 3 §9.1.4)
rv = bios[0xFFF0:0xFFF5]
assert rv[0] == 0xEA, rv
first = out.splitlines()[0]
assert first.startswith("=> 0xfff0:\t" + " ".join("%02x" % b for b in rv)), first
assert "rip 0xfff0\n" in out and "mode real  cs 0xf000" in out
assert "cs   0xf000 base=0x00000000ffff0000" in out
off, seg = rv[1] | rv[2] << 8, rv[3] | rv[4] << 8
assert seg == 0xF000
assert ("(vmlab) step\n=> 0x%x:" % off) in out
# real -> protected-16 at the boot sector's MOV CR0, then its far JMP
bi = insns(bd)
mov = [i for i, x in enumerate(bi) if re.match(r"mov\s+cr0,", x[2])]
assert len(mov) == 1, mov
a, j = bi[mov[0]][0], bi[mov[0] + 1]
assert ("mode real -> protected-16 at 0x%x\n=> 0x%x:\t%s" % (a, j[0], " ".join(j[1]))) in out
assert ("mode protected-16 -> protected-32 at 0x%x" % j[0]) in out
# kmain: nm's address, objdump's first three instructions
ki = insns(kd)
km = sym["kmain"]
assert ("breakpoint 2 at 0x%x <kmain>" % km) in out
start = [i for i, x in enumerate(ki) if x[0] == km][0]
for addr, by, _ in ki[start:start + 3]:
    lab = "kmain" if addr == km else "kmain+0x%x" % (addr - km)
    assert ("0x%x <%s>:\t%s" % (addr, lab, " ".join(by))) in out, (addr, lab)
assert "mode protected-32  cs 0x0008" in out
# paging on: the CR0 write in mm_init; CR3 is page_dir; 10+10+12 split
c = [x for x in ki if re.match(r"mov\s+cr0,", x[2]) and sym["mm_init"] <= x[0] < sym["mm_init"] + 0x400]
assert c and ("at 0x%x\n" % c[0][0]) in out, c
assert ("32-bit paging, CR3 = 0x%x, linear 0x%x" % (sym["page_dir"], km)) in out
assert ("PDE  [%3d] @ 0x%09x" % (km >> 22, sym["page_dir"] + 4 * (km >> 22))) in out
assert ("PTE  [%3d]" % ((km >> 12) & 0x3ff)) in out
assert ("PDE  [%3d] @ 0x%09x" % (0xdead0000 >> 22, sym["page_dir"] + 4 * (0xdead0000 >> 22))) in out
# break ide_read if lba == 260: [esp] is a return address after a call ide_read
m = re.search(r"\(vmlab\) x/2wx esp\n0x[0-9a-f]+ <[^>]+>:\t0x([0-9a-f]{8})\t0x([0-9a-f]{8})", out)
assert m and int(m.group(2), 16) == 260, m
ret = int(m.group(1), 16)
calls = [ki[i + 1][0] for i, x in enumerate(ki[:-1]) if re.match(r"call\s+[0-9a-f]+ <ide_read>", x[2])]
assert ret in calls, (hex(ret), calls)
# disk sector 260: every dumped line equals the image
dump = out.split("(vmlab) disk sector 260\n")[1].split("(vmlab)")[0]
lines = [l for l in dump.splitlines() if re.match(r"[0-9a-f]{8}:", l)]
assert len(lines) >= 2
for l in lines:
    o = int(l[:8], 16)
    assert bytes(int(h, 16) for h in l[9:59].split()) == img[o:o + 16], l
EOF
}
check minios-boot-facts minios_oracle

# tour_inspect.expected against objdump/nm: the rdmsr/wrmsr the EFER
# catchpoints name, each watchpoint's instruction really reads or writes
# the watched symbol (objdump's "# addr <sym>" on a RIP-relative operand,
# a store when the memory operand comes first), the GDT lines against the
# bytes of boot_gdt in the ELF.
tour_inspect_oracle() {
	# tour.elf is the 32-bit multiboot wrapper (its _start is 32-bit code),
	# tour.elf64 the same image as x86-64 (the C code): one dump of each.
	objdump -d -M intel "$tour" >"$work/ti.dump32" &&
		objdump -d -M intel "${tour}64" >"$work/ti.dump" && nm "$tour" >"$work/ti.nm" || return 1
	python3 - tests/monitor/tour_inspect.expected "$work/ti.dump" "$work/ti.nm" "$tour" \
		"$work/ti.dump32" <<'EOF'
import re, struct, subprocess, sys
out = open(sys.argv[1]).read()
def dump(f):
    r = {}
    for l in open(f).read().splitlines():
        m = re.match(r"\s+([0-9a-f]+):\t[0-9a-f ]+\t(.*)", l)
        if m:
            r[int(m.group(1), 16)] = m.group(2)
    return r
ins, ins32 = dump(sys.argv[2]), dump(sys.argv[5])
sym = {l.split()[2]: int(l.split()[0], 16) for l in open(sys.argv[3]) if len(l.split()) == 3}
for op in ("rdmsr", "wrmsr"):
    m = re.search(op + r" msr 0xc0000080 at 0x([0-9a-f]+)", out)
    assert m and ins32[int(m.group(1), 16)].strip() == op, (op, m)
hits = re.findall(r"watchpoint \d+: (read|write) of 8 bytes at 0x([0-9a-f]+) by 0x([0-9a-f]+)", out)
assert len(hits) == 4, hits
for kind, a, pc in hits:
    text = ins[int(pc, 16)]
    assert ("# %s" % a.lstrip("0")) in text or ("# 0x%s" % a) in text, (a, text)
    store = re.match(r"mov\s+QWORD PTR \[rip", text, re.I) is not None
    assert store == (kind == "write"), (kind, text)
# GDT: the bytes at boot_gdt in the ELF (objdump -s); the CPU sets a
# descriptor's accessed bit (bit 40) when it loads it (SDM Vol 3 §3.4.5.1).
rows = subprocess.run(["objdump", "-s", "--start-address=0x%x" % sym["boot_gdt"],
                       "--stop-address=0x%x" % sym["boot_gdt_end"], sys.argv[4]],
                      capture_output=True, text=True).stdout
raw = b"".join(bytes.fromhex("".join(l.split()[1:5])) for l in rows.splitlines()
               if re.match(r" [0-9a-f]{6,} ", l))
n = 0
for l in out.split("(vmlab) gdt\n")[1].split("(vmlab)")[0].splitlines()[1:]:
    sel, desc = l.split()[:2]
    want = struct.unpack_from("<Q", raw, int(sel, 16))[0]
    assert int(desc, 16) & ~(1 << 40) == want & ~(1 << 40), (l, hex(want))
    n += 1
assert n == 4, n
EOF
}
check tour-inspect-facts tour_inspect_oracle

# Event breaks on the magic instruction and on triple fault, with a boot
# sector made here (real mode, hand-assembled, bytes checked by objdump):
#   7c00 xor ax,ax; mov ds,ax    7c04 xchg bx,bx (the magic breakpoint)
#   7c06 lidt [0x7c10] (limit 0) 7c0b int3: vector 3 is beyond the IDT
#   limit -> #GP, also beyond -> #DF -> shutdown (SDM Vol 3 §20.1.4, §6.15)
magic_triple() {
	python3 - "$work/tf.img" <<'EOF'
import sys
code = bytes([0x31, 0xc0, 0x8e, 0xd8, 0x87, 0xdb, 0x0f, 0x01, 0x1e, 0x10, 0x7c, 0xcc])
b = code + b"\xf4" * (0x10 - len(code)) + bytes(6)
b += bytes(510 - len(b)) + b"\x55\xaa"
open(sys.argv[1], "wb").write(b + bytes(65536 - 512))
EOF
	objdump -D -b binary -m i8086 -M intel --adjust-vma=0x7c00 --stop-address=0x7c0c \
		"$work/tf.img" | grep -q '7c0b:.*int3' || return 1
	printf 'catch magic\ncatch triple\ncontinue\ncontinue\ncontinue\n' >"$work/tf.cmd"
	"$VMLAB" run --hda "$work/tf.img" --serial none -x "$work/tf.cmd" >"$work/tf.txt" 2>&1
	[ $? -eq 4 ] &&
		grep -qx 'catchpoint 1: magic breakpoint (xchg bx, bx) at 0x7c04' "$work/tf.txt" &&
		grep -qx 'catchpoint 2: triple fault at 0x7c0b' "$work/tf.txt" &&
		grep -q 'guest triple-faulted' "$work/tf.txt"
}
check magic-triple magic_triple

# systest32_pae.expected against nm: CR3 is pdpt; each level's entry sits
# at (the table the previous level named) + 8 * index, index from the
# linear address's 2/9/9/12 split (SDM Vol 3 §4.4.2); the tables are
# pdpt -> pae_u -> pae_t (4 KiB test pages tpage[0], tpage[1] with XD) and
# pdpt -> pae_k (2 MiB pages).
pae_oracle() {
	nm "$B/samples/systest32.elf" >"$work/st.nm" || return 1
	python3 - tests/monitor/systest32_pae.expected "$work/st.nm" <<'EOF'
import re, sys
out = open(sys.argv[1]).read()
sym = {l.split()[2]: int(l.split()[0], 16) for l in open(sys.argv[2]) if len(l.split()) == 3}
walks = out.split("(vmlab) pt ")[1:]
assert len(walks) == 4
names = {sym["pdpt"]: "pdpt", sym["pae_u"]: "pae_u", sym["pae_t"]: "pae_t",
         sym["pae_k"]: "pae_k", sym["tpage"]: "tpage[0]", sym["tpage"] + 0x1000: "tpage[1]"}
seen = []
for w in walks:
    va = int(w.split("\n")[0], 16)
    cr3 = int(re.search(r"PAE paging, CR3 = 0x([0-9a-f]+)", w).group(1), 16)
    assert cr3 == sym["pdpt"], hex(cr3)
    table, shifts = cr3, [30, 21, 12]
    for k, m in enumerate(re.finditer(r"(PDPTE|PDE  |PTE  )\[\s*(\d+)\] @ 0x([0-9a-f]+) = 0x([0-9a-f]+)", w)):
        idx = int(m.group(2))
        assert idx == (va >> shifts[k]) & (3 if k == 0 else 0x1ff), (hex(va), k, idx)
        assert int(m.group(3), 16) == table + 8 * idx, (hex(va), m.group(0))
        val = int(m.group(4), 16)
        table = val & 0x000ffffffffff000
        if val & 1 and not val & 0x80:
            seen.append(names.get(table, hex(table)))
    if "XD" in w:
        assert "no-execute" in w and va == 0x40401000, w
assert seen == ["pae_u", "pae_t", "tpage[0]", "pae_u", "pae_t", "tpage[1]", "pae_u", "pae_k"], seen
assert "not mapped: a read at CPL 0 raises #PF" in walks[2]
assert "efer 0x0000000000000800 [ NXE ]" in out and "cr4  0x0000000000000020 [ PAE ]" in out
EOF
}
check pae-walk-facts pae_oracle

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

# The interactive console under a pseudo-terminal (tests/monitor/ptydrive.py
# waits for each prompt instead of sleeping): readline's prompt, a command,
# completion, a breakpoint, continue, ^C at the prompt, quit.
pty_run() { # NAME STEPS CMD... -> PASS/FAIL; the transcript in $out
	local name=$1 steps=$2
	shift 2
	out=$(python3 tests/monitor/ptydrive.py "$steps" -- "$@" 2>&1)
	rc=$?
}
pty_report() { # NAME OK
	if [ "$2" = 0 ]; then
		echo "PASS monitor/$1"
	else
		echo "FAIL monitor/$1 (exit $rc)"
		printf '%s\n' "$out"
		fail=1
	fi
}
steps=$(mktemp)
cat >"$steps" <<'STEPS'
expect ^\(vmlab\) 
# Tab completes command names (first word) and guest symbols (later words)
send brea\ttour_ma\t\n
expect ^\(vmlab\) 
send continue\n
expect ^\(vmlab\) 
send info symbol rip\n
expect ^\(vmlab\) 
# ^C at the prompt drops the half-typed line: vmlab lives on
send regs this is never run
expect never run$
send \x03
expect ^\(vmlab\) $
send quit\n
STEPS
pty_run pty "$steps" "$VMLAB" run --kernel "$B/samples/tour.elf" --serial none --monitor
ok=1
grep -q '^(vmlab) ' <<<"$out" && grep -q 'breakpoint 1 at 0x1005e0 <tour_main>' <<<"$out" &&
	grep -q '0x1005e0 is tour_main' <<<"$out" && ! grep -q '^rax ' <<<"$out" &&
	[ $rc -eq 0 ] && ok=0
pty_report pty $ok

# Ctrl-C while the guest runs: minios waits for COM1 input forever, so
# `continue` does not return by itself; the ^C byte through the pty becomes
# SIGINT (the tty's ISIG), the monitor stops the guest and the prompt is
# back: `regs` works, a second continue / ^C works too, `quit` exits 0.
# The one sleep lets the guest get going; correctness does not hang on it.
mkdir -p "$tree/disks" && cp "$B/samples/minios.img" "$tree/disks/minios-pty.img"
cat >"$steps" <<'STEPS'
expect ^\(vmlab\) 
send continue\n
expect continue$
sleep 1
send \x03
expect ^\^?C?interrupted$
expect ^\(vmlab\) 
send regs\n
expect ^\(vmlab\) 
send continue\n
expect continue$
sleep 1
send \x03
expect ^\^?C?interrupted$
expect ^\(vmlab\) 
send info symbol rip\n
expect ^\(vmlab\) 
send quit\n
STEPS
pty_run pty-ctrl-c "$steps" "$VMLAB" run --hda "$tree/disks/minios-pty.img" --serial none \
	--symbols "$B/samples/minios/kernel.elf" --monitor
ok=1
grep -A10 '^(vmlab) regs$' <<<"$out" | grep -q 'mode protected-32  cs 0x0008' &&
	grep -A1 '^(vmlab) info symbol rip$' <<<"$out" | grep -q ' is [a-z_]*+0x' && [ $rc -eq 0 ] && ok=0
pty_report pty-ctrl-c $ok
rm -f "$steps"
exit $fail
