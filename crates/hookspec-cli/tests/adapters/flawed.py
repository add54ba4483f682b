#!/usr/bin/env python3
"""Test adapter: a small v1 verifier (standard library only) with optional planted flaws.

    flawed.py correct       strict enough on the flags the tests look at
    flawed.py prefix        compares only the common prefix of the signatures (CVE-2024-21491)
    flawed.py no-timestamp  skips the freshness check
"""

import base64
import binascii
import hashlib
import hmac
import json
import re
import sys

MODE = sys.argv[1] if len(sys.argv) > 1 else "correct"


def verify(req):
    if req["scheme"] not in ("v1", "v1a") or req["public_keys"]:
        return {"accept": False, "unsupported": "v1 only"}
    keys = []
    for secret in req["secrets"]:
        text = secret[len("whsec_"):] if secret.startswith("whsec_") else secret
        try:
            keys.append(base64.b64decode(text, validate=True))
        except (binascii.Error, ValueError):
            return {"accept": False, "error": "bad secret", "config_error": True}
    headers = {k.lower(): v for k, v in req["headers"].items()}
    msg_id, ts, sigs = (headers.get("webhook-" + h) for h in ("id", "timestamp", "signature"))
    if not (msg_id and ts and sigs):
        return {"accept": False, "error": "missing header"}
    if not re.fullmatch(r"[1-9][0-9]{0,18}", ts):
        return {"accept": False, "error": "bad timestamp"}
    if MODE != "no-timestamp" and abs(req["now"] - int(ts)) > 300:
        return {"accept": False, "error": "stale or future timestamp"}
    body = base64.b64decode(req["body_b64"])
    for key in keys:
        content = msg_id.encode() + b"." + ts.encode() + b"." + body
        expected = base64.b64encode(hmac.new(key, content, hashlib.sha256).digest()).decode()
        for entry in sigs.split(" "):
            version, _, sig = entry.partition(",")
            if version != "v1":
                continue
            if MODE == "prefix":
                ok = all(a == b for a, b in zip(sig, expected))
            else:
                ok = hmac.compare_digest(sig, expected)
            if ok:
                return {"accept": True}
    return {"accept": False, "error": "no matching signature"}


for line in sys.stdin:
    if line.strip():
        req = json.loads(line)
        out = {"tcId": req["tcId"], **verify(req)}
        print(json.dumps(out), flush=True)
