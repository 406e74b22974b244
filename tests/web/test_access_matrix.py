"""The access matrix: every route of the app × every way of not being allowed, with zero leaks.

Routes are **enumerated from the app** (every ``/api/v1`` route and every page), so a route
added later fails ``test_every_route_is_classified`` until it has one line in ``ROUTES``: what
it guards (a data category, or a gate of its own) and a minimal valid request. Then, for each
refusal case below, the request must be refused (403/404), its body must carry no business
data, nothing may change in the store, and the refusal must be in the audit log (a ``deny``
event by that user). Runs on SQLite and PostgreSQL (one world per backend, built once).

Cases (tests/web/conftest.build_web_world plus one partial-consent organisation):
  other_org     c_officer    another organisation: no link, no consent, no loan
  no_consent    b_officer    a bank with a loan to the business, no consent, no link
  expired       exp_officer  an adviser whose consent (every category) ended yesterday
  revoked       rev_officer  a guarantor whose consent (every category) the business revoked
  partial       part_officer consent for one other category only (定性情報, monitoring)
  wrong_role    a_admin, a_auditor of the lending bank (which holds a financials consent)
                (and, for the triage assignment routes, ``test_a_plain_officer_does_not_reassign``:
                a member of bank A's team who is not its manager)
  wrong_purpose cgc_officer  consent for every category for monitoring, asking for 経営支援
                             (only routes that take a purpose)
  other_owner   other_owner  the owner of another business
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text

from kizashi.actions.consent import do_grant_consent, do_request_consent
from kizashi.actions.organisations import do_add_organisation, do_add_user
from kizashi.domain.vocabulary import Category, OrgKind, Purpose, Role
from kizashi.settings import Settings
from kizashi.store.db import Store
from kizashi.store.models import (
    AuditEvent,
    Business,
    ConsentGrant,
    ConsentRequest,
    Loan,
    User,
)
from kizashi.store.schema import metadata
from kizashi.web.app import create_app
from tests.conftest import BACKENDS, TEST_AUDIT_KEY, _truncate_all

from .conftest import FLAG_EVIDENCE, FLAG_TITLE, PASSWORD, SYSTEM, WebWorld, build_web_world, login

# ---------------------------------------------------------------------------- classification

# Gates that are not a data category:
UPLOAD = "upload"  # submit financial data: the owner or a financials consent (any purpose)
UPLOAD_MONEY = "upload_money"  # bank statements / invoices: that category's consent (any purpose)
OWNER = "owner"  # the business itself only (its consents, requests it received, who looked)
ASK = "ask"  # ask a business for consent: an officer of an organisation that knows it
APPLY = "apply"  # record a 包括同意: a linked bank or guarantor
REQUESTER = "requester"  # the organisation that sent the consent request
ADMIN = "admin"  # an administrator, for a user of their own organisation (user_id: another's)
ADMIN_OWN = "admin_own"  # an administrator, on their own organisation (its user list, a new user)
AUDITOR = "auditor"  # the audit log: an auditor only
MODEL_ADMIN = "model_admin"  # the risk models: an institution's administrator
LOAN_WRITE = "loan_write"  # enter a loan or a credit event: the loan's lender or guarantor
CASE_WRITE = "case_write"  # change a support case: an officer of the organisation holding it
CASE_COMMENT = "case_comment"  # comment on a dialogue record: the owner it is shared with
# referrals (issue 13): bank A's referral to C銀行, still waiting for the owner — the receiver
# takes no part yet; each step is its party's only
REFERRAL = "referral"  # read: the sender, the receiver once approved, the business's owner
REFERRAL_OWNER = "referral_owner"  # approve or refuse: the business's owner
REFERRAL_RECEIVER = "referral_receiver"  # accept or decline: the receiver, once approved
REFERRAL_SENDER = "referral_sender"  # withdraw: the referring organisation
# reports on a business (issue 13): the owner's progress report, sent to bank A
REPORT = "report"  # read: its author's organisation, the business's owner, an organisation it
# was sent to (under the business's financials consent)
REPORT_AUTHOR = "report_author"  # change, send, withdraw: the author's organisation
REPORT_RECIPIENT = "report_recipient"  # acknowledge: an organisation it was sent to
# Routes that refuse nobody (listing only what the caller may see, or the caller's own
# things): run for every case, checked for no business data only.
LIST = "list"
SELF = "self"  # the caller's own user or own business; unsafe ones are not sent (see below)
PUBLIC = "public"
# An import file names its businesses row by row (all rows or none; each row's business
# decided and audited by the import): not a route about one business. Its refusals are tested
# with the import (tests/web/test_loans_api.py, test_loans_pages.py); the unsafe ones are not sent.
FILE = "file"


@dataclass(frozen=True)
class R:
    gate: Category | str
    json: Any = None  # a minimal valid JSON body
    form: dict[str, Any] | None = None  # a minimal valid form body (pages; csrf added)
    files: bool = False  # a multipart upload (one small CSV)
    file_field: str = "files"  # its form field
    query: dict[str, str] = field(default_factory=dict)


_FLAG_MOVE = {"state": "acknowledged", "purpose": "monitoring"}
_ASK = {"categories": ["financials"], "purpose": "monitoring", "reason": "与信のため"}
_APPLY = {"categories": ["loans"], "purpose": "credit_review", "document_ref": "借入申込書 1"}
_NEW_USER = {
    "login": "matrix_new",
    "display_name": "新規",
    "role": "officer",
    "password": "password-123456",
    "locale": "ja",
}
_LOAN = {
    "loan_number": "X-9",
    "original_amount": 1_000_000,
    "balance": 1_000_000,
    "balance_as_of": "2026-11-30",
    "start_date": "2025-04-01",
    "maturity_date": "2030-03-31",
}
_LOAN_FORM = {**_LOAN, "lender": "bank-a", "interest_rate_pct": "1.5", "guarantee_ratio_pct": 0}
_LOAN_JSON = {**_LOAN, "lender_code": "bank-a", "interest_rate_bp": 150}
_EVENT_JSON = {"kind": "delinquency", "occurred_on": "2026-11-30", "days_past_due": 31}
_EVENT_FORM = {**_EVENT_JSON, "days_past_due": "31"}
_MAPPING = {
    "mappings": [
        {"source_format": "yayoi", "as_reported_name": "販促費", "item_code": "advertising"}
    ]
}

# "METHOD path" → what the route guards and a minimal valid request. Path parameters are
# filled from the world (``_params``): business_id (the business), flag_id, grant_id,
# request_id (a request bank A sent it), user_id (its owner's user).
ROUTES: dict[str, R] = {
    # --- pages
    "GET /login": R(PUBLIC),
    "POST /login": R(PUBLIC),  # not sent: logging in is not a read of anything
    "POST /logout": R(SELF),  # not sent: it would end the case's session
    "GET /": R(SELF),
    "GET /portfolio": R(LIST),
    "GET /businesses/{business_id}": R(Category.PROFILE),
    "POST /businesses/{business_id}/flags/{flag_id}/state": R(Category.FLAGS, form=_FLAG_MOVE),
    "GET /businesses/{business_id}/upload": R(UPLOAD),
    "POST /businesses/{business_id}/upload": R(UPLOAD, form={"format": "auto"}, files=True),
    "POST /businesses/{business_id}/upload/confirm": R(UPLOAD, form={"token": "x" * 32}),
    "GET /consent": R(SELF),
    "POST /consent/grants": R(SELF),  # not sent: the caller's own business grants
    "POST /consent/grants/{grant_id}/revoke": R(OWNER, form={}),
    "POST /consent/requests/{request_id}/respond": R(OWNER, form={"decision": "decline"}),
    "POST /consent/requests/{request_id}/withdraw": R(REQUESTER, form={}),
    "POST /businesses/{business_id}/consent-requests": R(ASK, form=_ASK),
    "POST /businesses/{business_id}/application-consents": R(APPLY, form=_APPLY),
    "GET /docs": R(PUBLIC),
    "GET /healthz": R(PUBLIC),
    # --- API
    "GET /api/v1/me": R(SELF),
    "PUT /api/v1/me/locale": R(SELF),  # not sent: the caller's own preference
    "GET /api/v1/businesses": R(LIST),
    "GET /api/v1/businesses/{business_id}": R(Category.PROFILE),
    "GET /api/v1/businesses/{business_id}/monthly": R(Category.FINANCIALS),
    "GET /api/v1/businesses/{business_id}/loans": R(Category.LOANS),
    "GET /api/v1/businesses/{business_id}/flags": R(Category.FLAGS),
    "GET /api/v1/businesses/{business_id}/indicators": R(Category.FINANCIALS),
    "GET /api/v1/businesses/{business_id}/indicators/history": R(Category.FINANCIALS),
    "GET /api/v1/businesses/{business_id}/documents/locaben.xlsx": R(Category.FINANCIALS),
    "GET /api/v1/businesses/{business_id}/documents/monitoring-sheet.pdf": R(Category.FINANCIALS),
    "POST /api/v1/flags/{flag_id}/state": R(Category.FLAGS, json=_FLAG_MOVE),
    "GET /api/v1/flags/{flag_id}/response": R(Category.FLAGS),
    "PATCH /api/v1/flags/{flag_id}/response": R(Category.FLAGS, json={"state": "acknowledged"}),
    "GET /api/v1/formats": R(PUBLIC),
    "POST /api/v1/businesses/{business_id}/submissions": R(UPLOAD, files=True, form={}),
    "POST /api/v1/businesses/{business_id}/account-mappings": R(UPLOAD, json=_MAPPING),
    "GET /api/v1/businesses/{business_id}/submissions": R(Category.FINANCIALS),
    "POST /api/v1/admin/users/{user_id}/unlock": R(ADMIN),
    "POST /api/v1/admin/users/{user_id}/logout-all": R(ADMIN),
    "GET /api/v1/businesses/{business_id}/consents": R(OWNER),
    "POST /api/v1/businesses/{business_id}/consents": R(
        OWNER, json={"organisation_id": 1, "categories": ["financials"], "purpose": "monitoring"}
    ),
    "POST /api/v1/consents/{grant_id}/revoke": R(OWNER),
    "GET /api/v1/consents": R(LIST),
    "POST /api/v1/businesses/{business_id}/consent-requests": R(ASK, json=_ASK),
    "POST /api/v1/consent-requests/{request_id}/respond": R(OWNER, json={"approve": []}),
    "POST /api/v1/consent-requests/{request_id}/withdraw": R(REQUESTER),
    "POST /api/v1/businesses/{business_id}/application-consents": R(APPLY, json=_APPLY),
    "GET /api/v1/businesses/{business_id}/access-log": R(OWNER),
    "GET /api/v1/consent-grantees": R(SELF),
    # --- money that moved (bank statements, invoices, schedules)
    "GET /api/v1/businesses/{business_id}/bank-transactions": R(Category.BANK_TRANSACTIONS),
    "GET /api/v1/businesses/{business_id}/invoices": R(Category.INVOICES),
    "GET /api/v1/businesses/{business_id}/open-items": R(Category.INVOICES),
    "GET /api/v1/businesses/{business_id}/cash": R(Category.BANK_TRANSACTIONS),
    "POST /api/v1/businesses/{business_id}/money-files": R(
        UPLOAD_MONEY, form={}, files=True, file_field="file"
    ),
    # invoices matched to payments (issue 14): reading needs 請求書 and 口座; matching again the
    # right to submit 請求書
    "GET /api/v1/businesses/{business_id}/payment-matches": R(Category.INVOICES),
    "POST /api/v1/businesses/{business_id}/payment-matches": R(UPLOAD_MONEY),
    "GET /businesses/{business_id}/payments": R(Category.INVOICES),
    "POST /businesses/{business_id}/payments/match": R(UPLOAD_MONEY, form={}),
    # an organisation's own saved bank-file layouts (no business data)
    "GET /api/v1/money-presets": R(SELF),
    "PUT /api/v1/money-presets/{name}": R(SELF),  # not sent: the caller's organisation's own
    "DELETE /api/v1/money-presets/{name}": R(SELF),  # not sent: as above
    "POST /api/v1/money-layouts/detect": R(SELF),  # not sent: reads the sent file only
    "GET /money-presets": R(SELF),
    "POST /money-presets": R(SELF),  # not sent: the caller's organisation's own
    "POST /money-presets/delete": R(SELF),  # not sent: as above
    # --- loans, guarantees and credit events (issue 12); loan_id: bank A's loan A-1 (guaranteed
    # by the guarantor), the new loan is bank A's
    "GET /businesses/{business_id}/loans": R(Category.LOANS),
    "POST /businesses/{business_id}/loans": R(LOAN_WRITE, form=_LOAN_FORM),
    "POST /businesses/{business_id}/loans/{loan_id}/close": R(
        LOAN_WRITE, form={"paid_off_on": "2026-11-30"}
    ),
    "POST /businesses/{business_id}/credit-events": R(LOAN_WRITE, form=_EVENT_FORM),
    "GET /loans/import": R(FILE),
    "POST /loans/import": R(FILE),
    "POST /api/v1/businesses/{business_id}/loans": R(LOAN_WRITE, json=_LOAN_JSON),
    "POST /api/v1/loans/{loan_id}/close": R(LOAN_WRITE, json={"paid_off_on": "2026-11-30"}),
    "POST /api/v1/businesses/{business_id}/credit-events": R(LOAN_WRITE, json=_EVENT_JSON),
    "POST /api/v1/loans/import": R(FILE),
    "POST /api/v1/credit-events/import": R(FILE),
    # --- each organisation's response to a flag (pages; the API's is above)
    "GET /businesses/{business_id}/flags/{flag_id}/response": R(Category.FLAGS),
    "POST /businesses/{business_id}/flags/{flag_id}/response": R(
        Category.FLAGS, form={"note": "確認中"}
    ),
    # --- the risk model: a business's score is read under its financials; models are the
    # institution administrator's (no business data)
    "GET /api/v1/businesses/{business_id}/risk": R(Category.FINANCIALS),
    "GET /admin/models": R(MODEL_ADMIN),
    "GET /api/v1/admin/models": R(MODEL_ADMIN),
    "GET /api/v1/admin/models/{version}": R(MODEL_ADMIN),
    "POST /admin/models/{version}/activate": R(MODEL_ADMIN, form={}),
    "POST /api/v1/admin/models/{version}/activate": R(MODEL_ADMIN),
    # ending the organisation's own active version (ADR 0010): its administrator, its own
    "POST /admin/models/deactivate": R(MODEL_ADMIN, form={}),
    "DELETE /api/v1/admin/models/active": R(MODEL_ADMIN),
    # training jobs and evaluation: a bank's or guarantor's administrator; the triage weighting:
    # an institution's administrator, of its own organisation
    "POST /admin/model-jobs": R(MODEL_ADMIN, form={"test_months": "3"}),
    "POST /api/v1/admin/model-jobs": R(MODEL_ADMIN, json={}),
    "GET /api/v1/admin/model-jobs": R(MODEL_ADMIN),
    "GET /api/v1/admin/model-jobs/{job_id}": R(MODEL_ADMIN),
    "GET /api/v1/admin/models/{version}/evaluation": R(MODEL_ADMIN),
    "GET /admin/risk-weight": R(ADMIN_OWN),
    "POST /admin/risk-weight": R(ADMIN_OWN, form={"score_pct": "60"}),
    "GET /api/v1/admin/risk-weight": R(ADMIN_OWN),
    "PUT /api/v1/admin/risk-weight": R(ADMIN_OWN, json={"score_pct": 60}),
    "DELETE /api/v1/admin/risk-weight": R(ADMIN_OWN),
    # --- admin (issue 12): no business data; the target user is another organisation's
    "GET /admin/users": R(ADMIN_OWN),
    "POST /admin/users": R(ADMIN_OWN, form=_NEW_USER),
    "POST /admin/users/{user_id}/active": R(ADMIN, form={"active": "false"}),
    "POST /admin/users/{user_id}/password": R(ADMIN, form={"password": "new-password-123"}),
    "POST /admin/users/{user_id}/role": R(ADMIN, form={"role": "officer"}),
    "POST /admin/users/{user_id}/unlock": R(ADMIN, form={}),
    "GET /api/v1/admin/users": R(ADMIN_OWN),
    "POST /api/v1/admin/users": R(ADMIN_OWN, json=_NEW_USER),
    "POST /api/v1/admin/users/{user_id}/deactivate": R(ADMIN),
    "POST /api/v1/admin/users/{user_id}/activate": R(ADMIN),
    "POST /api/v1/admin/users/{user_id}/password": R(ADMIN, json={"password": "new-password-123"}),
    "POST /api/v1/admin/users/{user_id}/role": R(ADMIN, json={"role": "officer"}),
    # --- audit log (issue 12): auditors only
    "GET /audit": R(AUDITOR),
    "POST /audit/verify": R(AUDITOR, form={}),
    "GET /audit/export.csv": R(AUDITOR),
    "GET /audit/events/{event_id}": R(AUDITOR),
    "GET /api/v1/audit/events": R(AUDITOR),
    "GET /api/v1/audit/events.csv": R(AUDITOR),
    "GET /api/v1/audit/events/{event_id}": R(AUDITOR),
    "POST /api/v1/audit/verify": R(AUDITOR),
    # --- support cases (issue 13): reading a case is its 定性・面談記録 (its own organisation
    # always); writing it is its organisation's officers'; commenting is the business owner's
    "GET /api/v1/cases": R(LIST),
    "POST /api/v1/businesses/{business_id}/cases": R(
        Category.PROFILE, json={"support_type": "improvement", "purpose": "monitoring"}
    ),
    "GET /api/v1/cases/{case_id}": R(Category.QUALITATIVE),
    "PATCH /api/v1/cases/{case_id}": R(CASE_WRITE, json={"note": "x", "purpose": "monitoring"}),
    "POST /api/v1/cases/{case_id}/close": R(
        CASE_WRITE, json={"outcome": "improved", "purpose": "monitoring"}
    ),
    "POST /api/v1/cases/{case_id}/dialogues": R(
        CASE_WRITE,
        json={"held_on": "2026-11-30", "channel": "phone", "topics": "x", "purpose": "monitoring"},
    ),
    "POST /api/v1/cases/{case_id}/non-financial": R(
        CASE_WRITE,
        json={"period": "2026", "item": "manager", "body": "x", "purpose": "monitoring"},
    ),
    "POST /api/v1/dialogues/{dialogue_id}/comments": R(
        CASE_COMMENT, json={"body": "x", "purpose": "monitoring"}
    ),
    "GET /api/v1/dialogue-attachments/{attachment_id}": R(Category.QUALITATIVE),
    "GET /api/v1/me/reminders": R(SELF),
    "GET /api/v1/businesses/{business_id}/shared-dialogues": R(OWNER),
    "GET /cases": R(LIST),
    "POST /cases/{case_id}/actions/{action_id}/done": R(CASE_WRITE, form={}),
    "POST /api/v1/dialogue-actions/{action_id}/done": R(
        CASE_WRITE, json={"done_on": "2026-11-30", "purpose": "monitoring"}
    ),
    "GET /businesses/{business_id}/cases": R(LIST),  # only the cases and flags the caller sees
    "POST /businesses/{business_id}/cases": R(
        Category.PROFILE, form={"support_type": "improvement"}
    ),
    "GET /cases/{case_id}": R(Category.QUALITATIVE),
    "POST /cases/{case_id}": R(CASE_WRITE, form={"note": "x"}),
    "POST /cases/{case_id}/close": R(CASE_WRITE, form={"outcome": "improved"}),
    "POST /cases/{case_id}/non-financial": R(
        CASE_WRITE, form={"period": "2026", "item": "manager", "body": "x"}
    ),
    "POST /cases/{case_id}/dialogues": R(
        CASE_WRITE, form={"held_on": "2026-11-30", "channel": "phone", "topics": "x"}
    ),
    "GET /businesses/{business_id}/dialogues": R(OWNER),
    "POST /dialogues/{dialogue_id}/comments": R(CASE_COMMENT, form={"body": "x"}),
    # --- triage under staff limits (issue 13): the queue lists what the reader's flags allow;
    # assigning a business is reading its flags; capacities are the administrator's
    "GET /triage": R(LIST),
    "GET /triage/export.csv": R(LIST),
    "GET /triage/export.xlsx": R(LIST),
    "GET /api/v1/triage": R(LIST),
    "POST /businesses/{business_id}/triage/assign": R(
        Category.FLAGS, form={"officer_user_id": "1", "period": "2026-12"}
    ),
    "POST /api/v1/businesses/{business_id}/triage-assignment": R(
        Category.FLAGS, json={"officer_user_id": 1, "period": "2026-12", "purpose": "monitoring"}
    ),
    "POST /api/v1/businesses/{business_id}/triage-assignment/remove": R(
        Category.FLAGS, json={"period": "2026-12", "purpose": "monitoring"}
    ),
    "POST /admin/users/{user_id}/capacity": R(ADMIN, form={"per_month": "1"}),
    "PUT /api/v1/admin/users/{user_id}/capacity": R(ADMIN, json={"per_month": 1}),
    # --- teams (issue 13): the administrator's, on their own organisation (team_id: a team of
    # another organisation; user_id: the business's owner)
    "GET /admin/teams": R(ADMIN_OWN),
    "POST /admin/teams": R(ADMIN_OWN, form={"name": "新しいチーム"}),
    "POST /admin/teams/{team_id}/rename": R(ADMIN, form={"name": "改名"}),
    "POST /admin/teams/{team_id}/remove": R(ADMIN, form={}),
    "POST /admin/teams/{team_id}/members": R(ADMIN, form={"user_id": "1", "role": "member"}),
    "POST /admin/teams/{team_id}/members/{user_id}/remove": R(ADMIN, form={}),
    "GET /api/v1/admin/teams": R(ADMIN_OWN),
    "POST /api/v1/admin/teams": R(ADMIN_OWN, json={"name": "新しいチーム"}),
    "PATCH /api/v1/admin/teams/{team_id}": R(ADMIN, json={"name": "改名"}),
    "DELETE /api/v1/admin/teams/{team_id}": R(ADMIN),
    "PUT /api/v1/admin/teams/{team_id}/members/{user_id}": R(ADMIN, json={"role": "member"}),
    "DELETE /api/v1/admin/teams/{team_id}/members/{user_id}": R(ADMIN),
    # --- submission timeliness (issue 13): the business's financials
    "GET /businesses/{business_id}/timeliness": R(Category.FINANCIALS),
    "GET /api/v1/businesses/{business_id}/timeliness": R(Category.FINANCIALS),
    # --- interest-rate stress and grace-period ends on the store's portfolio (issue 14)
    "GET /businesses/{business_id}/stress": R(Category.FINANCIALS),
    "GET /api/v1/businesses/{business_id}/stress": R(Category.FINANCIALS),
    "GET /portfolio/stress": R(LIST),
    "GET /api/v1/stress": R(LIST),
    "GET /portfolio/grace": R(LIST),
    "GET /api/v1/grace": R(LIST),
    # --- business plans (issue 13): read under the financials consent; written by whoever may
    # submit the business's financial data (plan_id: the owner's plan of the business)
    "GET /businesses/{business_id}/plans": R(Category.FINANCIALS),
    "GET /businesses/{business_id}/plans/summary": R(Category.FINANCIALS),
    "POST /businesses/{business_id}/plans": R(
        UPLOAD, form={"kind": "business", "title": "計画"}, files=True, file_field="file"
    ),
    "GET /plans/{plan_id}": R(Category.FINANCIALS),
    "POST /plans/{plan_id}/import": R(UPLOAD, form={}, files=True, file_field="file"),
    "GET /api/v1/businesses/{business_id}/plans": R(Category.FINANCIALS),
    "POST /api/v1/businesses/{business_id}/plans": R(
        UPLOAD, json={"kind": "business", "title": "計画"}
    ),
    "GET /api/v1/plans/{plan_id}": R(Category.FINANCIALS),
    "POST /api/v1/plans/{plan_id}/versions": R(
        UPLOAD, json={"targets": [{"period": "2026-04-01", "sales": 1}]}
    ),
    "POST /api/v1/plans/{plan_id}/import": R(UPLOAD, form={}, files=True, file_field="file"),
    # --- downloads of the portfolio and a business's flags (issue 13), as the lists they copy
    "GET /portfolio/export.csv": R(LIST),
    "GET /portfolio/export.xlsx": R(LIST),
    "GET /businesses/{business_id}/flags/export.csv": R(Category.FLAGS),
    "GET /businesses/{business_id}/flags/export.xlsx": R(Category.FLAGS),
    "GET /changes": R(LIST),
    "GET /api/v1/changes": R(LIST),
    # --- referrals across organisations (issue 13)
    "GET /api/v1/referrals": R(LIST),
    "POST /api/v1/businesses/{business_id}/referrals": R(
        Category.PROFILE, json={"to_org_code": "cgc", "kind": "yorozu", "note": "x"}
    ),
    "GET /api/v1/referrals/{referral_id}": R(REFERRAL),
    "POST /api/v1/referrals/{referral_id}/approve": R(REFERRAL_OWNER, json={"share_flags": True}),
    "POST /api/v1/referrals/{referral_id}/refuse": R(REFERRAL_OWNER, json={}),
    "POST /api/v1/referrals/{referral_id}/accept": R(REFERRAL_RECEIVER, json={}),
    "POST /api/v1/referrals/{referral_id}/decline": R(REFERRAL_RECEIVER, json={"reason": "x"}),
    "POST /api/v1/referrals/{referral_id}/withdraw": R(REFERRAL_SENDER, json={}),
    "GET /referrals": R(LIST),
    "GET /referrals/{referral_id}": R(REFERRAL),
    "GET /businesses/{business_id}/referrals/new": R(Category.PROFILE),  # an officer's form
    "POST /businesses/{business_id}/referrals": R(
        Category.PROFILE, form={"to_org": "1", "kind": "yorozu", "note": "x"}
    ),
    "POST /referrals/{referral_id}/approve": R(REFERRAL_OWNER, form={"share_flags": "1"}),
    "POST /referrals/{referral_id}/refuse": R(REFERRAL_OWNER, form={}),
    "POST /referrals/{referral_id}/accept": R(REFERRAL_RECEIVER, form={}),
    "POST /referrals/{referral_id}/decline": R(REFERRAL_RECEIVER, form={"reason": "x"}),
    "POST /referrals/{referral_id}/withdraw": R(REFERRAL_SENDER, form={}),
    # --- reports on a business (issue 13): written by whoever reads its financials; read by
    # the author, the owner and the organisations it was sent to (report_id: the owner's
    # progress report, sent to bank A)
    "GET /api/v1/reports": R(LIST),
    "GET /api/v1/me/report-reminders": R(SELF),
    "GET /api/v1/businesses/{business_id}/report-recipients": R(Category.FINANCIALS),
    "POST /api/v1/businesses/{business_id}/reports": R(
        Category.FINANCIALS,
        json={"kind": "progress", "period_to": "2026-06", "purpose": "monitoring"},
    ),
    "GET /api/v1/reports/{report_id}": R(REPORT),
    "GET /api/v1/reports/{report_id}/report.pdf": R(REPORT),
    "PATCH /api/v1/reports/{report_id}": R(
        REPORT_AUTHOR, json={"comment": "x", "purpose": "monitoring"}
    ),
    "POST /api/v1/reports/{report_id}/send": R(REPORT_AUTHOR, json={"purpose": "monitoring"}),
    "POST /api/v1/reports/{report_id}/withdraw": R(REPORT_AUTHOR, json={"purpose": "monitoring"}),
    "POST /api/v1/reports/{report_id}/acknowledge": R(
        REPORT_RECIPIENT, json={"purpose": "monitoring"}
    ),
    "GET /reports": R(LIST),
    "GET /businesses/{business_id}/reports": R(Category.FINANCIALS),
    "GET /businesses/{business_id}/reports/new": R(Category.FINANCIALS),
    "POST /businesses/{business_id}/reports": R(
        Category.FINANCIALS, form={"kind": "progress", "period_to": "2026-06"}
    ),
    "GET /reports/{report_id}": R(REPORT),
    "GET /reports/{report_id}/report.pdf": R(REPORT),
    "POST /reports/{report_id}": R(REPORT_AUTHOR, form={"comment": "x"}),
    "POST /reports/{report_id}/send": R(REPORT_AUTHOR, form={}),
    "POST /reports/{report_id}/withdraw": R(REPORT_AUTHOR, form={}),
    "POST /reports/{report_id}/acknowledge": R(REPORT_RECIPIENT, form={}),
}

# Cases: (login, purpose asked for).
CASES: dict[str, tuple[str, Purpose]] = {
    "other_org": ("c_officer", Purpose.MONITORING),
    "no_consent": ("b_officer", Purpose.MONITORING),
    "expired": ("exp_officer", Purpose.MONITORING),
    "revoked": ("rev_officer", Purpose.MONITORING),
    "partial": ("part_officer", Purpose.MONITORING),
    "wrong_role_admin": ("a_admin", Purpose.MONITORING),
    "wrong_role_auditor": ("a_auditor", Purpose.MONITORING),
    "wrong_purpose": ("cgc_officer", Purpose.SUPPORT),
    "other_owner": ("other_owner", Purpose.MONITORING),
}
# Gates a case legitimately passes in this world (so it is no refusal case for that route):
# a lender or guarantor sees its own loans for any purpose (docs/security.md) and so knows the
# business (may ask it for consent); an
# organisation holding a live consent may ask for more.
PASSES: dict[str, set[Category | str]] = {
    # bank B lends to the business: it reads its own loan, records credit events on the
    # business and enters its own loans (naming another lender is a 409, audited)
    "no_consent": {Category.LOANS, LOAN_WRITE, ASK},  # a lender knows the business: may ask
    "wrong_purpose": {Category.LOANS, UPLOAD, ASK},
    "partial": {ASK, Category.QUALITATIVE},  # its 定性 consent reads cases (not writes them)
    "wrong_role_admin": {ADMIN_OWN, MODEL_ADMIN},  # its organisation's users, the models
    "wrong_role_auditor": {AUDITOR},  # its own organisation's audit log
}
# Cases whose own consent records (expired, revoked, partial or for another purpose) name the
# business: its name may show on their consent lists, nothing more.
NAME_MAY_SHOW = {"expired", "revoked", "partial", "wrong_purpose"}
NOT_REFUSING = {LIST, SELF, PUBLIC, FILE}
NOT_SENT = {
    "POST /login",
    "POST /logout",
    "POST /consent/grants",
    "PUT /api/v1/me/locale",
    "POST /loans/import",
    "POST /api/v1/loans/import",
    "POST /api/v1/credit-events/import",
    "PUT /api/v1/money-presets/{name}",
    "DELETE /api/v1/money-presets/{name}",
    "POST /api/v1/money-layouts/detect",
    "POST /money-presets",
    "POST /money-presets/delete",
}


def _app_routes() -> list[tuple[str, APIRoute]]:
    """Every route of the app as "METHOD path" (routers included in routers walked)."""
    settings = Settings(data_dir=Path("/nonexistent"), secret_key="x", audit_key=TEST_AUDIT_KEY)
    app = create_app(settings, store=_NoStore())
    out: list[tuple[str, APIRoute]] = []

    def walk(routes: list[Any], prefix: str) -> None:
        for r in routes:
            if isinstance(r, APIRoute):
                for m in sorted((r.methods or set()) - {"HEAD"}):
                    out.append((f"{m} {prefix}{r.path_format}", r))
            elif hasattr(r, "original_router"):
                walk(r.original_router.routes, prefix + (r.include_context.prefix or ""))

    walk(app.routes, "")
    return out


class _NoStore:
    """create_app needs a store only when serving; enumerating routes touches none."""

    url = "sqlite://"


def test_every_route_is_classified() -> None:
    found = {key for key, _ in _app_routes()}
    assert found, "no routes found: the app's routers are not walked"
    missing = sorted(found - set(ROUTES))
    assert not missing, (
        "classify these routes in ROUTES (tests/web/test_access_matrix.py): the data category "
        "or gate each guards and a minimal valid request:\n" + "\n".join(missing)
    )
    stale = sorted(set(ROUTES) - found)
    assert not stale, "ROUTES names routes the app no longer has:\n" + "\n".join(stale)
    # unsafe routes that refuse nobody are not sent (they act on the caller's own session,
    # preferences or business): each is named here on purpose
    unsent = {k for k, r in ROUTES.items() if r.gate in NOT_REFUSING and not k.startswith("GET ")}
    assert unsent == NOT_SENT, sorted(unsent ^ NOT_SENT)


def _takes_purpose(route: APIRoute) -> bool:
    return any(p.name == "purpose" for p in route.dependant.query_params)


def _matrix() -> list[Any]:
    routes = dict(_app_routes())
    out = []
    for key, spec in ROUTES.items():
        if key not in routes or spec.gate in NOT_REFUSING:
            continue
        for case in CASES:
            if spec.gate in PASSES.get(case, set()):
                continue
            if case == "wrong_purpose" and not (
                _takes_purpose(routes[key]) or "purpose" in (spec.json or spec.form or {})
            ):
                continue  # a route without a purpose: no wrong purpose to ask for
            out.append(pytest.param(key, case, id=f"{key}-{case}"))
    return out


# ---------------------------------------------------------------------------------- the world


@dataclass
class Matrix:
    store: Store
    client: TestClient
    world: WebWorld
    params: dict[str, Any]
    cookies: dict[str, dict[str, str]]
    csrf: dict[str, str]
    user_ids: dict[str, int]


def _extras(store: Store, w: WebWorld) -> dict[str, Any]:
    """One organisation with consent for one other category only; a consent request from bank
    A (linked as lender); the ids the routes' path parameters take."""
    today = date.today()
    with store.session() as s:
        business = s.get(Business, w.business_id)
        assert business is not None
        owner = next(u for u in business.organisation.users if u.role == Role.OWNER)
        from kizashi.access import Actor

        owner_actor = Actor.from_user(owner)
        part = do_add_organisation(
            s, SYSTEM, kind=OrgKind.REVITALIZATION, name="一部同意協議会", code="part"
        )
        do_add_user(
            s,
            SYSTEM,
            org=part,
            login="part_officer",
            password=PASSWORD,
            display_name="P",
            role=Role.OFFICER,
        )
        do_grant_consent(
            s,
            owner_actor,
            business=business,
            grantee=part,
            categories=[Category.QUALITATIVE],
            purpose=Purpose.MONITORING,
            valid_from=today - timedelta(days=3),
        )
        a_officer = s.execute(select(User).where(User.login == "a_officer")).scalar_one()
        req = do_request_consent(
            s,
            Actor.from_user(a_officer),
            business=business,
            categories=[Category.LOANS],
            purpose=Purpose.MONITORING,
            reason="借入状況の確認",
            valid_from=today,
            valid_to=None,
            expiry_days=30,
        )
        grant = s.execute(
            select(ConsentGrant.id).where(ConsentGrant.business_id == business.id).limit(1)
        ).scalar_one()
        s.flush()
        assert s.get(ConsentRequest, req.id) is not None
        return {
            "business_id": w.business_id,
            "flag_id": w.flag_id,
            "grant_id": grant,
            "request_id": req.id,
            "user_id": owner.id,
            "loan_id": s.execute(select(Loan.id).where(Loan.loan_number == "A-1")).scalar_one(),
            "version": "v20260101-000000",  # a model version (none exists: refused before that)
            "job_id": 1,  # a training job (none exists: refused before that)
            **_case_ids(s, a_officer, business.id),
            **_referral_ids(s, a_officer, business.id),
            **_team_ids(s, a_officer, part, business, owner_actor),
            "plan_id": _plan_id(s, owner, business.id),
            "report_id": _report_id(s, owner, business.id),
            "event_id": s.execute(
                select(func.min(AuditEvent.id)).where(AuditEvent.business_id == business.id)
            ).scalar_one(),
        }


