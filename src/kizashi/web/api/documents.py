"""Documents for the dialogue in the API: the ロカベン sheet (.xlsx) and the monitoring sheet (PDF).

Each is a read under consent (the financials consent is the gate, as for the indicators; the
profile and flags are included when the user may read them), audited like every read. A business
that is missing and one the user may not read give the same 404. The business page links here.
"""

from __future__ import annotations

from fastapi import APIRouter, Response

from kizashi.documents import gather, locaben_workbook, monitoring_sheet_pdf
from kizashi.domain.vocabulary import Purpose

from ..deps import ApiPurpose, CurrentUserDep, SettingsDep, UnitOfWork
from .contract import READ, ApiRoute, BusinessId, errors

router = APIRouter(prefix="/api/v1", tags=["v1"], route_class=ApiRoute)
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF_TYPE = "application/pdf"
NOT_VISIBLE = "No such business, or no consent for financials"


def _attachment(body: bytes, media_type: str, filename: str) -> Response:
    return Response(
        body,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get(
    "/businesses/{business_id}/documents/locaben.xlsx",
    summary="The ロカベン sheet (.xlsx): six indicators over three periods, scores, radar, "
    "non-financial items",
    responses={**errors(*READ, 404, s404=NOT_VISIBLE), 200: {"content": {XLSX_TYPE: {}}}},
    response_class=Response,
)
def get_locaben_xlsx(
    business_id: BusinessId,
    user: CurrentUserDep,
    settings: SettingsDep,
    s: UnitOfWork,
    purpose: ApiPurpose = Purpose.MONITORING,
) -> Response:
    data = gather(
        s, user.actor, settings.data_dir, business_id, purpose, with_flags=False, with_monthly=False
    )
    return _attachment(locaben_workbook(data), XLSX_TYPE, f"locaben-{business_id}.xlsx")


@router.get(
    "/businesses/{business_id}/documents/monitoring-sheet.pdf",
    summary="The monitoring sheet (PDF, A4): profile, trends, peer band, open flags, "
    "the last dialogue",
    responses={**errors(*READ, 404, s404=NOT_VISIBLE), 200: {"content": {PDF_TYPE: {}}}},
    response_class=Response,
)
def get_monitoring_sheet_pdf(
    business_id: BusinessId,
    user: CurrentUserDep,
    settings: SettingsDep,
    s: UnitOfWork,
    purpose: ApiPurpose = Purpose.MONITORING,
) -> Response:
    data = gather(s, user.actor, settings.data_dir, business_id, purpose)
    return _attachment(monitoring_sheet_pdf(data), PDF_TYPE, f"monitoring-sheet-{business_id}.pdf")
