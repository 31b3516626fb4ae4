#!/usr/bin/env python3
"""An independent check of a hwprov log, written from RFC 9162 and the C2SP
signed-note / tlog-checkpoint specs (Python `cryptography` for Ed25519,
`cbor2` for the entries). It

- parses log.vkey and checks its key hash;
- verifies the checkpoint's signature line and parses origin, size, root;
- recomputes the Merkle tree head from the entries file and compares it;
- verifies every inclusion proof and every consistency proof that
  `hwprov log prove` / `hwprov log consistency` print, with its own
  implementation of RFC 9162 sections 2.1.3.2 and 2.1.4.2.

    python3 tests/interop/tlog_check.py HWPROV_BINARY LOG_DIR
Exits 0 if everything checks, 1 otherwise.
"""
import base64, hashlib, io, json, subprocess, sys

import cbor2
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

hw, d = sys.argv[1], sys.argv[2]
H = lambda b: hashlib.sha256(b).digest()
leaf = lambda b: H(b"\x00" + b)
node = lambda l, r: H(b"\x01" + l + r)


def mth(leaves):
    n = len(leaves)
    if n == 0:
        return H(b"")
    if n == 1:
        return leaves[0]
    k = 1
    while k * 2 < n:
        k *= 2
    return node(mth(leaves[:k]), mth(leaves[k:]))


def verify_inclusion(index, size, leaf_hash, proof, root):
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf_hash
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node(p, r)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(first, second, proof, first_hash, second_hash):
    if first == 0 or first > second:
        return False
    if first == second:
        return not proof and first_hash == second_hash
    if not proof:
        return False
    path = ([first_hash] if first & (first - 1) == 0 else []) + proof
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node(c, fr), node(c, sr)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == first_hash and sr == second_hash


ok = True
def check(cond, what):
    global ok
    if not cond:
        ok = False
        print("FAIL", what)

# Verifier key: <name>+<hex key hash>+<base64(0x01 || key)>.
name, khash, kb64 = open(f"{d}/log.vkey").read().strip().split("+", 2)
raw = base64.b64decode(kb64)
check(raw[0] == 1 and len(raw) == 33, "vkey is an Ed25519 key")
pub = raw[1:]
check(H(name.encode() + b"\n" + b"\x01" + pub)[:4].hex() == khash, "vkey key hash")

# Checkpoint note: text, blank line, signature lines.
note = open(f"{d}/checkpoint", encoding="utf-8").read()
text, sigs = note.rsplit("\n\n", 1)
text += "\n"
signed = False
for line in sigs.strip("\n").split("\n"):
    dash, kname, b64 = line.split(" ")
    blob = base64.b64decode(b64)
    if dash == "\u2014" and kname == name and blob[:4].hex() == khash:
        Ed25519PublicKey.from_public_bytes(pub).verify(blob[4:], text.encode())
        signed = True
check(signed, "checkpoint signed by the log key")
origin, size, root_b64 = text.rstrip("\n").split("\n")
size, root = int(size), base64.b64decode(root_b64)
check(origin == name, "checkpoint origin is the key name")

# The tree head from the entries file.
entries = []
f = io.BytesIO(open(f"{d}/entries", "rb").read())
dec = cbor2.CBORDecoder(f)
while f.tell() < len(f.getvalue()):
    entries.append(dec.decode())
leaves = [leaf(e) for e in entries]
check(len(leaves) == size, f"{len(leaves)} entries, checkpoint says {size}")
check(mth(leaves[:size]) == root, "tree head equals the checkpoint root")

def run(*args):
    return json.loads(subprocess.run([hw, *args], check=True, capture_output=True).stdout)

b = lambda s: base64.b64decode(s)
for i in range(size):
    p = run("log", "prove", d, "--index", str(i))
    check(b(p["leaf_hash"]) == leaves[i], f"leaf hash {i}")
    check(verify_inclusion(i, size, leaves[i], [b(x) for x in p["proof"]], root), f"inclusion proof {i}")
    check(not verify_inclusion(i, size, leaves[(i + 1) % size], [b(x) for x in p["proof"]], root) or size == 1, f"inclusion proof {i} accepts another leaf")
for old in range(1, size + 1):
    p = run("log", "consistency", d, "--old-size", str(old))
    check(b(p["old_root_hash"]) == mth(leaves[:old]), f"old root {old}")
    check(verify_consistency(old, size, [b(x) for x in p["proof"]], mth(leaves[:old]), root), f"consistency proof {old} -> {size}")
print(f"{'ok' if ok else 'FAILED'}: {size} entries, {size} inclusion and {size} consistency proofs checked independently")
sys.exit(0 if ok else 1)
