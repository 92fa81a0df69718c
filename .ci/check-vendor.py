#!/usr/bin/env python3
"""Fails when vendor/ and Cargo.lock disagree.

Every registry package in Cargo.lock must have a vendored directory whose
.cargo-checksum.json records the same package checksum (cargo-vendor-filterer
stubs for non-Linux crates record none and must be marked as stubs), and
vendor/ must hold nothing that Cargo.lock does not name.
"""
import json
import pathlib
import sys
import tomllib

root = pathlib.Path(__file__).resolve().parent.parent
lock = tomllib.loads((root / "Cargo.lock").read_text())
vendor = root / "vendor"

found = {}
for d in vendor.iterdir():
    if not d.is_dir():
        continue
    manifest = d / "Cargo.toml"
    ck = d / ".cargo-checksum.json"
    if not manifest.exists() or not ck.exists():
        sys.exit(f"vendor/{d.name}: missing Cargo.toml or .cargo-checksum.json")
    meta = tomllib.loads(manifest.read_text())
    pkg = meta.get("package", {})
    found[(pkg.get("name"), str(pkg.get("version")))] = (d.name, json.loads(ck.read_text()).get("package"))

errors = []
wanted = set()
for p in lock.get("package", []):
    if not str(p.get("source", "")).startswith("registry+"):
        continue
    key = (p["name"], p["version"])
    wanted.add(key)
    if key not in found:
        errors.append(f"{p['name']} {p['version']}: in Cargo.lock but not in vendor/")
        continue
    dirname, checksum = found[key]
    if checksum is not None and checksum != p.get("checksum"):
        errors.append(f"{p['name']} {p['version']}: vendor/{dirname} checksum differs from Cargo.lock")
for key, (dirname, _) in found.items():
    if key not in wanted:
        errors.append(f"vendor/{dirname}: {key[0]} {key[1]} is not in Cargo.lock")

if errors:
    print("vendor/ and Cargo.lock disagree:", *errors, sep="\n  ")
    print("regenerate vendor/ with the command in docs/dependencies.md")
    sys.exit(1)
print(f"vendor/ matches Cargo.lock ({len(wanted)} packages)")
