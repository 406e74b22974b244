"""``kizashi rules lint|list|export|docs`` and ``kizashi monitor`` (engine on a synth directory)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from kizashi.engine.spec.catalogue import catalogue, render, rules_markdown
from kizashi.engine.spec.packs import default_pack, default_pack_text, lint_pack, load_pack

from .app import app

rules_app = typer.Typer(help="ルールパック (rule packs): lint, list, export.", no_args_is_help=True)
app.add_typer(rules_app, name="rules")


@rules_app.command("lint")
def lint(file: Annotated[Path, typer.Argument(help="rule pack YAML")]) -> None:
    """Check a pack; print every problem with its line number."""
    problems = lint_pack(file.read_text("utf-8"))
    for p in problems:
        typer.echo(f"{file}:{p}", err=True)
    if problems:
        raise typer.Exit(1)
    pack = load_pack(file)
    typer.echo(f"{file}: OK ({pack.ref}, {len(pack.rules)} rules)")


@rules_app.command("list")
def list_rules(
    pack_file: Annotated[
        Path | None, typer.Option("--pack", help="rule pack YAML (default pack)")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="indicators, functions and rules as JSON")
    ] = False,
) -> None:
    """List the rules (and, with --json, indicators, functions and operators)."""
    pack = load_pack(pack_file) if pack_file else default_pack()
    if as_json:
        typer.echo(json.dumps(catalogue(pack), ensure_ascii=False, indent=2))
        return
    typer.echo(f"{pack.ref}")
    for r in pack.rules:
        typer.echo(f"  {r.id:<38} {r.severity:<8} {r.category:<6} {r.title['ja']}")


@rules_app.command("export")
def export(
    out: Annotated[Path, typer.Option("--out", help="where to write the default pack")],
) -> None:
    """Write the default pack (with its comments) as a starting point for your own."""
    out.write_text(default_pack_text(), "utf-8")
    typer.echo(
        f"wrote {out}: change pack.id and pack.version, set based_on, then `kizashi rules lint`"
    )


@rules_app.command("docs")
def docs(
    out: Annotated[Path, typer.Option("--out", help="markdown file")] = Path("docs/rules.md"),
) -> None:
    """Regenerate the rule catalogue page."""
    out.write_text(rules_markdown(), "utf-8")
    typer.echo(f"wrote {out}")


@app.command("monitor")
def monitor(
    panel: Annotated[
        Path, typer.Option("--panel", help="synth output directory (panel/, businesses/ …)")
    ],
    pack_file: Annotated[Path | None, typer.Option("--pack", help="rule pack YAML")] = None,
    month: Annotated[str | None, typer.Option("--month", help="YYYY-MM (default: latest)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON output")] = False,
    top: Annotated[int, typer.Option("--top", help="businesses to show")] = 20,
    locale: Annotated[str, typer.Option("--locale", help="ja or en")] = "ja",
) -> None:
    """Run the monitoring engine on a panel directory and print the triage ranking."""
    from kizashi.engine.exec.run import describe_run, run_monitoring
    from kizashi.synth import LOAN_COLUMNS as SYNTH_LOANS  # a synth output directory's loans

    pack = load_pack(pack_file) if pack_file else default_pack()
    events = panel / "credit_events" if (panel / "credit_events").is_dir() else None
    loans = panel / "loans" if (panel / "loans").is_dir() else None
    res = run_monitoring(panel, panel, events, pack, month, loans=loans, loan_columns=SYNTH_LOANS)
    summary = res.summary.slice(0, top).to_pylist()
    ep = [
        e
        for e in res.episodes.to_pylist()
        if e["is_open"] and e["business_id"] in {s["business_id"] for s in summary}
    ]
    lang = "en" if locale == "en" else "ja"
    for e in ep:
        rule = pack.rule(e["rule_id"])
        evidence = json.loads(e["evidence_latest"] or "{}")
        e["title"] = rule.title[lang]
        e["message"] = render(
            rule.explanation[lang],
            evidence,
            res.as_of,
            e["opened_month"],
            lang,
        )
        e["next_step"] = rule.next_step[lang]
    if as_json:
        typer.echo(
            json.dumps(
                {"run": describe_run(res), "summary": summary, "open_flags": ep},
                ensure_ascii=False,
                indent=2,
                default=str,
            )
        )
        return
    info = describe_run(res)
    typer.echo(
        f"{info['pack']} as of {info['as_of']}: {info['businesses']} businesses, "
        f"{info['open_flags']} open flags"
    )
    for s in summary:
        typer.echo(
            f"#{s['business_id']:<8} priority {s['priority']:>7.2f}  open {s['open_flags']} "
            f"(critical {s['open_critical']}, high {s['open_high']})  exposure ¥{s['exposure_yen']:,.0f}"
        )
        for e in (x for x in ep if x["business_id"] == s["business_id"]):
            typer.echo(f"    [{e['severity']}] {e['title']} — {e['message']}")
