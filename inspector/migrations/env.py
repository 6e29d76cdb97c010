"""Alembic environment: migrations run on the connection the store opener passes in."""
from __future__ import annotations

from alembic import context

from inspector.models import Base

target_metadata = Base.metadata
config = context.config


def render_item(type_, obj, autogen_context):
    """Render the store's TypeDecorators as their storage type, so migrations never import models."""
    from sqlalchemy.types import TypeDecorator

    if type_ == "type" and isinstance(obj, TypeDecorator):
        impl = obj.impl_instance if hasattr(obj, "impl_instance") else obj.impl
        return f"sa.{impl!r}"
    return False


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is None:  # `alembic` CLI use during development: sqlalchemy.url from the config
        from inspector.db import make_engine

        engine = make_engine(config.get_main_option("sqlalchemy.url").removeprefix("sqlite:///"))
        with engine.begin() as conn:
            context.configure(connection=conn, target_metadata=target_metadata, render_as_batch=True, render_item=render_item)
            context.run_migrations()
        return
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
    context.run_migrations()


run_migrations_online()
