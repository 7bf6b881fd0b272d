"""A throwaway database on a PostgreSQL or MariaDB server, for tests and benchmarks alike.

Plain Python (no pytest), so that ``bench/`` can use it too.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def fresh_database(admin_url: str, *, prefix: str = "prima_t") -> Iterator[str]:
    """Create an empty database on the server of ``admin_url``; yield its URL; drop it."""
    import sqlalchemy as sa

    from prima_cli.store.url import normalise

    admin = sa.engine.make_url(normalise(admin_url))
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    engine = sa.create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f"CREATE DATABASE {name}"))
    try:
        yield admin.set(database=name).render_as_string(hide_password=False)
    finally:
        with engine.connect() as conn:
            if admin.get_backend_name() == "postgresql":
                conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            else:
                conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name}"))
        engine.dispose()
