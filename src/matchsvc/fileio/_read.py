"""Reading: CSV, JSON and JSONL files -> the plain values of a request body, validated by the
request model (see the package docstring for the columns and cell rules)."""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar, get_args, get_origin

from pydantic import BaseModel, ValidationError

from matchsvc.errors import MatchsvcError, field_path
from matchsvc.fileio._formats import Format, InputFileError, file_format

__all__ = [
    "ATTRIBUTE_PREFIX",
    "LIST_SEPARATOR",
    "Records",
    "RequestFiles",
    "parse_attribute",
    "parse_availability",
    "parse_cell",
    "read_object",
    "read_people",
    "read_records",
]

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
    "career_stage": (("career_stage",), "text"),
    "industry": (("industry",), "text"),
    "wish_topics": (("wishes", "topics"), "list"),
    "wish_career_stages": (("wishes", "career_stages"), "list"),
    "wish_industries": (("wishes", "industries"), "list"),
    "wish_languages": (("wishes", "languages"), "list"),
}
ATTRIBUTE_PREFIX = "attr."

_WINDOW = re.compile(r"^(?P<day>\S+)\s+(?P<start>\S+?)\s*-\s*(?P<end>\S+)$")
_INT = re.compile(r"^[+-]?\d+$")
_FLOAT = re.compile(r"^[+-]?(\d+\.\d*|\.\d+|\d+)([eE][+-]?\d+)?$")

M = TypeVar("M", bound=BaseModel)


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
        where = f"{path} line {reader.line_num}"
        if "field larger than field limit" in str(exc):
            limit = csv.field_size_limit()
            raise InputFileError(
                [
                    f"{where}: a cell is longer than {limit:,} characters, more than any field "
                    "may hold (texts are limited by MATCHSVC_MAX_TEXT_LENGTH); an unclosed "
                    "double quote makes the rest of the file one cell: check the quoting there"
                ]
            ) from None
        raise InputFileError([f"{where}: invalid CSV: {exc}"]) from None
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
    """``bool``, ``int`` or ``float`` when ``annotation`` is one (optionally ``| None``, and
    optionally with constraints: ``Annotated[float, Field(ge=1)]``)."""
    if get_origin(annotation) is Annotated:
        return _scalar_type(get_args(annotation)[0])
    options = [a for a in get_args(annotation) if a is not type(None)] or [annotation]
    if len(options) == 1 and options[0] is not annotation:
        return _scalar_type(options[0])
    if options[0] in (bool, int, float):
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
