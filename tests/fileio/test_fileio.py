"""Reading people and records from CSV/JSON/JSONL, rendering results, atomic writes."""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path
from typing import Any

import pytest

from matchsvc import schemas
from matchsvc.fileio import (
    InputFileError,
    RequestFiles,
    check_output,
    file_format,
    parse_attribute,
    parse_availability,
    parse_cell,
    read_object,
    read_people,
    read_records,
    render_match,
    write_atomic,
)

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def profiles(path: Path, key: str = "mentees") -> list[schemas.Profile]:
    files = RequestFiles()
    files.add_file(key, read_people(path, key))
    files.add_flag("mentors" if key == "mentees" else "mentees", "--other", [])
    request = files.validate(schemas.ScoreRequest)
    return request.mentees if key == "mentees" else request.mentors


# ---------------------------------------------------------------- formats


@pytest.mark.parametrize(
    ("name", "fmt"), [("a.csv", "csv"), ("a.JSON", "json"), ("dir/a.jsonl", "jsonl")]
)
def test_format_comes_from_the_extension(name: str, fmt: str) -> None:
    assert file_format(Path(name)) == fmt


@pytest.mark.parametrize("name", ["a.txt", "a", "a.json.gz", "a.tsv"])
def test_unknown_extension_is_an_error(name: str) -> None:
    with pytest.raises(InputFileError, match=r"unknown file type .*use \.csv, \.json or \.jsonl"):
        file_format(Path(name))


def test_allowed_formats_can_be_narrowed() -> None:
    with pytest.raises(InputFileError, match=r"\('\.csv'\); use \.json$"):
        file_format(Path("options.csv"), allowed=("json",))


# ---------------------------------------------------------------- CSV cells


@pytest.mark.parametrize(
    ("cell", "value"),
    [
        ("7", 7),
        ("-3", -3),
        ("2.5", 2.5),
        ("1e3", 1000.0),
        ("true", True),
        ("FALSE", False),
        ("ml;nlp", ["ml", "nlp"]),
        ("ml;", ["ml"]),
        (" a ; b ;", ["a", "b"]),
        ("fintech", "fintech"),
        ("nan", "nan"),
        ("inf", "inf"),
        ("v1.2", "v1.2"),
    ],
)
def test_attribute_cells(cell: str, value: Any) -> None:
    parsed = parse_attribute(cell.strip())
    assert parsed == value and type(parsed) is type(value)


def test_availability_cell() -> None:
    assert parse_availability("mon 09:00-12:00; wed 14:00 - 17:30;") == [
        {"day": "mon", "start": "09:00", "end": "12:00"},
        {"day": "wed", "start": "14:00", "end": "17:30"},
    ]


@pytest.mark.parametrize("cell", ["mon", "mon 09:00", "09:00-12:00", "mon 09:00 12:00"])
def test_malformed_availability_names_the_window(cell: str) -> None:
    with pytest.raises(ValueError, match="not a weekly window; write 'day HH:MM-HH:MM'"):
        parse_availability(f"tue 08:00-09:00;{cell}")


@pytest.mark.parametrize(
    ("cell", "annotation", "value"),
    [
        ("true", bool, True),
        ("False", bool | None, False),
        ("yes", bool, "yes"),
        ("4", float | None, 4),
        ("4.5", float | None, 4.5),
        ("high", float | None, "high"),
        ("3", int, 3),
        ("3", str, "3"),
        ("2026-01-12", Any, "2026-01-12"),
    ],
)
def test_record_cells_are_typed_by_the_field(cell: str, annotation: Any, value: Any) -> None:
    parsed = parse_cell(cell, annotation)
    assert parsed == value and type(parsed) is type(value)


# ---------------------------------------------------------------- people


@pytest.mark.parametrize("side", ["mentees", "mentors"])
def test_example_csv_json_and_jsonl_are_the_same_people(side: str) -> None:
    from_json = profiles(EXAMPLES / f"{side}.json", side)
    assert profiles(EXAMPLES / f"{side}.csv", side) == from_json
    assert profiles(EXAMPLES / f"{side}.jsonl", side) == from_json
    assert len(from_json) == (7 if side == "mentees" else 4)