def _plan_id(s: Any, owner: User, business_id: int) -> int:
    """The owner's plan of the business, one version (issue 13)."""
    from kizashi.access import Actor
    from kizashi.actions.plans import do_add_plan, do_add_plan_version
    from kizashi.domain.plans import Granularity, PlanKind

    actor = Actor.from_user(owner)
    plan = do_add_plan(s, actor, business_id, kind=PlanKind.BUSINESS, title="事業計画")
    do_add_plan_version(
        s, actor, plan.id, granularity=Granularity.MONTHLY, targets={date(2026, 4, 1): {"sales": 1}}
    )
    return plan.id


def _report_id(s: Any, owner: User, business_id: int) -> int:
    """The owner's progress report on the business, sent to bank A (issue 13)."""
    from kizashi.access import Actor
    from kizashi.actions.reports import do_create_report, do_send_report
    from kizashi.domain.reports import ReportCadence, ReportKind
    from kizashi.store.models import Organisation

    bank_a = s.execute(select(Organisation.id).where(Organisation.code == "bank-a")).scalar_one()
    actor = Actor.from_user(owner)
    report = do_create_report(
        s,
        actor,
        business_id,
        kind=ReportKind.PROGRESS,
        period_to=date(2026, 9, 1),
        purpose=Purpose.MONITORING,
        cadence=ReportCadence.NONE,
        recipients=[bank_a],
        comment="順調",
    )
    do_send_report(s, actor, report.id, purpose=Purpose.MONITORING)
    return report.id


