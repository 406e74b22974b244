"""Who may see what: the only way any code reads a business's data for an actor."""

from .actor import Actor
from .policy import (
    Decision,
    access_business_by_id,
    access_business_for_upload,
    access_loans_by_business,
    accessible_business_ids,
    decide,
    decide_upload,
    require_role,
)

__all__ = [
    "Actor",
    "Decision",
    "access_business_by_id",
    "access_business_for_upload",
    "access_loans_by_business",
    "accessible_business_ids",
    "decide",
    "decide_upload",
    "require_role",
]
