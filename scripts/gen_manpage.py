"""Regenerate man/prima.1 from the command tree (a test checks it is current).

Usage: python scripts/gen_manpage.py [--check]
"""

from __future__ import annotations

import sys
from pathlib import Path

from prima_cli.cli.manpage import page

ROOT = Path(__file__).resolve().parent.parent
PATH = ROOT / "man" / "prima.1"


def main(argv: list[str]) -> int:
    text = page()
    if "--check" in argv:
        if not PATH.exists() or PATH.read_text() != text:
            print(f"stale: {PATH.relative_to(ROOT)} (run scripts/gen_manpage.py)", file=sys.stderr)
            return 1
        return 0
    PATH.parent.mkdir(exist_ok=True)
    PATH.write_text(text)
    print(f"wrote {PATH.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
