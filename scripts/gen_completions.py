"""Regenerate completions/prima.bash, completions/_prima (zsh) and completions/prima.fish from
the app (a test checks they are current; the wheel installs them where each shell looks).

Usage: python scripts/gen_completions.py [--check]
"""

from __future__ import annotations

import sys
from pathlib import Path

from prima_cli.cli.completion import Shell, script

ROOT = Path(__file__).resolve().parent.parent
DIR = ROOT / "completions"


#: the file each shell loads for the command `prima` (zsh: a function named _prima on fpath)
FILES = {Shell.bash: "prima.bash", Shell.zsh: "_prima", Shell.fish: "prima.fish"}


def expected() -> dict[Path, str]:
    return {DIR / FILES[shell]: script(shell.value).rstrip("\n") + "\n" for shell in Shell}


def main(argv: list[str]) -> int:
    stale = [
        path for path, text in expected().items() if not path.exists() or path.read_text() != text
    ]
    if "--check" in argv:
        for path in stale:
            print(f"stale: {path.relative_to(ROOT)}", file=sys.stderr)
        return 1 if stale else 0
    DIR.mkdir(exist_ok=True)
    for path, text in expected().items():
        path.write_text(text)
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
