"""A refusal said in both languages: what the rules refuse, worded once in Japanese and once in
English, so that every reader gets one language only.

``str()`` of a refusal is the Japanese text — the CLI, the API body (its contract) and a
Japanese page show it; ``english`` is the same in English for an English page. ``text(locale)``
picks. Raise :class:`Refused` (a ``ValueError``) for a value or a state the rules refuse and
:class:`RefusedPermission` (a ``PermissionError``) for a write the actor may not make; never one
string carrying both languages ("日本語 (English)", tests/test_refusals.py).
"""

from __future__ import annotations

from collections.abc import Sequence


class Bilingual:
    """The (Japanese, English) sentences of a refusal; mixed into an exception type."""

    problems: tuple[tuple[str, str], ...]

    def _set(self, ja: str | Sequence[tuple[str, str]], en: str | None) -> str:
        if isinstance(ja, str):
            self.problems = ((ja, en if en is not None else ja),)
        else:
            self.problems = tuple(ja)
        return "; ".join(j for j, _ in self.problems)

    @property
    def japanese(self) -> str:
        return "; ".join(j for j, _ in self.problems)

    @property
    def english(self) -> str:
        return " ".join(e for _, e in self.problems)

    def text(self, locale: str) -> str:
        """The refusal in ``locale`` ("ja": Japanese; anything else: English)."""
        return self.japanese if locale == "ja" else self.english


class Refused(Bilingual, ValueError):
    """A value or a state the rules refuse: ``Refused("日本語", "English.")`` or
    ``Refused([(ja, en), …])`` for several problems at once."""

    def __init__(self, ja: str | Sequence[tuple[str, str]], en: str | None = None) -> None:
        super().__init__(self._set(ja, en))


class RefusedPermission(Bilingual, PermissionError):
    """A write the actor may not make, said in both languages (see :class:`Refused`)."""

    def __init__(self, ja: str | Sequence[tuple[str, str]], en: str | None = None) -> None:
        super().__init__(self._set(ja, en))


def refusal_text(exc: BaseException, locale: str) -> str | None:
    """A bilingual refusal's text in ``locale``; None for any other exception."""
    return exc.text(locale) if isinstance(exc, Bilingual) else None
