#!/bin/sh
# labs/handout.sh - write the student tree of a lab: a complete, buildable
# copy of the project in which the solutions are replaced by TODOs.
#
#   usage: labs/handout.sh NN OUTDIR        (make handout LAB=NN OUT=DIR)
#
# Solutions live in the lab's files between two marker comments:
#
#       /* BEGIN SOLUTION: what to write, as a hint */
#       ... the reference solution ...
#       /* HANDOUT: a line the student's copy keeps instead (optional) */
#       /* END SOLUTION */
#
# In the handout the whole region becomes
#
#       /* TODO: what to write, as a hint */
#       a line the student's copy keeps instead
#
# (HANDOUT lines keep a file assembling and linking: a placeholder GDT
# entry, a stub return value.)  Regions are removed from lab NN and from
# every later lab; earlier labs keep their solutions, as a course hands
# them out.  The copy holds what git tracks plus new files not ignored
# (no build directories, no .git); outside a git checkout, everything but
# build*/ and .git.  OUTDIR must not exist or be empty.
set -eu
lab=${1:?usage: labs/handout.sh NN OUTDIR}
out=${2:?usage: labs/handout.sh NN OUTDIR}
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"

labdir=$(ls -d labs/"$lab"-*/ 2>/dev/null | head -n 1)
[ -n "$labdir" ] || { echo "handout: no lab labs/$lab-*" >&2; exit 2; }
if [ -e "$out" ] && [ -n "$(ls -A "$out" 2>/dev/null)" ]; then
	echo "handout: $out exists and is not empty" >&2
	exit 2
fi
mkdir -p "$out"
out=$(cd "$out" && pwd)
case "$out/" in "$here"/*) ;; esac

# 1. The project, file by file.
list=$(mktemp)
trap 'rm -f "$list"' EXIT
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	git ls-files --cached --others --exclude-standard >"$list"
else
	find . \( -name .git -o -name 'build*' \) -prune -o -type f -print | sed 's|^\./||' >"$list"
fi
while IFS= read -r f; do
	[ -f "$f" ] || continue # deleted but still in the index
	case "$out/" in "$here/$f"/*) continue ;; esac
	mkdir -p "$out/$(dirname -- "$f")"
	cp -p -- "$f" "$out/$f"
done <"$list"

# 2. Strip the solutions of lab NN and of the later labs.
strip() { # strip FILE: rewrite it in place; fails on an unterminated region
	awk '
	function between(s, a,   i, t) {
		i = index(s, a); t = substr(s, i + length(a));
		sub(/^[ \t]*/, "", t); sub(/[ \t]*\*\/[ \t]*$/, "", t); return t
	}
	/BEGIN SOLUTION/ {
		if (inside) { printf "%s:%d: BEGIN SOLUTION inside a region\n", FILENAME, NR > "/dev/stderr"; exit 1 }
		inside = 1; start = NR
		match($0, /^[ \t]*/); indent = substr($0, 1, RLENGTH)
		hint = between($0, "BEGIN SOLUTION"); sub(/^:[ \t]*/, "", hint)
		print indent "/* TODO: " hint " */"
		next
	}
	inside && /END SOLUTION/ { inside = 0; next }
	inside && /HANDOUT:/ { print indent between($0, "HANDOUT:"); next }
	inside { next }
	{ print }
	END { if (inside) { printf "%s:%d: BEGIN SOLUTION without END SOLUTION\n", FILENAME, start > "/dev/stderr"; exit 1 } }
	' "$1" >"$1.handout" && mv "$1.handout" "$1"
}
n=0
for d in "$out"/labs/[0-9]*/; do
	num=$(basename "$d" | sed 's/-.*//')
	[ "$num" \< "$lab" ] && continue
	for f in $(grep -rl 'BEGIN SOLUTION' "$d" 2>/dev/null || true); do
		strip "$f"
		n=$((n + 1))
	done
done
if grep -rq 'BEGIN SOLUTION\|END SOLUTION' "$out/$labdir"; then
	echo "handout: solution markers left in $out/$labdir" >&2
	exit 1
fi
echo "handout: $out: lab $(basename "$labdir"), $n file(s) with solutions removed"
