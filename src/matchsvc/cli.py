"""The ``matchsvc`` command line."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from matchsvc.errors import ConfigError

app = typer.Typer(help="matchsvc: explained, exact mentee-mentor matching.", no_args_is_help=True)


@app.callback()
def main() -> None:
    """matchsvc command line."""


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Bind address (default MATCHSVC_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default MATCHSVC_PORT).")] = None,
) -> None:
    """Run the HTTP service (model loads in the background; /readyz turns 200 when warm)."""
    import uvicorn

    from matchsvc.api import create_app
    from matchsvc.config import load_settings

    os.environ["HF_HUB_OFFLINE"] = "1"
    overrides: dict[str, object] = {}
    if host is not None:
        overrides["host"] = host
    if port is not None:
        overrides["port"] = port
    try:
        settings = load_settings(**overrides)
        application = create_app(settings)
    except ConfigError as exc:
        typer.echo(f"matchsvc: {exc.message}", err=True)
        raise typer.Exit(2) from exc
    uvicorn.run(
        application,
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level.lower(),
        timeout_graceful_shutdown=30,
    )
