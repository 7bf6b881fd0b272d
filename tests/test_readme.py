"""README.md runs as printed: every fenced ```sh / ```bash block, in order, in one shell, in a
throwaway directory with a throwaway data directory, in a network namespace of its own (only
loopback) where the machine allows one.

The two marked top commands (``<!-- demo-command -->``, ``<!-- test-command -->``, read by
.ci/run) are indented, not fenced, so they are not run here: the test command would run this
test again, and the demo command's ``prima demo`` is run below with a store it must not touch.
"""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import run_prima
from tests.network_namespace import no_network_prefix

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```\n", re.S | re.M)
FILE_BLOCK = re.compile(r"<!-- file: (\S+) -->\n\n```\w*\n(.*?)```\n", re.S)
RUN_TAGS = {"sh", "bash"}
#: tags of blocks that are not run: sample output, configuration, code to read
OTHER_TAGS = {"text", "cron", "ini", "json", "toml", "python"}


def _line(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def runnable_blocks(text: str) -> list[tuple[int, str]]:
    """The (line, body) of every ```sh / ```bash block, in order."""
    return [(_line(text, m.start()), m.group(2)) for m in FENCE.finditer(text)
            if m.group(1) in RUN_TAGS]  # fmt: skip


def test_every_block_is_tagged_and_no_command_block_is_indented() -> None:
    text = README.read_text()
    tags = [m.group(1) for m in FENCE.finditer(text)]
    assert tags and all(t in RUN_TAGS | OTHER_TAGS for t in tags), tags
    outside = FENCE.sub("", text)
    indented = [ln for ln in outside.splitlines() if ln.startswith("    ") and ln.strip()]
    markers = re.findall(r"<!-- (?:demo|test)-command -->\n(    .*)\n", text)
    assert len(markers) == 2
    # list items continue with two spaces; four spaces outside a fence is a code block
    assert indented == markers, indented


def test_the_demo_command_is_the_one_checked_below() -> None:
    text = README.read_text()
    line = re.search(r"<!-- demo-command -->\n(    .*)\n", text)
    assert line is not None and line.group(1).endswith("&& .venv/bin/prima demo")


def test_readme_shell_blocks_run_as_printed(tmp_path: Path) -> None:
    text = README.read_text()
    blocks = runnable_blocks(text)
    assert any("prima sandbox serve --detach" in body for _, body in blocks)
    work = tmp_path / "work"
    work.mkdir()
    for name, body in FILE_BLOCK.findall(text):  # files the README's commands refer to
        (work / name).write_text(body)
    script = ["set -euo pipefail"]
    for line, body in blocks:
        script.append(f"echo '>>> README.md line {line}' >&2")
        script.append(body)
    script.append("echo '>>> README.md done' >&2")
    prefix = no_network_prefix()
    body = "\n".join(script)
    if prefix:
        body = "ip link set lo up\n" + body
    bin_dir = str(Path(sys.executable).parent)
    env = {
        "PATH": f"{bin_dir}:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin",
        "HOME": str(tmp_path / "home"),
        "PRIMA_DATA_DIR": str(tmp_path / "data"),
        "PRIMA_SANDBOX_PORT": "0",  # a free port: other tests may hold 8765
        "LANG": "C.UTF-8",
        "PYTHONPATH": str(ROOT),
    }
    try:
        done = subprocess.run([*prefix, "bash", "-c", body], cwd=work, env=env,
                              capture_output=True, text=True, timeout=300)  # fmt: skip
    finally:
        subprocess.run(["bash", "-c", "prima sandbox stop"], env=env, capture_output=True,
                       timeout=60)  # fmt: skip
    assert done.returncode == 0, f"exit {done.returncode}\n{done.stderr[-3000:]}"
    assert ">>> README.md done" in done.stderr
    assert "PRM-" in done.stdout  # the booking was made, shown and cancelled
    assert not (tmp_path / "data" / "sandbox.json").exists()  # the tour's last line stopped it


def _sentinel(path: Path) -> bytes:
    with sqlite3.connect(path) as db:
        db.execute("create table production (guest text)")
        db.execute("insert into production values ('Lucía')")
    return path.read_bytes()


@pytest.mark.parametrize("form", ["url", "path"])
def test_demo_never_touches_the_configured_store(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, form: str
) -> None:
    sentinel = tmp_path / "production.db"
    before = _sentinel(sentinel)
    configured = f"sqlite:///{sentinel}" if form == "url" else str(sentinel)
    data = tmp_path / "data"
    # TMPDIR: the demo's report is a new file there each run, not one more in the system's
    temp = str(tmp_path_factory.mktemp("demo-report"))
    env = {"PRIMA_DATABASE_URL": configured, "PRIMA_DATA_DIR": str(data), "TMPDIR": temp}
    done = run_prima(["demo", "--json"], env=env)
    assert done.returncode == 0, done.stderr
    assert sentinel.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["production.db"]  # no data dir either
    assert str(sentinel) not in done.stdout


def test_demo_with_an_explicit_db_keeps_its_store(tmp_path: Path) -> None:
    kept = tmp_path / "demo.db"
    env = {"PRIMA_DATA_DIR": str(tmp_path / "d"), "TMPDIR": str(tmp_path)}
    done = run_prima(["--db", str(kept), "demo"], env=env)
    assert done.returncode == 0, done.stderr
    listed = run_prima(["--db", str(kept), "venues", "list"])
    assert "prima-demo-madrid" in listed.stdout
    assert os.path.getsize(kept) > 0
