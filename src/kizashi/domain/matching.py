"""Invoices matched to the money that paid them (入金消込): pure rules, no database.

An issued invoice is paid by deposits (money in); a received invoice by payments (money out).
``match_payments`` walks the movements in date order and allocates each to the open invoices
of its direction. First the candidates:

- **invoice number** — when the movement's words (remitter, 摘要, EDI information) carry the
  number of open invoices (``number_key``/``number_tokens``: at least 3 characters with a digit,
  as a whole run of letters and digits or a part of one between ``-_/#.:``) whose counterparty
  is not "other", the candidates are those invoices only, and rule 4 may apply;
- else the invoices of the counterparties the words name ("same", below), else those of the
  counterparties they may name ("unknown").

Then the rules, the first that applies wins:

1. **exact** — one open invoice whose outstanding amount equals the movement;
2. **fee** — one open invoice whose outstanding amount exceeds the movement by a transfer fee
   the payer deducted (振込手数料の差引): a shortfall that is a multiple of 11 yen from 110 to
   990 yen (a fee in whole 10 yen plus 10 % consumption tax: 110, 165, 220, 330, 440, 550, 660,
   770, 880 …). The invoice is settled; the shortfall is recorded as the fee;
3. **combined** — several open invoices of one counterparty (its ten oldest due) whose
   outstanding amounts add up to the movement (else to the movement plus a fee as in rule 2, the
   smallest fee; fewest invoices first, then the oldest due; the fee goes to the latest due
   whose outstanding amount exceeds it);
4. **partial** — the movement names the counterparty ("same") or the invoices (by number) but
   fits none of the above. If one later movement within ``LOOKAHEAD_DAYS`` (60) that also
   names it (else two such movements together) pays exactly the rest of one of its invoices
   (its outstanding amount less this movement, or that less a fee as in rule 2), this movement
   goes to that invoice (the oldest due if several): the parts of a 分割入金 (up to three)
   settle one invoice instead of leaving two part-paid.
   Else it is allocated in due-date order (oldest due first), the last invoice partly, never
   more than the movement.

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
could have paid stays open). Rule 4 needs "same" or an invoice number.

**Resuming.** A movement's allocation depends only on the earlier movements (through the open
amounts) and on the movements up to ``LOOKAHEAD_DAYS`` after it: a movement or invoice added
on day D changes nothing before ``earliest_affected(D)``, and matching from that day with the
open amounts of that day gives what matching from scratch gives.

Amounts are integer yen; an allocation never exceeds its movement nor the invoice's outstanding
amount (less the fee). Credit notes and invoices with nothing payable are not matched.
"""

from __future__ import annotations

import enum
import heapq
import re
import unicodedata
from bisect import bisect_left, bisect_right, insort
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from typing import Any, Literal

FEE_MIN_YEN = 110
FEE_MAX_YEN = 990
FEE_STEP_YEN = 11  # whole 10 yen plus 10 % consumption tax
MAX_COMBINED = 10  # open invoices of one counterparty searched for a combination (oldest due)
LOOKAHEAD_DAYS = 60  # a part payment's remainder is looked for this many days ahead (rule 4)
MAX_PARTS_SEEN = 12  # later movements per invoice looked at by rule 4 (pairs: 66 sums)

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
    number: str = ""  # the invoice number (請求書番号), looked for in the movement's words


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


@lru_cache(maxsize=65_536)
def name_core(text: str) -> str:
    """A name reduced for comparison (see the module doc: "Counterparty")."""
    key = unicodedata.normalize("NFKC", text).upper().translate(_HIRAGANA).translate(_SMALL)
    key = re.sub(r"\s", "", key)
    for form in _LEGAL:
        key = key.replace(form, "")
    return re.sub(r"[\.\,\-ー‐・･()（）「」\[\]/]", "", key)


_NOISE_CORES = tuple(name_core(w) for w in _NOISE)


@lru_cache(maxsize=65_536)
def _words(text: str) -> tuple[str, str, bool]:
    """A movement's words: their digits, their core as a name (the bank's own words dropped)
    and whether that core has kanji."""
    core = name_core(text)
    for word in _NOISE_CORES:
        core = core.replace(word, "")
    return re.sub(r"\D", "", unicodedata.normalize("NFKC", text)), core, _has_kanji(core)


