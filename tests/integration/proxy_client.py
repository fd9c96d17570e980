#!/usr/bin/python3
"""A load balancer's side of the PROXY protocol v2 for the API tests: connects to the plain
listener, sends a v2 header naming --src as the client (written here from HAProxy's
proxy-protocol.txt, section 2.2), then one HTTP request; prints the status code, or "closed"
when the daemon closed the connection without an answer. --no-header sends the request alone.
"""
import argparse
import socket
import struct

SIG = b"\r\n\r\n\x00\r\nQUIT\n"


def header(src):
    body = socket.inet_aton(src) + socket.inet_aton("127.0.0.1") + struct.pack("!HH", 40000, 443)
    return SIG + bytes([0x21, 0x11]) + struct.pack("!H", len(body)) + body


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--src", default="203.0.113.7")
    p.add_argument("--auth", required=True)
    p.add_argument("--body", required=True)
    p.add_argument("--no-header", action="store_true")
    a = p.parse_args()
    body = a.body.encode()
    req = (b"POST /v1/messages HTTP/1.1\r\nHost: localhost\r\nAuthorization: " + a.auth.encode() +
           b"\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: " +
           str(len(body)).encode() + b"\r\n\r\n" + body)
    with socket.create_connection(("127.0.0.1", a.port), timeout=10) as s:
        s.sendall((b"" if a.no_header else header(a.src)) + req)
        data = b""
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
        except (ConnectionResetError, socket.timeout):
            pass
    print(data.split(b" ")[1].decode() if data.startswith(b"HTTP/1.1 ") else "closed")


if __name__ == "__main__":
    main()
