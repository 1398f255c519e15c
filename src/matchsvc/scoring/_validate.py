"""Entry checks on the people: every problem is an :class:`InvalidInputError` with a field path."""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Sequence

from matchsvc.bounds import MAX_ABS_ATTRIBUTE, MAX_LIST_ITEMS, check_text
from matchsvc.errors import InvalidInputError
from matchsvc.profiles import CHANNELS, FREQUENCIES, Profile
from matchsvc.scoring._calendar import DAYS, parse_clock, parse_timezone
from matchsvc.scoring._options import ScoringOptions, validate_options

__all__ = ["ISO_639_1", "validate_people"]

ISO_639_1: frozenset[str] = frozenset(
    [
        "aa",
        "ab",
        "ae",
        "af",
        "ak",
        "am",
        "an",
        "ar",
        "as",
        "av",
        "ay",
        "az",
        "ba",
        "be",
        "bg",
        "bi",
        "bm",
        "bn",
        "bo",
        "br",
        "bs",
        "ca",
        "ce",
        "ch",
        "co",
        "cr",
        "cs",
        "cu",
        "cv",
        "cy",
        "da",
        "de",
        "dv",
        "dz",
        "ee",
        "el",
        "en",
        "eo",
        "es",
        "et",
        "eu",
        "fa",
        "ff",
        "fi",
        "fj",
        "fo",
        "fr",
        "fy",
        "ga",
        "gd",
        "gl",
        "gn",
        "gu",
        "gv",
        "ha",
        "he",
        "hi",
        "ho",
        "hr",
        "ht",
        "hu",
        "hy",
        "hz",
        "ia",
        "id",
        "ie",
        "ig",
        "ii",
        "ik",
        "io",
        "is",
        "it",
        "iu",
        "ja",
        "jv",
        "ka",
        "kg",
        "ki",
        "kj",
        "kk",
        "kl",
        "km",
        "kn",
        "ko",
        "kr",
        "ks",
        "ku",
        "kv",
        "kw",
        "ky",
        "la",
        "lb",
        "lg",
        "li",
        "ln",
        "lo",
        "lt",
        "lu",
        "lv",
        "mg",
        "mh",
        "mi",
        "mk",
        "ml",
        "mn",
        "mr",
        "ms",
        "mt",
        "my",
        "na",
        "nb",
        "nd",
        "ne",
        "ng",
        "nl",
        "nn",
        "no",
        "nr",
        "nv",
        "ny",
        "oc",
        "oj",
        "om",
        "or",
        "os",
        "pa",
        "pi",
        "pl",
        "ps",
        "pt",
        "qu",
        "rm",
        "rn",
        "ro",
        "ru",
        "rw",
        "sa",
        "sc",
        "sd",
        "se",
        "sg",
        "si",
        "sk",
        "sl",
        "sm",
        "sn",
        "so",
        "sq",
        "sr",
        "ss",
        "st",
        "su",
        "sv",
        "sw",
        "ta",
        "te",
        "tg",
        "th",
        "ti",
        "tk",
        "tl",
        "tn",
        "to",
        "tr",
        "ts",
        "tt",
        "tw",
        "ty",
        "ug",
        "uk",
        "ur",
        "uz",
        "ve",
        "vi",
        "vo",
        "wa",
        "wo",
        "xh",
        "yi",
        "yo",
        "za",
        "zh",
        "zu",
    ]
)
"""The two-letter ISO 639-1 language codes (lower case)."""