@lru_cache(maxsize=65_536)
def _name(name: str) -> tuple[str, bool]:
    core = name_core(name)
    return core, _has_kanji(core)


def _has_kanji(s: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in s)


def party_verdict(text: str, inv: OpenInvoice) -> Verdict:
    """Whether a movement's words name the invoice's counterparty (module doc)."""
    digits, core, core_kanji = _words(text)
    for number in (inv.corporate_number, inv.registration_number[1:]):
        if len(number) == 13 and number in digits:
            return "same"
    name, name_kanji = _name(inv.name)
    if not core or not name:
        return "unknown"
    if name in core or (len(core) >= 2 and core in name):
        return "same"
    if core_kanji == name_kanji:
        return "other"
    return "unknown"


# --------------------------------------------------------------------------- invoice numbers

_RUN = re.compile(r"[0-9A-Z]+(?:[-_/#.:][0-9A-Z]+)*")
_PART = re.compile(r"[0-9A-Z]+")


def number_key(number: str) -> str:
    """An invoice number as looked for in a movement's words (NFKC, upper case, no spaces);
    "" when it cannot name an invoice (shorter than 3 characters or without a digit)."""
    key = re.sub(r"\s", "", unicodedata.normalize("NFKC", number).upper())
    return key if len(key) >= 3 and any(c.isdigit() for c in key) else ""


@lru_cache(maxsize=65_536)
def number_tokens(text: str) -> frozenset[str]:
    """The keys an invoice number may match in a movement's words: every run of letters and
    digits (with the ``-_/#.:`` inside it), and every part of such a run between separators
    ("INV-2024-0156" gives INV-2024-0156, INV-2024, 2024-0156, INV, 2024, 0156 …)."""
    out: set[str] = set()
    for run in _RUN.findall(unicodedata.normalize("NFKC", text).upper()):
        spans = [m.span() for m in _PART.finditer(run)]
        for i, (start, _) in enumerate(spans):
            for _, end in spans[i:]:
                out.add(run[start:end])
    return frozenset(out)


# --------------------------------------------------------------------------- matching


def _last_day(inv: OpenInvoice, window: MatchWindow) -> date:
    if inv.due_date is not None:
        return max(inv.due_date, inv.issue_date) + timedelta(days=window.days_after_due)
    return inv.issue_date + timedelta(days=window.days_without_due)


def _order(inv: OpenInvoice) -> tuple[date, date, int]:
    return (inv.due_date or inv.issue_date, inv.issue_date, inv.id)


def earliest_affected(changed_on: date) -> date:
    """The first day whose matches may change when a movement booked, or an invoice issued, on
    ``changed_on`` is added: a part payment looks ``LOOKAHEAD_DAYS`` ahead for its remainder,
    so movements up to that many days earlier may be allocated otherwise (``actions.matching``
    re-matches from there)."""
    return changed_on - timedelta(days=LOOKAHEAD_DAYS)


def match_payments(
    invoices: Iterable[OpenInvoice],
    movements: Iterable[Movement],
    *,
    window: MatchWindow | None = None,
) -> list[Allocation]:
    """The allocations of ``movements`` to ``invoices`` by the rules of the module doc.

    The movements are taken in date order; an invoice enters the candidates on its issue date
    and leaves them for good after its last day or once settled. The open invoices are indexed
    by direction, counterparty, open amount and number, so a movement looks up its candidates
    instead of scanning them (about O(counterparties + fees) per movement).

    Passing an invoice's still-open amount as ``amount_yen`` and only the movements from a day
    on continues a matching from that day: what happened before only shows in the open amounts
    (``actions.matching`` resumes this way).
    """
    book = _Book(invoices, window or MatchWindow())
    moves = sorted((m for m in movements if m.amount_yen != 0), key=lambda m: (m.booked_on, m.id))
    book.dates = [m.booked_on for m in moves]
    out: list[Allocation] = []
    for k, mv in enumerate(moves):
        book.advance(mv.booked_on)
        found = book.allocate(moves, k)
        for a in found:
            book.take(a.invoice_id, a.amount_yen + a.fee_yen)
        out.extend(found)
    return out


