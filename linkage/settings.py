"""Load the model settings (linkage/settings.yaml): comparisons, levels, blocking, thresholds, priors.

The settings are data so an analyst can read and change the model without reading the engine.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import yaml

DEFAULT_PATH = Path(__file__).with_name("settings.yaml")


@dataclass(frozen=True)
class Level:
    """One outcome of a comparison; code = its position (0 is always null)."""

    code: int
    name: str
    kind: str  # null / exact / partial / disagree
    m: float
    u: float
    label: str
    fixed: bool = False  # m kept as given (not estimated)
    fixed_u: bool = False  # u kept as given (not estimated from random pairs)


@dataclass(frozen=True)
class Comparison:
    name: str
    key: str
    label: str
    levels: tuple[Level, ...]
    tf: bool = False
    context: bool = False
    params: dict = field(default_factory=dict)  # what the engine needs to tell the levels apart

    @property
    def n_levels(self) -> int:
        return len(self.levels)

    def code(self, name: str) -> int:
        for level in self.levels:
            if level.name == name:
                return level.code
        raise KeyError(f"{self.name} has no level {name!r}")

    def has(self, name: str) -> bool:
        """Whether the settings list this (optional) level."""
        return any(level.name == name for level in self.levels)


@dataclass(frozen=True)
class BlockingRule:
    name: str
    keys: tuple[str, ...]
    max_block: int
    subblock: str | None = None
    only_undated: bool = False


@dataclass(frozen=True)
class Settings:
    version: int
    model_name: str
    comparisons: tuple[Comparison, ...]
    blocking: tuple[BlockingRule, ...]
    context: dict
    model: dict
    thresholds: dict
    rules: dict
    cluster: dict
    training: tuple[dict, ...] = ()
    household: dict = field(default_factory=dict)
    dependencies: tuple[dict, ...] = ()
    raw: dict = field(repr=False, compare=False, default_factory=dict)

    def comparison(self, name: str) -> Comparison:
        for comp in self.comparisons:
            if comp.name == name:
                return comp
        raise KeyError(name)

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.comparisons]

    @property
    def fingerprint(self) -> str:
        """Hash of the settings: a changed model definition invalidates cached comparisons."""
        return hashlib.sha256(json.dumps(self.raw, sort_keys=True).encode()).hexdigest()[:12]

    @property
    def link_weight(self) -> float:
        return prob_to_weight(self.thresholds["link_probability"])

    @property
    def review_weight(self) -> float:
        return prob_to_weight(self.thresholds["review_probability"])


def prob_to_weight(p: float) -> float:
    """Match probability to match weight (log2 odds)."""
    p = min(max(p, 1e-12), 1 - 1e-12)
    return math.log2(p / (1 - p))


def load_settings(path: Path | str | None = None) -> Settings:
    """Read and check the YAML settings; levels get codes 1.. with 0 reserved for null."""
    raw = yaml.safe_load(Path(path or DEFAULT_PATH).read_text())
    comps = []
    for c in raw["comparisons"]:
        levels = [Level(0, "null", "null", 1.0, 1.0, "missing on one side")]
        for i, lv in enumerate(c["levels"], start=1):
            if lv["kind"] not in ("exact", "partial", "disagree"):
                raise ValueError(f"{c['name']}.{lv['name']}: unknown kind {lv['kind']}")
            levels.append(
                Level(
                    i,
                    lv["name"],
                    lv["kind"],
                    float(lv["m"]),
                    float(lv["u"]),
                    lv.get("label", lv["name"].replace("_", " ")),
                    bool(lv.get("fixed", False)),
                    bool(lv.get("fixed_u", False)),
                )
            )
        comps.append(
            Comparison(
                c["name"],
                c["key"],
                c.get("label", c["name"]),
                tuple(levels),
                bool(c.get("tf", False)),
                bool(c.get("context", False)),
                dict(c.get("params") or {}),
            )
        )
    rules = tuple(
        BlockingRule(
            b["name"],
            tuple(b["keys"]),
            int(b["max_block"]),
            b.get("subblock"),
            bool(b.get("only_undated", False)),
        )
        for b in raw["blocking"]
    )
    return Settings(
        int(raw["version"]),
        raw["model_name"],
        tuple(comps),
        rules,
        raw["context"],
        raw["model"],
        raw["thresholds"],
        raw["rules"],
        raw["cluster"],
        tuple(raw.get("training", [])),
        raw.get("household", {}),
        tuple(raw.get("dependencies", []) or []),
        raw,
    )
