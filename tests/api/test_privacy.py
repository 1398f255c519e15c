"""POST /cache/forget: erase people's cached embeddings (memory and disk), behind the API key."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from matchsvc.api import create_app
from matchsvc.config import Settings
from matchsvc.engine import CACHE_FILE
from matchsvc.privacy import forget_people
from matchsvc.profiles import Profile
from matchsvc.scoring import text_key
from tests.api.conftest import person
from tests.fakes import FakeEncoder

LEAVER = person(
    "leaver", ["obscure-skill-zx1", "python"], "goal text Qj5 only", communication={"style": "s8"}
)
STAYER = person("stayer", ["python", "sql"], "stay goals")
MENTOR = person("m", ["python"], "mentor goals", capacity=2)
BODY = {"mentees": [LEAVER, STAYER], "mentors": [MENTOR]}


def keys_on_disk(path: Path) -> set[bytes]:
    import sqlite3

    db = sqlite3.connect(path)
    try:
        return {bytes(k) for (k,) in db.execute("SELECT text_sha256 FROM embeddings")}
    finally:
        db.close()


def test_forget_removes_exactly_their_entries_from_memory_and_disk(tmp_path: Path) -> None:
    encoder = FakeEncoder()
    with TestClient(create_app(Settings(data_dir=tmp_path), encoder=encoder)) as client:
        assert client.post("/match", json=BODY).status_code == 200
        path = tmp_path / CACHE_FILE
        theirs = {text_key(t) for t in ("obscure-skill-zx1", "goal text Qj5 only", "s8")}
        shared = text_key("python")
        before = keys_on_disk(path)
        assert theirs | {shared} <= before
        raw = path.read_bytes() + path.with_name(CACHE_FILE + "-wal").read_bytes()
        assert all(k in raw for k in theirs)

        response = client.post("/cache/forget", json={"people": [LEAVER]})
        assert response.status_code == 200
        # python is theirs too (the stayer and the mentor use it as well: it goes anyway)
        assert response.json() == {"people": 1, "texts": 4, "removed": 4}
        assert keys_on_disk(path) == before - theirs - {shared}
        raw = b"".join(p.read_bytes() for p in tmp_path.glob(CACHE_FILE + "*"))
        assert not any(k in raw for k in theirs | {shared})

        encoded = encoder.texts_encoded
        assert client.post("/match", json=BODY).status_code == 200
        assert encoder.texts_encoded - encoded == 4  # re-encoded: gone from memory as well

        again = client.post("/cache/forget", json={"people": [person("nobody", ["never"])]})
        assert again.json() == {"people": 1, "texts": 1, "removed": 0}


def test_forget_needs_the_api_key_and_valid_profiles(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, api_key="s3cret")  # type: ignore[arg-type]
    with TestClient(create_app(settings, encoder=FakeEncoder())) as client:
        assert client.post("/cache/forget", json={"people": [LEAVER]}).status_code == 401
        key = {"X-API-Key": "s3cret"}
        bad = client.post("/cache/forget", json={"people": [{"id": ""}]}, headers=key)
        assert bad.status_code == 422
        assert bad.json()["errors"][0]["field"] == "people[0].id"
        ok = client.post("/cache/forget", json={"people": []}, headers=key)
        assert ok.json() == {"people": 0, "texts": 0, "removed": 0}
        schema = client.get("/openapi.json").json()
        assert schema["paths"]["/cache/forget"]["post"]["security"] == [{"ApiKey": []}]


def test_forget_logs_counts_never_texts(tmp_path: Path, caplog: Any) -> None:
    with TestClient(create_app(Settings(data_dir=tmp_path), encoder=FakeEncoder())) as client:
        client.post("/match", json=BODY)
        with caplog.at_level("INFO"):
            client.post("/cache/forget", json={"people": [LEAVER]})
    logged = " ".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    assert "cache entries erased" in logged
    assert "Qj5" not in logged and "obscure-skill" not in logged and "leaver" not in logged


def test_without_a_loaded_model_the_file_is_changed_directly(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    with TestClient(create_app(settings, encoder=FakeEncoder())) as client:
        client.post("/match", json=BODY)
    profile = Profile(id="x", skills=("obscure-skill-zx1",), goals="goal text Qj5 only")
    done = forget_people(settings, [profile])  # no engine: as `matchsvc forget` calls it
    assert (done.people, done.texts, done.removed) == (1, 2, 2)
    assert text_key("obscure-skill-zx1") not in keys_on_disk(tmp_path / CACHE_FILE)
    off = Settings(data_dir=tmp_path / "elsewhere", embedding_cache=False)
    assert forget_people(off, [profile]).removed == 0
    assert not (tmp_path / "elsewhere").exists()