def _case_ids(s: Any, officer: User, business_id: int) -> dict[str, int]:
    """Bank A's support case on the business, a dialogue record shared with the owner and its
    attachment (issue 13)."""
    import tempfile

    from kizashi.access import Actor
    from kizashi.actions.cases import ActionInput, DialogueInput, do_add_dialogue, do_open_case
    from kizashi.domain.support import ActionParty, Channel, SupportType
    from kizashi.store.support_models import DialogueAction, DialogueAttachment

    actor = Actor.from_user(officer)
    case = do_open_case(
        s,
        actor,
        business_id=business_id,
        purpose=Purpose.MONITORING,
        support_type=SupportType.IMPROVEMENT,
    )
    rec = do_add_dialogue(
        s,
        actor,
        case_id=case.id,
        dialogue=DialogueInput(
            held_on=date.today(),
            channel=Channel.VISIT,
            topics="面談の中身",
            shared_with_owner=True,
            attachments=[("memo.txt", b"memo")],
            actions=[ActionInput("資料を送る", ActionParty.OFFICER, date.today())],
        ),
        purpose=Purpose.MONITORING,
        raw_dir=Path(tempfile.mkdtemp()),
    )
    s.flush()
    att = s.execute(select(DialogueAttachment.id)).scalars().first()
    action = s.execute(select(DialogueAction.id)).scalars().first()
    return {"case_id": case.id, "dialogue_id": rec.id, "attachment_id": att, "action_id": action}


