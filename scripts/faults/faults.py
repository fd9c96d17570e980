#!/usr/bin/env python3
"""Helper of scripts/faults.sh: writes the jobs, waits for conditions and checks one scenario.

Standard library only. Talks to Redis over RESP on a plain socket, decodes the signed job maps
(msgpack) itself, and reads the simulator's --messages-file and --stats-file.

    faults.py jobs    --out F --n N --scenario S [--ttl-s T]
    faults.py wait    --port P --outcomes N --timeout-s T     exit 0 once N outcomes exist
    faults.py settle  --stats F --timeout-s T                 exit 0 once every receipt is acked
    faults.py check   --port P --scenario S --messages F --stats F [...] --bound METRIC<=EXPR ...

`check` prints ONE line: the scenario, PASS or FAIL, every metric with its bound, and exits 1
when any bound is broken. A bound is METRIC<=EXPR where EXPR is an integer, a simulator stats
counter, or INT*COUNTER (e.g. `extra<=16*dropped_connections`).
"""
import argparse
import json
import os
import socket
import struct
import sys
import time

FINAL_RECEIPTS = {"delivered", "undelivered", "expired", "rejected", "deleted", "unknown"}
# The order of the line; metrics without a bound are printed as information only.
METRICS = ["jobs", "lost", "multi", "extra", "phantom", "after_revoke", "after_expiry",
           "not_submitted", "rcpt_missing", "rcpt_dup", "unclean_exits"]


# --- Redis: the smallest RESP client that does the job -------------------------------------

