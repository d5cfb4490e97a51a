"""Interop driver for webapp/tests/attime_reference.rs.

Reads one JSON object per line on stdin: {"s": text, "tz": zone name, "now": epoch seconds}
and writes one JSON object per line: {"ok": epoch seconds of parseATTime(s, tz, now)} or
{"err": "<exception type>: <message>"}. `now` is built as the views build it
(datetime.fromtimestamp(now, tz)), and parseATTime is graphite-web's own.
"""
import calendar
import json
import sys
import warnings
from datetime import datetime

warnings.simplefilter("ignore")

from django.conf import settings  # noqa: E402

settings.configure(TIME_ZONE="UTC")

import pytz  # noqa: E402
from graphite.render.attime import parseATTime  # noqa: E402


def main():
    for line in sys.stdin:
        case = json.loads(line)
        try:
            tz = pytz.timezone(case["tz"])
            now = datetime.fromtimestamp(case["now"], tz)
            result = parseATTime(case["s"], tz, now)
            out = {"ok": calendar.timegm(result.utctimetuple()), "wall": str(result)}
        except Exception as exc:  # every failure is a 400 in the views
            out = {"err": "%s: %s" % (type(exc).__name__, exc)}
        sys.stdout.write(json.dumps(out) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
