#!/usr/bin/env python3
"""An independent reading of OCP S.A.F.E. short-form reports, for
tests/ocp_safe.rs: the OCP's own reference library (tests/interop/ocp/
OcpReportLib.py, unmodified) makes reports, PyJWT and cbor2 read them as
that library does, and `cryptography` checks their signatures. Nothing here
shares code with hwprov.

    python3 tests/interop/ocp_safe_check.py read REPORT KEY.pem...
        Prints JSON: which keys verify REPORT, and its fields as the
        library reads them (JWS: jwt.decode; CoRIM: cbor2 down to the SFR map).
    python3 tests/interop/ocp_safe_check.py sign OUTDIR
        Writes reports made and signed by OcpReportLib with fresh keys:
        p521.jws/p521.cbor (ES512) and p384.jws/p384.cbor (ES384), their JSON
        twins, public keys, and the image they review (image.bin).

The library is written for Python 3.12 (two f-strings span lines); on an
older Python those replacement fields are joined onto one line when it is
loaded. The file itself is byte for byte the upstream one.
"""
import datetime
import hashlib
import json
import pathlib
import re
import sys
import types

import cbor2
import jwt
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

HERE = pathlib.Path(__file__).resolve().parent


def load_library():
    src = (HERE / "ocp" / "OcpReportLib.py").read_text()
    if sys.version_info < (3, 12):
        src = re.sub(r"\{\n\s*([^{}\n#]*?)\n\s*\}", lambda m: "{" + m.group(1).strip() + "}", src)
    mod = types.ModuleType("OcpReportLib")
    exec(compile(src, "OcpReportLib.py", "exec"), mod.__dict__)
    return mod


def hashes_named(h384, h512):
    """The image digests a report names, by the library's own rule: hex of
    the algorithm's length (an optional 0x prefix, either case)."""
    out = []
    for name, raw, want in (("sha384", h384, 96), ("sha512", h512, 128)):
        v = (raw or "").strip()
        if v[:2] in ("0x", "0X"):
            v = v[2:]
        v = v.lower()
        if len(v) == want and all(c in "0123456789abcdef" for c in v):
            out.append(f"{name}:{v}")
    return out


def jws_read(data, keys):
    header = jwt.get_unverified_header(data)
    verified, payload = [], None
    opts = {"verify_exp": False, "verify_nbf": False, "verify_iat": False, "verify_aud": False}
    for name, pem in keys:
        try:
            payload = jwt.decode(data, pem, algorithms=[header["alg"]], options=opts)
            verified.append(name)
        except Exception:
            pass
    if payload is None:
        payload = jwt.decode(data, options={"verify_signature": False})
    d, a = payload["device"], payload["audit"]
    return verified, {
        "vendor": d["vendor"],
        "product": d["product"],
        "fw_version": d.get("fw_version", ""),
        "image_digests": hashes_named(d.get("fw_hash_sha2_384"), d.get("fw_hash_sha2_512")),
        "srp": a["srp"],
        "completion_date": a["completion_date"] if re.fullmatch(r"\d{4}-\d{2}-\d{2}", a["completion_date"]) else None,
        "issues": [[i.get("title", ""), str(i["cvss_score"])] for i in a["issues"]],
    }


def cose_verify(msg, pem):
    """ECDSA over the COSE Sig_structure, checked with `cryptography`."""
    key = serialization.load_pem_public_key(pem)
    if msg.tag == 98:
        body_prot, _, payload, sigs = msg.value
        sign_prot, _, sig = sigs[0]
        tbs = cbor2.dumps(["Signature", body_prot, sign_prot, b"", payload])
    else:
        body_prot, _, payload, sig = msg.value
        tbs = cbor2.dumps(["Signature1", body_prot, b"", payload])
    n = len(sig) // 2
    der = encode_dss_signature(int.from_bytes(sig[:n], "big"), int.from_bytes(sig[n:], "big"))
    h = hashes.SHA512() if key.curve.name == "secp521r1" else hashes.SHA384()
    if key.curve.key_size // 8 + (1 if key.curve.key_size % 8 else 0) != n:
        return False
    try:
        key.verify(der, tbs, ec.ECDSA(h))
        return True
    except InvalidSignature:
        return False


