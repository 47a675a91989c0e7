"""Write one benchmark's section of RESULTS.md, keeping the others."""

from __future__ import annotations

import contextlib
import os
import platform
import re
import subprocess
from datetime import datetime
from pathlib import Path

RESULTS = Path(__file__).with_name("RESULTS.md")
HEADER = "# Benchmark results\n\nEach section is rewritten by the script named in its heading.\n"


def machine() -> str:
    """What ran it: CPU model, core count, memory, OS (no host names or paths)."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kib = int(re.findall(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text())[0])
        mem = f", {kib / 1024 / 1024:.0f} GiB"
    except (OSError, IndexError):
        pass
    chromium = ""
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        found = subprocess.run(["chromium", "--version"], capture_output=True, text=True, timeout=20)
        chromium = ", " + found.stdout.strip()
    system = f"{platform.system()} {platform.release()}, Python {platform.python_version()}"
    return f"{cpu}, {os.cpu_count()} cores{mem}, {system}{chromium}"


def write_section(script: str, body: str) -> None:
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else HEADER
    start, end = f"<!-- {script} -->", f"<!-- /{script} -->"
    stamp = f"Run {datetime.now():%Y-%m-%d %H:%M} on: {machine()}\n\n"
    section = f"{start}\n## `{script}`\n\n{stamp}{body.strip()}\n{end}"
    pattern = re.compile(re.escape(start) + ".*?" + re.escape(end), re.S)
    text = pattern.sub(lambda _m: section, text) if pattern.search(text) else text.rstrip() + "\n\n" + section + "\n"
    RESULTS.write_text(text, encoding="utf-8")