def test_csv_columns_fill_the_profile(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "m.csv",
        "id,skills,goals,style,channels,languages,timezone,availability,frequency,capacity,"
        "demand,exclude,attr.years,attr.topics,attr.remote\n"
        'x, python ; sql ,"Lead, then manage",calm,video;chat,en;de,UTC+01:00,'
        "mon 09:00-12:00,weekly,3,2,a;b,7,ml;,true\n",
    )
    [person] = read_people(path, "mentors").items
    assert person == {
        "id": "x",
        "skills": ["python", "sql"],
        "goals": "Lead, then manage",
        "communication": {
            "style": "calm",
            "channels": ["video", "chat"],
            "languages": ["en", "de"],
            "timezone": "UTC+01:00",
            "availability": [{"day": "mon", "start": "09:00", "end": "12:00"}],
            "frequency": "weekly",
        },
        "capacity": 3,
        "demand": 2,
        "exclude": ["a", "b"],
        "attributes": {"years": 7, "topics": ["ml"], "remote": True},
    }


def test_csv_columns_fill_the_wishes_and_career_fields(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "m.csv",
        "id,career_stage,industry,wish_topics,wish_career_stages,wish_industries,wish_languages\n"
        "x,senior,energy,python; ml ,student;early career,energy,pt;en\n",
    )
    [person] = read_people(path, "mentors").items
    assert person == {
        "id": "x",
        "career_stage": "senior",
        "industry": "energy",
        "wishes": {
            "topics": ["python", "ml"],
            "career_stages": ["student", "early career"],
            "industries": ["energy"],
            "languages": ["pt", "en"],
        },
    }
    [profile] = profiles(path, "mentors")
    assert profile.to_core().wishes.career_stages == ("student", "early career")


def test_empty_cells_take_the_api_defaults(tmp_path: Path) -> None:
    path = write(tmp_path, "m.csv", "id,skills,timezone,capacity,attr.x\na,,,,\n")
    assert read_people(path, "mentors").items == [{"id": "a"}]
    [profile] = profiles(path, "mentors")
    assert profile == schemas.Profile(id="a")


def test_blank_rows_are_skipped_and_lines_count_from_the_header(tmp_path: Path) -> None:
    path = write(tmp_path, "m.csv", 'id,goals\n\na,"two\nlines"\n,\nb,x\n')
    records = read_people(path, "mentees")
    assert [p["id"] for p in records.items] == ["a", "b"]
    assert records.lines == [3, 6]


def test_a_byte_order_mark_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / "m.csv"
    path.write_bytes("\ufeffid,skills\na,python\n".encode())
    assert read_people(path, "mentees").items == [{"id": "a", "skills": ["python"]}]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "id,skils\na,x\n",
            r"line 1: unknown column 'skils'; the columns are id, skills, goals, .* exclude, career_stage, industry, wish_topics, wish_career_stages, wish_industries, wish_languages and attr\.<name>$",
        ),
        ("id,goals,id\n", r"line 1: column 'id' appears twice"),
        ("id,\n", r"line 1: the header has an empty column name"),
        ("id,attr.\n", r"line 1: column 'attr\.' names no attribute"),
        ("", r"empty file; expected a header row"),
        ("id,goals\na,b,c\n", r"line 2: 3 cells but the header names 2 columns"),
        ('id,goals\na,"open\n', r"line 2: invalid CSV"),
    ],
)
def test_csv_structure_errors(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, "m.csv", text)
    with pytest.raises(InputFileError, match=message):
        read_people(path, "mentees")


def test_bad_availability_cell_is_located(tmp_path: Path) -> None:
    path = write(tmp_path, "m.csv", "id,availability\na,mon 09:00-10:00\nb,mon;tue 9-10\n")
    with pytest.raises(InputFileError) as info:
        read_people(path, "mentors")
    assert info.value.problems == (
        f"{path} line 3 (mentors[1].communication.availability[0]): 'mon' is not a weekly "
        "window; write 'day HH:MM-HH:MM', e.g. 'mon 09:00-12:00', and separate windows with ';'",
    )


