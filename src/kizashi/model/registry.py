"""Model versions as files in the data directory, one folder each, and the active one.

``<data_dir>/models/<version>/``: ``booster.txt`` (LightGBM's own text format),
``model.json`` (features, directions, calibration, logistic baseline, PSI reference, the
measures) and the model card ``card.ja.md`` / ``card.en.md``. ``<data_dir>/models/active.json``
names the deployment's active version (the operator's fallback model). A version trained by an
organisation records it in ``meta.owner_org_id`` (None: the deployment's); which version an
organisation scores with is the store's ``risk_model_active`` (``kizashi.access.org_models``).
Files are written to a temporary name and renamed, so a reader never sees half a model."""

from __future__ import annotations

import json
import os
import re
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import lightgbm as lgb

from .card import render_card
from .fit import RiskModel

_VERSION = re.compile(r"^v\d{8}-\d{6}(-\d+)?$")


class ModelNotFound(LookupError):
    pass


def models_dir(data_dir: Path) -> Path:
    return data_dir / "models"


def _write(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, "utf-8")
    os.replace(tmp, path)


def new_version(data_dir: Path, now: datetime | None = None) -> str:
    base = f"v{(now or datetime.now(UTC)):%Y%m%d-%H%M%S}"
    version, n = base, 1
    while (models_dir(data_dir) / version).exists():
        n += 1
        version = f"{base}-{n}"
    return version


def save_model(
    data_dir: Path,
    model: RiskModel,
    version: str | None = None,
    *,
    owner_org_id: int | None = None,
    scope: dict[str, Any] | None = None,
) -> str:
    """Write a new version (never overwriting one); returns its name. ``owner_org_id``: the
    organisation that trained it (None: the deployment's); ``scope``: what it was trained on
    (the businesses' count and fingerprint, ``kizashi.jobs.risk_model``)."""
    version = version or new_version(data_dir)
    if not _VERSION.match(version):
        raise ValueError(f"not a model version: {version!r}")
    root = models_dir(data_dir)
    root.mkdir(parents=True, exist_ok=True)
    tmp = root / f".{version}.tmp"
    tmp.mkdir()
    meta = {**model.meta, "version": version, "owner_org_id": owner_org_id}
    if scope is not None:
        meta["scope"] = scope
    model.meta = meta
    (tmp / "booster.txt").write_text(model.booster.model_to_string(), "utf-8")
    doc = {
        "version": version,
        "features": list(model.names),
        "monotone": list(model.monotone),
        "calibration": model.calibration,
        "logistic": model.logistic,
        "reference": model.reference,
        "meta": meta,
    }
    (tmp / "model.json").write_text(json.dumps(doc, ensure_ascii=False, indent=1), "utf-8")
    for lang in ("ja", "en"):
        (tmp / f"card.{lang}.md").write_text(render_card(doc, lang), "utf-8")
    os.replace(tmp, root / version)
    return version


def _check(version: str) -> None:
    if not _VERSION.match(version):
        raise ModelNotFound(version)


def read_doc(data_dir: Path, version: str) -> dict[str, Any]:
    _check(version)
    path = models_dir(data_dir) / version / "model.json"
    if not path.exists():
        raise ModelNotFound(version)
    return dict(json.loads(path.read_text("utf-8")))


def load_model(data_dir: Path, version: str) -> RiskModel:
    path = models_dir(data_dir) / version
    doc = read_doc(data_dir, version)
    return _load(str(path), path.stat().st_mtime_ns, json.dumps(doc))


@lru_cache(maxsize=4)
def _load(path: str, _mtime: int, doc_text: str) -> RiskModel:
    doc = json.loads(doc_text)
    booster = lgb.Booster(model_file=str(Path(path) / "booster.txt"))
    return RiskModel(
        booster,
        tuple(doc["features"]),
        tuple(doc["monotone"]),
        doc["calibration"],
        doc.get("logistic"),
        doc.get("reference", {}),
        doc.get("meta", {}),
    )


def card_text(data_dir: Path, version: str, lang: str) -> str:
    _check(version)
    path = models_dir(data_dir) / version / f"card.{'ja' if lang == 'ja' else 'en'}.md"
    if not path.exists():
        raise ModelNotFound(version)
    return path.read_text("utf-8")


def owner_of(doc: dict[str, Any]) -> int | None:
    """The organisation that trained the version (None: the deployment's model)."""
    owner = (doc.get("meta") or {}).get("owner_org_id")
    return None if owner is None else int(owner)


def list_versions(
    data_dir: Path, *, active: str | None = None, use_deployment_active: bool = True
) -> list[dict[str, Any]]:
    """Every saved version (newest first) with its meta, its owner and whether it is active
    (``active``: the reader's active version; by default the deployment's)."""
    root = models_dir(data_dir)
    if not root.exists():
        return []
    if active is None and use_deployment_active:
        active = active_version(data_dir)
    out = []
    for p in sorted(root.iterdir(), reverse=True):
        if p.is_dir() and _VERSION.match(p.name) and (p / "model.json").exists():
            doc = read_doc(data_dir, p.name)
            out.append(
                {
                    "version": p.name,
                    "active": p.name == active,
                    "owner_org_id": owner_of(doc),
                    "meta": doc.get("meta", {}),
                }
            )
    return out


def active_version(data_dir: Path) -> str | None:
    path = models_dir(data_dir) / "active.json"
    if not path.exists():
        return None
    return str(json.loads(path.read_text("utf-8"))["version"])


def set_active(data_dir: Path, version: str, by: str) -> None:
    """Make ``version`` the active model (it must exist)."""
    read_doc(data_dir, version)
    doc = {
        "version": version,
        "activated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "by": by,
    }
    _write(models_dir(data_dir) / "active.json", json.dumps(doc, ensure_ascii=False))


def load_active(data_dir: Path) -> RiskModel | None:
    version = active_version(data_dir)
    return load_model(data_dir, version) if version else None
