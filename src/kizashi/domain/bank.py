"""Money that moved: bank transactions, invoices and open items, in one vocabulary.

Pure Python. Importers (``ingest.importers.zengin`` …) produce these records, ``actions.bank``
stores them, and the analytics file holds them as the columnar tables declared in
``kizashi.store.analytics_schema`` (``BANK_TRANSACTIONS``, ``INVOICES``, ``OPEN_ITEMS``). The table
and column names are a contract with the cash forecast and the 真贋性 checks: add columns, never rename.

Amounts are integer yen. A transaction's ``amount_yen`` is signed: + money in, − money out.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date


class TxKind(enum.StrEnum):
    """What a bank transaction is, as far as its description and counterparty tell."""

    SALES_RECEIPT = "sales_receipt"  # 売上入金 (振込入金 from a customer)
    PAYROLL = "payroll"  # 給与・賞与
    RENT = "rent"  # 家賃・地代
    TAX = "tax"  # 国税・地方税
    SOCIAL_INSURANCE = "social_insurance"  # 社会保険料・労働保険料
    UTILITIES = "utilities"  # 電気・ガス・水道・通信
    LOAN_REPAYMENT = "loan_repayment"  # 借入金返済
    INTEREST = "interest"  # 利息 (paid or received)
    TRANSFER = "transfer"  # 振替 between the business's own accounts
    HIGH_RATE_LENDER = "high_rate_lender"  # ファクタリング・消費者金融 and the like
    OTHER = "other"


class InvoiceDirection(enum.StrEnum):
    ISSUED = "issued"  # 発行 (a sale: the business is the seller)
    RECEIVED = "received"  # 受領 (a purchase: the business is the buyer)


class OpenItemSide(enum.StrEnum):
    RECEIVABLE = "receivable"  # 売掛金
    PAYABLE = "payable"  # 買掛金


class AccountType(enum.StrEnum):
    """預金種目 (全銀 code in the comment)."""

    ORDINARY = "ordinary"  # 1 普通
    CURRENT = "current"  # 2 当座
    SAVINGS = "savings"  # 4 貯蓄
    NOTICE = "notice"  # 5 通知
    TIME = "time"  # 6 定期
    INSTALMENT = "instalment"  # 7 積立定期
    OTHER = "other"  # 9 その他 / unknown


ZENGIN_ACCOUNT_TYPES: dict[str, AccountType] = {
    "1": AccountType.ORDINARY,
    "2": AccountType.CURRENT,
    "4": AccountType.SAVINGS,
    "5": AccountType.NOTICE,
    "6": AccountType.TIME,
    "7": AccountType.INSTALMENT,
    "9": AccountType.OTHER,
}


# --------------------------------------------------------------------------- records


@dataclass(frozen=True, slots=True)
class BankAccountRef:
    """An account as a statement names it. ``key`` identifies it within one business."""

    bank_code: str = ""  # 4 digits (全銀 金融機関コード); "" when the file does not say
    branch_code: str = ""  # 3 digits
    account_type: AccountType = AccountType.OTHER
    number: str = ""  # 口座番号 (digits, leading zeros stripped to 7)
    bank_name: str = ""
    branch_name: str = ""
    holder: str = ""  # 口座名義 (as in the file, half-width kana kept)

    @property
    def key(self) -> str:
        return f"{self.bank_code}-{self.branch_code}-{self.account_type.value}-{self.number}"


@dataclass(frozen=True, slots=True)
class BankTransaction:
    """One movement on an account. ``amount_yen`` + in, − out; ``balance_yen`` after it."""

    account: BankAccountRef
    booked_on: date
    amount_yen: int
    description: str = ""
    counterparty: str = ""
    balance_yen: int | None = None
    reference: str = ""  # 照会番号 or the bank's own id, "" when none
    value_on: date | None = None  # 預入・払出日 / 起算日
    kind: TxKind = TxKind.OTHER
    line: int = 0  # record or line number in the file (1-based)

    def dedup_key(self, seq: int) -> str:
        """The transaction's identity within its account, stable across overlapping files.

        ``seq`` numbers otherwise identical movements on the same day (1, 2 …) so that two
        real 1,000-yen payments to the same payee on one day stay two rows.
        """
        return "|".join(
            (
                self.booked_on.isoformat(),
                str(self.amount_yen),
                "" if self.balance_yen is None else str(self.balance_yen),
                match_key(self.counterparty),
                match_key(self.description),
                str(seq),
            )
        )


@dataclass(frozen=True, slots=True)
class PlannedPayment:
    """A transfer the business asked its bank to make (全銀 21 総合振込): not yet money moved."""

    pay_on: date | None  # the file gives MMDD only; None when the year cannot be inferred
    amount_yen: int
    payee: str
    bank_code: str = ""
    branch_code: str = ""
    account_number: str = ""
    line: int = 0


@dataclass(frozen=True, slots=True)
class Party:
    """A seller or buyer as an invoice names it."""

    name: str = ""
    registration_number: str = ""  # 適格請求書発行事業者登録番号: "T" + 13 digits
    corporate_number: str = ""  # 法人番号: 13 digits


@dataclass(frozen=True, slots=True)
class TaxSubtotal:
    category: str  # UBL tax category (S, AA, E, Z, O …)
    rate_percent: str  # "10", "8" … as text (exact)
    taxable_yen: int
    tax_yen: int


@dataclass(frozen=True, slots=True)
class Invoice:
    """An invoice or credit note. Credit notes carry negative totals."""

    invoice_id: str
    issue_date: date
    seller: Party
    buyer: Party
    total_yen: int  # tax inclusive, after allowances and charges
    tax_yen: int
    payable_yen: int  # after prepaid amounts and rounding
    due_date: date | None = None
    currency: str = "JPY"
    credit_note: bool = False
    type_code: str = ""
    lines: int = 0  # number of invoice lines
    tax_subtotals: tuple[TaxSubtotal, ...] = ()
    preceding_id: str = ""  # the corrected or credited invoice, when named
    source_format: str = ""


@dataclass(frozen=True, slots=True)
class OpenItem:
    """A receivable or payable still open at ``as_of``, with its due date when known."""

    side: OpenItemSide
    counterparty: str
    amount_yen: int
    due_date: date | None = None
    as_of: date | None = None
    invoice_id: str = ""
    corporate_number: str = ""
    line: int = 0


@dataclass
class MoneyFile:
    """What a bank, invoice or open-item importer read from one file."""

    transactions: list[BankTransaction] = field(default_factory=list)
    # per account key: (opening balance, closing balance) as the file states them
    balances: dict[str, tuple[int | None, int | None]] = field(default_factory=dict)
    accounts: dict[str, BankAccountRef] = field(default_factory=dict)
    planned_payments: list[PlannedPayment] = field(default_factory=list)
    invoices: list[Invoice] = field(default_factory=list)
    open_items: list[OpenItem] = field(default_factory=list)
    # who the file says it is about (account holder, seller/buyer …) — checked against
    # the business before anything is stored
    named_parties: list[Party] = field(default_factory=list)


# The columnar tables (bank_transactions, invoices, open_items) are declared in
# kizashi.store.analytics_schema.


# --------------------------------------------------------------------------- classification


def match_key(text: str) -> str:
    """The matching copy of a name or description: NFKC, upper case, no spaces or dots.

    Half-width kana (ｷﾕｳﾖ) become full-width (キユウヨ) and small kana are folded to the
    large ones banks print (ｼﾔ → シヤ) so that both spellings meet.
    """
    key = unicodedata.normalize("NFKC", text).upper()
    key = key.translate(_SMALL_KANA)
    return re.sub(r"[\s\.\,\-・･()（）]", "", key)


_SMALL_KANA = str.maketrans("ァィゥェォッャュョヮ", "アイウエオツヤユヨワ")

# Keyword → kind, checked in this order on match_key(description + counterparty).
# Katakana as banks print it (half-width, no small kana), kanji as internet banking shows it.
_KIND_WORDS: tuple[tuple[TxKind, tuple[str, ...]], ...] = (
    (
        TxKind.HIGH_RATE_LENDER,
        (
            "フアクタリング",
            "ファクタリング",
            "キヤツシング",
            "キャッシング",
            "サラキン",
            "消費者金融",
            "アイフル",
            "アコム",
            "プロミス",
            "レイク",
            "ニチデン",
        ),
    ),
    (TxKind.PAYROLL, ("キユウヨ", "給与", "給料", "シヨウヨ", "賞与", "ボ-ナス", "ボーナス")),
    (
        TxKind.SOCIAL_INSURANCE,
        (
            "シヤカイホケン",
            "社会保険",
            "厚生年金",
            "ネンキン",
            "年金事務所",
            "ロウドウホケン",
            "労働保険",
            "健康保険",
            "ケンポ",
        ),
    ),
    (
        TxKind.TAX,
        ("ゼイ", "税", "ゼイムシヨ", "税務署", "国税", "ケンゼイ", "シミンゼイ", "コクゼイ"),
    ),
    (TxKind.RENT, ("ヤチン", "家賃", "チダイ", "地代", "賃料", "チンリヨウ")),
    (
        TxKind.UTILITIES,
        (
            "デンキ",
            "電気",
            "電力",
            "デンリヨク",
            "ガス",
            "スイドウ",
            "水道",
            "NTT",
            "ドコモ",
            "KDDI",
            "ソフトバンク",
            "電話",
        ),
    ),
    (TxKind.INTEREST, ("リソク", "利息", "利子", "リシ")),
    (
        TxKind.LOAN_REPAYMENT,
        ("ヘンサイ", "返済", "ユウシ", "融資", "カシツケ", "貸付", "ロ-ン", "ローン"),
    ),
    (TxKind.TRANSFER, ("フリカエ", "振替", "口座間")),
)


_NOT_TAX = ("ゼイリシ", "税理士", "ゼイコミ", "税込", "ゼイヌキ", "税抜")


def classify(description: str, counterparty: str, amount_yen: int) -> TxKind:
    """A first guess at a transaction's kind from its words and sign.

    An inflow that matches no keyword is a sales receipt when it came from someone
    (振込入金 with a remitter), else other.
    """
    key = match_key(f"{description} {counterparty}")
    for word in _NOT_TAX:  # 税理士 fees and 税込 notes are no tax payment
        key = key.replace(match_key(word), "")
    for kind, words in _KIND_WORDS:
        if kind in (TxKind.TAX,) and amount_yen > 0:
            continue  # a tax refund is not a tax payment
        if any(match_key(w) in key for w in words):
            return kind
    if amount_yen > 0 and counterparty.strip():
        return TxKind.SALES_RECEIPT
    return TxKind.OTHER


# --------------------------------------------------------------------------- identifiers


_T_NUMBER = re.compile(r"T?(\d{13})")


def registration_number(text: str) -> str:
    """``"T" + 13 digits`` from a registration number written loosely, or "" when none."""
    m = _T_NUMBER.search(unicodedata.normalize("NFKC", text).replace("-", ""))
    return f"T{m.group(1)}" if m else ""


def corporate_number_of(registration: str) -> str:
    """The 法人番号 inside a corporation's T番号 (the 13 digits), "" when not one."""
    reg = registration_number(registration)
    return reg[1:] if reg else ""