def _team_ids(
    s: Any, officer: User, other_org: Any, business: Business, owner: Any
) -> dict[str, int]:
    """A team of another organisation (the team routes' ``team_id``); bank A's team 融資一課,
    managed by a_officer, who holds the business this month (bank A is given a flags consent:
    assigning is reading the business's flags), with a plain member a_member."""
    from kizashi.access import Actor
    from kizashi.actions.teams import do_add_team, do_set_team_member
    from kizashi.actions.triage import do_assign_triage, do_set_capacity
    from kizashi.domain.vocabulary import TeamRole

    other = do_add_team(s, SYSTEM, name="他組織のチーム", org_id=other_org.id)
    do_grant_consent(
        s,
        owner,
        business=business,
        grantee=officer.organisation,
        categories=[Category.FLAGS],
        purpose=Purpose.MONITORING,
        valid_from=date.today() - timedelta(days=3),
    )
    business_id = business.id
    member = do_add_user(
        s,
        SYSTEM,
        org=officer.organisation,
        login="a_member",
        password=PASSWORD,
        display_name="A銀行 一般担当",
        role=Role.OFFICER,
    )
    team = do_add_team(s, SYSTEM, name="融資一課", org_id=officer.org_id)
    do_set_team_member(s, SYSTEM, team_id=team.id, user_id=officer.id, role=TeamRole.MANAGER)
    do_set_team_member(s, SYSTEM, team_id=team.id, user_id=member.id, role=TeamRole.MEMBER)
    for u in (officer, member):
        do_set_capacity(s, SYSTEM, user_id=u.id, per_month=5)
    do_assign_triage(
        s,
        Actor.from_user(officer),
        business_id=business_id,
        officer_user_id=officer.id,
        period=date.today(),
    )
    return {"team_id": other.id, "a_member_id": member.id, "a_manager_id": officer.id}


