"""The demo's institutions and logins (all fictional)."""

from __future__ import annotations

from dataclasses import dataclass

from kizashi.domain.vocabulary import OrgKind, Role

DEMO_PASSWORD = "kizashi-demo"


@dataclass(frozen=True)
class DemoOrg:
    code: str
    kind: OrgKind
    name: str
    users: tuple[tuple[str, Role, str], ...]  # (login, role, display name)


GUARANTOR = DemoOrg(
    "cgc-demo",
    OrgKind.GUARANTOR,
    "デモ県信用保証協会",
    (
        ("hosho", Role.OFFICER, "保証 花子 (期中管理課)"),
        ("hosho-admin", Role.ADMIN, "協会 管理者"),
        ("hosho-audit", Role.AUDITOR, "協会 監査担当"),
    ),
)
BANKS = (
    DemoOrg(
        "bank-demo-1",
        OrgKind.BANK,
        "デモ第一銀行",
        (
            ("bank1", Role.OFFICER, "第一 太郎 (融資部)"),
            ("bank1-mgr", Role.OFFICER, "第一 課長 (融資部 管理職)"),  # demo_teams.py
            ("bank1-eigyo", Role.OFFICER, "第一 花子 (営業推進部 管理職)"),
        ),
    ),
    DemoOrg(
        "bank-demo-2",
        OrgKind.BANK,
        "デモ信用金庫",
        (("bank2", Role.OFFICER, "信金 次郎 (営業店)"),),
    ),
    DemoOrg(
        "bank-demo-3",
        OrgKind.BANK,
        "デモ信用組合",
        (("bank3", Role.OFFICER, "信組 三郎 (審査課)"),),
    ),
)
SUPPORTERS = (
    DemoOrg(
        "tax-demo-1",
        OrgKind.SUPPORTER,
        "さくら税理士法人 (デモ)",
        (("zeirishi1", Role.OFFICER, "桜 税理士"),),
    ),
    DemoOrg(
        "tax-demo-2",
        OrgKind.SUPPORTER,
        "みどり会計事務所 (デモ)",
        (("zeirishi2", Role.OFFICER, "緑 会計士"),),
    ),
)
COUNCIL = DemoOrg(
    "kasseika-demo",
    OrgKind.REVITALIZATION,
    "デモ県中小企業活性化協議会",
    (("kasseika", Role.OFFICER, "活性 化子 (統括責任者補佐)"),),
)
INSTITUTIONS = (GUARANTOR, *BANKS, *SUPPORTERS, COUNCIL)
OWNER_ACCOUNTS = 10  # owner logins owner1..owner10 for the first businesses
