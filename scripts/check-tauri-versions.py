#!/usr/bin/env python3
"""Fails when the Tauri crates (Cargo.lock) and the @tauri-apps npm packages the UI uses
(ui/package-lock.json) are not on the same major.minor: `tauri build` refuses to package
the app then. Pairs: tauri with @tauri-apps/api, tauri-plugin-X with @tauri-apps/plugin-X.
"""
import json
import sys
import tomllib
from pathlib import Path

root = Path(__file__).resolve().parent.parent
crates = {
    p["name"]: p["version"]
    for p in tomllib.loads((root / "Cargo.lock").read_text())["package"]
}
npm = {
    path.removeprefix("node_modules/"): info["version"]
    for path, info in json.loads((root / "ui/package-lock.json").read_text())["packages"].items()
    if path.startswith("node_modules/@tauri-apps/") and "version" in info
}

pairs = [("tauri", "@tauri-apps/api")] + [
    ("tauri-" + package.removeprefix("@tauri-apps/"), package)
    for package in sorted(npm)
    if package.startswith("@tauri-apps/plugin-")
]
drift = []
for crate, package in pairs:
    rust, js = crates.get(crate), npm.get(package)
    if rust is None or js is None:
        drift.append(f"{crate} ({rust or 'not in Cargo.lock'}) : {package} ({js or 'not in ui/package-lock.json'})")
    elif rust.split(".")[:2] != js.split(".")[:2]:
        drift.append(f"{crate} (v{rust}) : {package} (v{js})")
if drift:
    print("error: the Tauri crates and npm packages are on different major.minor versions,", file=sys.stderr)
    print("so `tauri build` refuses to package the app. Pin both sides to one release:", file=sys.stderr)
    for line in drift:
        print("  " + line, file=sys.stderr)
    sys.exit(1)
print("tauri versions agree: " + ", ".join(f"{c} {crates[c]} / {p} {npm[p]}" for c, p in pairs))