def _referral_ids(s: Any, officer: User, business_id: int) -> dict[str, int]:
    """Bank A's referral of the business to C銀行, waiting for the owner (issue 13)."""
    from kizashi.access import Actor
    from kizashi.actions.referrals import do_create_referral
    from kizashi.domain.referrals import ReferralKind
    from kizashi.store.models import Organisation

    bank_c = s.execute(select(Organisation.id).where(Organisation.code == "bank-c")).scalar_one()
    ref = do_create_referral(
        s,
        Actor.from_user(officer),
        business_id=business_id,
        to_org_id=bank_c,
        kind=ReferralKind.YOROZU,
        note="引継ぎ",
    )
    return {"referral_id": ref.id}


@pytest.fixture(scope="module", params=BACKENDS)
def matrix(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Matrix]:
    tmp = tmp_path_factory.mktemp("matrix")
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("_sqlite_template")
        shutil.copy(template, tmp / "kizashi.db")
        store = Store(f"sqlite:///{tmp / 'kizashi.db'}", audit_key=TEST_AUDIT_KEY)
    else:
        store = request.getfixturevalue("_pg_store")
        _truncate_all(store)
    world = build_web_world(store)
    params = _extras(store, world)
    settings = Settings(
        data_dir=tmp / "data",
        database_url=store.url,
        secret_key="test-secret",
        audit_key=TEST_AUDIT_KEY,
    )
    app = create_app(settings, store)
    with TestClient(app, follow_redirects=False) as client:
        cookies, csrf, user_ids = {}, {}, {}
        for case, (name, _) in CASES.items():
            client.cookies.clear()
            login(client, name)
            cookies[case] = dict(client.cookies)
            csrf[case] = client.get("/api/v1/me").json()["csrf_token"]
        with store.session() as s:
            for case, (name, _) in CASES.items():
                user_ids[case] = s.execute(select(User.id).where(User.login == name)).scalar_one()
        yield Matrix(store, client, world, params, cookies, csrf, user_ids)
    if request.param == "sqlite":
        store.dispose()


