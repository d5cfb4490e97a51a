#!/usr/bin/env python
"""Prints graphite-web 1.1.10's status for every case of webapp/tests/graph_bad_input.rs's
CASES table, next to the status the table expects, so the table can be re-checked:

    .venv-ref/bin/python webapp/tests/graph/reference_bad_input.py

The reference runs in-process over the golden dataset (webapp/tests/golden/dataset.py) with
`now` pinned to its clock and the default one-day range; Django's test client re-raises what
would be a 500, so an exception is printed as 500 with its class. A NaN or infinite pie slice
aborts the reference's process (a cairo assertion); no such case is in the table.
"""
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "golden"))
import dataset  # noqa: E402
import generate  # noqa: E402


def main():
    with open(os.path.join(HERE, "..", "graph_bad_input.rs")) as fh:
        text = fh.read()
    table = text[text.index("const CASES"):]
    table = table[:table.index("];")]
    cases = re.findall(r'\("([^"]*)",\s*(\d+)\)', table)
    tmp = tempfile.mkdtemp(prefix="bad-input-ref-")
    subprocess.run([sys.executable, os.path.join(HERE, "..", "golden", "dataset.py"), tmp],
                   check=True, stdout=subprocess.DEVNULL)
    client = generate.setup_django(tmp)
    differ = 0
    for query, want in cases:
        try:
            status = client.get("/render?%s&now=%d" % (query, dataset.NOW)).status_code
            what = ""
        except Exception as e:  # a 500 in production
            status, what = 500, type(e).__name__
        mark = "" if status == int(want) else "   <-- the table says %s" % want
        differ += bool(mark)
        print("%s %-22s %s%s" % (status, what, query, mark))
    print("%d of %d differ from the table" % (differ, len(cases)))


if __name__ == "__main__":
    main()
