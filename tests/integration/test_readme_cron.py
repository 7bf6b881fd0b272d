"""The README's crontab, copied: each job line runs as cron would run it (``/bin/sh -c`` with
only the crontab's variables, stdin from /dev/null) against a store whose key is a ``file:``
reference, as the README sets it up; healthy, none prints anything (cron mails nothing),
the metrics file parses and the ping arrives; broken, the sync's mail names the problem."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from prima_cli.sandbox import Sandbox
from prima_cli.store.url import resolve
from tests.conftest import CLI, prima_executable
from tests.integration.cron import ping_server

README = Path(__file__).resolve().parents[2] / "README.md"


def crontab() -> tuple[dict[str, str], list[str]]:
    """The README's ```cron block: its variables and its jobs' commands."""
    [block] = re.findall(r"```cron\n(.*?)```", README.read_text(), flags=re.S)
    variables, commands = {}, []
    for line in block.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        if re.match(r"^[A-Z_]+=", line):
            name, _, value = line.partition("=")
            variables[name] = value
        else:
            commands.append(line.split(None, 5)[5])
    return variables, commands


def test_the_readme_crontab_is_silent_when_healthy_and_monitored(
    venues: CLI, sandbox: Sandbox, tmp_path: Path
) -> None:
    variables, commands = crontab()
    assert [c.split()[1] for c in commands] == ["platforms", "doctor", "db"]
    key = tmp_path / "casa-pepe-covermanager.key"
    key.write_text(sandbox.credentials().covermanager.api_key + "\n")
    key.chmod(0o600)
    venues.ok("platforms", "add", "madrid", "covermanager", "--set",
              "restaurant_id=prima-sbx-madrid", "--set", f"api_key=file:{key}", "--set",
              f"base_url={sandbox.credentials().covermanager.base_url}")  # fmt: skip
    prom = tmp_path / "textfile_collector" / "prima.prom"
    prom.parent.mkdir()
    env = {**variables, "PRIMA_DATABASE_URL": resolve(venues.db_url)[0],
           "PATH": f"{Path(prima_executable()[0]).parent}:{variables['PATH']}"}  # fmt: skip
    env.pop("MAILTO")

    def cron(command: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["/bin/sh", "-c", command], env=env, stdin=subprocess.DEVNULL,
                              capture_output=True, text=True, timeout=120)  # fmt: skip

    with ping_server() as pings:
        here = {"/var/lib/node_exporter/textfile_collector/prima.prom": str(prom),
                "https://hc-ping.com/your-check-uuid": pings.url}  # fmt: skip
        jobs = []
        for command in commands:
            for theirs, ours in here.items():
                command = command.replace(theirs, ours)
            jobs.append(command)
        for job in jobs:
            proc = cron(job)
            assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", ""), job
        assert pings.paths() == ["/ping/3f1c9a7e-check/start", "/ping/3f1c9a7e-check"]
        names = {f.name for f in text_string_to_metric_families(prom.read_text())}
        assert "prima_sync_last_success_timestamp_seconds" in names
        key.chmod(0o644)  # broken: the key file became readable by others
        broken = cron(jobs[0])
        assert broken.returncode == 78 and broken.stdout == ""
        [line] = broken.stderr.splitlines()
        assert "madrid/covermanager" in line and f"chmod 600 {key}" in line
        assert pings.paths()[-1] == "/ping/3f1c9a7e-check/78"
        mail = cron(jobs[1])
        assert mail.returncode == 78 and "mode 0644" in mail.stderr
