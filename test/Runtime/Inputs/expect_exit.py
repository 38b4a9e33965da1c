"""Runs a command and succeeds iff it exits with the given code.

Usage: expect_exit.py CODE COMMAND [ARGS...]. The command's output is passed
through, so FileCheck can read it; lit's `not` only tells zero from non-zero.
"""
import subprocess
import sys

expected = int(sys.argv[1])
result = subprocess.run(sys.argv[2:], stdout=subprocess.PIPE,
                        stderr=subprocess.STDOUT)
sys.stdout.write(result.stdout.decode(errors="replace"))
if result.returncode != expected:
    sys.stdout.write("expect_exit.py: exit code %d, expected %d\n"
                     % (result.returncode, expected))
    sys.exit(1)