def same_company_name(a: str, b: str) -> bool:
    """Two company names that denote the same company, ignoring 株式会社/㈱/(株) and spacing."""
    return bool(a.strip()) and bool(b.strip()) and _name_core(a) == _name_core(b)


_LEGAL_FORMS = (
    "株式会社",
    "有限会社",
    "合同会社",
    "合資会社",
    "合名会社",
    "(株)",
    "(有)",
    "(同)",
    "カブシキガイシヤ",
    "カブシキカイシヤ",
    "ユウゲンガイシヤ",
    "ゴウドウガイシヤ",
    "(カ)",
    "カ)",
    "(カ",
)


def _name_core(name: str) -> str:
    key = unicodedata.normalize("NFKC", name).upper().translate(_SMALL_KANA)
    key = re.sub(r"\s", "", key)
    for form in _LEGAL_FORMS:
        key = key.replace(form, "")
    return re.sub(r"[\.\,\-・･()（）]", "", key)


def party_is(
    business_name: str, business_corporate_number: str | None, party: Party
) -> bool | None:
    """Whether a file's party is this business: True by 法人番号/T番号 or by name, False when it
    plainly names someone else, None when it cannot be told (no number to compare, and a name in
    half-width kana that cannot be compared with a kanji name)."""
    corp = business_corporate_number or ""
    numbers = {party.corporate_number, corporate_number_of(party.registration_number)}
    numbers.discard("")
    if corp and numbers:
        return corp in numbers
    if not party.name.strip():
        return None
    if same_company_name(party.name, business_name):
        return True
    if _has_kanji(party.name) == _has_kanji(business_name):
        return False
    return None


def _has_kanji(s: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in s)
