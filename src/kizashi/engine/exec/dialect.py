"""SQL dialect differences, kept in one place.

The compiler emits standard SQL (CTEs, window functions with ROWS frames, CASE) through the
methods below. Only :class:`DuckDB` is implemented; the ADR (docs/adr/0003-rule-engine.md)
lists what a PostgreSQL or Spark SQL subclass has to change.
"""

from __future__ import annotations


class Dialect:
    name = "ansi"
    double = "DOUBLE PRECISION"

    def quote(self, ident: str) -> str:
        return '"' + ident.replace('"', '""') + '"'

    def literal(self, value: float | str | bool | None) -> str:
        if value is None:
            return "NULL"
        if isinstance(value, bool):
            return "TRUE" if value else "FALSE"
        if isinstance(value, str):
            return "'" + value.replace("'", "''") + "'"
        if float(value) == int(value) and abs(value) < 2**53:
            return f"{int(value)}"
        return repr(float(value))

    def div(self, a: str, b: str) -> str:
        return f"(CAST({a} AS {self.double}) / NULLIF({b}, 0))"

    def lag_ignore_nulls(self, col: str, window: str) -> str:
        raise NotImplementedError(f"{self.name}: LAG ... IGNORE NULLS")

    def quantile(self, col: str, q: float) -> str:
        """Continuous (interpolated) quantile ``q`` of ``col`` as a GROUP BY aggregate."""
        return f"PERCENTILE_CONT({q!r}) WITHIN GROUP (ORDER BY {col})"

    def json_object(self, pairs: list[tuple[str, str]]) -> str:
        raise NotImplementedError(f"{self.name}: JSON object")

    def month_index(self, date_col: str) -> str:
        """Months since year 0 as an integer: consecutive months differ by one."""
        return f"(EXTRACT(YEAR FROM {date_col}) * 12 + EXTRACT(MONTH FROM {date_col}) - 1)"

    def month_from_index(self, m: str) -> str:
        raise NotImplementedError(f"{self.name}: make_date")


class DuckDB(Dialect):
    name = "duckdb"
    double = "DOUBLE"

    def lag_ignore_nulls(self, col: str, window: str) -> str:
        return f"LAG({col} IGNORE NULLS) OVER {window}"

    def quantile(self, col: str, q: float) -> str:
        return f"QUANTILE_CONT({col}, {q!r})"

    def json_object(self, pairs: list[tuple[str, str]]) -> str:
        inner = ", ".join(f"{self.literal(k)}, {v}" for k, v in pairs)
        return f"CAST(json_object({inner}) AS VARCHAR)"

    def month_index(self, date_col: str) -> str:
        return f"(CAST(year({date_col}) AS INTEGER) * 12 + CAST(month({date_col}) AS INTEGER) - 1)"

    def month_from_index(self, m: str) -> str:
        return f"make_date(CAST({m} // 12 AS INTEGER), CAST({m} % 12 + 1 AS INTEGER), 1)"


DUCKDB = DuckDB()
