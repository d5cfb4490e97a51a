"""Runs a reference whisper-*.py script with the clock fixed by $WHISPER_NOW.

Usage: python run_tool.py /path/to/whisper-fetch.py [script arguments...]

When WHISPER_NOW (integer epoch seconds) is set, time.time() returns float(WHISPER_NOW), so
the script and the whisper library see the same "now" as the Rust tools do. The script then
runs as __main__ with sys.argv[0] set to its own path, as if started directly.
"""
import os
import runpy
import sys
import time

_now = os.environ.get("WHISPER_NOW", "").strip()
if _now:
    _fixed = float(int(_now))
    time.time = lambda: _fixed

script = sys.argv[1]
sys.argv = [script] + sys.argv[2:]
runpy.run_path(script, run_name="__main__")
