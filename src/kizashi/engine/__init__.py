"""The monitoring engine: indicators, ローカルベンチマーク scores, peer statistics, rule packs, flags.

Two halves (docs/adr/0007-engine-declaration-and-execution.md):

- ``engine.spec`` declares: the expression language, functions, indicators, thresholds, rule
  packs and their catalogue. Pure Python and YAML; no DuckDB, NumPy or PyArrow.
- ``engine.exec`` executes: the compiler to SQL, the two executors (arrays, SQL reference), peer
  statistics, episodes, summaries and ``run_monitoring``.

Pure: no web, no ORM. Inputs are the monthly panel (``kizashi.domain.panel``) and the business
register as Arrow tables or Parquet; outputs are Arrow tables. Import from the half you need.
"""
