"""Files in, files out: the command line's edge to :mod:`matchsvc.schemas`, as ``api`` is the HTTP one.

Reading turns CSV, JSON or JSONL files into the plain values of an API request body and validates
them with the API's own pydantic request model, so the CLI and ``POST /match`` see the same
request. Writing renders an API response model as JSON (the exact HTTP body), JSONL or CSV and
replaces the output file atomically. The format is chosen by the file extension.

People files (``--mentees``, ``--mentors``; ``--people`` and ``--leaders`` of ``matchsvc peer``):

* ``.json``: an array of API ``Profile`` objects; ``.jsonl``: one ``Profile`` object per line
  (blank lines skipped).
* ``.csv``: a header row, then one person per row. Columns (only ``id`` is required; an empty
  cell means "not given", i.e. the API default):

  ================== ================================== ==================================================
  column             Profile field                      cell
  ================== ================================== ==================================================
  id                 ``id``                             text
  skills             ``skills``                         ``;``-separated list
  goals              ``goals``                          text
  style              ``communication.style``            text
  channels           ``communication.channels``         ``;`` list of video, phone, chat, email, in_person
  languages          ``communication.languages``        ``;`` list of ISO 639-1 codes
  timezone           ``communication.timezone``         IANA name or ``UTC+05:30``
  availability       ``communication.availability``     ``mon 09:00-12:00;wed 14:00-17:00``
  frequency          ``communication.frequency``        weekly, biweekly or monthly
  capacity           ``capacity`` (mentors)             integer
  demand             ``demand`` (mentees)               integer
  exclude            ``exclude``                        ``;`` list of ids on the other side
  career_stage       ``career_stage``                   text
  industry           ``industry``                       text
  wish_topics        ``wishes.topics`` (mentors)        ``;`` list
  wish_career_stages ``wishes.career_stages`` (mentors) ``;`` list
  wish_industries    ``wishes.industries`` (mentors)    ``;`` list
  wish_languages     ``wishes.languages`` (mentors)     ``;`` list of ISO 639-1 codes
  attr.<name>        ``attributes[<name>]``             see below
  ================== ================================== ==================================================

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

from matchsvc.fileio._formats import FORMATS, Format, InputFileError, file_format
from matchsvc.fileio._peer import render_peer_circles, render_peer_match
from matchsvc.fileio._read import (
    ATTRIBUTE_PREFIX,
    LIST_SEPARATOR,
    Records,
    RequestFiles,
    parse_attribute,
    parse_availability,
    parse_cell,
    read_object,
    read_people,
    read_records,
)
from matchsvc.fileio._write import (
    check_output,
    render_audit,
    render_learn,
    render_match,
    render_recommend,
    render_rematch,
    write_atomic,
)

__all__ = [
    "ATTRIBUTE_PREFIX",
    "FORMATS",
    "LIST_SEPARATOR",
    "Format",
    "InputFileError",
    "Records",
    "RequestFiles",
    "check_output",
    "file_format",
    "parse_attribute",
    "parse_availability",
    "parse_cell",
    "read_object",
    "read_people",
    "read_records",
    "render_audit",
    "render_learn",
    "render_match",
    "render_peer_circles",
    "render_peer_match",
    "render_recommend",
    "render_rematch",
    "write_atomic",
]
