"""Invoices matched to the money that paid them (入金消込): pure rules, no database.

An issued invoice is paid by deposits (money in); a received invoice by payments (money out).
``match_payments`` walks the movements in date order and allocates each to the open invoices
of its direction, by these rules (the first that applies wins):

1. **exact** — one open invoice whose outstanding amount equals the movement;
2. **fee** — one open invoice whose outstanding amount exceeds the movement by a transfer fee
   the payer deducted (振込手数料の差引): a shortfall that is a multiple of 11 yen from 110 to
   990 yen (a fee in whole 10 yen plus 10 % consumption tax: 110, 165, 220, 330, 440, 550, 660,
   770, 880 …). The invoice is settled; the shortfall is recorded as the fee;
3. **combined** — several open invoices of one counterparty (its ten oldest due) whose
   outstanding amounts add up to the movement (else to the movement plus a fee as in rule 2, the
   smallest fee; fewest invoices first, then the oldest due; the fee goes to the latest due);
4. **partial** — the movement names the counterparty (rule "same" below) but pays less than
   its oldest open invoice, or more than one but not a combination: it is allocated in due-date
   order, the last invoice partly, never more than the movement.

**Window.** A movement may pay an invoice from its issue date until ``days_after_due`` days
after its due date (60 by default; without a due date, ``days_without_due`` after issue).

**Counterparty.** The movement's remitter and description are compared with the invoice's
counterparty (``party_verdict``): "same" when its 法人番号 or T番号 appears in them or the
names agree once normalised (NFKC, half-width kana widened, small kana and hiragana folded to
katakana, 株式会社/カ)/(株) and punctuation dropped, one contained in the other); "other" when both
are written in comparable script (both with kanji, or both kana/latin) and disagree — never
matched; "unknown" otherwise (a bank's half-width kana remitter against a kanji name).
When some candidate is "same", only those are considered; with only "unknown" candidates a
rule applies only when all its solutions belong to one counterparty (an amount two customers
could have paid stays open). Rule 4 needs "same".

Amounts are integer yen; an allocation never exceeds its movement nor the invoice's outstanding
amount (less the fee). Credit notes and invoices with nothing payable are not matched.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

FEE_MIN_YEN = 110
FEE_MAX_YEN = 990
FEE_STEP_YEN = 11  # whole 10 yen plus 10 % consumption tax
MAX_COMBINED = 10  # open invoices of one counterparty searched for a combination (oldest due)

Verdict = Literal["same", "other", "unknown"]


class MatchRule(enum.StrEnum):
    EXACT = "exact"
    FEE = "fee"
    COMBINED = "combined"
    PARTIAL = "partial"


def is_transfer_fee(shortfall_yen: int) -> bool:
    """Whether a payer plausibly deducted ``shortfall_yen`` as its transfer fee (rule 2)."""
    return FEE_MIN_YEN <= shortfall_yen <= FEE_MAX_YEN and shortfall_yen % FEE_STEP_YEN == 0


@dataclass(frozen=True, slots=True)
class OpenInvoice:
    """An invoice to be paid: ``amount_yen`` is what is payable (positive)."""

    id: int
    direction: str  # "issued" (paid by deposits) or "received" (paid by payments)
    counterparty_id: int
    name: str
    issue_date: date
    amount_yen: int
    due_date: date | None = None
    registration_number: str = ""  # T + 13 digits
    corporate_number: str = ""


@dataclass(frozen=True, slots=True)
class Movement:
    """A bank movement: ``amount_yen`` + in, − out; ``text`` its remitter and description."""

    id: int
    booked_on: date
    amount_yen: int
    text: str = ""


@dataclass(frozen=True, slots=True)
class Allocation:
    invoice_id: int
    transaction_id: int
    amount_yen: int  # taken from the movement (> 0)
    fee_yen: int  # the payer's deducted transfer fee settled with it (≥ 0)
    rule: MatchRule


@dataclass(frozen=True, slots=True)
class MatchWindow:
    days_after_due: int = 60
    days_without_due: int = 120


# --------------------------------------------------------------------------- names


_HIRAGANA = {c: c + 0x60 for c in range(0x3041, 0x3097)}
_SMALL = str.maketrans("ァィゥェォッャュョヮヵヶ", "アイウエオツヤユヨワカケ")
_LEGAL = (
    "株式会社",
    "有限会社",
    "合同会社",
    "合資会社",
    "合名会社",
    "一般社団法人",
    "(株)",
    "(有)",
    "(同)",
    "カブシキガイシヤ",
    "カブシキカイシヤ",
    "ユウゲンガイシヤ",
    "ゴウドウガイシヤ",
    "(カ)",
    "(ユ)",
    "(ド)",
    "カ)",
    "(カ",
    "ユ)",
    "(ユ",
    "ド)",
    "(ド",
)
# words a bank or an internet-banking statement puts around the remitter's name
_NOISE = ("振込入金", "フリコミニユウキン", "振込", "フリコミ", "入金", "ニユウキン", "送金")


def name_core(text: str) -> str:
    """A name reduced for comparison (see the module doc: "Counterparty")."""
    key = unicodedata.normalize("NFKC", text).upper().translate(_HIRAGANA).translate(_SMALL)
    key = re.sub(r"\s", "", key)
    for form in _LEGAL:
        key = key.replace(form, "")
    return re.sub(r"[\.\,\-ー‐・･()（）「」\[\]/]", "", key)


def _has_kanji(s: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in s)


def party_verdict(text: str, inv: OpenInvoice) -> Verdict:
    """Whether a movement's words name the invoice's counterparty (module doc)."""
    digits = re.sub(r"\D", "", unicodedata.normalize("NFKC", text))
    for number in (inv.corporate_number, inv.registration_number[1:]):
        if len(number) == 13 and number in digits:
            return "same"
    core = name_core(text)
    for word in _NOISE:
        core = core.replace(name_core(word), "")
    name = name_core(inv.name)
    if not core or not name:
        return "unknown"
    if name in core or (len(core) >= 2 and core in name):
        return "same"
    if _has_kanji(core) == _has_kanji(name):
        return "other"
    return "unknown"


# --------------------------------------------------------------------------- matching


def _last_day(inv: OpenInvoice, window: MatchWindow) -> date:
    if inv.due_date is not None:
        return max(inv.due_date, inv.issue_date) + timedelta(days=window.days_after_due)
    return inv.issue_date + timedelta(days=window.days_without_due)


def _order(inv: OpenInvoice) -> tuple[date, date, int]:
    return (inv.due_date or inv.issue_date, inv.issue_date, inv.id)


def match_payments(
    invoices: Iterable[OpenInvoice],
    movements: Iterable[Movement],
    *,
    window: MatchWindow | None = None,
) -> list[Allocation]:
    """The allocations of ``movements`` to ``invoices`` by the rules of the module doc.

    The movements are taken in date order, so an invoice enters the candidates on its issue
    date and leaves them for good after its last day or once settled: each movement looks at
    the invoices open in its window only.
    """
    window = window or MatchWindow()
    pending = sorted(
        (i for i in invoices if i.amount_yen > 0 and i.direction in ("issued", "received")),
        key=lambda i: (i.issue_date, _order(i)),
    )
    outstanding = {i.id: i.amount_yen for i in pending}
    last = {i.id: _last_day(i, window) for i in pending}
    verdicts: dict[tuple[str, int], Verdict] = {}
    sums: dict[tuple[tuple[int, int], ...], _Sums] = {}
    active: list[OpenInvoice] = []
    nxt = 0
    out: list[Allocation] = []
    for mv in sorted(movements, key=lambda m: (m.booked_on, m.id)):
        if mv.amount_yen == 0:
            continue
        while nxt < len(pending) and pending[nxt].issue_date <= mv.booked_on:
            active.append(pending[nxt])
            nxt += 1
        active = [i for i in active if outstanding[i.id] > 0 and last[i.id] >= mv.booked_on]
        direction = "issued" if mv.amount_yen > 0 else "received"
        paid = abs(mv.amount_yen)
        same: list[OpenInvoice] = []
        unknown: list[OpenInvoice] = []
        for inv in sorted((i for i in active if i.direction == direction), key=_order):
            key = (mv.text, inv.counterparty_id)
            if key not in verdicts:
                verdicts[key] = party_verdict(mv.text, inv)
            verdict = verdicts[key]
            if verdict == "same":
                same.append(inv)
            elif verdict == "unknown":
                unknown.append(inv)
        found = _allocate(mv, paid, same, unknown, outstanding, sums)
        for a in found:
            outstanding[a.invoice_id] -= a.amount_yen + a.fee_yen
        out.extend(found)
    return out


def _single(
    mv: Movement, paid: int, cands: Sequence[OpenInvoice], outstanding: dict[int, int]
) -> list[Allocation] | None:
    """Rules 1 and 2 among ``cands``; None when none applies or the answer is ambiguous."""
    for rule in (MatchRule.EXACT, MatchRule.FEE):
        hits = [
            i
            for i in cands
            if (
                outstanding[i.id] == paid
                if rule is MatchRule.EXACT
                else is_transfer_fee(outstanding[i.id] - paid)
            )
        ]
        if hits:
            if len({i.counterparty_id for i in hits}) > 1:
                return None
            inv = hits[0]  # the oldest due of that counterparty
            return [Allocation(inv.id, mv.id, paid, outstanding[inv.id] - paid, rule)]
    return None


class _Sums:
    """Every combination (two or more) of up to ``MAX_COMBINED`` open amounts, by its total:
    the preferred combination per total (fewest invoices, then the oldest due), and the totals
    sorted for the fee window."""

    def __init__(self, amounts: Sequence[int]) -> None:
        best: dict[int, tuple[int, tuple[int, ...]]] = {}
        entries: list[tuple[int, tuple[int, ...]]] = [(0, ())]
        for idx, x in enumerate(amounts):
            entries += [(t + x, (*combo, idx)) for t, combo in entries]
        for total, combo in entries:
            if len(combo) < 2:
                continue
            rank = (len(combo), combo)
            if total not in best or rank < best[total]:
                best[total] = rank
        self.best = {t: c for t, (_, c) in best.items()}
        self.totals = sorted(best)

    def find(self, paid: int) -> tuple[tuple[int, ...], int] | None:
        """(combination, fee): the total equal to ``paid``, else the smallest fee above it."""
        if paid in self.best:
            return self.best[paid], 0
        lo = bisect_left(self.totals, paid + FEE_MIN_YEN)
        hi = bisect_right(self.totals, paid + FEE_MAX_YEN)
        for total in self.totals[lo:hi]:
            if is_transfer_fee(total - paid):
                return self.best[total], total - paid
        return None


def _combined(
    mv: Movement,
    paid: int,
    cands: Sequence[OpenInvoice],
    outstanding: dict[int, int],
    sums: dict[tuple[tuple[int, int], ...], _Sums],
) -> list[Allocation] | None:
    """Rule 3 among ``cands``: one counterparty's invoices adding up to the movement (exactly,
    else less a fee). The combinations of a group's open amounts are kept between movements."""
    groups: dict[int, list[OpenInvoice]] = {}
    for inv in cands:
        groups.setdefault(inv.counterparty_id, []).append(inv)
    answers: list[list[Allocation]] = []
    for invs in groups.values():
        invs = invs[:MAX_COMBINED]
        amounts = [outstanding[i.id] for i in invs]
        if len(invs) < 2 or sum(amounts) < paid:
            continue
        key = tuple((i.id, a) for i, a in zip(invs, amounts, strict=True))
        if key not in sums:
            sums[key] = _Sums(amounts)
        hit = sums[key].find(paid)
        if hit is None:
            continue
        combo, fee = hit
        chosen = [invs[k] for k in combo]
        allocs = [
            Allocation(i.id, mv.id, outstanding[i.id], 0, MatchRule.COMBINED) for i in chosen[:-1]
        ]
        end = chosen[-1]
        allocs.append(Allocation(end.id, mv.id, outstanding[end.id] - fee, fee, MatchRule.COMBINED))
        answers.append(allocs)
    return answers[0] if len(answers) == 1 else None


