#!/usr/bin/env python3
"""Writes the seed corpora of the HTTP fuzzers: corpus/http_request (request streams for
http_request_fuzzer), corpus/webhook (receipt webhook bodies for webhook_fuzzer) and corpus/api
(HTTPS API bodies and credential headers for api_fuzzer). The first
byte of a request stream picks where it is cut into two reads."""
import os

HERE = os.path.dirname(os.path.abspath(__file__))

HTTP = {
    "get": b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
    "post_form": b"POST /v1/receipts/rest HTTP/1.1\r\nHost: gw\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 38\r\nX-Twilio-Signature: abc=\r\n\r\nMessageSid=SM1&MessageStatus=delivered",
    "chunked": b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    "pipelined": b"POST /a HTTP/1.1\r\nContent-Length: 1\r\n\r\nAPOST /b HTTP/1.1\r\nContent-Length: 1\r\n\r\nB",
    "http10": b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
    "upgrade": b"GET / HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
    "connect": b"CONNECT example.com:443 HTTP/1.1\r\n\r\n",
    "big_header": b"GET / HTTP/1.1\r\nX: " + b"h" * 2000 + b"\r\n\r\n",
    "big_body": b"POST / HTTP/1.1\r\nContent-Length: 99999\r\n\r\n",
    "garbage": b"\x00\xff\r\n\r\n",
    "folded": b"GET / HTTP/1.1\r\nX: a\r\n b\r\n\r\n",
    "bad_length": b"POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
    "two_lengths": b"POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
    "cut_mid_header": b"\x0dGET / HTTP/1.1\r\nHo",
}

WEBHOOK = {
    "twilio_form": b"MessageSid=SM1234&MessageStatus=delivered&ErrorCode=0",
    "twilio_undelivered": b"MessageSid=SM1&MessageStatus=undelivered&ErrorCode=30003&To=%2B4915112345678",
    "json": b'{"messageId":"0A0000001234","status":"delivered","err-code":"0"}',
    "json_number_id": b'{"messageId":12345,"status":"expired"}',
    "json_nested": b'{"messageId":{"x":1},"status":["a"]}',
    "escapes": b"MessageSid=%1B%5B31m&MessageStatus=%00%0A",
    "bad_percent": b"MessageSid=%ZZ&MessageStatus=%",
    "long_id": b"MessageSid=" + b"a" * 300 + b"&MessageStatus=delivered",
    "whsec": b"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    "standard_sig": b"v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE= v1,bm90",
    "empty": b"",
    "many_pairs": b"&".join(b"k%d=v" % i for i in range(300)),
}

MSG = b'{"to":"+4915112345678","from":"ACME","text":"Your code is 123456","kind":"otp"}'
API = {
    "message": MSG,
    "message_all_fields": b'{"to":"+4915112345678","from":"ACME","text":"hi","kind":"marketing",'
                          b'"client_ref":"o-1","validity_s":600}',
    "expires_at": b'{"to":"+1","from":"A","text":"t","kind":"otp","expires_at":1767225600000}',
    "both_times": b'{"to":"+1","from":"A","text":"t","kind":"otp","expires_at":1,"validity_s":1}',
    "send_at": b'{"to":"+1","from":"A","text":"t","kind":"otp","send_at":1}',
    "unknown_escape": b'{"to":"+1","\\u001b[31m":1}',
    "wrong_types": b'{"to":1,"from":[],"text":null,"kind":true,"validity_s":-1}',
    "float_validity": b'{"to":"+1","from":"A","text":"t","kind":"otp","validity_s":1e3}',
    "batch": b'{"messages":[' + MSG + b',' + MSG + b',{"to":"+49"}]}',
    "batch_over": b'{"messages":[' + b",".join([b"{}"] * 9) + b']}',
    "batch_nested": b'{"messages":[[[[{}]]]]}',
    "deep": b"[" * 2000,
    "strings_with_brackets": b'{"to":"[[[[{{{{","from":"\"]}","text":"\\","kind":"otp"}',
    "not_json": b"\xff\xfe{",
    "hmac_headers": b"acme.v1\n1767225600000\n" + b"ab" * 32 + b"\n",
    "hmac_upper": b"acme.v1\n1767225600000\n" + b"AB" * 32 + b"\n",
    "hmac_bad_ts": b"acme.v1\n-12\n" + b"ab" * 32,
    "bearer": b"\n\n\nBearer acme.v1:" + b"6b" * 32,
    "bearer_colons": b"\n\n\nBearer a:b:c:" + b"00" * 3,
    "both_schemes": b"k.v1\n1\n" + b"0" * 64 + b"\nBearer k.v1:00",
    "forwarded": b"203.0.113.5, 10.1.1.1 , 198.51.100.9,,",
}

for name, corpus in (("http_request", HTTP), ("webhook", WEBHOOK), ("api", API)):
    d = os.path.join(HERE, "corpus", name)
    os.makedirs(d, exist_ok=True)
    for k, v in corpus.items():
        with open(os.path.join(d, k), "wb") as f:
            f.write(v)
