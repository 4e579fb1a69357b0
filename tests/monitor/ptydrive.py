#!/usr/bin/env python3
"""tests/monitor/ptydrive.py - drive an interactive program under a pseudo-terminal.

Usage: ptydrive.py STEPS -- COMMAND [ARGS...]

The interactive monitor must be tested the way a person uses it: through a
terminal (readline, the tty's ISIG turning ^C into SIGINT).  Sleeping and
hoping the program is ready is a race on a loaded CI machine, so every step
waits for what the program printed.  STEPS is a file, one step a line:

    expect REGEX      wait (up to 30 s) until the output since the last
                      match contains REGEX (Python syntax, multiline)
    send TEXT         write TEXT to the terminal; \\n, \\x03 (^C) ... escapes
    sleep SECONDS     let the program run (only where nothing can be awaited)
    # comment

The whole transcript (CRs and terminal escape sequences removed) goes to
stdout.  Exit status: the program's own status (128+N if killed by signal
N), or 124 when an expectation timed out (the step is named on stderr).
"""
import os
import pty
import re
import select
import signal
import sys
import time

ESCAPES = re.compile(rb"\x1b\[[?0-9;]*[a-zA-Z]|\r")


def main():
    if len(sys.argv) < 4 or sys.argv[2] != "--":
        sys.stderr.write(__doc__)
        return 2
    steps = [l.rstrip("\n") for l in open(sys.argv[1])]
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(sys.argv[3], sys.argv[3:])
    out = b""
    seen = 0  # the end of the last match: expectations only look after it

    def read_some(deadline):
        nonlocal out
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            r, _, _ = select.select([fd], [], [], left)
            if r:
                try:
                    data = os.read(fd, 4096)
                except OSError:  # EIO: the child closed the terminal
                    return False
                if not data:
                    return False
                out += data
                return True

    status = None
    for n, step in enumerate(steps, 1):
        if not step or step.startswith("#"):
            continue
        verb, _, arg = step.partition(" ")
        if verb == "send":
            os.write(fd, arg.encode().decode("unicode_escape").encode("latin-1"))
        elif verb == "sleep":
            time.sleep(float(arg))
        elif verb == "expect":
            pat = re.compile(arg.encode(), re.M)
            deadline = time.monotonic() + 30
            while True:
                clean = ESCAPES.sub(b"", out)
                m = pat.search(clean, seen)
                if m:
                    seen = m.end()
                    break
                if not read_some(deadline):
                    sys.stdout.write(ESCAPES.sub(b"", out).decode(errors="replace"))
                    sys.stderr.write(f"ptydrive: step {n} ({step}) not seen\n")
                    os.kill(pid, signal.SIGKILL)
                    os.waitpid(pid, 0)
                    return 124
        else:
            sys.stderr.write(f"ptydrive: step {n}: unknown verb {verb!r}\n")
            os.kill(pid, signal.SIGKILL)
            return 2
    # Drain until the program exits (30 s at most).
    deadline = time.monotonic() + 30
    while read_some(deadline):
        pass
    for _ in range(300):
        wpid, st = os.waitpid(pid, os.WNOHANG)
        if wpid:
            status = os.waitstatus_to_exitcode(st)
            break
        time.sleep(0.1)
    else:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        status = 124
    sys.stdout.write(ESCAPES.sub(b"", out).decode(errors="replace"))
    return status if status >= 0 else 128 - status


if __name__ == "__main__":
    sys.exit(main())