def _secrets(w: WebWorld) -> list[str]:
    """The business's data: none of it may be in a refusal."""
    return [
        w.business_name,
        w.corporate_number,
        "テスト工業",
        *_deep_secrets(),
    ]


def _deep_secrets() -> list[str]:
    """Data no case may see anywhere, even where the business's name is fair to show (e.g. an
    organisation's own, expired consent names the business that gave it)."""
    return [
        "24,000,000",
        "24000000",
        "A銀行の延滞メモ",
        "B信金の条件変更メモ",
        FLAG_TITLE,
        FLAG_EVIDENCE,
        "cash.low_liquidity",
        "借入状況の確認",  # bank A's consent request reason
    ]


_SKIP_TABLES = {"web_session", "login_throttle"}  # a request may touch the caller's session


def _fingerprint(store: Store) -> str:
    """Every row of every table but the audit log and sessions: a refusal changes none."""
    h = hashlib.sha256()
    with store.session() as s:
        for t in metadata.sorted_tables:
            if t.name.startswith("audit") or t.name in _SKIP_TABLES:
                continue
            cols = ", ".join(f'"{c.name}"' for c in t.columns)
            pk = ", ".join(f'"{c.name}"' for c in t.primary_key.columns) or "1"
            for row in s.execute(text(f'SELECT {cols} FROM "{t.name}" ORDER BY {pk}')):
                h.update(repr(tuple(row)).encode())
    return h.hexdigest()