def _partial(
    mv: Movement, paid: int, same: Sequence[OpenInvoice], outstanding: dict[int, int]
) -> list[Allocation]:
    """Rule 4: the movement spread over the named counterparty's invoices, oldest due first."""
    left = paid
    out = []
    for inv in same:
        if left <= 0:
            break
        take = min(left, outstanding[inv.id])
        out.append(Allocation(inv.id, mv.id, take, 0, MatchRule.PARTIAL))
        left -= take
    return out


def _allocate(
    mv: Movement,
    paid: int,
    same: list[OpenInvoice],
    unknown: list[OpenInvoice],
    outstanding: dict[int, int],
    sums: dict[tuple[tuple[int, int], ...], _Sums],
) -> list[Allocation]:
    cands = same or unknown  # words naming the counterparty settle whose money it is
    if not cands:
        return []
    found = _single(mv, paid, cands, outstanding)
    if found is None:
        found = _combined(mv, paid, cands, outstanding, sums)
    if found is None and same:
        found = _partial(mv, paid, same, outstanding)
    return found or []


def settled(invoices: Iterable[OpenInvoice], allocations: Iterable[Allocation]) -> dict[int, int]:
    """Per invoice id: the amount settled (payments plus deducted fees)."""
    out = {i.id: 0 for i in invoices}
    for a in allocations:
        out[a.invoice_id] = out.get(a.invoice_id, 0) + a.amount_yen + a.fee_yen
    return out
