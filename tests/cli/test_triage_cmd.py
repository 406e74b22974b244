"""``kizashi user capacity`` and ``kizashi triage list|assign|unassign``: capacities respected,
Japanese output, and the CSV/.xlsx files carry the rows listed."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook

from tests.actions.test_flag_responses import flagged  # noqa: F401  (fixture)


def test_capacity_queue_and_assignment(cli, flagged, tmp_path):  # noqa: F811
    w, _flag_id, _ids = flagged
    bid = str(w.business.id)
    # only an administrator (or the operator) sets a capacity
    r = cli("user", "capacity", "a_officer", "1", "--as", "a_officer")
    assert r.exit_code == 1 and "権限" in r.output
    r = cli("user", "capacity", "a_officer", "1", "--as", "a_admin")
    assert r.exit_code == 0 and "月 1 件" in r.output, r.output

    out_csv, out_xlsx = tmp_path / "q.csv", tmp_path / "q.xlsx"
    r = cli("triage", "list", "--as", "a_officer", "--csv", str(out_csv), "--xlsx", str(out_xlsx))
    assert r.exit_code == 0, r.output
    assert "提案" in r.output and "上限 1件" in r.output
    rows = list(csv.reader(io.StringIO(out_csv.read_text("utf-8-sig"))))
    assert rows[0][0] == "順位" and [x[1] for x in rows[1:]] == [bid]
    ws = load_workbook(out_xlsx).active
    assert [c for c in next(ws.iter_rows(min_row=2, values_only=True))][1] == w.business.id

    r = cli("triage", "assign", bid, "a_officer", "--as", "a_officer")
    assert r.exit_code == 0 and "割り当てました" in r.output, r.output
    r = cli("triage", "list", "--as", "a_officer")
    assert "割当済" in r.output and "残り 0件" in r.output
    # the capacity is used up: reassigning another business is refused... the same one is kept
    r = cli("triage", "assign", bid, "a_officer", "--as", "a_officer")
    assert r.exit_code == 0
    r = cli("user", "capacity", "a_officer", "0", "--as", "a_admin")
    r = cli("triage", "unassign", bid, "--as", "a_officer")
    assert r.exit_code == 0
    r = cli("triage", "assign", bid, "a_officer", "--as", "a_officer")
    assert r.exit_code == 1 and "上限に達しています" in r.output
    r = cli("triage", "list", "--as", "b_officer")  # no flags consent: nothing listed
    assert r.exit_code == 0 and bid not in r.output.split("上限")[0].split("理由")[-1]