def _direction(mv: Movement) -> str:
    return "issued" if mv.amount_yen > 0 else "received"


class _Book:
    """The open invoices on the current day, indexed (see ``match_payments``)."""

    def __init__(self, invoices: Iterable[OpenInvoice], window: MatchWindow) -> None:
        self.pending = sorted(
            (i for i in invoices if i.amount_yen > 0 and i.direction in ("issued", "received")),
            key=lambda i: (i.issue_date, _order(i)),
        )
        self.window = window
        self.nxt = 0
        self.open: dict[int, int] = {}  # invoice id → open amount (> 0), active ones only
        self.invoice: dict[int, OpenInvoice] = {}
        self.expiry: list[tuple[date, int]] = []  # heap of (last day, invoice id)
        d = ("issued", "received")
        self.by_cp: dict[str, dict[int, list[OpenInvoice]]] = {x: {} for x in d}  # _order
        self.by_amount: dict[str, dict[int, set[int]]] = {x: {} for x in d}
        self.by_number: dict[str, dict[str, set[int]]] = {x: {} for x in d}
        # words → (counterparties judged, "same" ones, "unknown" ones), see ``_parties``
        self.parties: dict[str, tuple[int, set[int], set[int]]] = {}
        self.cp_list: list[OpenInvoice] = []  # an invoice per counterparty, in order seen
        self.cp_seen: set[int] = set()
        # per counterparty: id, its 13-digit numbers, name core, whether the core has kanji
        self.cp_facts: list[tuple[int, tuple[str, ...], str, bool]] = []
        self.dates: list[date] = []  # the movements' days, for the look-ahead
        self.keys: dict[int, str] = {}  # invoice id → number_key
        self.sums: dict[tuple[tuple[int, int], ...], _Sums] = {}

    # ---------------------------------------------------------------- the open set

    def advance(self, day: date) -> None:
        while self.nxt < len(self.pending) and self.pending[self.nxt].issue_date <= day:
            inv = self.pending[self.nxt]
            self.nxt += 1
            self.invoice[inv.id] = inv
            if inv.counterparty_id not in self.cp_seen:
                self.cp_seen.add(inv.counterparty_id)
                self.cp_list.append(inv)
                numbers = (inv.corporate_number, inv.registration_number[1:])
                self.cp_facts.append(
                    (
                        inv.counterparty_id,
                        tuple(n for n in numbers if len(n) == 13),
                        *_name(inv.name),
                    )
                )
            self.open[inv.id] = inv.amount_yen
            insort(self.by_cp[inv.direction].setdefault(inv.counterparty_id, []), inv, key=_order)
            self.by_amount[inv.direction].setdefault(inv.amount_yen, set()).add(inv.id)
            if key := self.keys.setdefault(inv.id, number_key(inv.number)):
                self.by_number[inv.direction].setdefault(key, set()).add(inv.id)
            heapq.heappush(self.expiry, (_last_day(inv, self.window), inv.id))
        while self.expiry and self.expiry[0][0] < day:
            _, iid = heapq.heappop(self.expiry)
            if iid in self.open:
                self._close(iid)

    def take(self, iid: int, yen: int) -> None:
        inv, before = self.invoice[iid], self.open[iid]
        if before - yen <= 0:
            self._close(iid)
            return
        self.open[iid] = before - yen
        _discard(self.by_amount[inv.direction], before, iid)
        self.by_amount[inv.direction].setdefault(before - yen, set()).add(iid)

    def _close(self, iid: int) -> None:
        inv = self.invoice[iid]
        _discard(self.by_amount[inv.direction], self.open.pop(iid), iid)
        group = self.by_cp[inv.direction][inv.counterparty_id]
        group.remove(inv)
        if not group:
            del self.by_cp[inv.direction][inv.counterparty_id]
        if key := self.keys[iid]:
            _discard(self.by_number[inv.direction], key, iid)

    # ---------------------------------------------------------------- one movement

    def allocate(self, moves: Sequence[Movement], k: int) -> list[Allocation]:
        mv = moves[k]
        direction, paid = _direction(mv), abs(mv.amount_yen)
        groups = self.by_cp[direction]
        same_all, unknown_all = self._parties(mv.text)
        named = self._named(mv.text, direction, same_all, unknown_all)
        if named:
            # the words name invoices by number: only those, a part payment allowed (rule 4)
            cands: dict[int, list[OpenInvoice]] = {}
            for inv in sorted(named, key=_order):
                cands.setdefault(inv.counterparty_id, []).append(inv)
            may_part = True
        else:
            # words naming the counterparty settle whose money it is
            same = [cp for cp in same_all if cp in groups]
            if same:
                cands = {cp: groups[cp] for cp in same}
            elif len(unknown_all) < len(groups):
                cands = {cp: groups[cp] for cp in unknown_all if cp in groups}
            else:
                cands = {cp: g for cp, g in groups.items() if cp in unknown_all}
            may_part = bool(same)
        if not cands:
            return []
        found = self._single(mv, paid, direction, cands, bool(named))
        if found is None:
            found = self._combined(mv, paid, cands)
        if found is None and may_part:
            found = self._partial(moves, k, paid, cands)
        return found or []

    def _parties(self, text: str) -> tuple[set[int], set[int]]:
        """The counterparties (all seen so far) the words name ("same") or may name
        ("unknown"); verdicts are worked out once per words and counterparty."""
        known = self.parties.get(text)
        if known is None:
            known = self.parties[text] = (0, set(), set())
        seen, same, unknown = known
        if seen < len(self.cp_list):
            # party_verdict, unrolled over the counterparties (same answers, tested)
            digits, core, core_kanji = _words(text)
            for cp, numbers, name, name_kanji in self.cp_facts[seen:]:
                if any(n in digits for n in numbers):
                    same.add(cp)
                elif not core or not name:
                    unknown.add(cp)
                elif name in core or (len(core) >= 2 and core in name):
                    same.add(cp)
                elif core_kanji != name_kanji:
                    unknown.add(cp)
            self.parties[text] = (len(self.cp_list), same, unknown)
        return same, unknown

    def _named(
        self, text: str, direction: str, same: set[int], unknown: set[int]
    ) -> list[OpenInvoice]:
        numbers = self.by_number[direction]
        if not numbers:
            return []
        ids = {i for tok in number_tokens(text) for i in numbers.get(tok, ())}
        invs = [self.invoice[i] for i in ids]
        return [i for i in invs if i.counterparty_id in same or i.counterparty_id in unknown]

    def _single(
        self,
        mv: Movement,
        paid: int,
        direction: str,
        cands: dict[int, list[OpenInvoice]],
        named: bool,
    ) -> list[Allocation] | None:
        """Rules 1 and 2; None when none applies or the answer is ambiguous."""
        amounts = self.by_amount[direction]
        # named invoices: those only; else the candidate counterparties' whole groups
        allowed = {i.id for invs in cands.values() for i in invs} if named else None

        for rule in (MatchRule.EXACT, MatchRule.FEE):
            if rule is MatchRule.EXACT:
                ids = list(amounts.get(paid, ()))
            else:
                ids = [i for fee in FEES if (at := amounts.get(paid + fee)) for i in at]
            if allowed is not None:
                hits = [self.invoice[i] for i in ids if i in allowed]
            else:
                hits = [self.invoice[i] for i in ids]
                hits = [i for i in hits if i.counterparty_id in cands]
            if hits:
                if len({i.counterparty_id for i in hits}) > 1:
                    return None
                inv = min(hits, key=_order)  # the oldest due of that counterparty
                return [Allocation(inv.id, mv.id, paid, self.open[inv.id] - paid, rule)]
        return None

    def _combined(
        self, mv: Movement, paid: int, cands: dict[int, list[OpenInvoice]]
    ) -> list[Allocation] | None:
        """Rule 3: one counterparty's invoices adding up to the movement (exactly, else less a
        fee). The combinations of a group's open amounts are kept between movements."""
        answers: list[list[Allocation]] = []
        for group in cands.values():
            invs = group[:MAX_COMBINED]
            if len(invs) < 2:
                continue
            amounts = [self.open[i.id] for i in invs]
            if sum(amounts) < paid:
                continue
            key = tuple((i.id, a) for i, a in zip(invs, amounts, strict=True))
            if key not in self.sums:
                self.sums[key] = _Sums(amounts)
            hit = self.sums[key].find(paid)
            if hit is None:
                continue
            combo, fee = hit
            chosen = [invs[k] for k in combo]
            # the fee goes to the latest due that is larger than the fee
            end = next((i for i in reversed(chosen) if self.open[i.id] > fee), None)
            if end is None:
                continue
            answers.append(
                [
                    Allocation(
                        i.id,
                        mv.id,
                        self.open[i.id] - (fee if i is end else 0),
                        fee if i is end else 0,
                        MatchRule.COMBINED,
                    )
                    for i in chosen
                ]
            )
            if len(answers) > 1:
                return None
        return answers[0] if answers else None

    def _partial(
        self, moves: Sequence[Movement], k: int, paid: int, cands: dict[int, list[OpenInvoice]]
    ) -> list[Allocation]:
        """Rule 4: the invoice whose rest a later movement pays, else oldest due first."""
        mv = moves[k]
        invs = sorted((i for group in cands.values() for i in group), key=_order)
        target = self._rest_paid_later(moves, k, paid, invs)
        if target is not None:
            return [Allocation(target.id, mv.id, paid, 0, MatchRule.PARTIAL)]
        left = paid
        out = []
        for inv in invs:
            if left <= 0:
                break
            take = min(left, self.open[inv.id])
            out.append(Allocation(inv.id, mv.id, take, 0, MatchRule.PARTIAL))
            left -= take
        return out

    def _rest_paid_later(
        self, moves: Sequence[Movement], k: int, paid: int, invs: Sequence[OpenInvoice]
    ) -> OpenInvoice | None:
        """The oldest due of ``invs`` whose rest after ``paid`` one later movement (within
        ``LOOKAHEAD_DAYS``, same direction, naming the counterparty or the invoice's number)
        pays exactly or less a transfer fee; else the oldest due whose rest two such movements
        pay together (a payment in three parts)."""
        mv = moves[k]
        rests = {inv.id: self.open[inv.id] - paid for inv in invs if self.open[inv.id] > paid}
        if not rests:
            return None
        end = bisect_right(self.dates, mv.booked_on + timedelta(days=LOOKAHEAD_DAYS))
        naming: dict[int, list[int]] = {i: [] for i in rests}  # invoice → later amounts
        ordered = [inv for inv in invs if inv.id in rests]  # oldest due first
        cps = {inv.counterparty_id for inv in ordered}
        keys = {self.keys[inv.id] for inv in ordered} - {""}
        most = max(rests.values())  # a later part is never more than a rest
        for later in moves[k + 1 : end]:
            if (later.amount_yen > 0) != (mv.amount_yen > 0) or abs(later.amount_yen) > most:
                continue
            same, _ = self._parties(later.text)
            tokens = number_tokens(later.text) if keys else frozenset()
            if same.isdisjoint(cps) and tokens.isdisjoint(keys):
                continue  # names none of them
            for inv in ordered:
                if len(naming[inv.id]) < MAX_PARTS_SEEN and (
                    inv.counterparty_id in same or self.keys[inv.id] in tokens
                ):
                    naming[inv.id].append(abs(later.amount_yen))

        def pays(rest: int, amount: int) -> bool:
            return rest == amount or is_transfer_fee(rest - amount)

        for inv in ordered:
            if any(pays(rests[inv.id], a) for a in naming[inv.id]):
                return inv
        for inv in ordered:
            amounts = naming[inv.id]
            if any(
                pays(rests[inv.id], a + b) for x, a in enumerate(amounts) for b in amounts[x + 1 :]
            ):
                return inv
        return None


def _discard(index: dict[Any, set[int]], key: object, iid: int) -> None:
    ids = index.get(key)
    if ids is not None:
        ids.discard(iid)
        if not ids:
            del index[key]


FEES = tuple(f for f in range(FEE_MIN_YEN, FEE_MAX_YEN + 1) if is_transfer_fee(f))


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


def settled(invoices: Iterable[OpenInvoice], allocations: Iterable[Allocation]) -> dict[int, int]:
    """Per invoice id: the amount settled (payments plus deducted fees)."""
    out = {i.id: 0 for i in invoices}
    for a in allocations:
        out[a.invoice_id] = out.get(a.invoice_id, 0) + a.amount_yen + a.fee_yen
    return out
