"""validate_people: one test per branch, each checking the field path and the message."""

from __future__ import annotations

from typing import Any

import pytest

from matchsvc.errors import InvalidInputError
from matchsvc.profiles import Availability, Communication, Profile
from matchsvc.scoring import Criterion, ScoringOptions, validate_people


def comm(**kwargs: Any) -> Communication:
    return Communication(**kwargs)


def ok_mentees() -> list[Profile]:
    return [Profile("a"), Profile("b"), Profile("c")]


def ok_mentors() -> list[Profile]:
    return [Profile("x"), Profile("y")]


def test_valid_people_pass() -> None:
    mentees = [
        Profile(
            "a",
            skills=("python",),
            exclude=("x",),
            communication=comm(
                channels=("video",),
                languages=("en", "PT"),
                timezone="Asia/Kathmandu",
                availability=(Availability("mon", "09:00", "24:00"),),
                frequency="weekly",
            ),
        )
    ]
    mentors = [Profile("x", capacity=0, exclude=("a",), communication=comm(timezone="UTC-03:00"))]
    assert validate_people(mentees, mentors) is None
    assert validate_people([], []) is None


@pytest.mark.parametrize(
    ("mentee", "field", "match"),
    [
        (Profile(""), "mentees[2].id", "empty id"),
        (Profile("a"), "mentees[2].id", r"duplicate id 'a': mentees\[0\] and mentees\[2\]"),
        (Profile("z", skills=("ok", "  ")), "mentees[2].skills[1]", "non-empty strings"),
        (Profile("z", goals=None), "mentees[2].goals", "use a string"),  # type: ignore[arg-type]
        (
            Profile("z", communication=comm(style=3)),
            "mentees[2].communication.style",
            "use a string",
        ),
        (
            Profile("z", communication=comm(channels=("video", "fax"))),
            "mentees[2].communication.channels[1]",
            "'fax'; use one of",
        ),
        (
            Profile("z", communication=comm(frequency="daily")),
            "mentees[2].communication.frequency",
            "'daily'; use one of",
        ),
        (
            Profile("z", communication=comm(languages=("eng",))),
            "mentees[2].communication.languages[0]",
            "two-letter ISO 639-1",
        ),
        (
            Profile("z", communication=comm(languages=("xx",))),
            "mentees[2].communication.languages[0]",
            "two-letter ISO 639-1",
        ),
        (
            Profile("z", communication=comm(timezone="Mars/Olympus")),
            "mentees[2].communication.timezone",
            "unknown time zone 'Mars/Olympus'",
        ),
        (
            Profile("z", communication=comm(timezone="UTC+05:20")),
            "mentees[2].communication.timezone",
            "minutes 20",
        ),
        (
            Profile("z", communication=comm(timezone="UTC+15:00")),
            "mentees[2].communication.timezone",
            "outside UTC-12:00",
        ),
        (
            Profile("z", communication=comm(timezone="GMT+5")),
            "mentees[2].communication.timezone",
            "unknown time zone",
        ),
        (
            Profile(
                "z",
                communication=comm(
                    timezone="UTC",
                    availability=(Availability("mo", "09:00", "10:00"),),  # type: ignore[arg-type]
                ),
            ),
            "mentees[2].communication.availability[0].day",
            "'mo'; use one of",
        ),
        (
            Profile(
                "z",
                communication=comm(
                    timezone="UTC", availability=(Availability("mon", "9:00", "10:00"),)
                ),
            ),
            "mentees[2].communication.availability[0].start",
            "not 'HH:MM'",
        ),
        (
            Profile(
                "z",
                communication=comm(
                    timezone="UTC", availability=(Availability("mon", "24:00", "24:00"),)
                ),
            ),
            "mentees[2].communication.availability[0].start",
            "out of range",
        ),
        (
            Profile(
                "z",
                communication=comm(
                    timezone="UTC", availability=(Availability("mon", "09:00", "10:60"),)
                ),
            ),
            "mentees[2].communication.availability[0].end",
            "out of range",
        ),
        (
            Profile(
                "z",
                communication=comm(
                    timezone="UTC", availability=(Availability("mon", "22:00", "02:00"),)
                ),
            ),
            "mentees[2].communication.availability[0].end",
            "split an overnight window",
        ),
        (
            Profile("z", communication=comm(availability=(Availability("mon", "09:00", "10:00"),))),
            "mentees[2].communication.timezone",
            "no time zone",
        ),
        (Profile("z", exclude=("nobody",)), "mentees[2].exclude[0]", "excludes 'nobody'"),
    ],
)
def test_mentee_branches(mentee: Profile, field: str, match: str) -> None:
    mentees = [*ok_mentees()[:2], mentee]
    with pytest.raises(InvalidInputError, match=match) as info:
        validate_people(mentees, ok_mentors())
    assert info.value.field == field


def test_mentor_exclude_path() -> None:
    with pytest.raises(InvalidInputError, match="remove it from exclude or add that mentee"):
        validate_people(ok_mentees(), [Profile("x", exclude=("a", "q"))])
    # Counts are the problem's to check (tests/test_problem.py), not scoring's.
    validate_people([Profile("a", capacity=-1)], [Profile("x", demand=-1)])


def test_exclude_must_name_the_other_side() -> None:
    # "b" is a mentee id, not a mentor id: excluding it from a mentee is an error.
    with pytest.raises(InvalidInputError, match="excludes 'b'") as info:
        validate_people([Profile("a", exclude=("b",)), Profile("b")], [Profile("x")])
    assert info.value.field == "mentees[0].exclude[0]"


def test_not_a_profile() -> None:
    with pytest.raises(InvalidInputError, match="not a Profile") as info:
        validate_people([{"id": "a"}], [])  # type: ignore[list-item]
    assert info.value.field == "mentees[0]"


def test_gap_criterion_needs_numeric_attribute() -> None:
    options = ScoringOptions(
        weights={"skills": 1, "years": 1}, criteria=(Criterion("years", "years", "gap", min=1),)
    )
    mentees = [Profile("a", attributes={"years": 2}), Profile("b")]
    mentors = [Profile("x", attributes={"years": "ten"})]
    with pytest.raises(InvalidInputError, match="needs a finite number") as info:
        validate_people(mentees, mentors, options)
    assert info.value.field == "mentors[0].attributes.years"
    validate_people(mentees, [Profile("x", attributes={"years": 10.5})], options)


def test_options_are_checked_too() -> None:
    with pytest.raises(InvalidInputError) as info:
        validate_people([], [], ScoringOptions(weights={"skills": -1}))
    assert info.value.field == "options.weights.skills"
