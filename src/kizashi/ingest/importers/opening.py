"""開始残高 (opening balances) so that journals yield balance sheets, not only flows.

Layouts: freee's ``勘定科目,借方残高,貸方残高`` (formats.md §1.2c [DOC]) and ``勘定科目,残高``
(balance positive on the account's normal side), optionally with a 期首日 in a column or
in a title line. Without a date, the balances apply at the start of the first fiscal year
of the journal uploaded with them.
"""

from __future__ import annotations

from ..columns import ColumnMapping, find_header
from ..model import ParseResult
from ..text import DecodedFile
from .base import ParseOptions, Sniff
from .table import parse_table

_WORDS = ("開始残高", "期首残高", "前期繰越", "opening")


class OpeningBalances:
    name = "opening"
    label_ja = "開始残高 (勘定科目・借方残高・貸方残高)"
    label_en = "Opening balances (account, debit balance, credit balance)"

    def sniff(self, file: DecodedFile) -> Sniff | None:
        rows = file.rows()
        found = find_header(rows)
        if found is None:
            return None
        i, f = found
        if {"debit", "credit", "opening"} & set(f):
            return None
        titled = any(w in file.filename for w in _WORDS) or any(
            w in ",".join(r) for r in rows[:i] for w in _WORDS
        )
        if {"closing_debit", "closing_credit"} <= set(f):
            return Sniff(
                0.9 if titled else 0.7,
                "header 勘定科目, 借方残高, 貸方残高 (freee 開始残高 layout)",
            )
        if titled:
            return Sniff(0.85, "a balance table titled 開始残高/期首残高")
        return None

    def parse(self, file: DecodedFile, options: ParseOptions) -> ParseResult:
        mapping = options.column_mapping
        if isinstance(mapping, ColumnMapping):
            mapping = ColumnMapping.from_dict({**mapping.__dict__, "kind": "opening"})
        else:
            mapping = None
        if mapping is None:
            found = find_header(file.rows())
            fields = found[1] if found else {}
            mapping = ColumnMapping(
                account=(fields["account"][0] + 1) if "account" in fields else None,
                closing=(fields["closing"][0] + 1) if "closing" in fields else None,
                closing_debit=(fields["closing_debit"][0] + 1)
                if "closing_debit" in fields
                else None,
                closing_credit=(fields["closing_credit"][0] + 1)
                if "closing_credit" in fields
                else None,
                code=(fields["code"][0] + 1) if "code" in fields else None,
                date=(fields["date"][0] + 1) if "date" in fields else None,
                period=(fields["date"][0] + 1) if "date" in fields else None,
                header_row=(found[0] + 1) if found else None,
                kind="opening",
            )
        result = parse_table(file, mapping, options.period_end)
        result.kind = "opening"
        result.closed_statement = False
        return result
