#!/usr/bin/python3
"""Replays the Redis commands a daemon sent (a MONITOR capture, scripts/bench_redis_replay.sh)
against a private redis-server, and reports what Redis spent per job: CPU seconds, and with
--callgrind the instructions it executed (valgrind; exact, so two variants compare on a noisy
machine). Per script: --split names a script (the start of its SHA-1) sent as EVAL instead of
EVALSHA, so INFO commandstats counts it apart; --replace SHA=FILE runs FILE's body where the
capture ran that script, to measure a change to it on the same commands.

The capture's commands are sent in their order, pipelined on one connection. Nothing the
daemon did depends on their replies here: what the replay changes (stream ids, times) is not
compared. `--digest` prints a hash of what the replay wrote (receipts, outcomes, the API's
status records, without stream ids and times), to show a changed script writes the same.
"""
import argparse
import atexit
import hashlib
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
ap.add_argument("capture", help="redis-cli MONITOR output, with bench:mark start and end")
ap.add_argument("--callgrind", action="store_true", help="count instructions (slow: ~50x)")
ap.add_argument("--split", action="append", default=[], metavar="SHA", help="send as EVAL")
ap.add_argument("--replace", action="append", default=[], metavar="SHA=FILE")
ap.add_argument("--digest", action="store_true")
ap.add_argument("--callgrind-out", metavar="FILE",
                help="with --callgrind, keep the profile (for callgrind_annotate)")
args = ap.parse_args()

TOKEN = re.compile(r'"((?:[^"\\]|\\.)*)"')
ESCAPES = {"n": b"\n", "r": b"\r", "t": b"\t", "a": b"\a", "b": b"\b", '"': b'"', "\\": b"\\"}


def unescape(s):  # MONITOR quotes each argument as sdscatrepr does
    out, i = bytearray(), 0
    while i < len(s):
        if s[i] != "\\":
            out += s[i].encode("utf-8", "surrogateescape")
            i += 1
        elif s[i + 1] == "x":
            out.append(int(s[i + 2:i + 4], 16))
            i += 4
        else:
            out += ESCAPES.get(s[i + 1], s[i + 1].encode())
            i += 2
    return bytes(out)


def resp(parts):
    return b"*%d\r\n" % len(parts) + b"".join(b"$%d\r\n%s\r\n" % (len(p), p) for p in parts)


# The capture starts with SCRIPT FLUSH (scripts/bench_api.sh), so the daemon sends each script's
# body again (EVAL after a NOSCRIPT): an EVALSHA before its script's body was seen failed, and
# is left out.
bodies, commands, window, loaded = {}, [], False, set()
with open(args.capture, encoding="utf-8", errors="surrogateescape") as f:
    for line in f:
        if "[0 lua]" in line:  # a script's own command: it runs again inside the script
            continue
        parts = [unescape(t) for t in TOKEN.findall(line)]
        if not parts:
            continue
        name = parts[0].upper()
        if name == b"SCRIPT" and len(parts) > 2 and parts[1].upper() == b"LOAD":
            bodies[hashlib.sha1(parts[2]).hexdigest()] = parts[2]
            loaded.add(hashlib.sha1(parts[2]).hexdigest())
        elif name == b"SCRIPT" and len(parts) > 1 and parts[1].upper() == b"FLUSH":
            loaded.clear()
        elif name == b"EVAL":
            bodies[hashlib.sha1(parts[1]).hexdigest()] = parts[1]
            loaded.add(hashlib.sha1(parts[1]).hexdigest())
        elif name == b"EVALSHA" and parts[1].decode().lower() not in loaded:
            continue
        if parts[:2] == [b"SET", b"bench:mark"]:
            window = parts[2] == b"start"
            if not window:
                break
            continue
        if window and name not in (b"PING", b"SCRIPT"):
            if name == b"XREADGROUP" and b"BLOCK" in parts:  # nothing may wait here
                i = parts.index(b"BLOCK")
                parts = parts[:i] + parts[i + 2:]
            commands.append(parts)
if not commands:
    sys.exit("replay: no commands between the bench:mark start and end in %s" % args.capture)

def full_sha(prefix):
    found = [s for s in bodies if s.startswith(prefix)]
    if len(found) != 1:
        sys.exit("replay: %s names %d scripts of the capture" % (prefix, len(found)))
    return found[0]

run_bodies = dict(bodies)
for r in args.replace:
    sha, path = r.split("=", 1)
    run_bodies[full_sha(sha)] = open(path, "rb").read()
