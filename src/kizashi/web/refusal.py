"""A refused write said in the page's language.

The actions refuse with :class:`kizashi.actions.refusals.Refused` (or ``RefusedPermission``): its
``str()`` is Japanese, its ``english`` English. A page shows ``refusal(t, exc, fallback)``: the
rules' own words in the page's language, or — for any other exception, whose message may be
in one language only — the page's own ``fallback`` (a gettext msgid), translated. A page never
shows ``str(exc)`` of an action's exception directly.
"""

from __future__ import annotations

from kizashi.actions.refusals import refusal_text

from .i18n import Translator


def refusal(t: Translator, exc: BaseException, fallback: str) -> str:
    """Why ``exc`` refused the write, in ``t``'s language."""
    text = refusal_text(exc, t.locale)
    return text if text is not None else t.gettext(fallback)
