"""Shared fixtures. The real model is loaded at most once per test session."""

from __future__ import annotations

import os

import pytest

from tests.fakes import FakeEncoder

os.environ["HF_HUB_OFFLINE"] = "1"


@pytest.fixture(scope="session")
def real_encoder():  # type: ignore[no-untyped-def]
    """The bundled all-MiniLM-L6-v2, loaded once for the whole session (~10 s)."""
    from matchsvc.scoring.encoder import load_encoder

    return load_encoder()


@pytest.fixture
def fake_encoder() -> FakeEncoder:
    return FakeEncoder()