run_sha = {s: hashlib.sha1(b).hexdigest().encode() for s, b in run_bodies.items()}
split = {full_sha(s) for s in args.split}
payload = []
for p in commands:
    # A script call either way (an EVAL in the window is the daemon sending a body again after
    # the flush): each runs the body --replace gives, as EVAL when --split names it.
    name = p[0].upper()
    if name in (b"EVALSHA", b"EVAL"):
        sha = p[1].decode().lower() if name == b"EVALSHA" else hashlib.sha1(p[1]).hexdigest()
        p = ([b"EVAL", run_bodies[sha]] if sha in split else [b"EVALSHA", run_sha[sha]]) + p[2:]
    payload.append(resp(p))
# Jobs: the dispatcher's claims (one SET … NX of its idempotency record per job read).
jobs = sum(1 for p in commands if p[0].upper() == b"SET" and b":idem:" in p[1])

probe = socket.socket()
probe.bind(("127.0.0.1", 0))
port = probe.getsockname()[1]
probe.close()
work = tempfile.mkdtemp(prefix="redis-replay.")
atexit.register(shutil.rmtree, work, True)
server = (["valgrind", "-q", "--tool=callgrind", "--callgrind-out-file=%s/callgrind.out" % work]
          if args.callgrind else []) + [
    "redis-server", "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly",
    "no", "--dir", work, "--logfile", work + "/redis.log"]
srv = subprocess.Popen(server)
atexit.register(srv.kill)
for _ in range(300):
    time.sleep(0.1)
    try:
        conn = socket.create_connection(("127.0.0.1", port))
        break
    except OSError:
        pass
else:
    sys.exit("replay: redis-server did not come up")
reader = conn.makefile("rb")


def parse():  # one RESP reply as Python values; an error reply as an Exception
    line = reader.readline()
    kind, rest = line[:1], line[1:-2]
    if kind == b"$":
        n = int(rest)
        return None if n < 0 else reader.read(n + 2)[:-2]
    if kind == b"*":
        n = int(rest)
        return None if n < 0 else [parse() for _ in range(n)]
    if kind == b":":
        return int(rest)
    return Exception(rest.decode()) if kind == b"-" else rest


def read_reply():  # True for an error reply, or an array holding one
    r = parse()
    return isinstance(r, Exception) or (isinstance(r, list) and any(
        isinstance(e, Exception) for e in r))


def command(*parts):
    conn.sendall(resp([p if isinstance(p, bytes) else str(p).encode() for p in parts]))
    return parse()


for body in run_bodies.values():
    command("SCRIPT", "LOAD", body)
for p in commands:  # the consumer groups the capture's reads name
    if p[0].upper() == b"XREADGROUP":
        command("XGROUP", "CREATE", p[p.index(b"STREAMS") + 1], p[2], "0", "MKSTREAM")
        break
command("CONFIG", "RESETSTAT")


def cpu_s():
    fields = open("/proc/%d/stat" % srv.pid).read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


errors = [0]
def drain():
    errors[0] = sum(1 for _ in payload if read_reply())


c0, t0 = cpu_s(), time.time()
t = threading.Thread(target=drain)
t.start()
data = b"".join(payload)
for i in range(0, len(data), 1 << 20):
    conn.sendall(data[i:i + (1 << 20)])
t.join()
c1, t1 = cpu_s(), time.time()
print("replay: %d commands, %d jobs, %d error replies; redis-server CPU %.2f s (%.1f us/job), "
      "%.2f s" % (len(payload), jobs, errors[0], c1 - c0, (c1 - c0) * 1e6 / max(jobs, 1), t1 - t0))
stats = command("INFO", "commandstats").decode()
for m in re.finditer(r"cmdstat_([^:]+):calls=(\d+),usec=(\d+)", stats):
    if m.group(1) in ("config|resetstat", "info"):
        continue
    print("replay:   %-14s %8d calls  %8.2f us/job" % (m.group(1), int(m.group(2)),
                                                      int(m.group(3)) / max(jobs, 1)))
if args.digest:
    h = hashlib.sha1()
    for stream in (b"sd:outcomes", b"sd:receipts", b"sd:receipts:unmatched"):
        for _id, fields in command("XRANGE", stream, "-", "+"):
            h.update(repr(sorted((fields[k], fields[k + 1]) for k in range(0, len(fields), 2)
                                 if fields[k] != b"ts")).encode())
    for key in sorted(command("KEYS", "*:api:st:*")):
        h.update(key + b"=" + command("GET", key))
    print("replay: digest %s (outcomes, receipts, status records)" % h.hexdigest())
conn.close()
srv.terminate()
srv.wait()
if args.callgrind:
    if args.callgrind_out:
        shutil.copyfile(work + "/callgrind.out", args.callgrind_out)
    with open(work + "/callgrind.out") as f:
        for line in f:
            if line.startswith(("summary:", "totals:")):
                print("replay: %.0f instructions per job (redis-server, start-up included)"
                      % (int(line.split()[1]) / max(jobs, 1)))
                break