class Redis:
    def __init__(self, port, host="127.0.0.1", timeout=10.0):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.buf = b""

    def _line(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("redis closed the connection")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _exact(self, n):
        while len(self.buf) < n + 2:
            chunk = self.sock.recv(max(65536, n + 2 - len(self.buf)))
            if not chunk:
                raise ConnectionError("redis closed the connection")
            self.buf += chunk
        data, self.buf = self.buf[:n], self.buf[n + 2:]
        return data

    def _reply(self):
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind == b"+":
            return rest.decode()
        if kind == b"-":
            raise RuntimeError("redis: " + rest.decode(errors="replace"))
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            return None if n < 0 else self._exact(n)
        if kind == b"*":
            n = int(rest)
            return None if n < 0 else [self._reply() for _ in range(n)]
        raise RuntimeError("redis: unexpected reply %r" % line[:40])

    def call(self, *args):
        out = [b"*%d\r\n" % len(args)]
        for a in args:
            a = a if isinstance(a, bytes) else str(a).encode()
            out.append(b"$%d\r\n%s\r\n" % (len(a), a))
        self.sock.sendall(b"".join(out))
        return self._reply()

    def xrange_all(self, stream):
        """Every entry of a stream as (id, {field: bytes}), in pages of 1000."""
        entries, start = [], "-"
        while True:
            page = self.call("XRANGE", stream, start, "+", "COUNT", 1000)
            for eid, flat in page:
                entries.append((eid.decode(), {flat[i].decode(): flat[i + 1]
                                                for i in range(0, len(flat) - 1, 2)}))
            if len(page) < 1000:
                return entries
            start = "(" + page[-1][0].decode()


def connect_with_retry(port, timeout_s=10.0):
    deadline = time.time() + timeout_s
    while True:
        try:
            r = Redis(port)
            r.call("PING")
            return r
        except (OSError, RuntimeError):  # refused, or -LOADING while the AOF is read
            if time.time() >= deadline:
                raise
            time.sleep(0.1)


# --- msgpack: enough to read a job map --------------------------------------------------------

def unpack(b, i=0):
    t = b[i]
    if t <= 0x7F:
        return t, i + 1
    if t >= 0xE0:
        return t - 0x100, i + 1
    if 0x80 <= t <= 0x8F:
        return unpack_map(b, i + 1, t & 0x0F)
    if 0x90 <= t <= 0x9F:
        return unpack_array(b, i + 1, t & 0x0F)
    if 0xA0 <= t <= 0xBF:
        n = t & 0x1F
        return b[i + 1:i + 1 + n].decode("utf-8", "replace"), i + 1 + n
    fixed = {0xCC: ">B", 0xCD: ">H", 0xCE: ">I", 0xCF: ">Q", 0xD0: ">b", 0xD1: ">h",
             0xD2: ">i", 0xD3: ">q", 0xCA: ">f", 0xCB: ">d"}
    if t in fixed:
        fmt = fixed[t]
        n = struct.calcsize(fmt)
        return struct.unpack(fmt, b[i + 1:i + 1 + n])[0], i + 1 + n
    if t in (0xC0, 0xC2, 0xC3):
        return {0xC0: None, 0xC2: False, 0xC3: True}[t], i + 1
    if t in (0xD9, 0xDA, 0xDB, 0xC4, 0xC5, 0xC6):
        w = {0xD9: 1, 0xDA: 2, 0xDB: 4, 0xC4: 1, 0xC5: 2, 0xC6: 4}[t]
        n = int.from_bytes(b[i + 1:i + 1 + w], "big")
        raw = b[i + 1 + w:i + 1 + w + n]
        return (raw.decode("utf-8", "replace") if t >= 0xD9 else raw), i + 1 + w + n
    if t in (0xDC, 0xDD):
        w = 2 if t == 0xDC else 4
        return unpack_array(b, i + 1 + w, int.from_bytes(b[i + 1:i + 1 + w], "big"))
    if t in (0xDE, 0xDF):
        w = 2 if t == 0xDE else 4
        return unpack_map(b, i + 1 + w, int.from_bytes(b[i + 1:i + 1 + w], "big"))
    raise ValueError("msgpack type 0x%02x not supported" % t)


def unpack_map(b, i, n):
    out = {}
    for _ in range(n):
        k, i = unpack(b, i)
        v, i = unpack(b, i)
        out[k] = v
    return out, i


def unpack_array(b, i, n):
    out = []
    for _ in range(n):
        v, i = unpack(b, i)
        out.append(v)
    return out, i


# --- subcommands --------------------------------------------------------------------------------

def dest_of(i):
    """A distinct German mobile number per job: the checker maps SMSC messages back by it."""
    return "+49151%08d" % i


def cmd_jobs(a):
    with open(a.out, "w") as f:
        for i in range(a.n):
            job = {"id": "%s-%06d" % (a.scenario, i), "to": dest_of(i), "from": "FAULTS",
                   "text": "fault %s job %d" % (a.scenario, i), "kind": "transactional"}
            if a.ttl_s:
                job["ttl_s"] = a.ttl_s
            f.write(json.dumps(job) + "\n")
    return 0


def cmd_wait(a):
    deadline = time.time() + a.timeout_s
    r = None
    while time.time() < deadline:
        try:
            r = r or Redis(a.port)
            if r.call("XLEN", a.stream) >= a.outcomes:
                return 0
        except (OSError, RuntimeError, ConnectionError):
            r = None  # Redis down or loading (a scenario restarts it): keep asking
        time.sleep(a.poll_ms / 1000.0)
    return 1


def read_stats(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def cmd_settle(a):
    """Every receipt made has been sent and acknowledged: nothing more can reach the streams."""
    deadline = time.time() + a.timeout_s
    while time.time() < deadline:
        s = read_stats(a.stats)
        if s and s.get("receipts_scheduled", 1) == 0 and s.get("receipts_waiting", 1) == 0 and \
                all(x.get("session_receipts_sent") == x.get("session_receipts_acked")
                    for x in s.get("sessions", [])) and s.get("sessions"):
            return 0
        time.sleep(0.2)
    return 1


def parse_bound(text):
    metric, sep, expr = text.partition("<=")
    if not sep or metric not in METRICS:
        raise SystemExit("faults.py: bad bound %r (METRIC<=EXPR, METRIC one of %s)"
                         % (text, ", ".join(METRICS)))
    return metric, expr


def eval_bound(expr, stats):
    total = 1
    for factor in expr.split("*"):
        factor = factor.strip()
        total *= int(factor) if factor.lstrip("-").isdigit() else int(stats.get(factor, 0))
    return total


def load_messages(path):
    msgs = []
    if path and os.path.exists(path):
        with open(path) as f:
            for line in f:
                line = line.strip()
                if line:
                    msgs.append(json.loads(line))
    return msgs


def compute(a, r, stats):
    """Every metric of the line, and some information, from the streams and the SMSC's record."""
    jobs = {}  # entry id -> job map
    for eid, f in r.xrange_all("sd:jobs"):
        jobs[eid] = unpack(f["job"])[0] if "job" in f else {}
    outcomes = {}
    for _, f in r.xrange_all("sd:outcomes"):
        outcomes.setdefault(f["entry"].decode(), []).append(f)
    receipts = {}
    for _, f in r.xrange_all("sd:receipts"):
        if f.get("status", b"").decode() in FINAL_RECEIPTS:
            receipts[f["entry"].decode()] = receipts.get(f["entry"].decode(), 0) + 1
    unmatched = r.xrange_all("sd:receipts:unmatched")
    by_dest = {}
    for m in load_messages(a.messages):
        by_dest.setdefault(m["dest"].lstrip("+"), []).append(m)

    m = {k: 0 for k in METRICS}
    info = {"submitted": 0, "unmatched_rcpt": 0, "unparsable_rcpt": 0}
    reasons = {}
    seen_dests = set()
    for eid, job in jobs.items():
        outs = outcomes.get(eid, [])
        m["jobs"] += 1
        m["lost"] += not outs
        m["multi"] += len(outs) > 1
        submitted = any(o.get("status") == b"submitted" for o in outs)
        info["submitted"] += submitted
        for o in outs:
            if o.get("status") != b"submitted":
                reason = o.get("reason", b"?").decode()
                reasons[reason] = reasons.get(reason, 0) + 1
        dest = str(job.get("to", "")).lstrip("+")
        seen_dests.add(dest)
        msgs = by_dest.get(dest, [])
        m["extra"] += max(0, len(msgs) - (1 if submitted else 0))
        m["phantom"] += submitted and not msgs
        expires = job.get("expires", 0)
        for x in msgs:
            late = x["received_ms"] - expires
            if late > a.expiry_slack_ms:
                m["after_expiry"] += 1
                info["expiry_worst_ms"] = max(info.get("expiry_worst_ms", 0), late)
            late = x["received_ms"] - a.revoke_ms - 1000
            if a.revoke_ms and late > 0:
                m["after_revoke"] += 1
                info["revoke_worst_ms"] = max(info.get("revoke_worst_ms", 0), late)
        if outs and not submitted and a.count_not_submitted:
            m["not_submitted"] += 1
        if submitted and a.receipts:
            n = receipts.get(eid, 0)
            m["rcpt_missing"] += n == 0
            m["rcpt_dup"] += n > 1
    # Messages for no job at all are extra submits too.
    m["extra"] += sum(len(v) for d, v in by_dest.items() if d not in seen_dests)
    m["unclean_exits"] = a.unclean_exits
    for _, f in unmatched:
        key = "unparsable_rcpt" if f.get("reason") == b"unparsable" else "unmatched_rcpt"
        info[key] += 1
    info["rejected"] = ",".join("%s:%d" % kv for kv in sorted(reasons.items())) or "0"
    return m, info


def cmd_check(a):
    stats = read_stats(a.stats) or {}
    r = connect_with_retry(a.port)
    m, info = compute(a, r, stats)
    bounds = dict(parse_bound(b) for b in a.bound)
    broken, parts = [], []
    for k in METRICS:
        if k == "jobs":
            parts.append("jobs=%d" % m[k])
        elif k in bounds:
            limit = eval_bound(bounds[k], stats)
            ok = m[k] <= limit
            parts.append("%s=%d%s%d" % (k, m[k], "<=" if ok else ">", limit))
            if not ok:
                broken.append(k)
        elif k == "after_revoke" and not a.revoke_ms:
            parts.append("%s=-" % k)  # no revocation in this scenario
        else:
            parts.append("%s=%d" % (k, m[k]))
    extra_info = ["submitted=%d" % info["submitted"], "rejected=%s" % info["rejected"],
                  "unmatched_rcpt=%d" % info["unmatched_rcpt"],
                  "unparsable_rcpt=%d" % info["unparsable_rcpt"]]
    for k in a.show_stat:
        extra_info.append("sim.%s=%s" % (k, stats.get(k, "?")))
    for k in ("expiry_worst_ms", "revoke_worst_ms"):
        if k in info:  # how late the latest offending submit was, beyond its bound
            extra_info.append("%s=%d" % (k, info[k]))
    if a.note:
        extra_info.append(a.note)
    if a.inconclusive:
        extra_info.append("INCONCLUSIVE: " + a.inconclusive)
        broken.append("inconclusive")
    line = "%-13s %s %s | %s | %ss" % (a.scenario, "FAIL" if broken else "PASS", " ".join(parts),
                                      " ".join(extra_info), a.elapsed_s)
    print(line, flush=True)
    if a.json_out:
        with open(a.json_out, "a") as f:
            f.write(json.dumps({"scenario": a.scenario, "pass": not broken, "broken": broken,
                                "metrics": m, "bounds": {k: eval_bound(v, stats)
                                                         for k, v in bounds.items()},
                                "info": info, "elapsed_s": a.elapsed_s}) + "\n")
    return 1 if broken else 0


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    j = sub.add_parser("jobs")
    j.add_argument("--out", required=True)
    j.add_argument("--n", type=int, required=True)
    j.add_argument("--scenario", required=True)
    j.add_argument("--ttl-s", type=int, default=0)
    w = sub.add_parser("wait")
    w.add_argument("--port", type=int, required=True)
    w.add_argument("--outcomes", type=int, required=True)
    w.add_argument("--stream", default="sd:outcomes")
    w.add_argument("--timeout-s", type=float, required=True)
    w.add_argument("--poll-ms", type=int, default=50)
    s = sub.add_parser("settle")
    s.add_argument("--stats", required=True)
    s.add_argument("--timeout-s", type=float, required=True)
    c = sub.add_parser("check")
    c.add_argument("--port", type=int, required=True)
    c.add_argument("--scenario", required=True)
    c.add_argument("--messages", required=True)
    c.add_argument("--stats", required=True)
    c.add_argument("--receipts", action="store_true", help="the SMSC sends receipts")
    c.add_argument("--revoke-ms", type=int, default=0, help="when the revocation completed")
    c.add_argument("--expiry-slack-ms", type=int, default=0)
    c.add_argument("--count-not-submitted", action="store_true",
                   help="count jobs whose outcome is not `submitted` (all of them should go)")
    c.add_argument("--unclean-exits", type=int, default=0)
    c.add_argument("--bound", action="append", default=[])
    c.add_argument("--show-stat", action="append", default=[])
    c.add_argument("--note", default="")
    c.add_argument("--inconclusive", default="",
                   help="the fault did not land as intended: the scenario fails, saying why")
    c.add_argument("--elapsed-s", default="?")
    c.add_argument("--json-out", default="")
    a = p.parse_args()
    return {"jobs": cmd_jobs, "wait": cmd_wait, "settle": cmd_settle, "check": cmd_check}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
