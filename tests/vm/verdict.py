#!/usr/bin/env python3
"""Print a `pstore-blk check` verdict (yes/no/unknown) and its reason.

Usage: verdict.py KIND JSON_FILE [TEXT_FILE]

Reads the `check --json` output first: any object with "kind" == KIND and a
boolean "yes" (or "captured"/"ok"/"value") field anywhere in the document.
Falls back to the text output: a line like "oops: YES - ..." or
"oops captured: NO (reason)". Prints "<yes|no|unknown>\t<reason>".
Used by tests/vm/e2e-setup.sh to compare check's promise with what the
kernel then really recorded.
"""
import json
import re
import sys


def from_json(kind, path):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            doc = json.load(f)
    except (OSError, ValueError):
        return None
    found = []

    def walk(node, key=None):
        if isinstance(node, dict):
            if str(node.get("kind", node.get("name", ""))).lower() == kind:
                for k in ("yes", "captured", "ok", "value", "verdict"):
                    v = node.get(k)
                    if isinstance(v, bool):
                        found.append((v, str(node.get("reason", ""))))
                        return
                    if isinstance(v, str) and v.lower() in ("yes", "no"):
                        found.append((v.lower() == "yes", str(node.get("reason", ""))))
                        return
            if key in ("verdicts", "verdict") and kind in node:
                v = node[kind]
                if isinstance(v, bool):
                    found.append((v, ""))
                elif isinstance(v, dict):
                    walk(dict(v, kind=kind))
            for k, v in node.items():
                walk(v, k)
        elif isinstance(node, list):
            for v in node:
                walk(v, key)

    walk(doc)
    return found[0] if found else None


def from_text(kind, path):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read()
    except OSError:
        return None
    rx = re.compile(r"^\W*" + re.escape(kind) + r"\b[^:\n]*[:\s]+\W*(YES|NO)\b\W*(.*)$",
                    re.IGNORECASE | re.MULTILINE)
    m = rx.search(text)
    if not m:
        return None
    return (m.group(1).lower() == "yes", m.group(2).strip())


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    kind = sys.argv[1].lower()
    got = from_json(kind, sys.argv[2])
    if got is None and len(sys.argv) > 3:
        got = from_text(kind, sys.argv[3])
    if got is None:
        print("unknown\t")
    else:
        print(("yes" if got[0] else "no") + "\t" + got[1].replace("\n", " "))
    return 0


if __name__ == "__main__":
    sys.exit(main())
