#!/usr/bin/env python3
"""Writes the seed corpus for the receipt-text fuzzer (tests/fuzz/corpus/receipt/): receipt
texts in the formats SMSC vendors send (SMPP 3.4 Appendix B and its variants) and hostile
inputs. Each file is the short_message of a deliver_sm receipt. The unit tests replay every
file (tests/adapters/smpp/receipt_corpus_test.cc) and check the named ones' parsed fields."""
import os

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "receipt")
os.makedirs(out, exist_ok=True)


def std(id_, stat, err="000", sub="001", dlvrd="001", submit="2601011200", done="2601011201",
        text="Your code is"):
    return (f"id:{id_} sub:{sub} dlvrd:{dlvrd} submit date:{submit} done date:{done} "
            f"stat:{stat} err:{err} text:{text}").encode()


seeds = {
    "standard_delivrd": std("0123456789", "DELIVRD"),
    "standard_undeliv": std("77001", "UNDELIV", err="005", dlvrd="000"),
    "accepted": std("77002", "ACCEPTD"),
    "rejected": std("77003", "REJECTD", err="0B1"),
    "expired": std("77004", "EXPIRED", err="000", dlvrd="000"),
    "deleted": std("77005", "DELETED"),
    "unknown": std("77006", "UNKNOWN"),
    "enroute": std("77007", "ENROUTE"),
    "long_words": std("77008", "DELIVERED"),
    "lowercase_keys": b"id:abc123 sub:001 dlvrd:001 submit date:2601011200 done date:2601011201 "
                      b"stat:delivrd err:000 text:hi",
    "uppercase_keys": b"ID:ABC124 SUB:001 DLVRD:001 SUBMIT DATE:2601011200 DONE DATE:2601011201 "
                      b"STAT:DELIVRD ERR:000 TEXT:HI",
    "hex_id": std("0A1B2C3D4E", "DELIVRD"),
    "uuid_id": std("6f1c0e9a-3b4d-4c2a-9f10-2b7d5e8a1c34", "DELIVRD"),
    "padded_id": std("0000000000000123", "DELIVRD"),
    "date_12_digits": std("77009", "DELIVRD", submit="260101120000", done="260101120105"),
    "extra_spaces": b"id:  77010   sub:001  dlvrd:001   submit date:2601011200  done date:2601011201"
                    b"   stat:DELIVRD    err:000  text:x",
    "reordered": b"stat:UNDELIV err:001 id:77011 done date:2601011201 submit date:2601011200",
    "missing_stat": b"id:77012 sub:001 dlvrd:001 submit date:2601011200 done date:2601011201 err:000",
    "missing_err": b"id:77013 stat:DELIVRD",
    "id_only": b"id:77014",
    "no_id": b"sub:001 dlvrd:001 stat:DELIVRD err:000 text:no id here",
    "empty_id": b"id: stat:DELIVRD err:000",
    "stat_in_text": b"id:77015 stat:DELIVRD err:000 text:stat:REJECTD id:1 err:999",
    "text_before_fields": b"text:hello id:2 stat:UNDELIV",
    "no_text_field": b"id:77016 sub:001 dlvrd:001 submit date:2601011200 done date:2601011201 "
                     b"stat:DELIVRD err:000",
    "truncated_mid_key": std("77017", "DELIVRD")[:70],
    "truncated_after_colon": b"id:77018 sub:001 dlvrd:001 submit date:2601011200 done date:2601011201 stat:",
    "truncated_id": b"id:",
    "empty": b"",
    "colon_only": b":",
    "key_without_space": b"xid:1 yid:2 id:77019 stat:DELIVRD",
    "tabs": b"id:77020\tstat:DELIVRD\terr:000",
    "newlines": b"id:77024\r\nsub:001\r\ndlvrd:001\r\nstat:UNDELIV\r\nerr:034\r\ntext:x",
    "nul_inside": b"id:77021\x00 stat:DELIVRD err:000",
    "high_bytes": b"id:\xff\xfe\xfd stat:\xc3\xa9 err:\x80",
    "binary_garbage": bytes((i * 73 + 41) % 256 for i in range(200)),
    "very_long": std("7" * 64, "DELIVRD", text="x" * 4000),
    "many_ids": b" ".join(b"id:%d" % i for i in range(2000)),
    "many_spaces": b"id:" + b" " * 5000 + b"77022 stat:DELIVRD",
    "mixed_case_stat": std("77023", "Delivrd"),
    "overlong_id": std("9" * 100, "DELIVRD"),
    "vendor_done_date_seconds": b"id:1A2B3C sub:1 dlvrd:1 submit date:20260101120000 "
                                b"done date:20260101120105 stat:DELIVRD err:0 text:",
}

for name, data in seeds.items():
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)
print(f"wrote {len(seeds)} seeds to {out}")
