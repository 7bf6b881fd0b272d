"""An example for every command, shown at the end of its ``--help`` and in the man page.

Kept apart from the commands so that help, the man page and the test that every command has
one read the same table; ``apply`` hangs them on the command tree as it is loaded.
"""

from __future__ import annotations

from typing import Any

EXAMPLES: dict[str, tuple[str, ...]] = {
    "venues add": ('prima venues add "Casa Pepe" --timezone Europe/Madrid --country ES',),
    "venues list": ("prima venues list", "prima venues list --json"),
    "venues show": ("prima venues show casa-pepe",),
    "venues edit": ("prima venues edit casa-pepe --timezone Atlantic/Canary",),
    "venues remove": ("prima venues remove casa-pepe --yes",),
    "platforms types": ("prima platforms types",),
    "platforms add": (
        "prima platforms add casa-pepe covermanager --set restaurant_id=casa-pepe "
        "--set api_key=env:CM_KEY",
        "prima platforms add casa-pepe covermanager --set restaurant_id=casa-pepe "
        "--set api_key=file:/etc/prima/casa-pepe.key",
    ),
    "platforms list": ("prima platforms list --venue casa-pepe",),
    "platforms show": ("prima platforms show casa-pepe covermanager",),
    "platforms edit": ("prima platforms edit casa-pepe covermanager --priority 2",),
    "platforms enable": ("prima platforms enable casa-pepe covermanager",),
    "platforms disable": ("prima platforms disable casa-pepe restoo",),
    "platforms remove": ("prima platforms remove casa-pepe restoo --yes",),
    "platforms test": ("prima platforms test casa-pepe", "prima platforms test --all"),
    "platforms sync": (
        "prima platforms sync --dry-run",
        "prima platforms sync --enqueue     (workers on PostgreSQL: `prima worker run`)",
        "*/5 * * * * prima platforms sync --quiet --trigger cron "
        "--metrics-file /var/lib/node_exporter/textfile_collector/prima.prom     (crontab)",
    ),
    "platforms history": (
        "prima platforms history --limit 5",
        "prima platforms history 42",
        "prima platforms history --failed --connection casa-pepe/covermanager --since 7d",
    ),
    "bookings availability": (
        "prima bookings availability casa-pepe --date tomorrow --party 2 --time 20:00",
    ),
    "bookings create": (
        "prima bookings create casa-pepe --date friday --time 20:30 --party 4 "
        '--name "Lucía Fernández" --email lucia@example.org --phone "612 48 39 07" '
        "--reference order-1234",
    ),
    "bookings cancel": ("prima bookings cancel order-1234 --reason CHANGED_PLANS",),
    "bookings list": (
        "prima bookings list --venue casa-pepe --from today --to +7d",
        "prima bookings list --status unknown",
        "prima bookings list --format csv --fields reference,venue,status,starts_at",
        "prima bookings list --limit 50 --offset 50 --jq '.[].reference'",
    ),
    "bookings show": ("prima bookings show PRM-U23PQ7KD4M",),
    "bookings resolve": ("prima bookings resolve order-1234 --found 88123 --note 'seen in CM'",),
    "bookings reconcile": ("prima bookings reconcile", "prima bookings reconcile order-1234"),
    "db migrate": ("prima db migrate", "prima --db postgresql://prima@db/prima db migrate"),
    "db status": ("prima db status --json",),
    "db prune": ("prima db prune --older-than 30d --dry-run", "prima db prune --older-than 30d"),
    "sandbox serve": (
        "prima sandbox serve --detach",
        "prima sandbox serve --fault 503:restoo::times=2 --latency-ms 200",
    ),
    "sandbox env": ('eval "$(prima sandbox env)"',),
    "sandbox stop": ("prima sandbox stop",),
    "demo": ("prima demo", "prima --db demo.db demo && prima --db demo.db bookings list"),
    "worker run": (
        "prima worker run --concurrency 10",
        "*/5 * * * * prima worker run --one-shot --quiet     (crontab, with sync --enqueue)",
    ),
    "worker status": ("prima worker status --max-wait 600", "prima worker status --json"),
    "worker jobs": ("prima worker jobs --status failed",),
    "worker retry": ("prima worker retry 4211",),
    "worker cancel": ("prima worker cancel 4211",),
    "doctor": (
        "prima doctor",
        "*/15 * * * * prima doctor --quiet --max-sync-age 20m --max-attention 0     (crontab)",
    ),
    "help": ("prima help exit-codes", "prima help json bookings list"),
    "completion": ("prima completion bash > ~/.local/share/bash-completion/completions/prima",),
}


def epilog(path: str) -> str | None:
    """The examples of the command at ``path`` as a help epilog (kept as written)."""
    lines = EXAMPLES.get(path)
    if not lines:
        return None
    title = "Example:" if len(lines) == 1 else "Examples:"
    return "\b\n" + "\n".join([title, *(f"  {line}" for line in lines)])


def apply(command: Any, name: str) -> None:
    """Give every command under ``command`` (loaded as ``name``) its examples and plain usage."""
    from prima_cli.cli import typer_compat

    typer_compat.plain_usage(command)
    for path, sub in typer_compat.walk(command, (name,)):
        text = epilog(" ".join(path))
        if text is not None:
            sub.epilog = text
