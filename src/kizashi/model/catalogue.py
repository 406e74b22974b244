"""Every model feature by id: the panel catalogue (``features``) and the bank features
(``bank``) together, and each one's monotone direction. Its own module so that neither of the
two imports the other in both directions (``bank`` builds on ``features``)."""

from __future__ import annotations

from .bank import bank_catalogue
from .features import Feature, catalogue


def feature(fid: str) -> Feature:
    """The feature ``fid``: of the catalogue or the bank features."""
    return next(f for f in (*catalogue(), *bank_catalogue()) if f.id == fid)


def direction(fid: str) -> int:
    """The monotone constraint of ``fid`` (0 for a name that is no known feature)."""
    try:
        return feature(fid).direction
    except StopIteration:
        return 0
