"""Commands run in a network namespace of their own (only loopback, brought up by the caller
where it needs it), so a test proves that nothing it starts reaches the network."""

from __future__ import annotations

import shutil
import subprocess


def no_network_prefix() -> list[str]:
    """The ``unshare`` prefix that starts a command without network, or [] where the machine
    allows no new network namespace (the tests then rely on their offline settings alone)."""
    unshare, ip = shutil.which("unshare"), shutil.which("ip")
    if unshare is None or ip is None:
        return []
    for flags in (["-n"], ["-rn"]):
        probe = subprocess.run([unshare, *flags, ip, "link", "set", "lo", "up"],
                               capture_output=True)  # fmt: skip
        if probe.returncode == 0:
            return [unshare, *flags]
    return []
