"""Documents for the dialogue (対話の資料): the ロカベン sheet (.xlsx) and the monitoring sheet
(PDF), made from what ``kizashi.access`` lets the reading user see (consent + audit).

``gather`` reads (the indicators exactly as the indicators API does); ``locaben_xlsx`` and
``monitoring_pdf`` lay them out. The web routes, pages and ``kizashi document`` use these.
"""

from .gather import DocumentData, gather, pick_periods
from .locaben_xlsx import locaben_workbook
from .monitoring_pdf import monitoring_sheet_pdf

__all__ = ["DocumentData", "gather", "locaben_workbook", "monitoring_sheet_pdf", "pick_periods"]
