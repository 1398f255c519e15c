"""Files in, files out: the command line's edge, as :mod:`matchsvc.api.schemas` is the HTTP one.

Reading turns CSV, JSON or JSONL files into the plain values of an API request body and validates
them with the API's own pydantic request model, so the CLI and ``POST /match`` see the same
request. Writing renders an API response model as JSON (the exact HTTP body), JSONL or CSV and
replaces the output file atomically. The format is chosen by the file extension.

People files (``--mentees``, ``--mentors``):

* ``.json``: an array of API ``Profile`` objects; ``.jsonl``: one ``Profile`` object per line
  (blank lines skipped).
* ``.csv``: a header row, then one person per row. Columns (only ``id`` is required; an empty
  cell means "not given", i.e. the API default):

  ============== ===================================== ===================================
  column         Profile field                         cell
  ============== ===================================== ===================================
  id             ``id``                                text
  skills         ``skills``                            ``;``-separated list
  goals          ``goals``                             text
  style          ``communication.style``               text
  channels       ``communication.channels``            ``;`` list of video, phone, chat,
                                                       email, in_person
  languages      ``communication.languages``           ``;`` list of ISO 639-1 codes
  timezone       ``communication.timezone``            IANA name or ``UTC+05:30``
  availability   ``communication.availability``        ``mon 09:00-12:00;wed 14:00-17:00``
  frequency      ``communication.frequency``           weekly, biweekly or monthly
  capacity       ``capacity`` (mentors)                integer
  demand         ``demand`` (mentees)                  integer
  exclude        ``exclude``                           ``;`` list of ids on the other side
  attr.<name>    ``attributes[<name>]``                see below
  ============== ===================================== ===================================

  An ``attr.<name>`` cell is a number if it reads as one (``7``, ``2.5``), ``true``/``false``
  as a boolean, a list of strings if it contains ``;`` (``ml;nlp``; a single-item list is
  ``ml;``), else a string. Unknown columns are an error, like unknown fields in the API.

Record files (``--current``, ``--history``) are the same three formats with one object per
record; a CSV column is the field name, and a cell is read as the field's type: ``true``/
``false`` for booleans, numbers for numbers, text otherwise (``2026-01-12`` for a date).
Object files (``--options``, ``--policy``) are JSON.

The request models are strict (``"3"`` is not 3), so CSV cells are typed here, once, by the
rules above; JSON and JSONL values reach the model exactly as written.

Errors are :class:`InputFileError`; each problem reads ``<file> line <n> (<field path>):
<message>``, where the line is where the record starts in the file (in a spreadsheet: the row
number, header = row 1) and the field path is the API's (``mentees[2].capacity``).
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import re
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar, get_args

from pydantic import BaseModel, ValidationError

from matchsvc.api import schemas
from matchsvc.errors import InvalidInputError, MatchsvcError

__all__ = [
    "FORMATS",
    "Format",
    "InputFileError",
    "Records",
    "RequestFiles",
    "check_output",
    "field_path",
    "file_format",
    "parse_attribute",
    "parse_availability",
    "parse_cell",
    "read_object",
    "read_people",
    "read_records",
    "render_match",
    "render_recommend",
    "render_rematch",
    "unmatched_sentence",
    "write_atomic",
]

Format = Literal["csv", "json", "jsonl"]
FORMATS: Mapping[str, Format] = {".csv": "csv", ".json": "json", ".jsonl": "jsonl"}
"""File extension (lower case) -> format."""

LIST_SEPARATOR = ";"

CellKind = Literal["text", "list", "int", "availability"]

# CSV column -> path of the Profile field it fills, and how its cell is read.
_PEOPLE_COLUMNS: Mapping[str, tuple[tuple[str, ...], CellKind]] = {
    "id": (("id",), "text"),
    "skills": (("skills",), "list"),
    "goals": (("goals",), "text"),
    "style": (("communication", "style"), "text"),
    "channels": (("communication", "channels"), "list"),
    "languages": (("communication", "languages"), "list"),
    "timezone": (("communication", "timezone"), "text"),
    "availability": (("communication", "availability"), "availability"),
    "frequency": (("communication", "frequency"), "text"),
    "capacity": (("capacity",), "int"),
    "demand": (("demand",), "int"),
    "exclude": (("exclude",), "list"),
}
ATTRIBUTE_PREFIX = "attr."

_WINDOW = re.compile(r"^(?P<day>\S+)\s+(?P<start>\S+?)\s*-\s*(?P<end>\S+)$")
_INT = re.compile(r"^[+-]?\d+$")
_FLOAT = re.compile(r"^[+-]?(\d+\.\d*|\.\d+|\d+)([eE][+-]?\d+)?$")

M = TypeVar("M", bound=BaseModel)


class InputFileError(InvalidInputError):
    """An input file cannot be read or does not fit the request model.

    Attributes:
        problems: one line per problem, ``"<file> line <n> (<field path>): <message>"`` (the
            line and field parts only where they apply); never empty. ``message`` is the first.
    """

    def __init__(self, problems: Sequence[str], *, field: str | None = None) -> None:
        if not problems:
            raise ValueError("InputFileError needs at least one problem")
        super().__init__(problems[0], field=field)
        self.problems = tuple(problems)


def file_format(path: Path, *, allowed: Iterable[Format] = ("csv", "json", "jsonl")) -> Format:
    """The format of ``path`` from its extension (case-insensitive).

    Raises:
        InputFileError: the extension is not one of ``allowed``.
    """
    allowed = tuple(allowed)
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None or fmt not in allowed:
        names = [f".{f}" for f in allowed]
        choices = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"
        found = f"'{path.suffix}'" if path.suffix else "no extension"
        raise InputFileError([f"{path}: unknown file type ({found}); use {choices}"])
    return fmt


# ---------------------------------------------------------------- reading


@dataclass(frozen=True, slots=True)
class Records:
    """Plain values read from one file, and where each came from.

    Attributes:
        name: the file as the user named it (used in messages).
        items: one JSON-like value per record (CSV rows become dicts).
        lines: the 1-based line where each record starts, or None for records of a JSON array
            (the field path's index points at them).
    """

    name: str
    items: list[Any]
    lines: list[int | None]

    def where(self, index: int | None) -> str:
        """``"mentees.csv line 4"`` for record ``index``; the file name alone if unknown."""
        if index is not None and 0 <= index < len(self.lines):
            line = self.lines[index]
            if line is not None:
                return f"{self.name} line {line}"
        return self.name


def _read_text(path: Path) -> str:
    try:
        # utf-8-sig: spreadsheets often save CSV with a byte-order mark.
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputFileError([f"{path}: no such file"]) from None
    except IsADirectoryError:
        raise InputFileError([f"{path}: is a directory, not a file"]) from None
    except UnicodeDecodeError as exc:
        raise InputFileError(
            [f"{path}: not UTF-8 text (byte {exc.start}); save it as UTF-8"]
        ) from None
    except OSError as exc:
        raise InputFileError([f"{path}: cannot read: {exc.strerror}"]) from None


def _json_items(path: Path, fmt: Format, text: str) -> Records:
    name = str(path)
    if fmt == "json":
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputFileError(
                [f"{name} line {exc.lineno} column {exc.colno}: invalid JSON: {exc.msg}"]
            ) from None
        if not isinstance(value, list):
            raise InputFileError(
                [f"{name}: expected a JSON array of objects, found {_json_kind(value)}"]
            )
        return Records(name, value, [None] * len(value))
    items: list[Any] = []
    lines: list[int | None] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            items.append(json.loads(line))
        except json.JSONDecodeError as exc:
            raise InputFileError(
                [f"{name} line {number} column {exc.colno}: invalid JSON: {exc.msg}"]
            ) from None
        lines.append(number)
    return Records(name, items, lines)


def _json_kind(value: object) -> str:
    if isinstance(value, dict):
        return "an object"
    return "a string" if isinstance(value, str) else "a number or literal"


def _csv_rows(path: Path, text: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Header and (start line, cells) of each non-blank row."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows: list[tuple[int, list[str]]] = []
    header: list[str] | None = None
    try:
        while True:
            start = reader.line_num + 1
            try:
                cells = next(reader)
            except StopIteration:
                break
            if not any(c.strip() for c in cells):
                continue
            if header is None:
                header = [c.strip() for c in cells]
            else:
                rows.append((start, cells))
    except csv.Error as exc:
        raise InputFileError([f"{path} line {reader.line_num}: invalid CSV: {exc}"]) from None
    if header is None:
        raise InputFileError([f"{path}: empty file; expected a header row, then one row each"])
    seen: set[str] = set()
    for column in header:
        if not column:
            raise InputFileError([f"{path} line 1: the header has an empty column name"])
        if column in seen:
            raise InputFileError([f"{path} line 1: column {column!r} appears twice"])
        seen.add(column)
    for start, cells in rows:
        if len(cells) > len(header):
            raise InputFileError(
                [
                    f"{path} line {start}: {len(cells)} cells but the header names "
                    f"{len(header)} columns (a text cell with commas needs double quotes)"
                ]
            )
    return header, rows


def _split(cell: str) -> list[str]:
    return [part.strip() for part in cell.split(LIST_SEPARATOR) if part.strip()]


def parse_attribute(cell: str) -> str | int | float | bool | list[str]:
    """A CSV ``attr.<name>`` cell -> its value: number, boolean, ``;`` list or string.

    ``cell`` is already stripped and non-empty. ``"7"`` -> 7, ``"2.5"`` -> 2.5, ``"True"`` ->
    True, ``"ml;nlp"`` -> ["ml", "nlp"], ``"ml;"`` -> ["ml"], anything else -> the text.
    """
    if LIST_SEPARATOR in cell:
        return _split(cell)
    if _INT.match(cell):
        return int(cell)
    if _FLOAT.match(cell):
        number = float(cell)
        if math.isfinite(number):
            return number
    if cell.lower() in ("true", "false"):
        return cell.lower() == "true"
    return cell


def parse_availability(cell: str) -> list[dict[str, str]]:
    """``"mon 09:00-12:00;wed 14:00-17:00"`` -> API ``Availability`` objects.

    The day and times are passed on as written; the request model and the core check them.

    Raises:
        ValueError: (index, message) for the first window that is not ``day start-end``.
    """
    windows = []
    for k, part in enumerate(_split(cell)):
        found = _WINDOW.match(part)
        if found is None:
            raise ValueError(
                k,
                f"{part!r} is not a weekly window; write 'day HH:MM-HH:MM', e.g. "
                "'mon 09:00-12:00', and separate windows with ';'",
            )
        windows.append(found.groupdict())
    return windows


def read_people(path: Path, key: str) -> Records:
    """Read a people file (see the module docstring) into API ``Profile``-shaped dicts.

    Args:
        path: a ``.csv``, ``.json`` or ``.jsonl`` file.
        key: the request field it fills (``"mentees"``), for error paths.

    Raises:
        InputFileError: unreadable file, bad syntax, unknown column, malformed cell.
    """
    fmt = file_format(path)
    text = _read_text(path)
    if fmt != "csv":
        return _json_items(path, fmt, text)
    header, rows = _csv_rows(path, text)
    known = list(_PEOPLE_COLUMNS)
    for column in header:
        if column.startswith(ATTRIBUTE_PREFIX):
            if not column[len(ATTRIBUTE_PREFIX) :].strip():
                raise InputFileError([f"{path} line 1: column {column!r} names no attribute"])
        elif column not in _PEOPLE_COLUMNS:
            raise InputFileError(
                [
                    f"{path} line 1: unknown column {column!r}; the columns are "
                    f"{', '.join(known)} and attr.<name>"
                ]
            )
    items: list[Any] = []
    lines: list[int | None] = []
    for index, (start, cells) in enumerate(rows):
        person: dict[str, Any] = {}
        for column, raw in zip(header, cells, strict=False):
            cell = raw.strip()
            if not cell:
                continue
            if column.startswith(ATTRIBUTE_PREFIX):
                attributes = person.setdefault("attributes", {})
                attributes[column[len(ATTRIBUTE_PREFIX) :].strip()] = parse_attribute(cell)
                continue
            target, kind = _PEOPLE_COLUMNS[column]
            value: Any = cell
            if kind == "list":
                value = _split(cell)
            elif kind == "int":
                value = int(cell) if _INT.match(cell) else cell  # else the model says why
            elif kind == "availability":
                try:
                    value = parse_availability(cell)
                except ValueError as exc:
                    k, message = exc.args
                    raise InputFileError(
                        [
                            f"{path} line {start} ({key}[{index}].communication."
                            f"availability[{k}]): {message}"
                        ]
                    ) from None
            holder = person
            for part in target[:-1]:
                holder = holder.setdefault(part, {})
            holder[target[-1]] = value
        items.append(person)
        lines.append(start)
    return Records(str(path), items, lines)


def _scalar_type(annotation: Any) -> type | None:
    """``bool``, ``int`` or ``float`` when ``annotation`` is one (optionally ``| None``)."""
    options = [a for a in get_args(annotation) if a is not type(None)] or [annotation]
    if len(options) == 1 and options[0] in (bool, int, float):
        found: type = options[0]
        return found
    return None


def parse_cell(cell: str, annotation: Any) -> Any:
    """A CSV cell -> the value a field of type ``annotation`` takes, as JSON would give it.

    ``bool`` fields read ``true``/``false`` (any case), ``int`` and ``float`` fields read
    numbers; any other field, or a cell that does not parse, stays text, for the request model
    to accept (dates, enums) or reject with its own message.
    """
    kind = _scalar_type(annotation)
    if kind is bool and cell.lower() in ("true", "false"):
        return cell.lower() == "true"
    if kind is int and _INT.match(cell):
        return int(cell)
    if kind is float and _FLOAT.match(cell) and math.isfinite(float(cell)):
        return int(cell) if _INT.match(cell) else float(cell)
    return cell


def read_records(path: Path, model: type[BaseModel]) -> Records:
    """Read a record file whose items are ``model`` objects (e.g. ``CurrentPairIn``).

    JSON arrays and JSONL objects are taken as they are. A CSV row becomes an object with one
    entry per non-empty cell, typed by :func:`parse_cell` from ``model``'s field of that name;
    unknown columns are left for the model to reject.

    Raises:
        InputFileError: unreadable file or bad syntax.
    """
    fmt = file_format(path)
    text = _read_text(path)
    if fmt != "csv":
        return _json_items(path, fmt, text)
    header, rows = _csv_rows(path, text)
    fields = model.model_fields
    types = {c: fields[c].annotation if c in fields else str for c in header}
    items: list[Any] = [
        {
            column: parse_cell(raw.strip(), types[column])
            for column, raw in zip(header, cells, strict=False)
            if raw.strip()
        }
        for _, cells in rows
    ]
    return Records(str(path), items, [start for start, _ in rows])


def read_object(path: Path) -> Any:
    """Read one JSON value from a ``.json`` file (options, policy).

    Raises:
        InputFileError: not ``.json``, unreadable, or invalid JSON.
    """
    file_format(path, allowed=("json",))
    text = _read_text(path)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputFileError(
            [f"{path} line {exc.lineno} column {exc.colno}: invalid JSON: {exc.msg}"]
        ) from None


def field_path(loc: Sequence[int | str]) -> str:
    """``("mentees", 2, "capacity")`` -> ``"mentees[2].capacity"`` (the API's notation)."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path


_HEAD = re.compile(r"^(?P<key>[A-Za-z_]+)(?:\[(?P<index>\d+)\])?")


@dataclass
class RequestFiles:
    """The parts of one request body and where each came from.

    Add each top-level request field with :meth:`add_file` (values read from a file) or
    :meth:`add_flag` (a command-line option), then :meth:`validate` against the API's request
    model. :meth:`locate` turns a field path from any later error into a place in the files.
    """

    body: dict[str, Any] = field(default_factory=dict)
    files: dict[str, Records] = field(default_factory=dict)
    flags: dict[str, str] = field(default_factory=dict)

    def add_file(self, key: str, records: Records) -> None:
        """Request field ``key`` is the list of records of a file."""
        self.body[key] = records.items
        self.files[key] = records

    def add_object(self, key: str, path: Path, value: Any) -> None:
        """Request field ``key`` is one object read from ``path``."""
        self.body[key] = value
        self.files[key] = Records(str(path), [], [])

    def add_flag(self, key: str, flag: str, value: Any) -> None:
        """Request field ``key`` comes from the command-line option ``flag``."""
        self.body[key] = value
        self.flags[key] = flag

    def locate(self, path: str | None) -> str:
        """``"mentees[2].capacity"`` -> ``"mentees.csv line 4 (mentees[2].capacity)"``."""
        if not path:
            return "input"
        head = _HEAD.match(path)
        key = head.group("key") if head else path
        if key in self.files:
            index = head.group("index") if head else None
            return f"{self.files[key].where(None if index is None else int(index))} ({path})"
        if key in self.flags:
            return f"{self.flags[key]} ({path})"
        return path

    def describe(self, exc: MatchsvcError) -> list[str]:
        """One line per problem of ``exc``, each pointing at its file and line."""
        if isinstance(exc, InputFileError):
            return list(exc.problems)
        return [f"{self.locate(exc.field)}: {exc.message}"]

    def validate(self, model: type[M]) -> M:
        """The request model built from :attr:`body`.

        Raises:
            InputFileError: every validation problem, located (at most 20 listed).
        """
        try:
            return model.model_validate(self.body)
        except ValidationError as exc:
            problems = [
                f"{self.locate(field_path(err['loc']))}: {err['msg']}" for err in exc.errors()
            ]
        if len(problems) > 20:
            problems = [*problems[:20], f"... and {len(problems) - 20} more problems"]
        raise InputFileError(problems)


# ---------------------------------------------------------------- writing


def _json(value: Any, *, indent: int | None) -> str:
    separators = None if indent is not None else (",", ":")
    return json.dumps(
        value, ensure_ascii=False, allow_nan=False, indent=indent, separators=separators
    )


def _number(value: float | None) -> str:
    return "" if value is None else repr(float(value))


def _facet_names(explanations: Iterable[schemas.Explanation | None]) -> list[str]:
    names: dict[str, None] = {}
    for explanation in explanations:
        if explanation is not None:
            names.update(dict.fromkeys(explanation.facets))
    return list(names)


def _csv_text(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def unmatched_sentence(item: schemas.Unmatched) -> str:
    """One sentence on why a mentee is (partly) unmatched, from the reason's details."""
    detail = item.detail
    need = f"{item.mentee_id} still needs {item.unmet} mentor{'s' if item.unmet != 1 else ''}"
    if item.reason == "capacity_exhausted":
        best = detail.best_mentors[0] if detail.best_mentors else None
        text = f"{need}: all {detail.feasible_mentors} feasible mentors are full"
        if best is not None:
            held = ", ".join(f"{h.mentee_id} {h.score:.2f}" for h in best.held_by[:3])
            text += f"; the best, {best.mentor_id} ({best.score:.2f}), is held by {held}"
        return text + "."
    if item.reason == "below_min_score":
        best_score = "" if detail.best_score is None else f" (best {detail.best_score:.2f})"
        return f"{need}: every feasible mentor scores below min_score{best_score}."
    removed = ", ".join(
        f"{name} {count}"
        for name, count in sorted(detail.removed_by.items(), key=lambda kv: (-kv[1], kv[0]))
        if count
    )
    return f"{need}: no mentor passes the hard constraints (mentors removed by: {removed})."


def render_match(response: schemas.MatchResponse, fmt: Format) -> str:
    """The text of a match result file.

    * ``json``: the ``POST /match`` response body (indented).
    * ``jsonl``: one object per line with a ``type``: ``match`` lines (a ``Match``), then
      ``unmatched`` (an ``Unmatched``), ``mentor`` (a ``MentorLoad``), and one ``summary``.
    * ``csv``: a row per match, then a row per unmatched mentee (empty ``mentor_id`` and
      ``score``). Columns: ``mentee_id, mentor_id, score, contribution.<facet>...,
      unmatched_reason, summary``; contributions add up to the score; ``summary`` is the
      explanation's sentence (empty with ``explain: false``).
    """
    if fmt == "json":
        return _json(response.model_dump(mode="json"), indent=2) + "\n"
    if fmt == "jsonl":
        lines = [
            *({"type": "match"} | m.model_dump(mode="json") for m in response.matches),
            *({"type": "unmatched"} | u.model_dump(mode="json") for u in response.unmatched),
            *({"type": "mentor"} | m.model_dump(mode="json") for m in response.mentors),
            {"type": "summary"} | response.summary.model_dump(mode="json"),
        ]
        return "".join(_json(line, indent=None) + "\n" for line in lines)
    facets = _facet_names(m.explanation for m in response.matches)
    header = [
        "mentee_id",
        "mentor_id",
        "score",
        *(f"contribution.{f}" for f in facets),
        "unmatched_reason",
        "summary",
    ]
    rows: list[list[str]] = []
    for m in response.matches:
        shares = m.explanation.facets if m.explanation is not None else {}
        rows.append(
            [
                m.mentee_id,
                m.mentor_id,
                _number(m.score),
                *(_number(shares[f].contribution) if f in shares else "" for f in facets),
                "",
                m.explanation.summary if m.explanation is not None else "",
            ]
        )
    for u in response.unmatched:
        rows.append([u.mentee_id, "", "", *("" for _ in facets), u.reason, unmatched_sentence(u)])
    return _csv_text(header, rows)


def render_recommend(response: schemas.RecommendResponse, fmt: Format) -> str:
    """The text of a recommendation result file.

    * ``json``: the ``POST /recommend`` response body (indented).
    * ``jsonl``: one ``Recommendation`` per line plus its ``mentee_id``, best first per mentee.
    * ``csv``: the same rows flattened: ``mentee_id, rank, mentor_id, score,
      remaining_capacity, contribution.<facet>..., summary``. A mentee without any feasible
      mentor gets one row with only ``mentee_id``.
    """
    if fmt == "json":
        return _json(response.model_dump(mode="json"), indent=2) + "\n"
    if fmt == "jsonl":
        return "".join(
            _json({"mentee_id": r.mentee_id} | rec.model_dump(mode="json"), indent=None) + "\n"
            for r in response.results
            for rec in r.recommendations
        )
    facets = _facet_names(rec.explanation for r in response.results for rec in r.recommendations)
    header = [
        "mentee_id",
        "rank",
        "mentor_id",
        "score",
        "remaining_capacity",
        *(f"contribution.{f}" for f in facets),
        "summary",
    ]
    rows: list[list[str]] = []
    for r in response.results:
        if not r.recommendations:
            rows.append([r.mentee_id, *("" for _ in header[1:])])
        for rec in r.recommendations:
            shares = rec.explanation.facets
            rows.append(
                [
                    r.mentee_id,
                    str(rec.rank),
                    rec.mentor_id,
                    _number(rec.score),
                    str(rec.remaining_capacity),
                    *(_number(shares[f].contribution) if f in shares else "" for f in facets),
                    rec.explanation.summary,
                ]
            )
    return _csv_text(header, rows)


def render_rematch(response: schemas.RematchResponse, fmt: Format) -> str:
    """The text of a re-match result file.

    * ``json``: the ``POST /rematch`` response body (indented).
    * ``jsonl``: one object per line with a ``type``: ``action`` lines (a ``RematchAction``),
      then ``mentor`` (a ``MentorLoad``), and one ``summary``.
    * ``csv``: a row per action: ``mentee_id, action, from_mentor_id, to_mentor_id, reason,
      score_before, score_after, contribution.<facet>..., summary`` (contributions and summary
      explain the pair after the re-match; empty where there is none).
    """
    if fmt == "json":
        return _json(response.model_dump(mode="json"), indent=2) + "\n"
    if fmt == "jsonl":
        lines = [
            *({"type": "action"} | a.model_dump(mode="json") for a in response.actions),
            *({"type": "mentor"} | m.model_dump(mode="json") for m in response.mentors),
            {"type": "summary"} | response.summary.model_dump(mode="json"),
        ]
        return "".join(_json(line, indent=None) + "\n" for line in lines)
    facets = _facet_names(a.explanation for a in response.actions)
    header = [
        "mentee_id",
        "action",
        "from_mentor_id",
        "to_mentor_id",
        "reason",
        "score_before",
        "score_after",
        *(f"contribution.{f}" for f in facets),
        "summary",
    ]
    rows: list[list[str]] = []
    for a in response.actions:
        shares = a.explanation.facets if a.explanation is not None else {}
        rows.append(
            [
                a.mentee_id,
                a.action,
                a.from_mentor_id or "",
                a.to_mentor_id or "",
                a.reason,
                _number(a.score_before),
                _number(a.score_after),
                *(_number(shares[f].contribution) if f in shares else "" for f in facets),
                a.explanation.summary if a.explanation is not None else "",
            ]
        )
    return _csv_text(header, rows)


def check_output(path: Path, *, allowed: Iterable[Format] = ("csv", "json", "jsonl")) -> Format:
    """The output format, after checking the file can be created (before any work is done).

    Raises:
        InputFileError: unknown extension, missing directory, or ``path`` is a directory.
    """
    fmt = file_format(path, allowed=allowed)
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise InputFileError([f"{path}: directory {parent} does not exist"])
    if path.is_dir():
        raise InputFileError([f"{path}: is a directory; name a file"])
    return fmt


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` all at once: a temporary file, then a rename.

    Readers see the old file or the new one, never a part; on any error the temporary file is
    removed and ``path`` is untouched.
    """
    parent = path.parent if str(path.parent) else Path(".")
    fd, temp = tempfile.mkstemp(dir=parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(temp, 0o666 & ~_umask())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
