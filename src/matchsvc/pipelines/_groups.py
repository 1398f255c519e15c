"""People grouped by one attribute: the groups of the fairness floors and of the audit.

A group is one value of one attribute (``Profile.attributes[name]``). Values are ordered
``false < true``, then numbers, then texts, and people without the attribute form a last group
whose value is None ("no value"). A list-valued attribute cannot group people (a person would
be in several groups) and is refused. Pure core: no web types.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from matchsvc.errors import InvalidInputError
from matchsvc.profiles import Profile

__all__ = ["GroupLabel", "GroupValue", "Grouping", "group_people"]

GroupValue = str | int | float | bool | None
"""The value that names a group (None: the people without the attribute)."""


@dataclass(frozen=True, order=True, slots=True)
class GroupLabel:
    """A group's value with its position in the group order, for numpy and messages.

    Compared and hashed by ``rank`` only, so ``numpy.unique`` over labels keeps the group
    order; ``repr`` is the value's (``'south'``, ``3``) or ``(no value)``, so an error message
    about a group names it as the caller wrote it.
    """

    rank: int
    value: GroupValue = field(compare=False)

    def __repr__(self) -> str:
        return "(no value)" if self.value is None else repr(self.value)


@dataclass(frozen=True, slots=True)
class Grouping:
    """One attribute's groups over one side's people.

    Attributes:
        attribute: the attribute name.
        values: the groups' values in group order (None last: the people without it).
        codes: int64 ``(people,)``, each person's group (an index into ``values``).
    """

    attribute: str
    values: tuple[GroupValue, ...]
    codes: NDArray[np.int64]

    def labels(self) -> NDArray[np.object_]:
        """One :class:`GroupLabel` per person (an object array)."""
        table = [GroupLabel(k, v) for k, v in enumerate(self.values)]
        out = np.empty(self.codes.size, dtype=object)
        out[:] = [table[c] for c in self.codes.tolist()]
        return out


def _key(value: GroupValue) -> tuple[int, float | str]:
    """The group order: false < true, then numbers, then texts, then "no value"."""
    if value is None:
        return (3, 0.0)
    if isinstance(value, bool):
        return (0, float(value))
    if isinstance(value, int | float):
        return (1, float(value))
    return (2, value)


def group_people(
    people: Sequence[Profile], attribute: str, *, side: str, field: str
) -> Grouping | None:
    """Group ``people`` by ``attribute``; None when nobody has it.

    Numbers that are equal (``1`` and ``1.0``) are one group, named by the first one given.

    Args:
        people: one side's profiles.
        attribute: the attribute name.
        side: ``"mentees"`` or ``"mentors"`` (for messages).
        field: the input that named the attribute (the ``field`` of an error).

    Raises:
        InvalidInputError: someone's value is a list.
    """
    first: dict[tuple[int, float | str], GroupValue] = {}
    keys: list[tuple[int, float | str]] = []
    for i, person in enumerate(people):
        value = person.attributes.get(attribute)
        if isinstance(value, tuple | list):
            raise InvalidInputError(
                f"{side}[{i}] ({person.id!r}) has a list for attribute {attribute!r}, which "
                "cannot group people (a person would be in several groups); group by an "
                "attribute with one value per person",
                field=field,
            )
        key = _key(value)
        first.setdefault(key, value)
        keys.append(key)
    if all(k[0] == 3 for k in keys):
        return None
    order = sorted(first)
    index = {k: c for c, k in enumerate(order)}
    codes = np.fromiter((index[k] for k in keys), dtype=np.int64, count=len(keys))
    return Grouping(attribute, tuple(first[k] for k in order), codes)
