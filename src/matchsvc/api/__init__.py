"""The HTTP API: a thin FastAPI layer over :class:`matchsvc.engine.Engine`."""

from matchsvc.api.app import create_app

__all__ = ["create_app"]
