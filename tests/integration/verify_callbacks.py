#!/usr/bin/python3
"""Checks the requests callback_receiver.py recorded with the Python library's verifier
(clients/python, smsdispatch.verify_callback): every request the receiver answered 204 must
verify under each secret given, and print one line per event: "<webhook-id> <type>".
Exit 1 on the first request that does not verify."""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                "clients", "python"))
from smsdispatch import CallbackError, verify_callback  # noqa: E402


def main():
    path, secrets = sys.argv[1], sys.argv[2:]
    with open(path, encoding="utf-8") as f:
        requests = [json.loads(line) for line in f if line.strip()]
    for r in requests:
        if r["status"] != 204:
            continue
        for secret in secrets:
            try:
                event = verify_callback([secret], r["headers"], r["body"].encode("utf-8"),
                                        tolerance_s=3600)
            except CallbackError as e:
                print("NOT VERIFIED", r["headers"].get("webhook-id"), e)
                return 1
        print(event["id"], event["type"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
