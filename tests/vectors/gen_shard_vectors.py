#!/usr/bin/env python3
"""Test vectors for the shard rule (docs/jobs.md §1 "Shards"), made with Python's zlib alone:
a job belongs to shard crc32(id) mod N and goes to the jobs stream with its "{0}" tag replaced
by "{shard}". Writes tests/vectors/shards.json; the C++ tests and the producer libraries check
themselves against it.

    python3 tests/vectors/gen_shard_vectors.py > tests/vectors/shards.json
"""
import json
import zlib

IDS = ["123456789", "", "a", "job-1", "job-2", "job-3", "b1-0", "b1-1",
       "api-0123456789abcdef01234567", "7f3c9a1e2b4d5f60718293a4b5c6d7e8",
       "ünïcødé-id", "x" * 64]
STREAM = "sd:{0}:jobs"


def main():
    cases = []
    for job_id in IDS:
        crc = zlib.crc32(job_id.encode("utf-8"))
        for shards in (1, 2, 3, 7, 64):
            shard = crc % shards
            cases.append({"id": job_id, "crc32": crc, "shards": shards, "shard": shard,
                          "stream": STREAM.replace("{0}", "{%d}" % shard, 1)})
    print(json.dumps({"signed_for": STREAM, "cases": cases}, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