def test_non_integer_capacity_is_left_to_the_model(tmp_path: Path) -> None:
    path = write(tmp_path, "m.csv", "id,capacity\na,2.5\n")
    assert read_people(path, "mentors").items == [{"id": "a", "capacity": "2.5"}]
    with pytest.raises(InputFileError, match=r"line 2 \(mentors\[0\]\.capacity\): Input should"):
        profiles(path, "mentors")


# ---------------------------------------------------------------- JSON and JSONL


def test_json_must_be_an_array(tmp_path: Path) -> None:
    path = write(tmp_path, "m.json", '{"mentees": []}')
    with pytest.raises(InputFileError, match="expected a JSON array of objects, found an object"):
        read_people(path, "mentees")


def test_invalid_json_names_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path, "m.json", '[\n  {"id": "a"},\n  {"id" "b"}\n]')
    with pytest.raises(InputFileError, match=r"m\.json line 3 column 9: invalid JSON"):
        read_people(path, "mentees")


def test_invalid_jsonl_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, "m.jsonl", '{"id": "a"}\n\n{"id": \n')
    with pytest.raises(InputFileError, match=r"m\.jsonl line 3 column \d+: invalid JSON"):
        read_people(path, "mentees")


def test_json_values_reach_the_model_as_written(tmp_path: Path) -> None:
    path = write(tmp_path, "m.json", json.dumps([{"id": "a", "capacity": "2"}]))
    with pytest.raises(InputFileError, match=r"m\.json \(mentors\[0\]\.capacity\): Input should"):
        profiles(path, "mentors")


def test_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="no such file"):
        read_people(tmp_path / "none.csv", "mentees")
    (tmp_path / "d.json").mkdir()
    with pytest.raises(InputFileError, match="is a directory"):
        read_people(tmp_path / "d.json", "mentees")
    latin = tmp_path / "l.csv"
    latin.write_bytes("id\nJos\xe9\n".encode("latin-1"))
    with pytest.raises(InputFileError, match="not UTF-8 text"):
        read_people(latin, "mentees")


# ---------------------------------------------------------------- records and objects


def test_current_pairs_csv_equals_json() -> None:
    def load(fmt: str) -> schemas.RematchRequest:
        files = RequestFiles()
        files.add_flag("mentees", "-", [])
        files.add_flag("mentors", "-", [])
        files.add_file("current", read_records(EXAMPLES / f"current.{fmt}", schemas.CurrentPairIn))
        files.add_file("history", read_records(EXAMPLES / f"history.{fmt}", schemas.PastPairIn))
        return files.validate(schemas.RematchRequest)

    assert load("csv") == load("json")
    assert load("csv").current[4].mentor_rating is None  # empty cell: not given


def test_unknown_record_column_is_rejected_by_the_model(tmp_path: Path) -> None:
    path = write(tmp_path, "c.csv", "mentee_id,mentor_id,stauts\na,b,active\n")
    files = RequestFiles()
    files.add_flag("mentees", "-", [])
    files.add_flag("mentors", "-", [])
    files.add_file("current", read_records(path, schemas.CurrentPairIn))
    with pytest.raises(InputFileError, match=r"c\.csv line 2 \(current\[0\]\.stauts\): Extra"):
        files.validate(schemas.RematchRequest)


def test_object_files_are_json_only(tmp_path: Path) -> None:
    assert read_object(EXAMPLES / "policy.json")["min_rating_to_keep"] == 3
    with pytest.raises(InputFileError, match=r"use \.json"):
        read_object(write(tmp_path, "p.jsonl", "{}\n"))


