#!/usr/bin/env python3
"""Test adapter: puts terminal control characters (ESC, BEL, CR) and 60 KB of text in every
place an adapter's text can reach hookspec's output.

    hostile_text.py error     rejects every test with a 60 KB error text that starts with
                              escape sequences (each valid test then diverges)
    hostile_text.py garbage   answers with a line that is not JSON, full of control characters
    hostile_text.py stderr    writes control characters to standard error, then exits
"""

import json
import sys

MODE = sys.argv[1] if len(sys.argv) > 1 else "error"
NASTY = "\x1b]0;pwned\x07\x1b[2J\r\x1b[31mred"

for line in sys.stdin:
    request = json.loads(line)
    if MODE == "garbage":
        print(NASTY + " not JSON " + "x" * 60000, flush=True)
    elif MODE == "stderr":
        sys.stderr.write("dying " + NASTY + "\n")
        sys.stderr.flush()
        sys.exit(3)
    else:
        answer = {"tcId": request["tcId"], "accept": False, "error": NASTY + "e" * 60000}
        print(json.dumps(answer), flush=True)