def validate_people(
    mentees: Sequence[Profile],
    mentors: Sequence[Profile],
    options: ScoringOptions | None = None,
    *,
    sides: tuple[str, str] = ("mentees", "mentors"),
) -> None:
    """Check both sides of a request; return ``None`` when everything is usable.

    Checks, per person: a non-empty id unique within its side, also after Unicode NFC
    normalisation (two spellings of "José" are refused, not matched as two people); ``exclude``
    ids exist on the other side; every text is valid Unicode (:func:`matchsvc.bounds.check_text`);
    skills are non-empty strings; channels are in :data:`~matchsvc.profiles.CHANNELS`; frequency
    is in :data:`~matchsvc.profiles.FREQUENCIES`; languages are ISO 639-1 codes (any case); the
    time zone is an IANA name or "UTC+HH:MM"; availability windows have a known day, "HH:MM"
    times (ASCII digits) with end after start, and come with a time zone; attributes hold text,
    booleans, finite numbers of magnitude at most :data:`~matchsvc.bounds.MAX_ABS_ATTRIBUTE`, or
    lists of at most :data:`~matchsvc.bounds.MAX_LIST_ITEMS` texts; ``career_stage`` and
    ``industry`` are strings; wish topics, career stages and industries are non-empty strings and
    wish languages ISO 639-1 codes. With ``options``, the options are checked too and attributes
    used by ``gap`` criteria must be numbers. ``sides`` names the two lists in messages and
    field paths (a peer pool checks ``("people", "leaders")``).

    Raises:
        InvalidInputError: the first problem found, with ``field`` like ``"mentees[2].id"`` or
            ``"mentors[0].communication.availability[1].end"``.
    """
    if options is not None:
        validate_options(options)
    ids: dict[str, set[str]] = {}
    first_side, second_side = sides
    for side, people in ((first_side, mentees), (second_side, mentors)):
        seen: dict[str, int] = {}
        for i, person in enumerate(people):
            where = f"{side}[{i}]"
            if not isinstance(person, Profile):
                raise InvalidInputError(
                    f"{where} is a {type(person).__name__}, not a Profile", field=where
                )
            if not isinstance(person.id, str) or not person.id.strip():
                raise InvalidInputError(
                    f"{where} has an empty id: give every person a non-empty id",
                    field=f"{where}.id",
                )
            _text(person.id, f"{where}.id")
            key = unicodedata.normalize("NFC", person.id)
            if key in seen:
                first = people[seen[key]].id
                same = (
                    "share it"
                    if first == person.id
                    else (
                        f"spell it {first!r} and {person.id!r}, the same text in two Unicode forms"
                    )
                )
                raise InvalidInputError(
                    f"duplicate id {person.id!r}: {side}[{seen[key]}] and {where} {same}; ids "
                    "must be unique within a side",
                    field=f"{where}.id",
                )
            seen[key] = i
            _check_person(person, where)
        ids[side] = {person.id for person in people}
    for side, other, people in (
        (first_side, second_side, mentees),
        (second_side, first_side, mentors),
    ):
        for i, person in enumerate(people):
            for k, excluded in enumerate(person.exclude):
                if excluded not in ids[other]:
                    raise InvalidInputError(
                        f"{side}[{i}] ({person.id!r}) excludes {excluded!r}, which is not one "
                        f"of the {other}: remove it from exclude or add that {other[:-1]}",
                        field=f"{side}[{i}].exclude[{k}]",
                    )
    if options is not None:
        _check_attributes(mentees, mentors, options, sides)


def _text(value: str, field: str) -> None:
    problem = check_text(value)
    if problem is not None:
        raise InvalidInputError(f"{field} {problem}", field=field)


