"""The monitoring engine: indicators, ローカルベンチマーク scores, peer statistics, rule packs, flags.

Pure: no web, no ORM. Inputs are the monthly panel (``kizashi.domain.panel``) and the business
register as Arrow tables or Parquet; outputs are Arrow tables.
"""

from .episodes import ALLOWED_TRANSITIONS, STATES, carry_over
from .expr import ExprError, parse
from .indicators import load_indicators
from .packs import Pack, PackError, default_pack, derive_pack, lint_pack, load_pack
from .run import RunResult, run_monitoring

__all__ = [
    "ALLOWED_TRANSITIONS",
    "STATES",
    "ExprError",
    "Pack",
    "PackError",
    "RunResult",
    "carry_over",
    "default_pack",
    "derive_pack",
    "lint_pack",
    "load_indicators",
    "load_pack",
    "parse",
    "run_monitoring",
]
