#!/usr/bin/env python3
"""Print one row of `pstore-blk check --json`'s capture table.

Usage: capture_row.py JSON_FILE BACKEND

Prints "available=yes active=no next_boot=no oops=yes panic=no
survives_power_off=yes" for BACKEND (efi_pstore, pstore_blk, ...) from the
document's "backends" array, or "missing" when the file is not check --json
output or has no such row. Used by tests/vm/e2e-setup.sh to hold the table
a user reads against what the guest kernel then really did.
"""
import json
import sys


def main():
    path, name = sys.argv[1], sys.argv[2]
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            doc = json.load(f)
    except (OSError, ValueError):
        print("missing")
        return
    for row in doc.get("backends", []) if isinstance(doc, dict) else []:
        if isinstance(row, dict) and row.get("name") == name:
            cols = ("available", "active", "next_boot", "oops", "panic", "survives_power_off")
            print(" ".join(f"{c}={'yes' if row.get(c) is True else 'no'}" for c in cols))
            return
    print("missing")


if __name__ == "__main__":
    main()
