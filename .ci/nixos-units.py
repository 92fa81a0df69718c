#!/usr/bin/env python3
"""Renders the NixOS module's units without nixpkgs and scores each one.

  python3 .ci/nixos-units.py OUTDIR

1. `nix-instantiate --eval --strict --json nixos-module/render.nix` (pure:
   nixos-module/units.nix, egress.nix, settings.nix with placeholder store
   paths) -> OUTDIR/units/*.service, OUTDIR/wrappers/*, OUTDIR/egress/*,
   OUTDIR/examples/*.json.
2. `systemd-analyze security --offline=true` on every unit file; fails when
   a unit's exposure is above its ceiling in nixos-module/exposure-ceilings.json
   (every rendered unit must have one; the agent's own is at most 2.0), or
   when a ceiling names a unit that is no longer rendered.
3. `bash -n` on every generated script.
"""
import json
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
AGENT_LIMIT = 2.0


def nix_eval(expr_file):
    env = dict(os.environ, NIX_CONFIG="build-users-group =")
    out = subprocess.run(
        ["nix-instantiate", "--eval", "--strict", "--json", expr_file],
        check=True, capture_output=True, text=True, env=env)
    return json.loads(out.stdout)


def write(path, text, mode=0o644):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)


def score(unit_file):
    out = subprocess.run(
        ["systemd-analyze", "security", "--offline=true", "--no-pager", unit_file],
        capture_output=True, text=True)
    m = re.search(r"Overall exposure level for \S+: (\d+\.\d)", out.stdout)
    if not m:
        sys.exit(f"no exposure score for {unit_file}:\n{out.stdout}\n{out.stderr}")
    costly = []
    for line in out.stdout.splitlines():
        m2 = re.match(r"✗ (\S+)\s+(.*?)\s+(\d+\.\d)$", line)
        if m2 and float(m2.group(3)) > 0:
            costly.append((float(m2.group(3)), m2.group(1)))
    costly.sort(reverse=True)
    return float(m.group(1)), costly, out.stderr


def main():
    outdir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "target", "nixos-units")
    rendered = nix_eval(os.path.join(ROOT, "nixos-module", "render.nix"))
    for name, text in rendered["units"].items():
        write(os.path.join(outdir, "units", name), text)
    for name, text in rendered["wrappers"].items():
        write(os.path.join(outdir, "wrappers", name), text, 0o755)
    write(os.path.join(outdir, "egress", "egress.nft"), rendered["egress"]["ruleset"])
    write(os.path.join(outdir, "egress", "load"), rendered["egress"]["load"], 0o755)
    write(os.path.join(outdir, "egress", "add"), rendered["egress"]["add"], 0o755)
    for name, ex in rendered["examples"].items():
        write(os.path.join(outdir, "examples", f"{name}.json"), json.dumps(ex["settings"], indent=2, sort_keys=True) + "\n")

    for d in ("wrappers", "egress"):
        for f in sorted(os.listdir(os.path.join(outdir, d))):
            p = os.path.join(outdir, d, f)
            if not f.endswith(".nft"):
                subprocess.run(["bash", "-n", p], check=True)

    with open(os.path.join(ROOT, "nixos-module", "exposure-ceilings.json")) as f:
        ceilings = {k: v for k, v in json.load(f).items() if not k.startswith("_")}
    failed = []
    units = sorted(rendered["units"])
    for stale in sorted(set(ceilings) - set(units)):
        failed.append(f"{stale}: has a ceiling but is not rendered any more")
    print(f"{'unit':44} {'exposure':>8} {'ceiling':>8}  costliest")
    for name in units:
        exposure, costly, stderr = score(os.path.join(outdir, "units", name))
        ceiling = ceilings.get(name)
        if name == "compliance-agent.service" and (ceiling is None or ceiling > AGENT_LIMIT):
            ceiling = AGENT_LIMIT
        top = ", ".join(f"{n} {v}" for v, n in costly[:4])
        print(f"{name:44} {exposure:8.1f} {ceiling if ceiling is not None else '-':>8}  {top}")
        if stderr.strip():
            # Unknown directives would be ignored silently by a real systemd.
            failed.append(f"{name}: systemd-analyze warned:\n{stderr.strip()}")
        if ceiling is None:
            failed.append(f"{name}: no ceiling in nixos-module/exposure-ceilings.json")
        elif exposure > ceiling:
            failed.append(f"{name}: exposure {exposure} is above its ceiling {ceiling}")
    if failed:
        print("\n".join(failed), file=sys.stderr)
        sys.exit(1)
    print(f"units rendered to {outdir}/units and scored: every unit within its ceiling")


if __name__ == "__main__":
    main()
