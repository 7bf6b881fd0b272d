"""How help topics look: their text on stdout, a schema as indented JSON."""

from __future__ import annotations

from typing import Any

from prima_cli.cli.render import View

#: a topic's text, as it is
TOPIC: View[str] = View(json=lambda text: {"text": text}, text=lambda text: [text])
#: one command's JSON Schema (JSON whatever the terminal)
SCHEMA: View[dict[str, Any]] = View(json=lambda s: s, document=lambda s: s, force_json=True)