def test_locate_maps_field_paths_to_files() -> None:
    files = RequestFiles()
    files.add_file("mentees", read_people(EXAMPLES / "mentees.csv", "mentees"))
    files.add_object("options", Path("o.json"), {})
    files.add_flag("top_n", "--top-n", 3)
    where = files.locate
    assert (
        where("mentees[2].exclude[0]")
        == f"{EXAMPLES / 'mentees.csv'} line 4 (mentees[2].exclude[0])"
    )
    assert where("mentees") == f"{EXAMPLES / 'mentees.csv'} (mentees)"
    assert where("mentees[99].id") == f"{EXAMPLES / 'mentees.csv'} (mentees[99].id)"
    assert where("options.weights.skills") == "o.json (options.weights.skills)"
    assert where("top_n") == "--top-n (top_n)"
    assert where(None) == "input"


def test_many_problems_are_capped(tmp_path: Path) -> None:
    rows = "".join(f"p{i},x\n" for i in range(30))
    path = write(tmp_path, "m.csv", "id,demand\n" + rows)
    with pytest.raises(InputFileError) as info:
        profiles(path)
    assert len(info.value.problems) == 21
    assert info.value.problems[-1] == "... and 10 more problems"


# ---------------------------------------------------------------- writing


def test_check_output(tmp_path: Path) -> None:
    assert check_output(tmp_path / "r.jsonl") == "jsonl"
    with pytest.raises(InputFileError, match="does not exist"):
        check_output(tmp_path / "missing" / "r.json")
    (tmp_path / "d.csv").mkdir()
    with pytest.raises(InputFileError, match="is a directory"):
        check_output(tmp_path / "d.csv")


def test_write_atomic_replaces_the_file(tmp_path: Path) -> None:
    out = tmp_path / "r.csv"
    out.write_text("old")
    write_atomic(out, "new ü\n")
    assert out.read_bytes() == "new ü\n".encode()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.csv"]


def test_write_atomic_leaves_nothing_behind_on_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "r.csv"
    out.write_text("old")

    def fail(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError, match="No space left"):
        write_atomic(out, "new")
    assert out.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.csv"]


# ---------------------------------------------------------------- hardening


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ('=HYPERLINK("http://x","click")', '\'=HYPERLINK("http://x","click")'),
        ("+1+1", "'+1+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("-0.25", "-0.25"),
        ("1e-05", "1e-05"),
        ("ana", "ana"),
    ],
)
def test_csv_cells_never_start_a_formula(cell: str, written: str) -> None:
    from matchsvc.fileio._write import safe_cell

    assert safe_cell(cell) == written


def test_an_injected_id_is_neutralised_in_the_match_csv() -> None:
    s = schemas
    summary = s.Summary(
        matched=0, unmatched=1, total_score=0.0, mean_score=None, min_score=None, optimal=True,
        solver="flow", timings_ms={},
    )  # fmt: skip
    detail = s.UnmatchedDetail(feasible_mentors=0, removed_by={}, best_mentors=[], best_score=None)
    bad = '=HYPERLINK("http://evil","x")'
    unmatched = s.Unmatched(mentee_id=bad, unmet=1, reason="no_feasible_mentor", detail=detail)
    response = s.MatchResponse(matches=[], unmatched=[unmatched], mentors=[], summary=summary)
    rows = list(csv.reader(io.StringIO(render_match(response, "csv"))))
    assert rows[1][0] == "'" + bad
    assert rows[1][-1].startswith("'=HYPERLINK")  # the sentence starts with the id too


def test_write_atomic_keeps_the_mode_and_follows_a_symlink(tmp_path: Path) -> None:
    private = tmp_path / "result.json"
    private.write_text("old")
    private.chmod(0o600)
    write_atomic(private, "new")
    assert private.read_text() == "new" and (private.stat().st_mode & 0o777) == 0o600
    link = tmp_path / "link.json"
    link.symlink_to(private)
    write_atomic(link, "via link")
    assert link.is_symlink() and private.read_text() == "via link"
    assert (private.stat().st_mode & 0o777) == 0o600


def test_a_runaway_csv_cell_names_the_likely_cause(tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    path.write_text('id,goals\na,"unclosed\n' + "x" * 200_000 + "\n")
    with pytest.raises(InputFileError, match="unclosed double quote"):
        read_people(path, "mentees")
