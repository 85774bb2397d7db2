"""Checks captured pagewire deliveries with the `standardwebhooks` reference library (PyPI).

Reads a JSON list of cases from the file named by argv[1]; each case has a `secret`, the captured
`headers` (webhook-id, webhook-timestamp, webhook-signature) and `body` (text). Prints, per case:
  verified: whether Webhook(secret).verify(body, headers) accepted it (null when not `fresh`: the library
            refuses timestamps more than five minutes from its own clock),
  signed:   whether the library's own signature of (id, timestamp, body) is one of the header's signatures.
"""

import json
import sys
from datetime import datetime, timezone

from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError


def check(case):
    hook = Webhook(case["secret"])
    headers = case["headers"]
    verified = None
    if case["fresh"]:
        try:
            hook.verify(case["body"], headers)
            verified = True
        except WebhookVerificationError:
            verified = False
    stamp = datetime.fromtimestamp(int(headers["webhook-timestamp"]), tz=timezone.utc)
    expected = hook.sign(headers["webhook-id"], stamp, case["body"])
    signed = expected in headers["webhook-signature"].split(" ")
    return {"verified": verified, "signed": signed}


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        cases = json.load(f)
    print(json.dumps([check(case) for case in cases]))


if __name__ == "__main__":
    main()
