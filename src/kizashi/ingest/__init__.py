"""Import of accounting exports into monthly trial balances in the standard chart.

Pure code, no database: ``analyse(data, filename)`` returns a :class:`Report`.
"""

from .analysis import analyse, analyse_files
from .columns import ColumnMapping
from .errors import IngestError, Issue
from .importers.base import Importer, ParseOptions, Sniff
from .limits import DEFAULT_MAX_BYTES, LimitExceeded, Limits
from .registry import DEFAULT_IMPORTERS, ENTRY_POINT_GROUP, load_importers
from .report import MonthlyTrialBalance, Report

__all__ = [
    "DEFAULT_IMPORTERS",
    "DEFAULT_MAX_BYTES",
    "ENTRY_POINT_GROUP",
    "ColumnMapping",
    "Importer",
    "IngestError",
    "Issue",
    "LimitExceeded",
    "Limits",
    "MonthlyTrialBalance",
    "ParseOptions",
    "Report",
    "Sniff",
    "analyse",
    "analyse_files",
    "load_importers",
]
