"""What the engine declares: the expression language, its functions, the indicators, the
ローカルベンチマーク thresholds, rule packs and the catalogue of all of them.

Pure data and checking: imports neither DuckDB, NumPy nor PyArrow, nor ``engine.exec``
(tests/test_layers.py).
"""