def _last_audit_id(store: Store) -> int:
    with store.session() as s:
        return s.execute(select(func.coalesce(func.max(AuditEvent.id), 0))).scalar_one()


def _send(m: Matrix, key: str, case: str, purpose: Purpose) -> Any:
    spec = ROUTES[key]
    method, path = key.split(" ", 1)
    url = path.format(**{k: m.params[k] for k in m.params if "{" + k + "}" in path})
    route = dict(_ROUTES_CACHE)[key]
    query = dict(spec.query)
    if _takes_purpose(route):
        query["purpose"] = purpose.value
    m.client.cookies.clear()
    m.client.cookies.update(m.cookies[case])
    headers = {"X-CSRF-Token": m.csrf[case]}
    kw: dict[str, Any] = {"params": query, "headers": headers}
    if spec.json is not None:
        body = dict(spec.json)
        if "purpose" in body:
            body["purpose"] = purpose.value if body["purpose"] == "monitoring" else body["purpose"]
        kw["json"] = body
    elif spec.form is not None or spec.files:
        form = dict(spec.form or {})
        if form.get("purpose") == "monitoring":
            form["purpose"] = purpose.value
        if not path.startswith("/api/"):
            form["csrf_token"] = m.csrf[case]
        kw["data"] = form
        if spec.files:
            kw["files"] = {
                spec.file_field: ("tb.csv", "科目,金額\n売上高,100\n".encode(), "text/csv")
            }
    return m.client.request(method, url, **kw)


