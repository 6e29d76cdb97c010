"""Run a command as a child of this small process and write its own rusage (CPU, peak RSS) to a file.

    python bench/launch.py RUSAGE.json COMMAND [ARGS...]

Linux carries a process's peak RSS across fork and exec (ru_maxrss starts from the forking
parent's size), so a benchmark process that already holds hundreds of MB (parsed results of
earlier runs) would add them to every child's peak. Forked from this process instead, a child
starts from a few MB. Exits with the child's exit code."""
import json
import os
import sys


def main() -> int:
    out, args = sys.argv[1], sys.argv[2:]
    pid = os.fork()
    if pid == 0:
        try:
            os.execvp(args[0], args)
        finally:
            os._exit(127)
    _, status, usage = os.wait4(pid, 0)
    with open(out, "w", encoding="utf-8") as f:
        json.dump({"cpu": usage.ru_utime + usage.ru_stime, "maxrss_kb": usage.ru_maxrss}, f)
    return os.waitstatus_to_exitcode(status)


if __name__ == "__main__":
    sys.exit(main())
