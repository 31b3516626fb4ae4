#!/usr/bin/env python3
"""The alternative a user might write: verify every COSE statement of a
shipment with pycose (signatures only: no canonical check, no schema, no
policy). Prints statements/s on one process.

    python3 benches/pycose_vet.py POLICY.toml DIR [MAX_UNITS]
"""
import base64, os, sys, time, tomllib

import cbor2
from pycose.headers import KID
from pycose.keys.okp import OKPKey
from pycose.messages import CoseMessage, Sign1Message, SignMessage
from hashlib import sha256

policy, root = sys.argv[1], sys.argv[2]
limit = int(sys.argv[3]) if len(sys.argv) > 3 else None
keys = {}
for k in tomllib.load(open(policy, "rb")).get("keys", []):
    raw = base64.b64decode(k["public_key"].split(":", 1)[1])
    keys[sha256(raw).digest()] = OKPKey(crv="Ed25519", x=raw)
files = []
for d, _, names in sorted(os.walk(root)):
    files += [os.path.join(d, n) for n in sorted(names) if n.endswith(".cbor")]
files = files[:limit] if limit else files
blobs = [open(f, "rb").read() for f in files]
start = time.perf_counter()
statements = ok = 0
for blob in blobs:
    for s in cbor2.loads(blob):
        statements += 1
        msg = CoseMessage.decode(s)
        if isinstance(msg, Sign1Message):
            msg.key = keys[msg.get_attr(KID)]
            ok += msg.verify_signature()
        elif isinstance(msg, SignMessage):
            good = True
            for signer in msg.signers:
                signer.key = keys[signer.get_attr(KID)]
                good &= signer.verify_signature()
            ok += good
secs = time.perf_counter() - start
print(f"pycose: {len(files)} units, {statements} statements ({ok} valid) in {secs:.2f} s: {statements / secs:.0f} statements/s, {len(files) / secs:.0f} units/s (1 process)")
