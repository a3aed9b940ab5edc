"""eKYC and upload figures (issue 11): the local provider on one dossier, and an upload's peak memory.

    .venv/bin/python -m bench.ekyc             # 20 runs, writes its section of bench/README.md
    .venv/bin/python -m bench.ekyc --runs 50 --no-readme

A dossier is three 1600×1200 JPEGs from tests/media/synthetic.py (a 2021 CCCD front with its QR, the back,
a portrait); the check is ``LocalProvider().check`` after one warm-up (models loaded). Each run is timed beside
a fixed pure-Python baseline taken right before it, so a busy moment of the shared machine shows in both, and
its CPU time is reported too (what the check costs, whatever the other processes do).
Peak memory: ``clean_image`` in a fresh interpreter (tests/media/peak.py: the kernel's peak-RSS mark reset once
the file is read, then VmHWM minus VmRSS).
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import machine_facts, ms, replace_section, summary

ROOT = Path(__file__).resolve().parents[1]
def baseline() -> float:
    start = time.perf_counter()
    total = 0
    for i in range(300_000):
        total += i * i
    return (time.perf_counter() - start) * 1000


def time_checks(runs: int) -> dict[str, dict[str, float]]:
    from portal.gateways.ekyc_local import LocalProvider, Photo, photo_check
    from tests.media import synthetic as syn

    front, back, portrait = syn.dossier()
    declared = syn.LAN.declared()
    provider = LocalProvider()
    assert provider.check(front, back, portrait, declared).passed  # warm-up: loads the models
    times: dict[str, list[float]] = {"check": [], "check, CPU time": [], "baseline": [], "decode + quality": [],
                                     "faces": [], "qr": []}
    for _ in range(runs):
        times["baseline"].append(baseline())
        start, cpu = time.perf_counter(), time.process_time()
        provider.check(front, back, portrait, declared)
        times["check"].append((time.perf_counter() - start) * 1000)
        times["check, CPU time"].append((time.process_time() - cpu) * 1000)
        # The same work in stages, for the breakdown.
        t0 = time.perf_counter()
        photos = {side: Photo.decode(data) for side, data in (("front", front), ("back", back),
                                                              ("portrait", portrait))}
        for side, photo in photos.items():
            photo_check(side, photo, provider.settings)
        t1 = time.perf_counter()
        provider.faces(photos["front"], photos["portrait"])
        t2 = time.perf_counter()
        provider.qr([("front", photos["front"]), ("back", photos["back"])], declared)
        t3 = time.perf_counter()
        times["decode + quality"].append((t1 - t0) * 1000)
        times["faces"].append((t2 - t1) * 1000)
        times["qr"].append((t3 - t2) * 1000)
    return {name: summary(values) for name, values in times.items()}


def peak_memory() -> list[tuple[str, float, float, str]]:
    """(what, file MB, peak MB over the interpreter's own, output size): the worst accepted upload of each kind."""
    import numpy as np
    from PIL import Image

    rows = []
    rng = np.random.default_rng(2026)
    grain = Image.fromarray(rng.integers(0, 255, (500, 700, 4), dtype=np.uint8))
    cases = [  # (what, file name, size, mode, save arguments); PNGs of grain pass 10 MB: the size limit is lifted
        ("JPEG 7000×5000 (35 MP)", "35mp.jpg", (7000, 5000), "RGB", {"quality": 92}),
        ("PNG RGB 4600×3450 (15.9 MP, the decode limit)", "16mp.png", (4600, 3450), "RGB", {}),
        ("PNG RGBA 4600×3450 (15.9 MP, the decode limit)", "16mp-rgba.png", (4600, 3450), "RGBA", {}),
        ("WebP 3464×2309 (8 MP, WebP's decode limit)", "8mp.webp", (3464, 2309), "RGB", {"quality": 90}),
    ]
    with tempfile.TemporaryDirectory() as tmp:
        for what, name, size, mode, save in cases:
            path = Path(tmp) / name
            grain.convert(mode).resize(size).save(path, **save)
            out = subprocess.run([sys.executable, "-m", "tests.media.peak", str(path), str(2**30)], cwd=ROOT,
                                 capture_output=True, text=True, check=True)
            peak, width, height = out.stdout.split()
            rows.append((what, path.stat().st_size / 1e6, float(peak), f"{width}×{height}"))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--no-readme", action="store_true")
    args = parser.parse_args()
    facts = machine_facts()
    checks = time_checks(args.runs)
    memory = peak_memory()
    lines = [f"{facts}", "", f"Local provider, one dossier (three 1600×1200 JPEGs), {args.runs} runs after a warm-up "
             "(ms; target: check p95 ≤ 1000):", "", "| what | median | p95 | max |", "|---|---:|---:|---:|"]
    for name, s in checks.items():
        label = {"check": "**whole check** (wall clock)", "check, CPU time": "whole check, CPU time of the process",
                 "baseline": "baseline (fixed Python loop, same run)"}.get(name, name)
        lines.append(f"| {label} | {ms(s['median'])} | {ms(s['p95'])} | {ms(s['max'])} |")
    lines += ["", "Upload intake (`clean_image`), peak memory over the interpreter's own (target: tens of MB, not "
              "hundreds):", "", "| upload | file | peak | stored as |", "|---|---:|---:|---|"]
    lines += [f"| {what} | {size:.1f} MB | {peak:.0f} MB | {out} JPEG |" for what, size, peak, out in memory]
    body = "\n".join(lines)
    print(body)
    if not args.no_readme:
        replace_section("ekyc", body)


if __name__ == "__main__":
    main()
