#!/usr/bin/env python3
"""Verifies every COSE statement in the given bundles with pycose, an
independent COSE implementation, using the public keys of a hwprov policy.
Prints one line per statement and exits 1 if any signature fails, 0 if all
verify. Used by tests/interop.rs (statements made by hwprov must verify
elsewhere too).

    python3 tests/interop/pycose_check.py POLICY.toml BUNDLE...
"""
import base64, sys, tomllib
from hashlib import sha256

import cbor2
from pycose.headers import KID, Algorithm, ContentType
from pycose.keys.okp import OKPKey
from pycose.messages import CoseMessage, Sign1Message, SignMessage

keys = {}
for k in tomllib.load(open(sys.argv[1], "rb")).get("keys", []):
    raw = base64.b64decode(k["public_key"].split(":", 1)[1])
    keys[sha256(raw).digest()] = OKPKey(crv="Ed25519", x=raw)

bad = 0
for path in sys.argv[2:]:
    data = open(path, "rb").read()
    items = cbor2.loads(data)
    statements = items if isinstance(items, list) else [data]
    for s in statements:
        msg = CoseMessage.decode(s)
        digest = sha256(s).hexdigest()[:16]
        try:
            if isinstance(msg, Sign1Message):
                assert msg.get_attr(ContentType) == "application/vnd.hwprov.statement+cbor"
                msg.key = keys[msg.get_attr(KID)]
                ok = msg.verify_signature()
                n = 1
            elif isinstance(msg, SignMessage):
                ok = True
                for signer in msg.signers:
                    signer.key = keys[signer.get_attr(KID)]
                    ok &= signer.verify_signature()
                n = len(msg.signers)
            else:
                ok, n = False, 0
        except Exception as e:  # unknown key, bad header: a failure
            print(f"FAIL {path} {digest}: {e!r}")
            bad += 1
            continue
        kind = type(msg).__name__
        print(f"{'ok  ' if ok else 'FAIL'} {path} {digest} {kind} {n} signature(s)")
        bad += 0 if ok else 1
sys.exit(1 if bad else 0)
