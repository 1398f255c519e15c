"""The checks every score array passes, whichever solver or source it comes from: real
numbers (:func:`check_real`), then finite and within range (:func:`check_scores`)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from matchsvc.assignment._scan import first_out_of_range
from matchsvc.bounds import MAX_ABS_SCORE
from matchsvc.errors import InvalidInputError

__all__ = ["check_real", "check_scores"]


def check_real(arr: npt.NDArray[np.generic], field: str) -> None:
    """Raise InvalidInputError (``field``) unless ``arr`` holds real numbers (not bool, complex,
    text or objects)."""
    if (
        arr.dtype == np.bool_
        or not np.issubdtype(arr.dtype, np.number)
        or np.issubdtype(arr.dtype, np.complexfloating)
    ):
        raise InvalidInputError(f"{field} must be real numbers, got dtype {arr.dtype}", field=field)


def check_scores(block: npt.NDArray[np.floating], row0: int = 0) -> None:
    """Raise InvalidInputError (``field="scores"``) at the first entry of ``block`` that is NaN,
    infinite or beyond :data:`~matchsvc.bounds.MAX_ABS_SCORE` in magnitude; ``row0`` is the
    row of ``block``'s first row in the whole matrix (for the message)."""
    flat = int(first_out_of_range(block, MAX_ABS_SCORE))
    if flat < 0:
        return
    r, c = divmod(flat, block.shape[1])
    value = float(block[r, c])
    where = f"({row0 + r}, {c})"
    if not np.isfinite(value):
        message = f"scores contains {value} at {where}; use allowed=False to forbid a pair"
    else:
        message = (
            f"scores contains {value:g} at {where}, beyond the magnitude limit {MAX_ABS_SCORE:g}; "
            f"rescale the scores into [-{MAX_ABS_SCORE:g}, {MAX_ABS_SCORE:g}]"
        )
    raise InvalidInputError(message, field="scores")
