"""Platform connections of venues: validate, add, list, show, edit, enable, disable, remove."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from prima_cli import redact
from prima_cli.core import connection_guards as guards
from prima_cli.core import secrets
from prima_cli.core import venues as venues_core
from prima_cli.core.result import OperationResult
from prima_cli.errors import Conflict, InvalidInput, NotFound, PrimaError
from prima_cli.platforms import rate_limit
from prima_cli.platforms.contract import RATE_LIMIT_FIELD
from prima_cli.platforms.parsing import require_http_url

if TYPE_CHECKING:
    from sqlmodel import Session

    from prima_cli.platforms.contract import ConfigField, Connection, PlatformAdapter
    from prima_cli.store.models import Venue, VenuePlatform
    from prima_cli.store.store import Store


class SecretInput(Protocol):
    """How the command line obtains secrets that were not given as values."""

    def read_stdin(self, field: ConfigField) -> str: ...

    def prompt(self, field: ConfigField) -> str:
        """Ask with hidden input; raise InvalidInput when nobody can be asked."""
        ...


@dataclass(frozen=True)
class ConnectionInfo:
    id: int
    venue_id: int
    venue_slug: str
    venue_name: str
    platform_type: str
    is_enabled: bool
    priority: int
    configuration: dict[str, Any]  # stored values, secrets masked
    defaults: dict[str, Any]  # declared defaults for keys that are not set
    last_synced_at: dt.datetime | None  # the last successful sync
    last_sync_attempt_at: dt.datetime | None  # the last sync, whatever its outcome
    last_sync_status: str | None
    last_error: str | None
    created_at: dt.datetime
    updated_at: dt.datetime


@dataclass(frozen=True)
class ConfigDraft:
    configuration: dict[str, str]
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class AddedConnection:
    connection: ConnectionInfo
    test_detail: str | None  # what the credential test verified; None with --no-test


@dataclass(frozen=True)
class Toggled:
    connection: ConnectionInfo
    enabled: bool  # what was asked for
    changed: bool  # False: it already was


# --- parsing and validation --------------------------------------------------------


def parse_pairs(pairs: Sequence[str], *, option: str = "--set") -> dict[str, str]:
    """``KEY=VALUE`` items into a dict; malformed or repeated keys are invalid input."""
    parsed: dict[str, str] = {}
    for number, item in enumerate(pairs, start=1):
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or not key:
            # the item is not quoted: a mistyped `api_key:KEY` would put the key in the
            # message, and so in cron mail and the journal
            raise InvalidInput(
                f"{option} expects KEY=VALUE; {option} number {number} has "
                f"{'no KEY' if sep else 'no ='} (not shown: it may hold a secret)"
            )
        if key in parsed:
            raise InvalidInput(f"{option} {key} given twice")
        parsed[key] = value
    return parsed


def _adapter(platform_type: str) -> type[PlatformAdapter]:
    from prima_cli.platforms import registry

    return registry.get(platform_type)


def build_configuration(
    adapter: type[PlatformAdapter],
    given: Mapping[str, str],
    *,
    existing: Mapping[str, Any] | None = None,
    unset: Sequence[str] = (),
    secret_input: SecretInput,
    store_secret: bool = False,
) -> ConfigDraft:
    """Validate and merge configuration values; nothing is written here.

    A secret is stored in the database only when the operator asked for it: given as
    ``literal:VALUE``, or with ``store_secret`` (``--store-secret``) for a value given
    literally, on stdin or at the prompt; otherwise it must be a reference."""
    declared = {f.name: f for f in (*adapter.config_fields, RATE_LIMIT_FIELD)}
    unknown = sorted(k for k in [*given, *unset] if k not in declared)
    if unknown and not adapter.allow_extra_config:
        raise InvalidInput(
            f"unknown configuration key(s) for {adapter.name}: {', '.join(unknown)}",
            hint=f"{adapter.name} accepts: {', '.join(declared)} (see `prima platforms types`)",
        )
    both = sorted(set(given) & set(unset))
    if both:
        raise InvalidInput(f"{', '.join(both)} both set and unset")
    config: dict[str, str] = {k: str(v) for k, v in (existing or {}).items()}
    for key in unset:
        spec = declared.get(key)
        if spec is not None and spec.required and spec.default is None:
            raise InvalidInput(f"{key} is required by {adapter.name} and cannot be unset")
        config.pop(key, None)
    warnings: list[str] = []
    stdin_keys = [k for k, v in given.items() if v == secrets.STDIN_MARKER]
    if len(stdin_keys) > 1:
        raise InvalidInput(
            f"only one value can be read from stdin, not {', '.join(stdin_keys)}",
            hint="use env:NAME for the others",
        )
    for key, value in given.items():
        spec = declared.get(key)
        is_secret = bool(spec and spec.secret)
        asked = store_secret
        if is_secret and value.startswith(secrets.LITERAL_PREFIX):
            value, asked = value[len(secrets.LITERAL_PREFIX) :], True
        if is_secret and not asked and not secrets.is_reference(value):
            raise secrets.not_stored(key, from_stdin=value == secrets.STDIN_MARKER)
        if value == "":
            raise InvalidInput(f"{key} is empty", hint=f"use --unset {key} to remove a value")
        if key == RATE_LIMIT_FIELD.name:
            value = str(rate_limit.parse(value))  # refused with the grammar; stored canonical
        if key == "base_url":
            require_http_url(value)
        if spec is not None and spec.choices and value not in spec.choices:
            raise InvalidInput(
                f"{key} must be one of {', '.join(spec.choices)}, not {value!r}",
                hint=f"{spec.help} (see `prima platforms types`)" if spec.help else None,
            )
        if value == secrets.STDIN_MARKER:
            if spec is None:
                raise InvalidInput(f"{key}: only declared fields can be read from stdin")
            value = secret_input.read_stdin(spec).strip()
            if not value:
                raise InvalidInput(f"{key}: nothing was read from stdin")
        elif secrets.is_reference(value):
            secrets.check_reference(key, value)
        elif is_secret:
            redact.register(value)
            warnings.append(
                f"the {key} given on the command line is visible in the process list and "
                f"shell history; prefer --set {key}=env:NAME, file:/path or keyring:service/name"
            )
        if is_secret and not secrets.is_reference(value):
            redact.register(value)
            secrets.check_value(key, value, where=f"{adapter.name} configuration")
        config[key] = value
    missing = [
        f
        for f in adapter.config_fields
        if f.required and f.default is None and f.name not in config
    ]
    not_promptable = [f.name for f in missing if not f.secret]
    if not_promptable:
        names = ", ".join(f.name for f in missing)
        raise InvalidInput(
            f"missing required configuration for {adapter.name}: {names}",
            hint="pass " + " ".join(f"--set {f.name}=..." for f in missing),
        )
    for spec in missing:  # only secrets remain: ask for them (or fail with the flag to pass)
        if not store_secret:
            raise secrets.not_stored(spec.name, missing=True)
        value = secret_input.prompt(spec).strip()
        if not value:
            raise InvalidInput(f"{spec.name} is empty")
        redact.register(value)
        secrets.check_value(spec.name, value, where=f"{adapter.name} configuration")
        config[spec.name] = value
    return ConfigDraft(config, warnings)


# --- reading -------------------------------------------------------------------------


def _info(row: VenuePlatform, venue: Venue) -> ConnectionInfo:
    from prima_cli.platforms import registry

    adapter = registry.available().get(row.platform_type)
    declared = {f.name: f for f in adapter.config_fields} if adapter else {}
    stored = dict(row.configuration or {})

    def is_secret(key: str) -> bool:
        spec = declared.get(key)
        return spec.secret if spec else key in redact.SENSITIVE_KEYS

    secrets.register_literals(stored, [k for k in stored if is_secret(k)])
    shown = {k: secrets.display(v, secret=is_secret(k)) for k, v in stored.items()}
    defaults = {
        name: spec.default
        for name, spec in declared.items()
        if spec.default is not None and name not in stored
    }
    assert row.id is not None and venue.id is not None
    return ConnectionInfo(
        id=row.id,
        venue_id=venue.id,
        venue_slug=venue.slug,
        venue_name=venue.name,
        platform_type=row.platform_type,
        is_enabled=row.is_enabled,
        priority=row.priority,
        configuration=shown,
        defaults=defaults,
        last_synced_at=row.last_synced_at,
        last_sync_attempt_at=row.last_sync_attempt_at,
        last_sync_status=row.last_sync_status,
        last_error=row.last_error,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _find(session: Session, venue_ref: str, platform_type: str) -> tuple[Venue, VenuePlatform]:
    from sqlmodel import select

    from prima_cli.store.models import VenuePlatform

    venue = venues_core.find(session, venue_ref)
    row = session.exec(
        select(VenuePlatform).where(
            VenuePlatform.venue_id == venue.id, VenuePlatform.platform_type == platform_type
        )
    ).first()
    if row is None:
        raise NotFound(
            f"venue {venue.slug} has no {platform_type} connection",
            hint=f"see `prima platforms list --venue {venue.slug}`",
        )
    return venue, row


def list_connections(
    store: Store,
    *,
    venue_ref: str | None = None,
    platform_type: str | None = None,
    enabled: bool | None = None,
) -> OperationResult[list[ConnectionInfo]]:
    """The connections matching the filters, by venue, priority and type."""
    from sqlmodel import col, select

    from prima_cli.store.models import Venue, VenuePlatform

    with store.session() as session:
        query = select(VenuePlatform, Venue).join(
            Venue, col(Venue.id) == col(VenuePlatform.venue_id)
        )
        if venue_ref is not None:
            venue = venues_core.find(session, venue_ref)
            query = query.where(VenuePlatform.venue_id == venue.id)
        if platform_type is not None:
            query = query.where(VenuePlatform.platform_type == platform_type)
        if enabled is not None:
            query = query.where(VenuePlatform.is_enabled == enabled)
        query = query.order_by(
            col(Venue.slug), col(VenuePlatform.priority), col(VenuePlatform.platform_type)
        )
        return OperationResult.ok([_info(row, venue) for row, venue in session.exec(query).all()])


def show(store: Store, venue_ref: str, platform_type: str) -> OperationResult[ConnectionInfo]:
    """One connection, secrets masked (not found: exit 3)."""
    with store.session() as session:
        venue, row = _find(session, venue_ref, platform_type)
        return OperationResult.ok(_info(row, venue))


# --- writing ---------------------------------------------------------------------------


def _validate_priority(priority: int | None) -> None:
    if priority is not None and not 0 <= priority <= 1000:
        raise InvalidInput("--priority must be between 0 and 1000 (lower is tried first)")


def add(
    store: Store,
    venue_ref: str,
    platform_type: str,
    pairs: Sequence[str],
    *,
    priority: int | None,
    enabled: bool,
    secret_input: SecretInput,
    test: Callable[[type[PlatformAdapter], Connection], str] | None,
    store_secret: bool = False,
) -> OperationResult[AddedConnection]:
    """Validate everything, test the credentials (unless ``test`` is None), then save.

    Nothing is written when any step fails.
    """
    from sqlalchemy import func
    from sqlalchemy.exc import IntegrityError
    from sqlmodel import select

    from prima_cli.core import targets
    from prima_cli.store.models import VenuePlatform

    _validate_priority(priority)
    adapter = _adapter(platform_type)
    given = parse_pairs(pairs)
    with store.session() as session:
        venue = venues_core.find(session, venue_ref)
        if taken := _already_connected(session, venue, platform_type):
            raise taken
        if priority is None:
            highest = session.exec(
                select(func.max(VenuePlatform.priority)).where(VenuePlatform.venue_id == venue.id)
            ).one()
            priority = (highest or 0) + 1
    # no transaction is held while the operator types a secret or the platform answers
    draft = build_configuration(
        adapter, given, secret_input=secret_input, store_secret=store_secret
    )
    row = VenuePlatform(
        venue_id=venue.id or 0,
        platform_type=platform_type,
        is_enabled=enabled,
        priority=priority,
        configuration=draft.configuration,
    )
    detail = test(adapter, targets.adapter_connection(adapter, row, venue)) if test else None
    try:
        with store.session() as session:
            session.add(row)
            session.flush()
            return OperationResult.ok(AddedConnection(_info(row, venue), detail), draft.warnings)
    except IntegrityError:  # something changed while the secret was typed or tested
        raise _not_saved(store, venue, platform_type) from None


def _already_connected(
    session: Session, venue: Venue, platform_type: str, *, meanwhile: bool = False
) -> Conflict | None:
    """The conflict to report when the venue already has a connection to that platform."""
    from sqlmodel import select

    from prima_cli.store.models import VenuePlatform

    taken = session.exec(
        select(VenuePlatform.id).where(
            VenuePlatform.venue_id == venue.id, VenuePlatform.platform_type == platform_type
        )
    ).first()
    if taken is None:
        return None
    return Conflict(
        f"venue {venue.slug} already has a {platform_type} connection"
        + (" (added meanwhile)" if meanwhile else ""),
        hint=f"change it with `prima platforms edit {venue.slug} {platform_type}`",
    )


def _not_saved(store: Store, venue: Venue, platform_type: str) -> PrimaError:
    """Why the store refused a new connection: say what another process changed."""
    from prima_cli.store.models import Venue

    with store.session() as session:
        if session.get(Venue, venue.id) is None:
            return NotFound(
                f"venue {venue.slug} was removed while its {platform_type} connection was "
                "being added; nothing was saved"
            )
        if taken := _already_connected(session, venue, platform_type, meanwhile=True):
            return taken
    return Conflict(
        f"the store refused the {platform_type} connection of venue {venue.slug}; "
        "nothing was saved",
        hint="run the command again",
    )


def edit(
    store: Store,
    venue_ref: str,
    platform_type: str,
    pairs: Sequence[str],
    unset: Sequence[str],
    *,
    priority: int | None,
    secret_input: SecretInput,
    store_secret: bool = False,
    force: bool = False,
) -> OperationResult[ConnectionInfo]:
    """Merge changes into the configuration (never replace it). A change of where the
    connection's reservations are (a ``locates`` key) is refused while bookings made there
    are live, unless forced: prima would reconcile, cancel and sync them in the new place."""
    from prima_cli.store.types import utcnow

    _validate_priority(priority)
    given = parse_pairs(pairs)
    if not given and not unset and priority is None:
        raise InvalidInput("nothing to change", hint="pass --set, --unset or --priority")
    with store.session() as session:  # read, and ask for secrets, holding nothing
        venue, row = _find(session, venue_ref, platform_type)
        adapter = _adapter(platform_type)
        draft = build_configuration(
            adapter,
            given,
            existing=row.configuration,
            unset=unset,
            secret_input=secret_input,
            store_secret=store_secret,
        )
        assert row.id is not None
        connection_id, read = row.id, row.configuration
    with store.session() as session:  # the guard sees what placements wrote before the lock
        row = guards.locked(session, connection_id, read, f"{venue.slug} {platform_type}")
        moving = guards.moving(session, row, venue.slug, adapter, draft.configuration,
                               force=force)  # fmt: skip
        row.configuration = draft.configuration
        if priority is not None:
            row.priority = priority
        row.updated_at = utcnow()
        session.add(row)
        session.flush()
        return OperationResult.ok(_info(row, venue), [*draft.warnings, *moving])


def set_enabled(
    store: Store, venue_ref: str, platform_type: str, enabled: bool
) -> OperationResult[Toggled]:
    """Enable or disable; the connection and whether anything changed."""
    from prima_cli.store.types import utcnow

    with store.session() as session:
        venue, row = _find(session, venue_ref, platform_type)
    with store.session() as session:  # the queued bookings as of the lock: none being placed
        assert row.id is not None
        row = guards.locked(session, row.id, None, f"{venue.slug} {platform_type}")
        changed = row.is_enabled != enabled
        if changed:
            row.is_enabled = enabled
            row.updated_at = utcnow()
            session.add(row)
            session.flush()
        warnings = [] if enabled else guards.disabling(session, row)
        return OperationResult.ok(Toggled(_info(row, venue), enabled, changed), warnings)


def remove(
    store: Store, venue_ref: str, platform_type: str, *, force: bool = False
) -> OperationResult[ConnectionInfo]:
    """Delete a connection; refused while it holds live reservations, unless forced (their
    history stays, but they can then only be cancelled on the platform by hand). Forced, the
    ``queued`` bookings that only this connection was to place become ``rejected`` in the
    same transaction: nothing places them any more."""
    with store.session() as session:
        venue, row = _find(session, venue_ref, platform_type)
        assert row.id is not None
        connection_id = row.id
    with store.session() as session:  # its live bookings as of the lock, placements' included
        row = guards.locked(session, connection_id, None, f"{venue.slug} {platform_type}")
        info = _info(row, venue)
        return OperationResult.ok(info, guards.removing(session, row, venue.slug, force=force))
