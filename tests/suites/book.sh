#!/usr/bin/env bash
# tests/suites/book.sh - run every command transcript of the book and
# compare (DESIGN.md §6: the book never drifts from the program).
#
# A transcript is a fenced block opened with ```console.  Inside it, a line
# starting with "$ " is a command; the lines after it, up to the next
# command or the end of the block, are its expected output (stdout and
# stderr together, as `2>&1` would show them).  Commands run with bash in
# the top folder of the tree, with `vmlab` on the PATH (the binary under
# test) and VMLAB_BUILD set, so `vmlab grade` finds the lab kernels; the
# folder build/ seen by a command is the build folder B.  Time is
# virtual, so the output is the same on every run and every host.
#
#   usage: tests/suites/book.sh [FILE.md ...]     (default: book/*.md)
# Prints PASS/FAIL book/FILE:LINE per command and exits non-zero on any
# difference.  B and VMLAB come from tests/run.sh (or make book-check).
set -u
B=${B:-build}
VMLAB=${VMLAB:-$B/vmlab}
work=$(mktemp -d "${TMPDIR:-/tmp}/vmlab-book.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/bin" "$work/tree"
ln -s "$(cd "$(dirname "$VMLAB")" && pwd)/$(basename "$VMLAB")" "$work/bin/vmlab"
# Commands run literally as the book prints them, in a tree whose build/ is
# the build folder B: paths reach the guest (QEMU and vmlab pass the kernel
# path on the multiboot command line), so rewriting build/ into another
# name would change what the guest executes.
for e in * .[!.]*; do
	[ -e "$e" ] && [ "$e" != build ] && ln -s "$PWD/$e" "$work/tree/$e"
done
ln -s "$(cd "$B" && pwd)" "$work/tree/build"
export PATH="$work/bin:$PATH" VMLAB_BUILD=build
fail=0
count=0

# Run the command in $work/cmd and compare with $work/want.
check() { # check FILE LINE
	local cmd
	cmd=$(cat "$work/cmd")
	count=$((count + 1))
	(cd "$work/tree" && timeout 120 bash -c "$cmd") </dev/null >"$work/got" 2>&1
	if cmp -s "$work/want" "$work/got"; then
		echo "PASS book/$(basename "$1"):$2"
	else
		echo "FAIL book/$(basename "$1"):$2: $(head -c 200 "$work/cmd")"
		diff -u --label book --label vmlab "$work/want" "$work/got" | head -40
		fail=1
	fi
}

files=("$@")
[ ${#files[@]} -eq 0 ] && files=(book/*.md)
for f in "${files[@]}"; do
	inblock=0
	pending=0
	n=0
	while IFS= read -r line || [ -n "$line" ]; do
		n=$((n + 1))
		if [ $inblock = 0 ]; then
			[ "$line" = '```console' ] && inblock=1
			continue
		fi
		if [ "$line" = '```' ]; then
			[ $pending = 1 ] && check "$f" "$at"
			inblock=0
			pending=0
			continue
		fi
		if [ "${line:0:2}" = '$ ' ]; then
			[ $pending = 1 ] && check "$f" "$at"
			printf '%s\n' "${line:2}" >"$work/cmd"
			: >"$work/want"
			pending=1
			at=$n
		elif [ $pending = 1 ]; then
			printf '%s\n' "$line" >>"$work/want"
		fi
	done <"$f"
done
echo "$count command(s) checked"
[ $count -gt 0 ] || { echo "FAIL book: no transcripts found"; fail=1; }
exit $fail
