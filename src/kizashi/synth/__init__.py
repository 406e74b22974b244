"""Synthetic portfolio of Japanese SMEs with guaranteed loans (demo, tests, benchmarks).

Deterministic from a seed, streamed in chunks with flat memory. Everything it produces is
synthetic; see docs/synth.md for every parameter and the distress model.
"""

from .generator import LOAN_COLUMNS, PortfolioChunk, generate
from .writer import WriteSummary, write_portfolio

__all__ = ["LOAN_COLUMNS", "PortfolioChunk", "WriteSummary", "generate", "write_portfolio"]