def corim_read(data, keys):
    msg = cbor2.loads(data)
    verified = [name for name, pem in keys if cose_verify(msg, pem)]
    payload = msg.value[2]
    corim = cbor2.loads(payload).value
    comid = cbor2.loads(corim[1][0].value)
    env, measurements = comid[4][10][0][1][0]
    sfr = measurements[0][1][-1]
    digests = []
    for fw in sfr[4]:
        for alg, value in fw.get(1, []):
            name = {-43: "sha384", -44: "sha512"}.get(alg)
            if name:
                digests.append(f"{name}:{value.hex()}")
    fw_version = sfr[4][0].get(0, {}).get(0, "") if sfr[4] else ""
    when = sfr[2]
    if isinstance(when, datetime.datetime):
        date = when.astimezone(datetime.timezone.utc).date().isoformat()
    else:
        date = datetime.datetime.fromtimestamp(when, datetime.timezone.utc).date().isoformat()
    return verified, {
        "vendor": env[0].get(1, ""),
        "product": env[0].get(2, ""),
        "fw_version": fw_version,
        "image_digests": digests,
        "srp": corim[5][0][0],
        "completion_date": date,
        "issues": [[i[0], i[2][0]] for i in sfr.get(5, [])],
    }


def read(path, key_paths):
    data = pathlib.Path(path).read_bytes().strip() if path.endswith(".jws") else pathlib.Path(path).read_bytes()
    keys = [(pathlib.Path(k).name, pathlib.Path(k).read_bytes()) for k in key_paths]
    verified, fields = (jws_read if data.startswith(b"eyJ") else corim_read)(data, keys)
    print(json.dumps({"verified_by": verified, "report": fields}, sort_keys=True))


def sign(out):
    lib = load_library()
    out = pathlib.Path(out)
    out.mkdir(parents=True, exist_ok=True)
    image = b"hwprov interop firmware image\n" * 64
    (out / "image.bin").write_bytes(image)
    for name, curve, alg, secret in (
        ("p521", ec.SECP521R1(), "ES512", 0x5AFE521),
        ("p384", ec.SECP384R1(), "ES384", 0x5AFE384),
    ):
        priv = ec.derive_private_key(secret, curve)
        pem = priv.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        pub = priv.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        (out / f"{name}.pub.pem").write_bytes(pub)
        r = lib.ShortFormReport(framework_ver="1.1")
        r.add_device(
            "Interop Vendor",
            "Interop BMC",
            "bmc",
            "release_1_0_0",
            "1.0.0",
            hashlib.sha384(image).hexdigest(),
            hashlib.sha512(image).hexdigest(),
        )
        r.add_audit("Interop Review Provider", "whitebox", "2026-06-01", "1.0", 1)
        r.add_issue("Verbose error messages", "3.1", "AV:L/AC:H/PR:H/UI:N/S:U/C:L/I:N/A:N", "CWE-209", "A local attacker learns build paths.")
        r.add_issue("Debug console left enabled", "7.2", "AV:P/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "CWE-1191", "A physical attacker reaches a debug shell.", "CVE-2026-00001")
        assert r.sign_json_report_pem(pem, alg, f"interop-{name}")
        (out / f"{name}.jws").write_bytes(r.get_signed_json_report())
        assert r.sign_corim_report_pem(pem, alg, f"interop-{name}")
        (out / f"{name}.cbor").write_bytes(r.get_signed_corim_report())
        (out / f"{name}.json").write_text(json.dumps(r.get_report_as_dict(), indent=2))
    print(out)


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "read":
        read(sys.argv[2], sys.argv[3:])
    elif len(sys.argv) == 3 and sys.argv[1] == "sign":
        sign(sys.argv[2])
    else:
        sys.exit(__doc__)
