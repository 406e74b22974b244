"""Typed dependencies: what a route asks for, by type, instead of reaching into the request.

A route names what it needs as a parameter (as in the FastAPI full-stack template's
``deps.py``)::

    def get_business(business_id: BusinessId, user: CurrentUserDep, s: UnitOfWork,
                     purpose: ApiPurpose = Purpose.MONITORING) -> BusinessDetail: ...

* ``CurrentUserDep``: the logged-in user (``auth.require_user``; without one, pages redirect to
  the login page and the API answers 401).
* ``StoreDep``, ``SettingsDep``: the app's store and settings (built by ``create_app``).
* ``UnitOfWork``: a ``Store.session()`` opened for the route (after the user is known) and
  committed when it returns,
  before the answer is sent (``scope="function"``); an exception the route raises rolls it back
  and keeps only a refusal's audit record, exactly as ``with store.session()`` does. Use it
  for a route that reads (every read is audited, so it writes) or makes one write and converts
  no refusal itself; a route that turns a refusal into another answer opens its own
  ``with store.session()`` so the refusal's audit record is kept.
* ``ReadSession``: a read-only ``Store.read_session()`` (never write in it; no audit).
* ``TranslatorDep``: the request's language (``state.translator``).
* ``ApiPurpose`` (the API: a ``Purpose`` query parameter, 422 when unknown) and
  ``PagePurpose`` (pages: lenient, an unknown purpose is ignored, none is the remembered one or
  the organisation kind's default; remembers whether one was
  given so links keep it only then).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Query, Request
from sqlalchemy.orm import Session

from kizashi.domain.vocabulary import Purpose
from kizashi.settings import Settings
from kizashi.store.db import Store

from .auth import CurrentUser, require_user
from .i18n import Translator
from .state import app_settings, app_store, page_purpose, translator

CurrentUserDep = Annotated[CurrentUser, Depends(require_user)]
StoreDep = Annotated[Store, Depends(app_store)]
SettingsDep = Annotated[Settings, Depends(app_settings)]
TranslatorDep = Annotated[Translator, Depends(translator)]


def unit_of_work(store: StoreDep, _user: CurrentUserDep) -> Iterator[Session]:
    """Opened once the user is known: finding the user may write (the session's idle expiry),
    and on SQLite a second unit of work in the same request would wait for this one's lock."""
    with store.session() as s:
        yield s


def read_session(store: StoreDep, _user: CurrentUserDep) -> Iterator[Session]:
    with store.read_session() as s:
        yield s


UnitOfWork = Annotated[Session, Depends(unit_of_work, scope="function")]
ReadSession = Annotated[Session, Depends(read_session, scope="function")]

ApiPurpose = Annotated[
    Purpose, Query(description="Why the data is read: decides which consent applies")
]


@dataclass(frozen=True)
class ChosenPurpose:
    """A page's purpose: the one asked for (``?purpose=``, remembered in the session), else the
    remembered one, else the user's organisation kind's default (``state.page_purpose``)."""

    purpose: Purpose
    given: bool  # whether the request named one (links and redirects keep it only then)

    @property
    def query(self) -> dict[str, str]:
        """The query parameters that carry the choice on (empty when none was given)."""
        return {"purpose": self.purpose.value} if self.given else {}


def chosen_purpose(
    request: Request, user: CurrentUserDep, purpose: str | None = Query(None, max_length=32)
) -> ChosenPurpose:
    """The purpose asked for (remembered in the session), else the remembered one, else the
    default of the user's kind of organisation (``state.page_purpose``)."""
    return ChosenPurpose(*page_purpose(request, purpose))


PagePurpose = Annotated[ChosenPurpose, Depends(chosen_purpose)]
