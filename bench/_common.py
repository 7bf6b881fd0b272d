"""Helpers shared by the benchmark scripts: executables, timing, peak memory, tables.

Pure standard library (timing with ``time.perf_counter``; no hyperfine needed).
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

BIN = Path(sys.executable).parent
PYTHON = sys.executable


def prima_cmd() -> list[str]:
    """The venv's real ``prima`` console script (the one users run), else ``python -m``;
    prima's own modules byte-compiled first (see ``compile_prima``)."""
    compile_prima()
    exe = shutil.which("prima", path=str(BIN))
    return [exe] if exe else [PYTHON, "-m", "prima_cli"]


@functools.cache
def compile_prima() -> None:
    """Byte-compile prima's modules, as ``pip install`` does. A checkout installed in editable
    mode on a machine that sets PYTHONDONTWRITEBYTECODE (these do) has no ``.pyc`` files, so
    every measured process would compile prima from source: 40 ms of a sync's start-up."""
    import compileall

    import prima_cli

    compileall.compile_dir(str(Path(prima_cli.__file__).parent), quiet=1)


def httpx_cli_cost(runs: int = 7) -> float | None:
    """CPU seconds that ``import httpx`` spends loading httpx's own command-line client in
    this venv (median of ``runs`` fresh processes, each way), or None where it is not loaded.

    httpx imports its client (click, rich's progress and syntax, pygments) whenever click is
    installed. prima's runtime dependencies do not bring click; its test extra does (pipx
    needs it), so a development venv charges every prima process this much more than a
    user's install (``pip install prima-cli``) pays."""
    import importlib.util

    if importlib.util.find_spec("click") is None:
        return None
    probe = (
        "import resource, sys{}\nimport httpx\n"
        "u = resource.getrusage(resource.RUSAGE_SELF)\nprint(u.ru_utime + u.ru_stime)"
    )
    with_cli, without = probe.format(""), probe.format("; sys.modules['httpx._main'] = None")
    costs: dict[str, list[float]] = {"with": [], "without": []}
    for _ in range(runs):  # interleaved, so that drifting load weighs on both alike
        for key, code in (("with", with_cli), ("without", without)):
            out = subprocess.run([PYTHON, "-c", code], capture_output=True, text=True, check=True)
            costs[key].append(float(out.stdout))
    return statistics.median(costs["with"]) - statistics.median(costs["without"])


def clean_env(**extra: str) -> dict[str, str]:
    """The environment for measured runs: no prima/Typer settings leaking in."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PRIMA_", "TYPER_", "_PRIMA_")) and k != "NO_COLOR"
    }
    env.update(extra)
    return env


def run_checked(cmd: Sequence[str], env: Mapping[str, str]) -> subprocess.CompletedProcess[str]:
    """Run once, capturing output; fail loudly on a non-zero exit."""
    result = subprocess.run(list(cmd), env=dict(env), capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(
            f"command failed (exit {result.returncode}): {' '.join(cmd)}\n{result.stderr}"
        )
    return result


def _wait(proc: subprocess.Popen[bytes]) -> tuple[int, int]:
    """Wait for ``proc``; its exit code and its own peak RSS in KiB (0 where unknown)."""
    if hasattr(os, "wait4"):
        _pid, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        rss = usage.ru_maxrss // 1024 if sys.platform == "darwin" else usage.ru_maxrss
        return proc.returncode, int(rss)
    return proc.wait(), 0


# Runs argv[1:] and prints its own peak RSS (KiB). The wrapper is a small fresh process, so
# the child's figure does not include this (possibly large) process's pages: a forked child
# keeps the parent's RSS high-water mark until exec.
_RSS_WRAPPER = """
import os, subprocess, sys
proc = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
_pid, status, usage = os.wait4(proc.pid, 0)
rss = usage.ru_maxrss // 1024 if sys.platform == "darwin" else usage.ru_maxrss
print(os.waitstatus_to_exitcode(status), rss)
"""


def peak_rss_kib(cmd: Sequence[str], env: Mapping[str, str]) -> int:
    """Peak RSS (KiB) of one fresh run of ``cmd``, measured from a small wrapper process."""
    if not hasattr(os, "wait4"):
        return 0
    out = subprocess.run(
        [PYTHON, "-c", _RSS_WRAPPER, *cmd], env=dict(env), capture_output=True, text=True
    )
    code, rss = out.stdout.split()
    if int(code) != 0:
        raise SystemExit(f"command failed (exit {code}): {' '.join(cmd)}")
    return int(rss)


def run_once(cmd: Sequence[str], env: Mapping[str, str]) -> tuple[float, int]:
    """One fresh process, output discarded: (wall seconds, peak RSS KiB).

    The RSS is only meaningful when this process is small (see ``peak_rss_kib``).
    """
    start = time.perf_counter()
    proc = subprocess.Popen(
        list(cmd), env=dict(env), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    code, rss = _wait(proc)
    elapsed = time.perf_counter() - start
    if code != 0:
        raise SystemExit(f"command failed (exit {code}): {' '.join(cmd)}")
    return elapsed, rss


def measure(
    cmd: Sequence[str], env: Mapping[str, str], *, runs: int, warmups: int
) -> tuple[float, int]:
    """Median wall seconds over ``runs`` fresh processes (after ``warmups``), and max RSS KiB."""
    for _ in range(warmups):
        run_once(cmd, env)
    times: list[float] = []
    peak = 0
    for _ in range(runs):
        elapsed, rss = run_once(cmd, env)
        times.append(elapsed)
        peak = max(peak, rss)
    return statistics.median(times), peak


def measure_interleaved(
    cmds: Mapping[str, Sequence[str]], env: Mapping[str, str], *, runs: int, warmups: int
) -> dict[str, float]:
    """Median wall seconds per command, runs interleaved so machine drift hits all alike."""
    for _ in range(warmups):
        for cmd in cmds.values():
            run_once(cmd, env)
    times: dict[str, list[float]] = {name: [] for name in cmds}
    for _ in range(runs):
        for name, cmd in cmds.items():
            times[name].append(run_once(cmd, env)[0])
    return {name: statistics.median(values) for name, values in times.items()}


def median_call(fn, runs: int, warmups: int = 1) -> float:  # type: ignore[no-untyped-def]
    """Median seconds of ``fn()`` in this process."""
    for _ in range(warmups):
        fn()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


_NUMERIC = re.compile(r"[-+]?[\d.,]+ ?(x|ms|s|MB|KiB|%)?")


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A plain aligned text table (numbers right-aligned)."""
    cells = [[str(c) for c in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(headers)]

    def fmt(row: Sequence[str], align: bool = True) -> str:
        parts = []
        for i, text in enumerate(row):
            numeric = align and _NUMERIC.fullmatch(text) is not None
            parts.append(text.rjust(widths[i]) if numeric else text.ljust(widths[i]))
        return "  ".join(parts).rstrip()

    lines = [fmt(list(headers), align=False), "  ".join("-" * w for w in widths)]
    lines += [fmt(c) for c in cells]
    return "\n".join(lines)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f}"
