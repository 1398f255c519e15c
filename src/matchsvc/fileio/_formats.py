"""File formats by extension, and the error every file problem raises."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Literal

from matchsvc.errors import InvalidInputError

__all__ = ["FORMATS", "Format", "InputFileError", "file_format"]

Format = Literal["csv", "json", "jsonl", "html"]
FORMATS: Mapping[str, Format] = {
    ".csv": "csv",
    ".json": "json",
    ".jsonl": "jsonl",
    ".html": "html",
}
"""File extension (lower case) -> format (``html``: the report only)."""


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
