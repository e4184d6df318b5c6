#!/usr/bin/env python3
# Runs a command and prints its peak resident memory in KiB (getrusage of the waited-for child,
# the kernel's own high-water mark: no sampling can miss a short peak). Exits with its exit code.
# Usage: peak_rss.py OUTFILE COMMAND [ARGS...]   (the figure goes to OUTFILE, the output passes through)
import resource
import subprocess
import sys

code = subprocess.run(sys.argv[2:]).returncode
with open(sys.argv[1], "w") as f:
    f.write(f"{resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}\n")
sys.exit(code)
