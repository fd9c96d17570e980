"""The library against the repository's vectors: job encoding and signature (jobs.json, made
by tests/vectors/gen_vectors.py), and the API request signature (api.json)."""
import json
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
VECTORS = os.path.join(HERE, "..", "..", "..", "tests", "vectors")

from smsdispatch import (CallbackError, RedisProducer, api_signature,  # noqa: E402
                         api_string_to_sign, callback_signature, encode_job, job_shard,
                         shard_name, sign_job, verify_callback)


def load(name):
    with open(os.path.join(VECTORS, name)) as f:
        return json.load(f)


class ShardVectors(unittest.TestCase):
    def test_every_job_goes_to_the_shard_and_stream_of_the_vectors(self):
        v = load("shards.json")
        for case in v["cases"]:
            self.assertEqual(job_shard(case["id"], case["shards"]), case["shard"], case)
            self.assertEqual(shard_name(v["signed_for"], case["shard"]), case["stream"], case)

    def test_a_sharded_producer_signs_for_shard_zeros_stream_and_adds_to_the_jobs_shard(self):
        class FakeRedis:  # records the XADD: the one call the producer makes
            def xadd(self, stream, fields):
                self.stream, self.fields = stream, fields
                return b"1-0"

        r = FakeRedis()
        p = RedisProducer(r, "acme.v1", bytes(32), stream="sd:{0}:jobs", shards=7)
        _, job_id = p.send("+4915112345678", "ACME", "hi", "otp", job_id="job-3")
        self.assertEqual(r.stream, "sd:{4}:jobs")  # crc32("job-3") % 7 (shards.json)
        self.assertEqual(r.stream, shard_name("sd:{0}:jobs", job_shard(job_id, 7)))
        self.assertEqual(r.fields["sig"],
                         sign_job(bytes(32), "acme.v1", "sd:{0}:jobs", r.fields["job"]))
        with self.assertRaises(ValueError):
            RedisProducer(r, "acme.v1", bytes(32), stream="sd:jobs", shards=2)


class JobVectors(unittest.TestCase):
    def test_admitted_jobs_encode_and_sign_to_the_vector_bytes(self):
        v = load("jobs.json")
        secrets = {k["id"]: bytes.fromhex(k["secret_hex"]) for k in v["keys"]}
        checked = 0
        for case in v["vectors"]:
            entry = case["entry"]
            if case.get("expected") != "admitted" or "job_fields" not in case:
                continue
            body = encode_job(case["job_fields"])
            self.assertEqual(body.hex(), entry["job_hex"], case["name"])
            self.assertEqual(sign_job(secrets[entry["kid"]], entry["kid"], case["stream"], body),
                             entry["sig"].lower(), case["name"])  # the daemon takes either case
            checked += 1
        self.assertGreaterEqual(checked, 10)

    def test_bytes_values_are_refused(self):
        with self.assertRaises(TypeError):
            encode_job({"id": "x", "text": b"bin is malformed"})


class ApiVectors(unittest.TestCase):
    def test_request_signatures(self):
        v = load("api.json")
        secret = bytes.fromhex(v["secret_hex"])
        for case in v["cases"]:
            body = case["body"].encode("utf-8")
            self.assertEqual(api_string_to_sign(case["method"], case["target"],
                                                case["timestamp_ms"], body),
                             case["string_to_sign"], case["name"])
            self.assertEqual(api_signature(secret, case["method"], case["target"],
                                           case["timestamp_ms"], body),
                             case["signature"], case["name"])


class CallbackVectors(unittest.TestCase):
    def test_signatures_and_verification(self):
        v = load("api.json")["callbacks"]
        for case in v["cases"]:
            headers = {"Webhook-Id": case["webhook_id"],
                       "Webhook-Timestamp": str(case["timestamp"]),
                       "Webhook-Signature": case["signature"]}
            for name in ("secret", "old_secret"):
                if name in case["verifies_with"]:
                    event = verify_callback([v[name]], headers, case["body"].encode(),
                                            now_s=case["timestamp"])
                    self.assertEqual(event["id"], case["webhook_id"])
                    self.assertEqual(event["type"], "message.receipt")
                else:
                    with self.assertRaises(CallbackError, msg=case["name"]):
                        verify_callback(v[name], headers, case["body"], now_s=case["timestamp"])
        one = v["cases"][0]
        self.assertEqual(callback_signature(v["secret"], one["webhook_id"], one["timestamp"],
                                            one["body"]), one["signature"])

    def test_stale_and_missing(self):
        v = load("api.json")["callbacks"]
        case = v["cases"][0]
        headers = {"webhook-id": case["webhook_id"], "webhook-timestamp": str(case["timestamp"]),
                   "webhook-signature": case["signature"]}
        with self.assertRaises(CallbackError):
            verify_callback(v["secret"], headers, case["body"], now_s=case["timestamp"] + 301)
        with self.assertRaises(CallbackError):
            verify_callback(v["secret"], {}, case["body"])
        with self.assertRaises(ValueError):
            verify_callback("not-whsec", headers, case["body"], now_s=case["timestamp"])


if __name__ == "__main__":
    unittest.main()
