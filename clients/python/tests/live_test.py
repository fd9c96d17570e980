"""The library against a running daemon (started by the integration test ClientLibraries.Python,
which passes SD_API_URL, SD_REDIS_PORT, SD_HMAC_KID/SD_HMAC_SECRET and SD_BEARER_KID/
SD_BEARER_SECRET): both ways in, idempotent retries, batches, refusals, status and outcomes."""
import os
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

import redis  # noqa: E402

from smsdispatch import ApiClient, ApiError, RedisProducer, read_stream  # noqa: E402

ENV = os.environ


def wait_for(pred, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = pred()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("timed out")


class Live(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.r = redis.Redis(port=int(ENV["SD_REDIS_PORT"]))
        cls.hmac = ApiClient(ENV["SD_API_URL"], ENV["SD_HMAC_KID"],
                             bytes.fromhex(ENV["SD_HMAC_SECRET"]))
        cls.bearer = ApiClient(ENV["SD_API_URL"], ENV["SD_BEARER_KID"],
                               bytes.fromhex(ENV["SD_BEARER_SECRET"]), auth="bearer")

    def outcome_of(self, job_id):
        def find():
            for _, f in read_stream(self.r, "sd:outcomes"):
                if f["job"] == job_id:
                    return f
            return None
        return wait_for(find)

    def test_api_with_both_schemes_and_idempotent_retry(self):
        a = self.hmac.send("+4915100200001", "ACME", "hello", "transactional",
                           client_ref="py-1", idempotency_key="py-idem-1")
        again = self.hmac.send("+4915100200001", "ACME", "hello", "transactional",
                               client_ref="py-1", idempotency_key="py-idem-1")
        self.assertEqual(a, again)
        b = self.bearer.send("+4915100200002", "ACME", "hello", "transactional")
        self.assertEqual(self.outcome_of(a)["status"], "submitted")
        self.assertEqual(self.outcome_of(a)["ref"], "py-1")
        self.assertEqual(self.outcome_of(b)["status"], "submitted")
        status = wait_for(lambda: (lambda s: s if "receipt" in s else None)(self.hmac.status(a)))
        self.assertEqual(status["status"], "submitted")
        self.assertEqual(status["receipt"]["status"], "delivered")

    def test_refusals_are_api_errors_with_reasons(self):
        with self.assertRaises(ApiError) as e:
            self.hmac.send("+49", "ACME", "hello", "transactional")
        self.assertEqual((e.exception.status, e.exception.reason), (400, "invalid_number"))
        with self.assertRaises(ApiError) as e:
            ApiClient(ENV["SD_API_URL"], ENV["SD_HMAC_KID"], b"x" * 32).send(
                "+4915100200003", "ACME", "hello", "transactional")
        self.assertEqual((e.exception.status, e.exception.reason), (401, "bad_signature"))
        with self.assertRaises(ApiError) as e:
            self.hmac.status("api-000000000000000000000000")
        self.assertEqual(e.exception.status, 404)

    def test_batch(self):
        results = self.hmac.send_batch([
            {"to": "+4915100200004", "from": "ACME", "text": "a", "kind": "transactional"},
            {"to": "nope", "from": "ACME", "text": "b", "kind": "transactional"}])
        self.assertEqual([x["status"] for x in results], [202, 400])
        self.assertEqual(self.outcome_of(results[0]["id"])["status"], "submitted")

    def test_redis_producer(self):
        producer = RedisProducer(self.r, ENV["SD_HMAC_KID"], bytes.fromhex(ENV["SD_HMAC_SECRET"]))
        entry_id, job_id = producer.send("+4915100200005", "ACME", "hello", "otp", ref="py-r")
        outcome = self.outcome_of(job_id)
        self.assertEqual(outcome["entry"], entry_id)
        self.assertEqual(outcome["status"], "submitted")


if __name__ == "__main__":
    unittest.main()
