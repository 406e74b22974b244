"""The model card, generated from the model file (Japanese and English)."""

from __future__ import annotations

from typing import Any

from .catalogue import feature

_T = {
    "title": ("リスクモデル {v} のモデルカード", "Model card: risk model {v}"),
    "purpose": (
        "12か月以内に重大な信用事象(3か月以上の延滞・条件変更・事故報告・代位弁済)が起きる確率を、"
        "事業者×月ごとに推定します。**このスコアは対話の優先順位づけに使うもので、与信の判断には使いません。**",
        "Estimates, per business and month, the probability of a serious credit event (arrears of 3 "
        "months or more, 条件変更, 事故報告 or 代位弁済) within 12 months. **The score ranks dialogue; "
        "it never decides credit.**",
    ),
    "data": ("データ期間", "Data period"),
    "train": ("学習", "Training"),
    "test": ("検証(時系列ホールドアウト)", "Test (time-ordered hold-out)"),
    "cutoff": (
        "基準月 {c}: 学習行のラベル期間はすべてこの月末までに終わり、検証はこれより後の月です(観測は {o} まで)。",
        "Cut-off {c}: every training row's label window ends by this month's end; the test rows are "
        "later months (observed until {o}).",
    ),
    "months": (
        "{a} 〜 {b}: {r:,} 行、事象 {e:,} 件、{n:,} 事業者",
        "{a} to {b}: {r:,} rows, {e:,} events, {n:,} businesses",
    ),
    "own": (
        "学習したデータ: 学習した組織が期中モニタリングで見られる事業者 {n:,} 社(財務の同意)と、"
        "その組織が見られる信用事象 {e:,} 件だけ。"
        "この版はその組織のもので、他の組織は見ることも使うこともできません。",
        "Trained on: only the {n:,} businesses the training organisation may read for monitoring "
        "(financials consent) and the {e:,} credit events it may see. This version is that "
        "organisation's; no other can see or use it.",
    ),
    "shared": (
        "学習したデータ: システムのすべての事業者と信用事象(運用者が学習した共通のモデル。"
        "自組織の有効な版がない組織の採点に使われます)。",
        "Trained on: every business and credit event of the system (the operator's shared model, "
        "used for organisations without an active version of their own).",
    ),
    "metrics": ("検証期間の成績", "Measures on the test months"),
    "head": (
        "| | AUC | PR-AUC | 上位5%の捕捉率 | 上位10%の捕捉率 | Brier | ECE |",
        "| | AUC | PR-AUC | recall top 5% | recall top 10% | Brier | ECE |",
    ),
    "model": ("本モデル(LightGBM・較正後)", "This model (LightGBM, calibrated)"),
    "logistic": ("ロジスティック回帰(基準)", "Logistic regression (baseline)"),
    "rules": ("ルールのみの優先度", "Rules-only priority"),
    "early_warning": (
        "本モデル: 信用事象のフラグも延滞もない行のみ",
        "This model: rows without credit flags or arrears",
    ),
    "calibration": (
        "較正({k}): 予測確率と実績率(検証期間、10分位)",
        "Calibration ({k}): predicted vs realised (test months, deciles)",
    ),
    "cal_head": ("| 行数 | 予測 | 実績 |", "| rows | predicted | realised |"),
    "features": ("特徴量と単調制約", "Features and monotone constraints"),
    "up": ("大きいほど確率が上がる方向のみ", "higher may only raise the probability"),
    "down": ("大きいほど確率が下がる方向のみ", "higher may only lower the probability"),
    "free": ("制約なし", "unconstrained"),
    "limits": ("限界", "Limits"),
    "limit_text": (
        "- 学習したデータ(この機関の事業者と信用事象)の範囲でのみ意味があります。業種・規模・時期が変われば精度は変わります(`kizashi model drift` で確認)。\n"
        "- ラベルは記録された信用事象だけです。記録されていない事象は「事象なし」として学習されています。\n"
        "- 既に重大な事象があった事業者の月は対象外です(予測ではなく事実のため)。\n"
        "- 確率は較正用に取り分けた事業者で較正しています。検証期間の較正表で確かめてください。\n"
        "- 理由(SHAP値)はモデルが何に反応したかを示すもので、原因を示すものではありません。\n"
        "- このスコアは対話の優先順位づけに使い、与信の判断には使いません。",
        "- It means something only for data like what it learned from (this institution's businesses and credit "
        "events); other industries, sizes or periods change its accuracy (check with `kizashi model drift`).\n"
        "- The labels are the recorded credit events only; an unrecorded event was learned as no event.\n"
        "- Months of a business after a serious event are out of scope (a fact, not a prediction).\n"
        "- Probabilities are calibrated on businesses held out of the fit; check the calibration table above.\n"
        "- Reasons (SHAP values) say what the model reacted to, not what caused anything.\n"
        "- The score ranks dialogue; it never decides credit.",
    ),
}