_ROUTES_CACHE = _app_routes()


@pytest.mark.parametrize(("route", "case"), _matrix())
def test_refused_without_leak_and_audited(matrix: Matrix, route: str, case: str) -> None:
    m = matrix
    _, purpose = CASES[case]
    before = _fingerprint(m.store)
    last = _last_audit_id(m.store)
    r = _send(m, route, case, purpose)
    assert r.status_code in (403, 404), (route, case, r.status_code, r.text[:300])
    for secret in _secrets(m.world):
        assert secret not in r.text, (route, case, secret)
    assert _fingerprint(m.store) == before, (route, case, "the store changed")
    with m.store.session() as s:
        denials = (
            s.execute(select(AuditEvent).where(AuditEvent.id > last, AuditEvent.decision == "deny"))
            .scalars()
            .all()
        )
    assert denials, (route, case, "the refusal is not in the audit log")
    assert all(d.actor_user_id == m.user_ids[case] for d in denials), (route, case)


def _open_routes() -> list[Any]:
    routes = dict(_ROUTES_CACHE)
    return [
        pytest.param(key, case, id=f"{key}-{case}")
        for key, spec in ROUTES.items()
        if spec.gate in NOT_REFUSING and key.startswith("GET ") and key in routes
        for case in CASES
        # asked without a purpose, the guarantor's case is its own monitoring view
        if case != "wrong_purpose" or _takes_purpose(routes[key])
    ]


@pytest.mark.parametrize(("route", "case"), _open_routes())
def test_lists_and_own_pages_carry_no_business_data(matrix: Matrix, route: str, case: str) -> None:
    """Routes that refuse nobody show each case nothing of the business it may not read."""
    m = matrix
    _, purpose = CASES[case]
    r = _send(m, route, case, purpose)
    assert r.status_code in (200, 303, 403, 404), (route, case, r.status_code)
    secrets = _deep_secrets()
    if case not in NAME_MAY_SHOW:
        secrets += _secrets(m.world)
    for secret in secrets:
        assert secret not in r.text, (route, case, secret)


_MANAGERS_ONLY = {
    "POST /businesses/{business_id}/triage/assign": "form",
    "POST /api/v1/businesses/{business_id}/triage-assignment": "json",
    "POST /api/v1/businesses/{business_id}/triage-assignment/remove": "json",
}


@pytest.mark.parametrize("route", sorted(_MANAGERS_ONLY))
def test_a_plain_officer_does_not_reassign(matrix: Matrix, route: str) -> None:
    """The wrong role within a team: a member of bank A's team (which holds a flags consent)
    who is not its manager may not take the business its manager holds or take it off the
    manager's list — refused, audited, nothing changed."""
    m = matrix
    method, path = route.split(" ", 1)
    url = path.format(business_id=m.params["business_id"])
    period = f"{date.today():%Y-%m}"
    m.client.cookies.clear()
    login(m.client, "a_member")  # a session of its own: the cases' cookies are kept apart
    token = m.client.get("/api/v1/me").json()["csrf_token"]
    with m.store.session() as s:
        member = s.execute(select(User.id).where(User.login == "a_member")).scalar_one()
    body: dict[str, Any] = {"period": period}
    if not route.endswith("/remove"):
        body["officer_user_id"] = member  # take the business the manager holds
    before = _fingerprint(m.store)
    last = _last_audit_id(m.store)
    if _MANAGERS_ONLY[route] == "form":
        data = {k: str(v) for k, v in body.items()} | {"csrf_token": token}
        r = m.client.request(method, url, data=data)
    else:
        r = m.client.request(method, url, json=body, headers={"X-CSRF-Token": token})
    assert r.status_code in (403, 404), (route, r.status_code, r.text[:300])
    assert _fingerprint(m.store) == before, (route, "the store changed")
    with m.store.session() as s:
        denials = (
            s.execute(select(AuditEvent).where(AuditEvent.id > last, AuditEvent.decision == "deny"))
            .scalars()
            .all()
        )
    assert [d.actor_user_id for d in denials] == [member], route
    m.client.cookies.clear()
