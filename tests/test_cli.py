"""The command line: same answers as the HTTP API, every file format, located errors, atomic output."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from matchsvc.api import create_app
from matchsvc.cli import app, create_cli
from matchsvc.config import Settings
from tests.fakes import FakeEncoder

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
FORMATS = ("csv", "json", "jsonl")
EXPECTED_PAIRS = {
    ("ana", "m-priya"),
    ("ben", "m-jonas"),
    ("chen", "m-amara"),
    ("dara", "m-lucia"),
    ("emil", "m-jonas"),
    ("fatima", "m-amara"),
}


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> typer.Typer:
    """The CLI on the fake encoder, with its embedding cache in a private directory."""
    monkeypatch.setenv("MATCHSVC_DATA_DIR", str(tmp_path / "data"))
    return create_cli(encoder=FakeEncoder())


def invoke(cli: typer.Typer, *args: str | Path) -> Any:
    return CliRunner().invoke(cli, [str(a) for a in args])


def match(
    cli: typer.Typer,
    out: Path,
    fmt: str = "json",
    *,
    mentees: Path | None = None,
    mentors: Path | None = None,
    options: Path | None = EXAMPLES / "options.json",
) -> Any:
    args: list[str | Path] = [
        "match",
        "--mentees",
        mentees or EXAMPLES / f"mentees.{fmt}",
        "--mentors",
        mentors or EXAMPLES / f"mentors.{fmt}",
        "--out",
        out,
    ]
    if options is not None:
        args += ["--options", options]
    return invoke(cli, *args)


def without_timings(body: dict[str, Any]) -> dict[str, Any]:
    return body | {"summary": {k: v for k, v in body["summary"].items() if k != "timings_ms"}}


def http_match(tmp_path: Path, body: dict[str, Any], path: str = "/match") -> Any:
    app_ = create_app(Settings(data_dir=tmp_path / "http"), encoder=FakeEncoder())
    with TestClient(app_) as client:
        response = client.post(path, json=body)
    assert response.status_code == 200, response.text
    return response.json()


def example_body() -> dict[str, Any]:
    return {
        "mentees": json.loads((EXAMPLES / "mentees.json").read_text()),
        "mentors": json.loads((EXAMPLES / "mentors.json").read_text()),
        "options": json.loads((EXAMPLES / "options.json").read_text()),
    }


# ---------------------------------------------------------------- serve


def test_serve_refuses_a_bad_setting_before_starting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MATCHSVC_MODEL", "/no/such/model")
    result = CliRunner().invoke(app, ["serve"])
    assert result.exit_code == 2
    assert "MATCHSVC_MODEL" in result.output


def test_help_lists_serve() -> None:
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0
    assert "serve" in result.output
    assert "match" in result.output and "recommend" in result.output


def test_match_help_documents_the_formats() -> None:
    result = CliRunner().invoke(app, ["match", "--help"])
    assert result.exit_code == 0
    text = " ".join(result.output.split())
    for needle in ("attr.<name>", "mon 09:00-12:00;wed 14:00-17:00", ".jsonl", "POST /match"):
        assert needle in text


# ---------------------------------------------------------------- match: values


@pytest.mark.parametrize("fmt", FORMATS)
def test_match_pairs_the_example_people(cli: typer.Typer, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / "result.json"
    result = match(cli, out, fmt)
    assert result.exit_code == 0, result.output
    body = json.loads(out.read_text())
    assert {(m["mentee_id"], m["mentor_id"]) for m in body["matches"]} == EXPECTED_PAIRS
    [gabriel] = body["unmatched"]
    assert gabriel["mentee_id"] == "gabriel"
    assert gabriel["reason"] == "no_feasible_mentor"
    assert gabriel["detail"]["removed_by"]["language"] == 4  # speaks only pt
    loads = {m["mentor_id"]: (m["assigned"], m["capacity"]) for m in body["mentors"]}
    assert loads == {"m-priya": (1, 2), "m-jonas": (2, 2), "m-amara": (2, 2), "m-lucia": (1, 1)}
    assert body["summary"]["optimal"] is True
    assert result.output == ""  # quiet when stderr is not a terminal


def test_csv_json_and_jsonl_inputs_give_identical_results(cli: typer.Typer, tmp_path: Path) -> None:
    bodies = []
    for fmt in FORMATS:
        out = tmp_path / f"from-{fmt}.json"
        assert match(cli, out, fmt).exit_code == 0
        bodies.append(without_timings(json.loads(out.read_text())))
    assert bodies[0] == bodies[1] == bodies[2]


def test_cli_json_is_the_http_match_body(cli: typer.Typer, tmp_path: Path) -> None:
    out = tmp_path / "result.json"
    assert match(cli, out, "csv").exit_code == 0
    http = http_match(tmp_path, example_body())
    assert without_timings(json.loads(out.read_text())) == without_timings(http)
    assert set(json.loads(out.read_text())["summary"]["timings_ms"]) == set(
        http["summary"]["timings_ms"]
    )


def test_without_options_the_api_defaults_apply(cli: typer.Typer, tmp_path: Path) -> None:
    out = tmp_path / "result.json"
    assert match(cli, out, "csv", options=None).exit_code == 0
    body = example_body()
    del body["options"]
    assert without_timings(json.loads(out.read_text())) == without_timings(
        http_match(tmp_path, body)
    )


def test_jsonl_output_is_the_body_line_by_line(cli: typer.Typer, tmp_path: Path) -> None:
    assert match(cli, tmp_path / "r.json").exit_code == 0
    assert match(cli, tmp_path / "r.jsonl").exit_code == 0
    body = json.loads((tmp_path / "r.json").read_text())
    lines = [json.loads(line) for line in (tmp_path / "r.jsonl").read_text().splitlines()]
    kinds = [line.pop("type") for line in lines]
    assert kinds == ["match"] * 6 + ["unmatched"] + ["mentor"] * 4 + ["mentee"] * 7 + ["summary"]
    rebuilt = {
        "matches": lines[:6],
        "unmatched": lines[6:7],
        "mentors": lines[7:11],
        "mentees": lines[11:18],
        "summary": lines[18],
    }
    assert without_timings(rebuilt) == without_timings(body)


def test_csv_output_has_a_row_per_match_then_the_unmatched(
    cli: typer.Typer, tmp_path: Path
) -> None:
    assert match(cli, tmp_path / "r.json").exit_code == 0
    assert match(cli, tmp_path / "r.csv").exit_code == 0
    body = json.loads((tmp_path / "r.json").read_text())
    rows = list(csv.DictReader(io.StringIO((tmp_path / "r.csv").read_text())))
    assert list(rows[0]) == [
        "mentee_id",
        "mentor_id",
        "score",
        "coverage",
        "contribution.skills",
        "contribution.goals",
        "contribution.communication",
        "contribution.same_industry",
        "focus_areas",
        "gaps",
        "unmatched_reason",
        "summary",
    ]
    gaps = {g["mentee_id"]: g for g in body["mentees"]}
    for row, m in zip(rows, body["matches"], strict=False):
        assert (row["mentee_id"], row["mentor_id"]) == (m["mentee_id"], m["mentor_id"])
        assert float(row["score"]) == m["score"]  # full precision, not rounded
        facets = m["explanation"]["facets"]
        for name, share in facets.items():
            assert float(row[f"contribution.{name}"]) == share["contribution"]
        assert sum(float(row[f"contribution.{n}"]) for n in facets) == pytest.approx(m["score"])
        assert row["summary"] == m["explanation"]["summary"]
        assert float(row["coverage"]) == m["coverage"]
        assert row["focus_areas"] == "; ".join(
            f"{f['skill']} ~ {f['mentor_skill']} ({f['similarity']:.2f})" for f in m["focus_areas"]
        )
        assert row["gaps"] == "; ".join(g["skill"] for g in gaps[m["mentee_id"]]["gaps"])
        assert row["unmatched_reason"] == ""
    assert len(rows) == 7
    assert rows[6]["mentee_id"] == "gabriel" and rows[6]["mentor_id"] == ""
    assert rows[6]["unmatched_reason"] == "no_feasible_mentor"
    assert "language 4" in rows[6]["summary"]


def test_same_input_gives_the_same_csv_bytes(cli: typer.Typer, tmp_path: Path) -> None:
    assert match(cli, tmp_path / "a.csv").exit_code == 0
    assert match(cli, tmp_path / "b.csv", "csv").exit_code == 0
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()


def test_output_replaces_an_existing_file(cli: typer.Typer, tmp_path: Path) -> None:
    out = tmp_path / "r.csv"
    out.write_text("old")
    assert match(cli, out).exit_code == 0
    assert out.read_text().startswith("mentee_id,")
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


# ---------------------------------------------------------------- match: errors


def assert_refused(result: Any, *messages: str) -> None:
    """Exit 2, each message on stderr, no traceback."""
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    for message in messages:
        assert message in result.stderr


def test_unknown_input_extension_is_refused(cli: typer.Typer, tmp_path: Path) -> None:
    people = tmp_path / "mentees.txt"
    shutil.copy(EXAMPLES / "mentees.csv", people)
    out = tmp_path / "r.json"
    result = match(cli, out, mentees=people)
    assert_refused(
        result, f"matchsvc: {people}: unknown file type ('.txt'); use .csv, .json or .jsonl"
    )
    assert not out.exists()


def test_unknown_output_extension_is_refused_before_any_work(
    cli: typer.Typer, tmp_path: Path
) -> None:
    out = tmp_path / "r.xlsx"
    assert_refused(match(cli, out), "unknown file type ('.xlsx'); use .csv, .json or .jsonl")
    assert not out.exists()


def test_options_must_be_json(cli: typer.Typer, tmp_path: Path) -> None:
    options = tmp_path / "options.csv"
    options.write_text("objective\ntotal\n")
    assert_refused(match(cli, tmp_path / "r.json", options=options), "use .json")


def test_missing_output_directory_is_refused(cli: typer.Typer, tmp_path: Path) -> None:
    assert_refused(match(cli, tmp_path / "nope" / "r.json"), "directory")


def write_mentors_csv(tmp_path: Path, capacity_of_third: str) -> Path:
    rows = (EXAMPLES / "mentors.csv").read_text().splitlines()
    cells = next(csv.reader([rows[3]]))
    header = rows[0].split(",")
    cells[header.index("capacity")] = capacity_of_third
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(cells)
    path = tmp_path / "mentors.csv"
    path.write_text("\n".join([*rows[:3], buffer.getvalue().rstrip("\n"), *rows[4:]]) + "\n")
    return path


def test_bad_csv_cell_names_the_line_and_field(cli: typer.Typer, tmp_path: Path) -> None:
    out = tmp_path / "r.csv"
    out.write_text("previous result")
    mentors = write_mentors_csv(tmp_path, "two")
    result = match(cli, out, "csv", mentors=mentors)
    assert_refused(
        result,
        f"matchsvc: {mentors} line 4 (mentors[2].capacity): Input should be a valid integer",
    )
    assert out.read_text() == "previous result"


def test_negative_capacity_is_the_api_message(cli: typer.Typer, tmp_path: Path) -> None:
    mentors = write_mentors_csv(tmp_path, "-1")
    result = match(cli, tmp_path / "r.json", "csv", mentors=mentors)
    assert_refused(
        result, f"{mentors} line 4 (mentors[2].capacity): Input should be greater than or equal"
    )


def test_unknown_id_in_exclude_is_located(cli: typer.Typer, tmp_path: Path) -> None:
    mentees = tmp_path / "mentees.csv"
    mentees.write_text((EXAMPLES / "mentees.csv").read_text().replace(",m-priya,", ",m-nobody,", 1))
    out = tmp_path / "r.json"
    result = match(cli, out, "csv", mentees=mentees)
    assert_refused(
        result,
        f"matchsvc: {mentees} line 4 (mentees[2].exclude[0]): mentees[2] ('chen') excludes "
        "'m-nobody', which is not one of the mentors",
    )
    assert not out.exists()


def test_bad_json_item_is_located_by_index(cli: typer.Typer, tmp_path: Path) -> None:
    people = json.loads((EXAMPLES / "mentees.json").read_text())
    people[1]["communication"]["channels"] = ["pigeon"]
    mentees = tmp_path / "mentees.json"
    mentees.write_text(json.dumps(people))
    result = match(cli, tmp_path / "r.json", "json", mentees=mentees)
    assert_refused(result, f"{mentees} (mentees[1].communication.channels[0]): Input should be")


def test_bad_jsonl_line_is_located(cli: typer.Typer, tmp_path: Path) -> None:
    lines = (EXAMPLES / "mentors.jsonl").read_text().splitlines()
    lines.insert(1, "")
    lines[3] = lines[3].replace('"capacity": 2', '"capacity": 2, "capacty": 1')
    mentors = tmp_path / "mentors.jsonl"
    mentors.write_text("\n".join(lines) + "\n")
    result = match(cli, tmp_path / "r.json", "jsonl", mentors=mentors)
    assert_refused(result, f"{mentors} line 4 (mentors[2].capacty): Extra inputs are not permitted")


def test_every_validation_problem_is_listed(cli: typer.Typer, tmp_path: Path) -> None:
    mentees = tmp_path / "mentees.csv"
    mentees.write_text("id,demand,frequency\na,x,weekly\nb,1,daily\n")
    result = match(cli, tmp_path / "r.json", mentees=mentees, mentors=EXAMPLES / "mentors.csv")
    assert_refused(
        result,
        f"{mentees} line 2 (mentees[0].demand): Input should be a valid integer",
        f"{mentees} line 3 (mentees[1].communication.frequency): Input should be 'weekly'",
    )
    assert len(result.stderr.splitlines()) == 2


def test_options_problems_name_the_options_file(cli: typer.Typer, tmp_path: Path) -> None:
    options = tmp_path / "options.json"
    options.write_text(json.dumps({"objective": "fastest"}))
    result = match(cli, tmp_path / "r.json", options=options)
    assert_refused(result, f"{options} (options.objective): Input should be 'total' or 'fair'")


def test_engine_validation_of_options_names_the_options_file(
    cli: typer.Typer, tmp_path: Path
) -> None:
    options = tmp_path / "options.json"
    options.write_text(json.dumps({"weights": {"charisma": 1}}))  # only the core knows names
    result = match(cli, tmp_path / "r.json", options=options)
    assert_refused(result, f"{options} (options.weights.charisma): unknown weight 'charisma'")


def test_missing_input_file(cli: typer.Typer, tmp_path: Path) -> None:
    missing = tmp_path / "missing.csv"
    assert_refused(match(cli, tmp_path / "r.json", mentees=missing), f"{missing}: no such file")


def test_limits_apply_as_in_the_api(
    cli: typer.Typer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MATCHSVC_MAX_MENTEES", "3")
    result = match(cli, tmp_path / "r.json")
    assert_refused(result, "7 mentees exceed the limit of 3")


def test_bad_setting_exits_2(
    cli: typer.Typer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MATCHSVC_MAX_MENTORS", "0")
    assert_refused(match(cli, tmp_path / "r.json"), "MATCHSVC_MAX_MENTORS")


# ---------------------------------------------------------------- recommend


def test_recommend_json_is_the_http_body(cli: typer.Typer, tmp_path: Path) -> None:
    out = tmp_path / "recs.json"
    result = invoke(
        cli,
        "recommend",
        "--mentees",
        EXAMPLES / "mentees.csv",
        "--mentors",
        EXAMPLES / "mentors.csv",
        "--options",
        EXAMPLES / "options.json",
        "--top-n",
        "2",
        "--out",
        out,
    )
    assert result.exit_code == 0, result.output
    body = example_body() | {"top_n": 2}
    assert json.loads(out.read_text()) == http_match(tmp_path, body, "/recommend")


def test_recommend_csv_rows(cli: typer.Typer, tmp_path: Path) -> None:
    out = tmp_path / "recs.csv"
    args = ["--mentees", EXAMPLES / "mentees.json", "--mentors", EXAMPLES / "mentors.json"]
    result = invoke(cli, "recommend", *args, "--top-n", "2", "--include-full", "--out", out)
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    ana = [r for r in rows if r["mentee_id"] == "ana"]
    assert [r["rank"] for r in ana] == ["1", "2"]
    assert float(ana[0]["score"]) >= float(ana[1]["score"])
    assert [r["mentor_id"] for r in rows if r["mentee_id"] == "gabriel"] == [""]
    assert list(rows[0])[:6] == [
        "mentee_id",
        "rank",
        "mentor_id",
        "score",
        "coverage",
        "remaining_capacity",
    ]
    assert list(rows[0])[-2:] == ["focus_areas", "summary"]
    assert any(r["focus_areas"] for r in rows)
    body = json.loads(invoke_json(cli, tmp_path, args))
    first = body["results"][0]["recommendations"][0]
    assert float(rows[0]["coverage"]) == first["coverage"]
    assert rows[0]["focus_areas"] == "; ".join(
        f"{f['skill']} ~ {f['mentor_skill']} ({f['similarity']:.2f})" for f in first["focus_areas"]
    )


def invoke_json(cli: typer.Typer, tmp_path: Path, args: list[object]) -> str:
    out = tmp_path / "recs.json"
    result = invoke(cli, "recommend", *args, "--top-n", "2", "--include-full", "--out", out)
    assert result.exit_code == 0, result.output
    return out.read_text()


def test_recommend_top_n_is_validated_by_the_api_model(cli: typer.Typer, tmp_path: Path) -> None:
    args = ["--mentees", EXAMPLES / "mentees.csv", "--mentors", EXAMPLES / "mentors.csv"]
    result = invoke(cli, "recommend", *args, "--top-n", "0", "--out", tmp_path / "r.json")
    assert_refused(result, "--top-n (top_n): Input should be greater than or equal to 1")


# ---------------------------------------------------------------- the real model


@pytest.mark.slow
@pytest.mark.model
def test_real_model_end_to_end_in_a_subprocess(tmp_path: Path, onnx_cache: Path) -> None:
    """``matchsvc match`` as installed: loads the bundled model, matches the examples."""
    from tests.conftest import seed_onnx

    seed_onnx(onnx_cache, tmp_path / "data")  # the default encoder's export, made once
    exe = Path(sys.executable).with_name("matchsvc")
    out = tmp_path / "matches.csv"
    env = os.environ | {"MATCHSVC_DATA_DIR": str(tmp_path / "data"), "HF_HUB_OFFLINE": "1"}
    done = subprocess.run(
        [
            str(exe),
            "match",
            "--mentees",
            str(EXAMPLES / "mentees.csv"),
            "--mentors",
            str(EXAMPLES / "mentors.csv"),
            "--options",
            str(EXAMPLES / "options.json"),
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    for stage in ("Loading the embedding model", "Embedding", "Matching"):
        assert stage not in done.stderr  # no progress when stderr is not a terminal
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    pairs = {(r["mentee_id"], r["mentor_id"]) for r in rows if r["mentor_id"]}
    assert pairs == EXPECTED_PAIRS
    assert [r["mentee_id"] for r in rows if r["unmatched_reason"]] == ["gabriel"]


# ---------------------------------------------------------------- rematch


def rematch(cli: typer.Typer, out: Path, fmt: str = "csv", **files: Path) -> Any:
    paths = {
        "mentees": EXAMPLES / f"mentees.{fmt}",
        "mentors": EXAMPLES / f"mentors.{fmt}",
        "current": EXAMPLES / f"current.{fmt}",
        "history": EXAMPLES / f"history.{fmt}",
        "policy": EXAMPLES / "policy.json",
        "options": EXAMPLES / "options.json",
    } | files
    args: list[str | Path] = ["rematch", "--out", out]
    for name, path in paths.items():
        args += [f"--{name}", path]
    return invoke(cli, *args)


def test_rematch_applies_the_example_policy(cli: typer.Typer, tmp_path: Path) -> None:
    out = tmp_path / "rematch.csv"
    result = rematch(cli, out)
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    actions = {
        r["mentee_id"]: (r["action"], r["from_mentor_id"], r["to_mentor_id"], r["reason"])
        for r in rows
    }
    assert actions == {
        "ana": ("kept", "m-priya", "m-priya", "stable"),
        "ben": ("moved", "m-lucia", "m-jonas", "low_rating"),  # rated 2 < 3
        "chen": ("kept", "m-amara", "m-amara", "locked"),
        "dara": ("new", "", "m-lucia", "open_slot"),  # ben's freed slot
        "emil": ("released", "m-jonas", "", "goals_met"),
        "fatima": ("kept", "m-amara", "m-amara", "stable"),
        "gabriel": ("unmatched", "", "", "no_feasible_mentor"),
    }


def test_rematch_csv_and_json_inputs_give_the_http_body(cli: typer.Typer, tmp_path: Path) -> None:
    bodies = []
    for fmt in ("csv", "json"):
        out = tmp_path / f"from-{fmt}.json"
        assert rematch(cli, out, fmt).exit_code == 0
        bodies.append(without_timings(json.loads(out.read_text())))
    request = example_body() | {
        "current": json.loads((EXAMPLES / "current.json").read_text()),
        "history": json.loads((EXAMPLES / "history.json").read_text()),
        "policy": json.loads((EXAMPLES / "policy.json").read_text()),
    }
    http = without_timings(http_match(tmp_path, request, "/rematch"))
    assert bodies[0] == bodies[1] == http


def test_rematch_jsonl_output(cli: typer.Typer, tmp_path: Path) -> None:
    out = tmp_path / "rematch.jsonl"
    assert rematch(cli, out).exit_code == 0
    kinds = [json.loads(line)["type"] for line in out.read_text().splitlines()]
    assert kinds == ["action"] * 7 + ["mentor"] * 4 + ["summary"]


def test_rematch_bad_current_row_is_located(cli: typer.Typer, tmp_path: Path) -> None:
    current = tmp_path / "current.csv"
    current.write_text((EXAMPLES / "current.csv").read_text().replace(",2,3,", ",7,3,"))
    out = tmp_path / "rematch.json"
    result = rematch(cli, out, current=current)
    assert_refused(
        result,
        f"matchsvc: {current} line 3 (current[1].mentee_rating): Input should be less than "
        "or equal to 5",
    )
    assert not out.exists()


def test_rematch_policy_must_be_json(cli: typer.Typer, tmp_path: Path) -> None:
    policy = tmp_path / "policy.jsonl"
    policy.write_text("{}\n")
    assert_refused(rematch(cli, tmp_path / "r.json", policy=policy), "use .json")
