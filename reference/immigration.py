"""The immigration firewall's vocabulary: which source columns are immigration fields, and which
stated purposes name immigration enforcement (shared/domain.md, "Immigration firewall").

Victims and witnesses with insecure immigration status under-report because they fear their data
reaches immigration enforcement. So the loaders hold immigration status and NRPF columns apart
(:mod:`loaders.firewall`) and no purpose serves immigration enforcement: a request or command
stating one is refused with its own reason. The names are configuration
(``data/immigration_firewall.yaml``, or a force's own in ``DOTS_IMMIGRATION_FIREWALL``); a
force's extract may spell a column any way, so names are compared normalised.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from reference.config import read_yaml, rules_source

ENV = "DOTS_IMMIGRATION_FIREWALL"
REFUSAL = (
    "no data is processed for immigration enforcement: victim and witness data is never shared or "
    "exported for it (immigration firewall)"
)


def normalised(name: str) -> str:
    """``"Immigration Status "`` -> ``immigration_status``: lower case, each run of anything but
    letters and digits one ``_``, none at either end."""
    return re.sub(r"[^0-9a-z]+", "_", str(name).casefold()).strip("_")


@dataclass(frozen=True)
class Firewall:
    """The configured field names and patterns, and the purpose patterns."""

    fields: frozenset[str]
    field_patterns: tuple[re.Pattern[str], ...]
    purpose_patterns: tuple[re.Pattern[str], ...]

    def is_field(self, name: str) -> bool:
        """Whether a column (or a mapping's reference to one) is an immigration field."""
        key = normalised(name)
        return bool(key) and (key in self.fields or any(p.search(key) for p in self.field_patterns))

    def is_enforcement(self, purpose: str) -> bool:
        """Whether a stated purpose names immigration enforcement."""
        key = normalised(purpose)
        return bool(key) and any(p.search(key) for p in self.purpose_patterns)


def firewall(path: str | None = None) -> Firewall:
    """The firewall configured for this process (``path``, else ``$DOTS_IMMIGRATION_FIREWALL``,
    else the shipped list); ValueError naming the file when it cannot be used."""
    return _load(rules_source(path, ENV, "immigration_firewall.yaml"))


@lru_cache(maxsize=8)
def _load(source: str) -> Firewall:
    raw = read_yaml(source, "immigration firewall")
    keys = ("fields", "field_patterns", "purpose_patterns")
    if not isinstance(raw, dict) or any(not isinstance(raw.get(k), list) for k in keys):
        raise ValueError(f"{source}: the immigration firewall needs the lists {', '.join(keys)}")
    try:
        return Firewall(
            fields=frozenset(normalised(f) for f in raw["fields"]),
            field_patterns=tuple(re.compile(str(p)) for p in raw["field_patterns"]),
            purpose_patterns=tuple(re.compile(str(p)) for p in raw["purpose_patterns"]),
        )
    except re.error as exc:
        raise ValueError(f"{source}: an immigration firewall pattern is not a regular expression: {exc}") from exc


def is_immigration_field(name: str) -> bool:
    return firewall().is_field(name)


def is_enforcement_purpose(purpose: str) -> bool:
    return firewall().is_enforcement(purpose)


def is_enforcement_reference(reference: str) -> bool:
    """Whether a case reference names immigration enforcement (``HOIE/123``, ``UKVI-2026-7``): the
    purpose words, since a lawful purpose with such a reference says what the read is for."""
    return firewall().is_enforcement(reference)
