"""README's "Adding a platform" runs as written: its adapter passes the conformance kit with
its kit test, and with its pyproject's entry point installed the `prima` command lists it."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import tomllib
from pathlib import Path

from tests.conftest import run_prima
from tests.integration.test_plugins import install_plugin

README = Path(__file__).resolve().parent.parent.parent / "README.md"
#: an HTML comment naming the fenced block that follows it
BLOCK = re.compile(r"<!-- (?:file: (\S+)|(commands)) -->\n\n```\w*\n(.*?)```\n", re.S)


def section() -> str:
    text = README.read_text()
    start = text.index("### Adding a platform\n")
    return text[start : text.index("\n## ", start)]


def blocks() -> dict[str, str]:
    """The fenced block after each ``<!-- file: NAME -->`` or ``<!-- commands -->``."""
    return {m.group(1) or m.group(2): m.group(3) for m in BLOCK.finditer(section())}


def test_the_readme_adapter_passes_the_kit_and_installs(tmp_path: Path) -> None:
    files = blocks()
    assert set(files) == {"my_platform.py", "pyproject.toml", "test_my_platform.py", "commands"}
    for name in ("my_platform.py", "test_my_platform.py"):
        (tmp_path / name).write_text(files[name])
    project = tomllib.loads(files["pyproject.toml"])["project"]
    points = project["entry-points"]["prima.platforms.v1"]
    site = tmp_path / "site"
    install_plugin(
        site,
        project["name"],
        "[prima.platforms.v1]\n" + "".join(f"{k} = {v}\n" for k, v in points.items()),
        files["my_platform.py"],
    )
    (site / "prima_tapas.py").rename(site / "my_platform.py")
    env = {**os.environ, "PYTHONPATH": str(site), "PRIMA_DATA_DIR": str(tmp_path / "data")}
    commands = [shlex.split(line) for line in files["commands"].splitlines() if line.strip()]
    assert [c[0] for c in commands] == ["pytest", "prima"]
    kit = subprocess.run(
        [sys.executable, "-m", *commands[0], "-p", "no:cacheprovider"],
        cwd=tmp_path, env={**env, "PYTHONPATH": str(tmp_path)}, capture_output=True, text=True,
    )  # fmt: skip
    assert kit.returncode == 0, kit.stdout + kit.stderr
    assert re.search(r"\b[1-9]\d+ passed", kit.stdout) and "failed" not in kit.stdout
    listed = run_prima(commands[1][1:], env=env)
    assert listed.returncode == 0, listed.stderr
    tapas = next(t for t in json.loads(listed.stdout) if t["name"] == "tapas")
    assert tapas["sdk_version"] == "1.0"
