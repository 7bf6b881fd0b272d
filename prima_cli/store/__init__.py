"""The store: engine from a URL, SQLModel tables, schema revision checks, migrations.

Importing this package is cheap; SQLAlchemy is imported by its submodules only.
"""
