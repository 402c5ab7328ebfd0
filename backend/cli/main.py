"""`tuoyu`: serve, migrate, load demo data, inspect and rebuild projections, export the API schema."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from backend.logs import configure_logging
from backend.settings import Settings

T = TypeVar("T")
console = Console(stderr=True, width=None if sys.stderr.isatty() else 160)
DEMO_OTP = "246810"


def run(coro_factory: Callable[[], Awaitable[T]]) -> T:
    async def main() -> T:
        return await coro_factory()

    return asyncio.run(main())


@click.group(help="Tuoyu 托育: event-sourced backend for childcare of children aged 0–3.")
def cli() -> None:
    configure_logging(Settings().log_format)


@cli.command(help="Serve the API (migrates first). With --demo, load the demo city if empty.")
@click.option(
    "--demo", is_flag=True, help="load the deterministic demo city into an empty database"
)
@click.option("--host", default=None, help="bind address (TUOYU_HOST, default 127.0.0.1)")
@click.option("--port", default=None, type=int, help="port (TUOYU_PORT, default 8000)")
def serve(demo: bool, host: str | None, port: int | None) -> None:
    from backend.http_server import serve as serve_http

    if demo:
        os.environ.setdefault("TUOYU_DEMO_OTP", DEMO_OTP)
    settings = Settings()
    from backend.runtime import resolve_database_url

    database_url = run(lambda: resolve_database_url(settings))
    os.environ["DATABASE_URL"] = database_url
    settings = Settings()
    if demo:
        run(lambda: _load_demo_if_empty(settings, "small", 2026))
    from backend.api.app import create_app

    app = create_app(settings)
    where = f"http://{host or settings.host}:{port or settings.port}"
    console.print(f"[bold green]Tuoyu[/] serving on {where}  ·  OpenAPI docs at {where}/schema")
    serve_http(app, host or settings.host, port or settings.port)


@cli.group(help="Database schema.")
def db() -> None:
    pass


@db.command("migrate", help="Apply the versioned migrations this database lacks.")
def db_migrate() -> None:
    from backend.runtime import migrate_database, resolve_database_url

    settings = Settings()

    async def go() -> list[str]:
        return await migrate_database(await resolve_database_url(settings))

    applied = run(go)
    console.print(f"applied: {', '.join(applied) or 'nothing (up to date)'}")


@cli.group(help="Deterministic demo data.")
def demo() -> None:
    pass


@demo.command("load", help="Load a seeded demo city (small: ~12 institutions; suzhou: 752).")
@click.option("--size", type=click.Choice(["small", "suzhou"]), default="small", show_default=True)
@click.option("--seed", type=int, default=2026, show_default=True)
def demo_load(size: str, seed: int) -> None:
    loaded = run(lambda: _load_demo_if_empty(Settings(), size, seed))
    if not loaded:
        sys.exit(1)


async def _load_demo_if_empty(settings: Settings, size: str, seed: int) -> bool:
    from backend.demo.generator import generate_city
    from backend.demo.loader import database_is_empty, demo_accounts, load_day, load_demo
    from backend.runtime import close_runtime, open_runtime, resolve_database_url

    runtime = await open_runtime(settings, await resolve_database_url(settings), follow=False)
    try:
        city = generate_city(size, seed, reference_date=load_day(runtime))
        if not await database_is_empty(runtime):
            console.print("database already has events: demo data not loaded")
            _print_accounts(demo_accounts(city))
            return False
        with _progress() as bar:
            task = bar.add_task(f"loading demo city ({size})", total=None)
            report = await load_demo(
                runtime, city, lambda done, total: bar.update(task, completed=done, total=total)
            )
        console.print(f"loaded: {report}")
        with _progress() as bar:
            task = bar.add_task("building read models", total=None)
            await runtime.projector.catch_up()
            bar.update(task, completed=1, total=1)
        _print_accounts(demo_accounts(city))
        return True
    finally:
        await close_runtime(runtime)


def _print_accounts(accounts: list[Any]) -> None:
    table = Table(title="Demo accounts (guardians sign in with code " + DEMO_OTP + ")")
    for column in ("role", "phone", "name", "password", "note"):
        table.add_column(column)
    for a in accounts:
        table.add_row(a.role, a.phone, a.display_name, a.password or "—", a.note)
    console.print(table)


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=console,
    )


@cli.group(help="Read models kept by the projector.")
def projections() -> None:
    pass


@projections.command(
    "status", help="Checkpoint and lag (events and seconds behind) per read model."
)
def projections_status() -> None:
    from backend.runtime import close_runtime, open_runtime, resolve_database_url

    async def go() -> list[Any]:
        settings = Settings()
        runtime = await open_runtime(settings, await resolve_database_url(settings), follow=False)
        try:
            return await runtime.projector.status()
        finally:
            await close_runtime(runtime)

    table = Table(title="Projections")
    for column in ("name", "checkpoint", "head", "events behind", "seconds behind"):
        table.add_column(column)
    for s in run(go):
        table.add_row(
            s.name, str(s.checkpoint), str(s.head), str(s.events_behind), f"{s.seconds_behind:.1f}"
        )
    Console(width=None if sys.stdout.isatty() else 160).print(table)


@projections.command("rebuild", help="Drop a read model and replay it from position 0.")
@click.argument("name")
def projections_rebuild(name: str) -> None:
    from backend.runtime import close_runtime, open_runtime, resolve_database_url
    from projections.registry import ALL, by_name

    try:
        projection = by_name(name)
    except KeyError:
        names = ", ".join(p.name for p in ALL)
        raise click.BadParameter(f"unknown read model {name!r}; known: {names}") from None

    async def go() -> int:
        settings = Settings()
        runtime = await open_runtime(settings, await resolve_database_url(settings), follow=False)
        try:
            with _progress() as bar:
                task = bar.add_task(f"rebuilding {name}", total=None)
                return await runtime.projector.rebuild(
                    projection, lambda done, head: bar.update(task, completed=done, total=head)
                )
        finally:
            await close_runtime(runtime)

    head = run(go)
    console.print(f"{name} rebuilt up to position {head}")


@cli.group(help="The mobile contract.")
def openapi() -> None:
    pass


@openapi.command("export", help="Write the OpenAPI document (default api_schema/openapi.json).")
@click.option("--out", type=click.Path(path_type=Path), default=Path("api_schema/openapi.json"))
def openapi_export(out: Path) -> None:
    from backend.api.schema_export import openapi_document

    out.write_text(json.dumps(openapi_document(), indent=2, ensure_ascii=False) + "\n", "utf-8")
    console.print(f"wrote {out}")
