#!/usr/bin/env bash
# tests/suites/grade.sh - the labs and their grader (DESIGN.md §6):
#
#  1. every lab's reference solution gets full marks, with the block cache
#     on and off, and the two runs print the same lines;
#  2. QEMU (the oracle) runs the reference kernel with each command line a
#     check uses and prints the same serial output with the same status as
#     vmlab (tests/guest/qemu.sh);
#  3. the handout (labs/handout.sh) builds and scores below full marks;
#  4. "mutants": the reference with one classic mistake (labs/*/mutants.txt)
#     must fail the named check with the named message, so that the checks
#     can fail and a student gets a message to act on;
#  5. the grader's own errors: no kernel -> exit 2.
# B and VMLAB come from tests/run.sh.  In a handout tree (no solutions),
# steps 1, 2 and 4 are skipped.
set -u
B=${B:-build}
VMLAB=${VMLAB:-$B/vmlab}
here=$(pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/vmlab-grade.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
fail=0
ok() { echo "PASS $*"; }
bad() { echo "FAIL $*"; fail=1; }

for dir in labs/[0-9]*/; do
	lab=$(basename "$dir")
	num=${lab%%-*}
	[ -f "$dir/checks.txt" ] || continue
	img=$B/labs/$lab.elf
	if ! grep -rq 'BEGIN SOLUTION' "$dir"; then
		echo "SKIP lab/$lab: a handout tree (no solutions here)"
		continue
	fi

	# 1. Reference: full marks, block cache on and off, same output.
	"$VMLAB" grade --build "$B" --out "$work/ref-$lab" "$dir" >"$work/ref.out" 2>&1
	rc=$?
	"$VMLAB" grade --build "$B" --out "$work/ref2-$lab" --no-block-cache "$dir" >"$work/ref2.out" 2>&1
	rc2=$?
	score=$(sed -n 's/^Score: //p' "$work/ref.out")
	if [ $rc = 0 ] && [ $rc2 = 0 ] && [ -n "$score" ] && [ "${score%/*}" = "${score#*/}" ]; then
		ok "lab/$lab/reference ($score)"
	else
		bad "lab/$lab/reference (exit $rc / $rc2, score '$score')"
		cat "$work/ref.out"
	fi
	if ! sed 's/([0-9.]* s)//; s|ref2-|ref-|' "$work/ref2.out" | cmp -s - <(sed 's/([0-9.]* s)//' "$work/ref.out"); then
		bad "lab/$lab/no-block-cache: the grades differ"
		diff "$work/ref.out" "$work/ref2.out" | head -20
	fi
	grep -q '"score"' "$work/ref-$lab/result.json" || bad "lab/$lab: no result.json"

	# 2. QEMU runs the reference kernel with every command line used.
	appends=$( (echo; sed -n 's/^[[:space:]]*append[[:space:]]*//p' "$dir/checks.txt") | sort -u)
	while IFS= read -r a; do
		"$VMLAB" run --kernel "$img" --append "$a" </dev/null >"$work/v.serial" 2>"$work/v.err"
		v=$?
		tests/guest/qemu.sh "$img" -append "$a" >"$work/q.serial" 2>"$work/q.err"
		q=$?
		if [ $v = $q ] && cmp -s "$work/v.serial" "$work/q.serial"; then
			ok "lab/$lab/qemu '$a' (status $v)"
		else
			bad "lab/$lab/qemu '$a': vmlab status $v, QEMU $q"
			diff -u "$work/q.serial" "$work/v.serial" | head -20 | cat -v
			tail -3 "$work/v.err" "$work/q.err"
		fi
	done <<<"$appends"

	# 4. Mutants: "NAME | CHECK | MESSAGE | FILE | SED-EXPRESSION" per line.
	if [ -f "$dir/mutants.txt" ]; then
		while IFS='|' read -r name check msg file expr; do
			name=$(echo "$name" | xargs)
			case "$name" in '' | '#'*) continue ;; esac
			check=$(echo "$check" | xargs)
			msg=$(echo "$msg" | sed 's/^ *//; s/ *$//')
			file=$(echo "$file" | xargs)
			expr=$(echo "$expr" | sed 's/^ *//; s/ *$//')
			m=$work/mut-$lab-$name
			mkdir -p "$m"
			cp -r Makefile samples labs "$m/"
			sed -i "$expr" "$m/$dir/$file"
			if cmp -s "$dir/$file" "$m/$dir/$file"; then
				bad "lab/$lab/mutant/$name: the sed expression changed nothing"
				continue
			fi
			if ! make -C "$m" B=build "build/labs/$lab.elf" >"$m/make.log" 2>&1; then
				bad "lab/$lab/mutant/$name: does not build"
				tail -5 "$m/make.log"
				continue
			fi
			"$VMLAB" grade --kernel "$m/build/labs/$lab.elf" --out "$m/grade" "$dir" >"$m/out" 2>&1
			rc=$?
			if [ $rc = 1 ] && grep -q "^== $check \.\.\. FAIL" "$m/out" && grep -qF -- "$msg" "$m/out"; then
				ok "lab/$lab/mutant/$name ($check fails: $msg)"
			else
				bad "lab/$lab/mutant/$name: expected $check to FAIL saying '$msg' (exit $rc)"
				cat "$m/out"
			fi
		done <"$dir/mutants.txt"
	fi

	# 3. The handout builds and scores below full marks.
	h=$work/handout-$lab
	if ! labs/handout.sh "$num" "$h" >"$work/h.log" 2>&1; then
		bad "lab/$lab/handout: handout.sh failed"
		cat "$work/h.log"
		continue
	fi
	if grep -rq 'BEGIN SOLUTION' "$h/$dir"; then
		bad "lab/$lab/handout: solutions left in the handout"
	fi
	if ! make -C "$h" B=build labs >"$work/hmake.log" 2>&1; then
		bad "lab/$lab/handout: the lab kernels do not build"
		tail -10 "$work/hmake.log"
		continue
	fi
	"$VMLAB" grade --build "$h/build" --out "$h/grade" "$dir" >"$work/h.out" 2>&1
	rc=$?
	hs=$(sed -n 's/^Score: //p' "$work/h.out")
	if [ $rc = 1 ] && [ -n "$hs" ] && [ "${hs%/*}" -lt "${hs#*/}" ]; then
		ok "lab/$lab/handout ($hs)"
	else
		bad "lab/$lab/handout: exit $rc, score '$hs' (want below full marks)"
		cat "$work/h.out"
	fi
done

# 5. The grader's own errors.
"$VMLAB" grade --build "$work/nowhere" labs/01-boot >"$work/e.out" 2>&1
rc=$?
if [ $rc = 2 ] && grep -q 'build it first' "$work/e.out"; then
	ok "grade/missing-kernel"
else
	bad "grade/missing-kernel: exit $rc"
	cat "$work/e.out"
fi
cd "$here" || exit 1
exit $fail
