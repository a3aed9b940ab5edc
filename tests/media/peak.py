"""``python -m tests.media.peak FILE [MAX_UPLOAD_BYTES]``: the peak memory of one ``clean_image`` call, in MB.

Run in a fresh interpreter. ``ru_maxrss`` would not do: Linux carries it over from the parent across fork and
exec. Instead the kernel's peak-RSS mark of this process is reset (``/proc/self/clear_refs`` ← 5) once the
file is read, and ``VmHWM`` minus ``VmRSS`` at that moment is what the call added. Prints "peak width height".
"""
from __future__ import annotations

import sys
from pathlib import Path


def _status_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


def main() -> None:
    from portal.media.images import clean_image

    data = Path(sys.argv[1]).read_bytes()
    limit = int(sys.argv[2]) if len(sys.argv) > 2 else 10 * 1024 * 1024
    Path("/proc/self/clear_refs").write_text("5")  # reset the peak to the current RSS
    base = _status_mb("VmRSS")
    clean = clean_image(data, max_upload_bytes=limit)
    print(f"{_status_mb('VmHWM') - base:.0f} {clean.width} {clean.height}")


if __name__ == "__main__":
    main()
