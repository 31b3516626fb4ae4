#!/usr/bin/env python3
"""Checks an RFC 9942 COSE receipt of inclusion from a hwprov log without
hwprov's code: the entry is read from the log's entries file (a CBOR
sequence of byte strings), its RFC 9162 leaf hash is walked up the receipt's
inclusion path with the algorithm of RFC 9162 section 2.1.3.2 written here
from the RFC, and pycose verifies the Ed25519 signature over the detached
root with the key of log.vkey. Used by tests/log.rs.

    python3 tests/interop/receipt_check.py RECEIPT ENTRIES INDEX LOG.VKEY

Prints JSON {"ok", "size", "index", "root" (base64), "why"}.
"""
import base64, hashlib, json, sys

import cbor2
from pycose.keys.okp import OKPKey
from pycose.messages import CoseMessage


def entries(path):
    with open(path, "rb") as f:
        dec = cbor2.CBORDecoder(f)
        while f.peek(1) if hasattr(f, "peek") else True:
            try:
                yield dec.decode()
            except cbor2.CBORDecodeEOF:
                return


def root_from_path(index, size, leaf, path):
    if index >= size:
        raise ValueError("index beyond the tree")
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            raise ValueError("path too long")
        if fn & 1 == 1 or fn == sn:
            r = hashlib.sha256(b"\x01" + p + r).digest()
            if fn & 1 == 0:
                while fn & 1 == 0 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = hashlib.sha256(b"\x01" + r + p).digest()
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ValueError("path too short")
    return r


def main(receipt_path, entries_path, index, vkey_path):
    raw = open(receipt_path, "rb").read()
    tag = cbor2.loads(raw)
    assert tag.tag == 18, "not a COSE_Sign1"
    protected, unprotected, payload, _ = tag.value
    prot = cbor2.loads(protected)
    assert prot[1] == -8 and prot[395] == 1, prot
    assert payload is None, "the root must be detached"
    size, leaf_index, path = cbor2.loads(unprotected[396][-1][0])
    entry = list(entries(entries_path))[index]
    leaf = hashlib.sha256(b"\x00" + entry).digest()
    out = {"size": size, "index": leaf_index, "ok": False, "why": ""}
    try:
        root = root_from_path(leaf_index, size, leaf, path)
    except ValueError as e:
        out["why"] = str(e)
        print(json.dumps(out))
        return
    out["root"] = base64.b64encode(root).decode()
    key = base64.b64decode(open(vkey_path).read().strip().split("+", 2)[2])[1:]
    msg = CoseMessage.decode(raw)
    msg.payload = root
    msg.key = OKPKey(crv="Ed25519", x=key)
    out["ok"] = bool(leaf_index == index and msg.verify_signature())
    if not out["ok"]:
        out["why"] = "signature or index"
    print(json.dumps(out))


if __name__ == "__main__":
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4])