def _check_person(person: Profile, where: str) -> None:
    for k, skill in enumerate(person.skills):
        if not isinstance(skill, str) or not skill.strip():
            raise InvalidInputError(
                f"{where}.skills[{k}] is {skill!r}; skills are non-empty strings",
                field=f"{where}.skills[{k}]",
            )
        _text(skill, f"{where}.skills[{k}]")
    if not isinstance(person.goals, str):
        raise InvalidInputError(
            f"{where}.goals is a {type(person.goals).__name__}; use a string ('' for none)",
            field=f"{where}.goals",
        )
    _text(person.goals, f"{where}.goals")
    for k, excluded in enumerate(person.exclude):
        _text(excluded, f"{where}.exclude[{k}]")
    _check_attribute_values(person, where)
    for name in ("career_stage", "industry"):
        value = getattr(person, name)
        if not isinstance(value, str):
            raise InvalidInputError(
                f"{where}.{name} is a {type(value).__name__}; use a string ('' for none)",
                field=f"{where}.{name}",
            )
        _text(value, f"{where}.{name}")
    wishes = person.wishes
    for name in ("topics", "career_stages", "industries"):
        for k, item in enumerate(getattr(wishes, name)):
            if not isinstance(item, str) or not item.strip():
                raise InvalidInputError(
                    f"{where}.wishes.{name}[{k}] is {item!r}; use a non-empty string",
                    field=f"{where}.wishes.{name}[{k}]",
                )
            _text(item, f"{where}.wishes.{name}[{k}]")
    for k, language in enumerate(wishes.languages):
        if not isinstance(language, str) or language.lower() not in ISO_639_1:
            raise InvalidInputError(
                f"{where}.wishes.languages[{k}] is {language!r}; use a two-letter ISO 639-1 "
                "code such as 'en' or 'pt'",
                field=f"{where}.wishes.languages[{k}]",
            )
    comm = person.communication
    cwhere = f"{where}.communication"
    if not isinstance(comm.style, str):
        raise InvalidInputError(
            f"{cwhere}.style is a {type(comm.style).__name__}; use a string ('' for none)",
            field=f"{cwhere}.style",
        )
    _text(comm.style, f"{cwhere}.style")
    for k, channel in enumerate(comm.channels):
        if channel not in CHANNELS:
            raise InvalidInputError(
                f"{cwhere}.channels[{k}] is {channel!r}; use one of {list(CHANNELS)}",
                field=f"{cwhere}.channels[{k}]",
            )
    if comm.frequency is not None and comm.frequency not in FREQUENCIES:
        raise InvalidInputError(
            f"{cwhere}.frequency is {comm.frequency!r}; use one of {list(FREQUENCIES)} or None",
            field=f"{cwhere}.frequency",
        )
    for k, language in enumerate(comm.languages):
        if not isinstance(language, str) or language.lower() not in ISO_639_1:
            raise InvalidInputError(
                f"{cwhere}.languages[{k}] is {language!r}; use a two-letter ISO 639-1 code "
                "such as 'en' or 'pt'",
                field=f"{cwhere}.languages[{k}]",
            )
    if comm.timezone is not None:
        try:
            parse_timezone(comm.timezone)
        except (ValueError, TypeError) as exc:
            raise InvalidInputError(str(exc), field=f"{cwhere}.timezone") from None
    for k, window in enumerate(comm.availability):
        awhere = f"{cwhere}.availability[{k}]"
        if window.day not in DAYS:
            raise InvalidInputError(
                f"{awhere}.day is {window.day!r}; use one of {list(DAYS)}", field=f"{awhere}.day"
            )
        try:
            start = parse_clock(window.start, allow_24=False)
        except (ValueError, TypeError) as exc:
            raise InvalidInputError(str(exc), field=f"{awhere}.start") from None
        try:
            end = parse_clock(window.end, allow_24=True)
        except (ValueError, TypeError) as exc:
            raise InvalidInputError(str(exc), field=f"{awhere}.end") from None
        if end <= start:
            order = "when it starts" if end == start else f"before it starts at {window.start}"
            raise InvalidInputError(
                f"{awhere} ends at {window.end}, {order}: give an end after the start; a "
                "window lies within one day, so split an overnight window in two",
                field=f"{awhere}.end",
            )
    if comm.availability and comm.timezone is None:
        raise InvalidInputError(
            f"{where} gives availability windows but no time zone: set communication.timezone "
            "(e.g. 'Europe/Berlin' or 'UTC')",
            field=f"{cwhere}.timezone",
        )


def _check_attribute_values(person: Profile, where: str) -> None:
    for name, value in person.attributes.items():
        field = f"{where}.attributes.{name}"
        _text(name, f"{where}.attributes")
        if isinstance(value, str):
            _text(value, field)
        elif isinstance(value, tuple | list):
            if len(value) > MAX_LIST_ITEMS:
                raise InvalidInputError(
                    f"{field} lists {len(value)} items; at most {MAX_LIST_ITEMS} are allowed",
                    field=field,
                )
            for k, item in enumerate(value):
                if not isinstance(item, str):
                    raise InvalidInputError(
                        f"{field}[{k}] is {item!r}; list attributes hold strings",
                        field=f"{field}[{k}]",
                    )
                _text(item, f"{field}[{k}]")
        elif isinstance(value, int | float) and not isinstance(value, bool):
            if not abs(value) <= MAX_ABS_ATTRIBUTE:
                raise InvalidInputError(
                    f"{field} is {value!r}; numbers are finite with magnitude at most "
                    f"{MAX_ABS_ATTRIBUTE:g}",
                    field=field,
                )
        elif not isinstance(value, bool):
            raise InvalidInputError(
                f"{field} is a {type(value).__name__}; attributes are text, numbers, booleans "
                "or lists of text",
                field=field,
            )


def _check_attributes(
    mentees: Sequence[Profile],
    mentors: Sequence[Profile],
    options: ScoringOptions,
    sides: tuple[str, str],
) -> None:
    for crit in options.criteria:
        if crit.kind != "gap":
            continue
        for side, people in zip(sides, (mentees, mentors), strict=True):
            for i, person in enumerate(people):
                if crit.attribute not in person.attributes:
                    continue
                value = person.attributes[crit.attribute]
                if (
                    not isinstance(value, int | float)
                    or isinstance(value, bool)
                    or not math.isfinite(value)
                ):
                    raise InvalidInputError(
                        f"{side}[{i}].attributes[{crit.attribute!r}] is {value!r}, but criterion "
                        f"{crit.name!r} (kind 'gap') needs a finite number",
                        field=f"{side}[{i}].attributes.{crit.attribute}",
                    )
