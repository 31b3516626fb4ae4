#!/usr/bin/env python3
"""Checks CBOR files against hwprov's CDDL with pycddl (cddl-rs), an
independent CDDL implementation.

    check.py [--root RULE] SCHEMA.cddl... -- FILE...

The schema files are concatenated (with `RULE` made the root when given) and
must parse with every rule defined. Each FILE named ok-* must validate and
each named bad-* must not. Prints every disagreement; exit 1 if any.

pycddl's `.cbor` control is unreliable inside arrays (it accepts broken
envelopes), so hwprov's tests validate decoded payloads and log entries,
not whole COSE messages.
"""
import os
import sys

import pycddl


def main(argv):
    root = None
    if argv[:1] == ["--root"]:
        root, argv = argv[1], argv[2:]
    split = argv.index("--") if "--" in argv else len(argv)
    schemas, files = argv[:split], argv[split + 1:]
    text = "\n".join(open(s, encoding="utf-8").read() for s in schemas)
    if root:
        text = f"hwprov-check-root = {root}\n" + text
    try:
        schema = pycddl.Schema(text)
    except Exception as e:  # the schema itself is wrong
        print(f"{' + '.join(schemas)}: does not parse:\n{e}")
        return 1
    bad = 0
    for f in files:
        data = open(f, "rb").read()
        try:
            schema.validate_cbor(data)
            valid, why = True, ""
        except Exception as e:
            valid, why = False, str(e).splitlines()[0]
        want = os.path.basename(f).startswith("ok-")
        if valid != want:
            bad += 1
            print(f"{f}: {'valid' if valid else 'invalid'}, expected the opposite {why}")
    print(f"{' + '.join(schemas)}: {len(files)} file(s), {bad} disagreement(s)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
