"""The refusals the actions raise, in both languages (``kizashi.domain.refusals``): ``str()`` is
Japanese (the CLI, the API, a Japanese page), ``english`` for an English page."""

from kizashi.domain.refusals import Bilingual, Refused, RefusedPermission, refusal_text

__all__ = ["Bilingual", "Refused", "RefusedPermission", "refusal_text"]
