#!/usr/bin/env python3
"""hookspec vector adapter for the Python `standardwebhooks` package.

    pip install standardwebhooks
    hookspec vectors check --exec "python3 adapters/python/adapter.py"

Uses the package as a receiver would: one `Webhook(secret)` per trusted secret (accepted
when any verifies), the request headers as a dict (repeated fields joined with ", ", as
frameworks present them), the raw body bytes, `json_parse=False` (verification only).
The request's `now` is injected by replacing the package's `datetime` with a subclass
whose `now()` returns it. The package has no Ed25519 (v1a) support: requests with public
keys are answered `unsupported`. An exception other than WebhookVerificationError is a
rejection whose error starts with `exception:`.
"""

import base64
import json
import sys
from datetime import datetime

import standardwebhooks.webhooks as webhooks
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

NOW = [0]


class FixedDatetime(datetime):
    @classmethod
    def now(cls, tz=None):
        return datetime.fromtimestamp(NOW[0], tz=tz)


webhooks.datetime = FixedDatetime


def answer(req):
    out = {"tcId": req["tcId"]}
    if req["public_keys"]:
        out.update(accept=False, unsupported="standardwebhooks (Python) has no v1a (Ed25519) support")
        return out
    NOW[0] = req["now"]
    body = base64.b64decode(req["body_b64"])
    error = "no secret configured"
    for secret in req["secrets"]:
        try:
            wh = Webhook(secret)
        except Exception as e:  # the package refuses the key itself
            out.update(accept=False, error=f"{type(e).__name__}: {e}", config_error=True)
            return out
        try:
            wh.verify(body, dict(req["headers"]), json_parse=False)
            out.update(accept=True)
            return out
        except WebhookVerificationError as e:
            error = f"WebhookVerificationError: {e}"
        except Exception as e:
            error = f"exception: {type(e).__name__}: {e}"
    out.update(accept=False, error=error)
    return out


def main():
    for line in sys.stdin:
        if not line.strip():
            continue
        print(json.dumps(answer(json.loads(line))), flush=True)


if __name__ == "__main__":
    main()
