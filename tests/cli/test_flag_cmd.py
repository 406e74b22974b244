"""``kizashi flag set-state|assign|history --as LOGIN``: each organisation's own response, in
Japanese; another organisation's reason never printed."""

from __future__ import annotations

import json
import re

from tests.actions.test_flag_responses import flagged  # noqa: F401  (fixture)

LATIN = re.compile(r"[A-Za-z]{3,}")


def test_two_organisations_and_the_owner_at_the_command_line(cli, flagged):  # noqa: F811
    _, flag_id, _ = flagged
    fid = str(flag_id)
    r = cli("flag", "set-state", fid, "not_needed", "--as", "cgc_officer", "--reason", "季節要因")
    assert r.exit_code == 0, r.output
    assert "対応不要" in r.output
    r = cli("flag", "set-state", fid, "in_progress", "--as", "a_officer")
    assert r.exit_code == 0 and "対応中" in r.output, r.output
    r = cli("flag", "assign", fid, "--as", "a_officer", "--to", "a_officer", "--due", "2026-12-15")
    assert r.exit_code == 0, r.output
    assert "担当者 a_officer" in r.output and "2026-12-15" in r.output
    r = cli("flag", "set-state", fid, "acknowledged", "--as", "owner")
    assert r.exit_code == 0 and "確認済" in r.output, r.output

    # refusals: in Japanese, nothing changed
    r = cli("flag", "set-state", fid, "in_progress", "--as", "owner")
    assert r.exit_code == 1 and "確認済" in r.output
    r = cli("flag", "assign", fid, "--as", "a_officer", "--to", "cgc_officer")
    assert r.exit_code == 1 and "担当者" in r.output
    r = cli("flag", "history", fid, "--as", "b_officer")  # no consent for flags
    assert r.exit_code == 1 and "見つからない" in r.output

    r = cli("flag", "history", fid, "--as", "a_officer")
    assert r.exit_code == 0, r.output
    assert "対応中" in r.output and "季節要因" not in r.output
    lines = [x for x in r.output.splitlines() if x.startswith("  ")]
    assert len(lines) == 3 and all("a_officer" in x for x in lines)
    r = cli("flag", "history", fid, "--as", "cgc_officer", "--json")
    body = json.loads(r.output)
    assert (body["state"], body["state_reason"]) == ("not_needed", "季節要因")
    assert [(h["user_name"], h["new"]) for h in body["history"]] == [("cgc_officer", "not_needed")]
    r = cli("flag", "history", fid, "--as", "owner")
    assert "確認済" in r.output and "季節要因" not in r.output and "対応中" not in r.output
    head = r.output.splitlines()[0].split(":", 1)[1]
    assert not LATIN.search(head.replace("owner", "")), head
