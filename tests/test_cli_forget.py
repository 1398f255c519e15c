"""``matchsvc forget --people FILE``: the people's cached embeddings leave the cache file."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from matchsvc.cli import create_cli
from matchsvc.scoring import goal_themes, text_key
from tests.fakes import FakeEncoder

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


@pytest.fixture
def data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("MATCHSVC_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


@pytest.fixture
def cli(data: Path) -> typer.Typer:
    return create_cli(encoder=FakeEncoder())


def invoke(cli: typer.Typer, *args: str | Path) -> Any:
    return CliRunner().invoke(cli, [str(a) for a in args])


def cached_keys(data: Path) -> set[bytes]:
    db = sqlite3.connect(data / "embeddings.sqlite3")
    try:
        return {bytes(k) for (k,) in db.execute("SELECT text_sha256 FROM embeddings")}
    finally:
        db.close()


def texts_of(path: Path, *, themes: bool) -> set[str]:
    """Skills, goals, styles and, for mentees, each sentence of the goals (scoring compares a
    mentor's skills with every goal theme of a mentee, so it embeds them)."""
    people = json.loads(path.read_text())
    texts = {p.get("goals", "") for p in people} | {
        p.get("communication", {}).get("style", "") for p in people
    }
    texts |= {s for p in people for s in p.get("skills", [])}
    if themes:
        texts |= {t for p in people for t in goal_themes(p.get("goals", ""))}
    return {" ".join(t.split()) for t in texts} - {""}


@pytest.mark.parametrize("fmt", ["csv", "json", "jsonl"])
def test_forget_removes_the_peoples_vectors_from_the_file(
    cli: typer.Typer, data: Path, tmp_path: Path, fmt: str
) -> None:
    out = tmp_path / "m.json"
    ran = invoke(
        cli, "match", "--mentees", EXAMPLES / "mentees.csv", "--mentors",
        EXAMPLES / "mentors.csv", "--out", out,
    )  # fmt: skip
    assert ran.exit_code == 0, ran.output
    mentees = {text_key(t) for t in texts_of(EXAMPLES / "mentees.json", themes=True)}
    mentors = {text_key(t) for t in texts_of(EXAMPLES / "mentors.json", themes=False)}
    before = cached_keys(data)
    assert mentees | mentors == before

    result = invoke(cli, "forget", "--people", EXAMPLES / f"mentees.{fmt}")
    assert result.exit_code == 0, result.output
    count = len(mentees)
    assert result.output == (
        f"removed {count} cached embeddings of {count} texts of 7 people from "
        f"{data / 'embeddings.sqlite3'}\n"
    )
    assert cached_keys(data) == before - mentees
    raw = b"".join(p.read_bytes() for p in data.glob("embeddings.sqlite3*"))
    assert not any(key in raw for key in mentees)

    again = invoke(cli, "forget", "--people", EXAMPLES / f"mentees.{fmt}")
    assert again.output.startswith(f"removed 0 cached embeddings of {count} texts")


def test_forget_without_a_cache_file_creates_none(cli: typer.Typer, data: Path) -> None:
    result = invoke(cli, "forget", "--people", EXAMPLES / "mentors.json")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("removed 0 cached embeddings of ")
    assert not data.exists()


def test_a_bad_people_file_is_located_and_nothing_changes(
    cli: typer.Typer, data: Path, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("id,skills\nok,python\n,sql\n")
    result = invoke(cli, "forget", "--people", bad)
    assert result.exit_code == 2
    assert f"{bad} line 3 (people[1].id)" in result.output
    unknown = tmp_path / "people.txt"
    unknown.write_text("x")
    assert invoke(cli, "forget", "--people", unknown).exit_code == 2


def test_forget_with_the_cache_turned_off_says_so(
    cli: typer.Typer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MATCHSVC_EMBEDDING_CACHE", "false")
    result = invoke(cli, "forget", "--people", EXAMPLES / "mentors.json")
    assert result.exit_code == 0
    assert result.output == (
        "the embedding cache is off (MATCHSVC_EMBEDDING_CACHE=false): no embeddings are "
        "stored, none removed\n"
    )


def test_forget_is_in_the_help(cli: typer.Typer) -> None:
    result = invoke(cli, "forget", "--help")
    assert result.exit_code == 0
    assert "never the text" in result.output and "POST /cache/forget" in result.output
