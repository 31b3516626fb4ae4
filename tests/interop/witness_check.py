#!/usr/bin/env python3
"""An independent check of witness cosignatures and tlog-proofs, written
from the C2SP signed-note, tlog-cosignature and tlog-proof texts alone
(Python `cryptography` for Ed25519):

- parses the log's vkey (signature type 0x01) and each witness vkey (type
  0x04), checking each key ID is SHA-256(name || "\\n" || type || key)[:4];
- verifies the log's signature line over the note text;
- verifies each witness's cosignature/v1 line: 4-byte key ID, 8-byte
  big-endian timestamp, Ed25519 signature over
  "cosignature/v1\\ntime <t>\\n" || note text;
- with --proof, parses the tlog-proof, hashes its extra data as an RFC 6962
  leaf and checks the inclusion path against the checkpoint it carries
  (whose signatures are checked as above).

    python3 witness_check.py CHECKPOINT LOG_VKEY [WITNESS_VKEY...] [--proof FILE]

Prints the timestamps it verified and exits 0 if everything checks.
"""
import base64, hashlib, struct, sys

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

H = lambda b: hashlib.sha256(b).digest()


def fail(msg):
    print("witness_check: " + msg, file=sys.stderr)
    sys.exit(1)


def vkey(text, want_type):
    name, key_id, key = text.strip().split("+", 2)
    raw = base64.b64decode(key, validate=True)
    if raw[0] != want_type or len(raw) != 33:
        fail("vkey %s: type %d, expected %d" % (name, raw[0], want_type))
    kid = H(name.encode() + b"\n" + raw)[:4]
    if kid.hex() != key_id:
        fail("vkey %s: key ID %s, computed %s" % (name, key_id, kid.hex()))
    return name, kid, Ed25519PublicKey.from_public_bytes(raw[1:])


def split_note(note):
    cut = note.rindex("\n\n")
    text = note[: cut + 1]
    lines = note[cut + 2 :].split("\n")
    if lines[-1] != "":
        fail("signature block does not end in a newline")
    sigs = []
    for line in lines[:-1]:
        if not line.startswith("\u2014 "):
            fail("bad signature line %r" % line)
        name, b64 = line[2:].split(" ")
        sigs.append((name, base64.b64decode(b64, validate=True)))
    return text, sigs


def check_note(note, log, witnesses):
    text, sigs = split_note(note)
    name, kid, key = log
    ok = [s for s in sigs if s[0] == name and s[1][:4] == kid]
    if not ok:
        fail("no signature by the log")
    for _, blob in ok:
        key.verify(blob[4:], text.encode())
    times = []
    for wname, wkid, wkey in witnesses:
        mine = [s for s in sigs if s[0] == wname and s[1][:4] == wkid]
        if len(mine) != 1:
            fail("expected one cosignature by %s, found %d" % (wname, len(mine)))
        blob = mine[0][1]
        if len(blob) != 4 + 8 + 64:
            fail("cosignature by %s: %d bytes" % (wname, len(blob)))
        (t,) = struct.unpack(">Q", blob[4:12])
        msg = b"cosignature/v1\ntime %d\n" % t + text.encode()
        wkey.verify(blob[12:], msg)
        times.append((wname, t))
    origin, size, root = text.rstrip("\n").split("\n")
    if origin != name:
        fail("origin %s is not the log's name %s" % (origin, name))
    return int(size), base64.b64decode(root, validate=True), times


def root_from_inclusion(index, size, leaf, path):
    # RFC 9162 section 2.1.3.2
    if index >= size:
        fail("index outside the tree")
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            fail("path too long")
        if fn & 1 or fn == sn:
            r = H(b"\x01" + p + r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = H(b"\x01" + r + p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        fail("path too short")
    return r


args = sys.argv[1:]
proof = None
if "--proof" in args:
    i = args.index("--proof")
    proof = args[i + 1]
    del args[i : i + 2]
cp_file, log_file, wfiles = args[0], args[1], args[2:]
log = vkey(open(log_file).read(), 0x01)
witnesses = [vkey(open(f).read(), 0x04) for f in wfiles]
size, root, times = check_note(open(cp_file, encoding="utf-8").read(), log, witnesses)
for w, t in times:
    print("cosigned by %s at %d" % (w, t))
if proof:
    text = open(proof, encoding="utf-8").read()
    head, checkpoint = text.split("\n\n", 1)
    lines = head.split("\n")
    if lines[0] != "c2sp.org/tlog-proof@v1":
        fail("not a tlog-proof")
    extra = base64.b64decode(lines[1][len("extra ") :], validate=True)
    index = int(lines[2][len("index ") :])
    path = [base64.b64decode(l, validate=True) for l in lines[3:]]
    psize, proot, _ = check_note(checkpoint, log, witnesses)
    if root_from_inclusion(index, psize, H(b"\x00" + extra), path) != proot:
        fail("the inclusion path does not lead to the checkpoint's root")
    print("entry %d included in the tree of %d" % (index, psize))
print("ok")