def _t(key: str, lang: str) -> str:
    return _T[key][0 if lang == "ja" else 1]


def _n(x: Any, digits: int = 3) -> str:
    return "—" if x is None or x != x else f"{x:.{digits}f}"


def render_card(doc: dict[str, Any], lang: str) -> str:
    meta = doc.get("meta", {})
    lines = [f"# {_t('title', lang).format(v=doc['version'])}", "", _t("purpose", lang), ""]
    lines += [f"## {_t('data', lang)}", ""]
    for part in ("train", "test"):
        d = meta.get(part) or {}
        if d.get("first_month"):
            lines.append(
                f"- {_t(part, lang)}: "
                + _t("months", lang).format(
                    a=d["first_month"],
                    b=d["last_month"],
                    r=d["rows"],
                    e=d["events"],
                    n=d["businesses"],
                )
            )
    if meta.get("cutoff"):
        lines += [
            "",
            _t("cutoff", lang).format(c=meta["cutoff"], o=meta.get("observed_until", "—")),
        ]
    scope = meta.get("scope")
    if scope:  # an organisation's own model (ADR 0010)
        lines += [
            "",
            _t("own", lang).format(n=scope.get("businesses", 0), e=scope.get("credit_events", 0)),
        ]
    elif "owner_org_id" in meta and meta["owner_org_id"] is None:
        lines += ["", _t("shared", lang)]
    m = meta.get("metrics") or {}
    if m:
        lines += [
            "",
            f"## {_t('metrics', lang)}",
            "",
            _t("head", lang),
            "|---|---|---|---|---|---|---|",
        ]
        for key in ("model", "logistic", "rules", "early_warning"):
            if key in m:
                r = m[key]
                lines.append(
                    f"| {_t(key, lang)} | {_n(r['auc'])} | {_n(r['pr_auc'])} | {_n(r['recall_top5'])} | "
                    f"{_n(r['recall_top10'])} | {_n(r['brier'], 4)} | {_n(r['ece'], 4)} |"
                )
        if "model" in m:
            lines += [
                "",
                f"### {_t('calibration', lang).format(k=meta.get('calibration_method', '—'))}",
                "",
            ]
            lines += [_t("cal_head", lang), "|---|---|---|"]
            for c in m["model"]["calibration"]:
                lines.append(f"| {c['n']:,} | {c['predicted']:.4f} | {c['realised']:.4f} |")
    lines += ["", f"## {_t('features', lang)}", ""]
    for name, d in zip(doc["features"], doc["monotone"], strict=True):
        f = feature(name)
        label = f.ja if lang == "ja" else f.en
        how = _t("up" if d > 0 else "down" if d < 0 else "free", lang)
        lines.append(f"- `{name}` {label}: {how}")
    lines += ["", f"## {_t('limits', lang)}", "", _t("limit_text", lang), ""]
    return "\n".join(lines)
