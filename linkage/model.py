"""Fellegi-Sunter model: m/u by expectation maximisation, term-frequency adjustment, scoring.

u (how often a level occurs between different people) comes from random record pairs, each
counted by its chance of being two people once m is known; m (how often it occurs for the same
person) and the match rate are estimated by EM on the candidate pairs. EM runs over the
distinct comparison patterns with their counts, so its cost does not grow with the number of
pairs. A match weight is the sum of per-field log2(m/u): every weight
can be explained field by field.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np

from linkage.arrays import unique_counts
from linkage.compare import compare
from linkage.features import FeatureTable
from linkage.settings import Settings

MIN_PAIRS_FOR_EM = 2000
MIN_RECORDS_FOR_U = 500


@dataclass
class Model:
    """Estimated parameters; `m[name][code]`, `u[name][code]` with code 0 (null) fixed at 1."""

    version: str
    settings_version: int
    settings_fingerprint: str
    prior: float  # chance that a random record pair is one person
    m: dict[str, list[float]]
    u: dict[str, list[float]]
    trained: dict = field(default_factory=dict)

    @property
    def prior_weight(self) -> float:
        return math.log2(self.prior / (1 - self.prior))

    def to_json(self, settings: Settings) -> dict:
        comps = {}
        weights = level_weights(self, settings)
        for comp in settings.comparisons:
            comps[comp.name] = {
                "label": comp.label,
                "tf_adjusted": comp.tf,
                "levels": [
                    {
                        "code": lv.code,
                        "name": lv.name,
                        "label": lv.label,
                        "m": self.m[comp.name][lv.code],
                        "u": self.u[comp.name][lv.code],
                        "weight": float(weights[comp.name][lv.code]),
                    }
                    for lv in comp.levels
                ],
            }
        return {
            "version": self.version,
            "settings_version": self.settings_version,
            "settings_fingerprint": self.settings_fingerprint,
            "prior": self.prior,
            "prior_weight": self.prior_weight,
            "thresholds": settings.thresholds,
            "comparisons": comps,
            "trained": self.trained,
        }

    @classmethod
    def from_json(cls, data: dict) -> Model:
        m = {k: [lv["m"] for lv in v["levels"]] for k, v in data["comparisons"].items()}
        u = {k: [lv["u"] for lv in v["levels"]] for k, v in data["comparisons"].items()}
        return cls(
            data["version"],
            data["settings_version"],
            data["settings_fingerprint"],
            data["prior"],
            m,
            u,
            data.get("trained", {}),
        )


def u_exact(model: Model, settings: Settings) -> dict[str, float]:
    """u of the exact level of each TF-adjusted comparison (what attach_tf shrinks toward)."""
    return {c.name: float(model.u[c.name][c.code("exact")]) for c in settings.comparisons if c.tf}


def prior_model(settings: Settings, n_records: int) -> Model:
    """The model as written in settings.yaml, before any estimation."""
    m = {c.name: [lv.m for lv in c.levels] for c in settings.comparisons}
    u = {c.name: [lv.u for lv in c.levels] for c in settings.comparisons}
    prior = 1.0 / max(n_records - 1, 2)
    return Model("", settings.version, settings.fingerprint, prior, m, u, {})


def level_weights(model: Model, settings: Settings) -> dict[str, np.ndarray]:
    """log2(m/u) per level, null 0, capped at +/- match_weight_cap."""
    cap = float(settings.model["match_weight_cap"])
    out = {}
    for comp in settings.comparisons:
        m = np.asarray(model.m[comp.name], dtype=np.float64)
        u = np.asarray(model.u[comp.name], dtype=np.float64)
        w = np.log2(np.maximum(m, 1e-12) / np.maximum(u, 1e-12))
        w[0] = 0.0
        out[comp.name] = np.clip(w, -cap, cap).astype(np.float32)
    return out


def field_weights(
    model: Model,
    settings: Settings,
    levels: dict[str, np.ndarray],
    tf: dict[str, np.ndarray] | None,
    base: dict[str, np.ndarray] | None = None,
) -> dict[str, np.ndarray]:
    """Per-pair weight of each comparison, TF-adjusted on exact agreement of tf fields.

    Where forename and surname both agree exactly, the surname's frequency is taken among
    people with that forename (full-name frequency / forename frequency): names cluster within
    communities (Aleksandra with Nowakowska, Jaswinder with Singh), so treating them as
    independent overstates how rare the combination is. At one address the surname (and a
    forename) are capped by the household u in settings.yaml. ``base``: ``level_weights`` of the
    model, when the caller keeps them (a search weighs one small batch at a time).
    """
    base = base or level_weights(model, settings)
    cap = float(settings.model["match_weight_cap"])
    tf_min = float(settings.model["tf_min"])
    out = {}
    both = None
    if tf is not None and "fullname" in tf and "forename_units" in tf and "forename" in levels:
        both = (levels["forename"] == settings.comparison("forename").code("exact")) & (
            levels["surname"] == settings.comparison("surname").code("exact")
        )
        dob = levels.get("dob")
        own_second_unit = (
            ((dob > 0) & (dob != settings.comparison("dob").code("exact"))).astype(np.float64)
            if dob is not None
            else 0.0
        )
    for comp in settings.comparisons:
        lv = levels[comp.name]
        w = base[comp.name][lv]
        if comp.tf and tf is not None and comp.name in tf:
            exact = lv == comp.code("exact")
            if exact.any():
                m_exact = max(model.m[comp.name][comp.code("exact")], 1e-12)
                values = tf[comp.name]
                if comp.name == "surname" and both is not None:
                    # other people with this full name, among people with this forename; the pair's
                    # own two records are two (name, date of birth) units when their dates differ,
                    # and the second is not another person
                    others = tf["fullname"] - own_second_unit
                    conditional = np.maximum(others, 0.0) / np.maximum(tf["forename_units"], 1.0)
                    values = np.where(both, np.maximum(values, conditional), values)
                freq = np.maximum(values[exact], tf_min)
                w = w.copy()
                w[exact] = np.clip(np.log2(m_exact / freq), -cap, cap).astype(np.float32)
        out[comp.name] = w
    _household(model, settings, levels, out)
    _dependencies(model, settings, levels, out)
    return out


def _dependencies(
    model: Model, settings: Settings, levels: dict[str, np.ndarray], out: dict[str, np.ndarray]
) -> None:
    """Levels whose u differs where another comparison agrees (settings.yaml `dependencies`).

    Fellegi-Sunter adds weights as if comparisons were independent. Most forenames say the sex,
    so where forenames agree a shared sex is no news: its weight uses the u among different
    people whose forenames agree instead of the population u.
    """
    for dep in settings.dependencies:
        name, given = dep["comparison"], dep["given"]
        if name not in levels or given in (None, "") or given not in levels:
            continue
        comp, gcomp = settings.comparison(name), settings.comparison(given)
        when = np.isin(levels[given], [gcomp.code(g) for g in dep["given_levels"]])
        if not when.any():
            continue
        w = out[name].copy()
        for level, u in dep["u"].items():
            code = comp.code(level)
            hit = when & (levels[name] == code)
            m = max(model.m[name][code], 1e-12)
            w[hit] = np.float32(np.log2(m / max(float(u), 1e-12)))
        out[name] = w


def _household(
    model: Model, settings: Settings, levels: dict[str, np.ndarray], out: dict[str, np.ndarray]
) -> None:
    """At one address, a shared surname (and forename) is family, not coincidence: cap its weight."""
    house = settings.household
    if not house or "postcode" not in levels:
        return
    pc = settings.comparison("postcode")
    home = np.isin(levels["postcode"], [pc.code(name) for name in house.get("levels", [])])
    if not home.any():
        return
    for comp_name, level, u in household_u(model, settings):
        comp = settings.comparison(comp_name)
        code = comp.code(level)
        hit = home & (levels[comp_name] == code)
        if hit.any():
            cap_w = np.float32(np.log2(max(model.m[comp_name][code], 1e-12) / float(u)))
            w = out[comp_name].copy()
            w[hit] = np.minimum(w[hit], cap_w)
            out[comp_name] = w


def household_u(model: Model, settings: Settings) -> list[tuple[str, str, float]]:
    """(comparison, level, u at one address): the model's estimate where it has one, else settings."""
    house = settings.household
    caps = [("surname", name, float(u)) for name, u in house.get("surname_u", {}).items()]
    if "forename_u" in house:
        caps.append(("forename", "exact", float(house["forename_u"])))
    estimated = model.trained.get("household_u", {})
    return [(c, lv, float(estimated.get(f"{c}.{lv}", u))) for c, lv, u in caps]


def estimate_household(settings: Settings, levels: dict[str, np.ndarray]) -> dict:
    """How often two people at one address share a surname or forename, from the candidate pairs.

    The pairs at one address (postcode levels ``estimate_from``, which the home blocking rule lists
    whatever the names) whose dates of birth disagree (else, generation) are two people; the share
    of them agreeing on each capped level is its u at one address, smoothed toward the settings
    value by ``pseudo_pairs``.
    """
    house = settings.household
    if not house or "postcode" not in levels or "dob" not in levels:
        return {}
    pc, dob = settings.comparison("postcode"), settings.comparison("dob")
    home = np.isin(levels["postcode"], [pc.code(n) for n in house.get("estimate_from", house.get("levels", []))])
    two = home & np.isin(levels["dob"], [dob.code("else"), dob.code("generation")])
    n, pseudo = float(two.sum()), float(house.get("pseudo_pairs", 20))
    out: dict = {"pairs": int(n)}
    for comp_name, level, prior in household_u(prior_model(settings, 2), settings):
        hits = float((two & (levels[comp_name] == settings.comparison(comp_name).code(level))).sum())
        out[f"{comp_name}.{level}"] = (hits + pseudo * prior) / (n + pseudo)
    return out


def score(
    model: Model, settings: Settings, levels: dict[str, np.ndarray], tf: dict[str, np.ndarray] | None
) -> np.ndarray:
    """Match weight (log2 odds) per pair: prior plus the sum of field weights."""
    n = len(next(iter(levels.values()))) if levels else 0
    total = np.full(n, model.prior_weight, dtype=np.float32)
    for w in field_weights(model, settings, levels, tf).values():
        total += w
    return total


def probability(weight: np.ndarray | float) -> np.ndarray:
    return 1.0 / (1.0 + np.power(2.0, -np.asarray(weight, dtype=np.float64)))


# -- estimation --------------------------------------------------------------------------------


def _patterns(
    levels: dict[str, np.ndarray], names: list[str], sizes: list[int]
) -> tuple[np.ndarray, np.ndarray]:
    """Distinct comparison vectors (as a (k, F) level matrix) and their counts."""
    code = np.zeros(len(levels[names[0]]), dtype=np.int64)
    for name, size in zip(names, sizes, strict=True):
        code = code * size + levels[name].astype(np.int64)
    uniq, counts = unique_counts(code)
    mat = np.zeros((len(uniq), len(names)), dtype=np.int64)
    rest = uniq.copy()
    for j in range(len(names) - 1, -1, -1):
        mat[:, j] = rest % sizes[j]
        rest //= sizes[j]
    return mat, counts.astype(np.float64)


def random_pair_levels(ft: FeatureTable, settings: Settings, n_pairs: int, seed: int) -> dict[str, np.ndarray]:
    """Comparison levels of random record pairs (nearly all different people)."""
    rng = np.random.default_rng(seed)
    n = ft.n
    n_pairs = int(min(n_pairs, n * (n - 1) // 2))
    left = rng.integers(0, n, size=n_pairs)
    r = rng.integers(0, n, size=n_pairs)
    keep = left != r
    return compare(ft, settings, left[keep], r[keep])


def level_counts(
    levels: dict[str, np.ndarray], settings: Settings, weights: np.ndarray | None = None
) -> dict[str, np.ndarray]:
    """(Weighted) number of pairs at each level of each comparison."""
    return {
        comp.name: np.bincount(levels[comp.name], weights=weights, minlength=comp.n_levels).astype(np.float64)
        for comp in settings.comparisons
    }


def estimate_u(ft: FeatureTable, settings: Settings, n_pairs: int, seed: int) -> dict[str, np.ndarray]:
    """Level frequencies among random record pairs (nearly all different people)."""
    return level_counts(random_pair_levels(ft, settings, n_pairs, seed), settings)


def _u_from_counts(
    counts: dict[str, np.ndarray], settings: Settings, u: dict[str, np.ndarray], floor_pairs: float
) -> dict[str, np.ndarray]:
    """Smoothed u per level from level counts, floored at what the sample can resolve."""
    out = dict(u)
    for comp in settings.comparisons:
        if comp.context:
            continue
        prior_u = np.array([lv.u for lv in comp.levels])
        est = _smooth(counts[comp.name], prior_u, float(settings.model["pseudo_u"]))
        floor = 0.5 / max(floor_pairs, 1)  # below what the sample can resolve
        est = np.r_[1.0, np.maximum(est[1:], floor)]
        out[comp.name] = _fix(est, prior_u, np.array([lv.fixed_u for lv in comp.levels]))
    return out


def non_match_weights(
    m: dict[str, np.ndarray], u: dict[str, np.ndarray], settings: Settings, levels: dict[str, np.ndarray], prior: float
) -> np.ndarray:
    """Each pair's chance of being two different people under m, u and the prior (no TF, no context)."""
    n = len(next(iter(levels.values())))
    logit = np.full(n, math.log(prior / (1 - prior)))
    for comp in settings.comparisons:
        if comp.context:
            continue
        lv = levels[comp.name]
        logit += np.log(np.maximum(m[comp.name], 1e-300))[lv] - np.log(np.maximum(u[comp.name], 1e-300))[lv]
    return 1.0 / (1.0 + np.exp(np.clip(logit, -700, 700)))


def _fix(est: np.ndarray, prior: np.ndarray, fixed: np.ndarray) -> np.ndarray:
    """Keep fixed levels at their settings m; scale the others to the remaining mass."""
    if not fixed.any():
        return est
    out = est.copy()
    free = ~fixed
    free[0] = False
    mass = 1.0 - prior[fixed].sum()
    total = out[free].sum()
    out[free] = out[free] / total * mass if total > 0 else mass / max(free.sum(), 1)
    out[fixed] = prior[fixed]
    return out


def _smooth(counts: np.ndarray, prior: np.ndarray, pseudo: float) -> np.ndarray:
    """Non-null level shares with a Dirichlet pull toward the settings prior; null stays 1."""
    c = counts[1:]
    p = prior[1:] / prior[1:].sum()
    est = (c + pseudo * p) / (c.sum() + pseudo)
    return np.r_[1.0, est]


def em(
    levels: dict[str, np.ndarray],
    settings: Settings,
    m0: dict[str, np.ndarray],
    u0: dict[str, np.ndarray],
    lam0: float,
    include: list[str],
    train: list[str],
    train_u: bool = False,
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], float, int]:
    """Expectation maximisation over the distinct comparison patterns of a set of pairs.

    ``include``: comparisons in the likelihood; ``train``: those whose m (and u when
    ``train_u``) are re-estimated. The rest stay as given.
    """
    comps = [settings.comparison(name) for name in include]
    names = [c.name for c in comps]
    sizes = [c.n_levels for c in comps]
    mat, counts = _patterns(levels, names, sizes)
    prior_m = {c.name: np.array([lv.m for lv in c.levels]) for c in comps}
    prior_u = {c.name: np.array([lv.u for lv in c.levels]) for c in comps}
    fixed = {c.name: np.array([lv.fixed for lv in c.levels]) for c in comps}
    m = {k: np.asarray(v, dtype=np.float64).copy() for k, v in m0.items()}
    u = {k: np.asarray(v, dtype=np.float64).copy() for k, v in u0.items()}
    lam = lam0
    pseudo = float(settings.model["pseudo_m"])
    tol = float(settings.model["em_tolerance"])
    iterations = 0
    for it in range(1, int(settings.model["em_max_iterations"]) + 1):
        iterations = it
        logm = np.zeros(len(counts))
        logu = np.zeros(len(counts))
        for j, name in enumerate(names):
            logm += np.log(np.maximum(m[name][mat[:, j]], 1e-300))
            logu += np.log(np.maximum(u[name][mat[:, j]], 1e-300))
        a = np.log(lam) + logm
        b = np.log1p(-lam) + logu
        post = 1.0 / (1.0 + np.exp(np.clip(b - a, -700, 700)))
        wm, wu = counts * post, counts * (1 - post)
        new_lam = float(np.clip(wm.sum() / counts.sum(), 1e-9, 1 - 1e-9))
        delta = abs(new_lam - lam)
        lam = new_lam
        for j, name in enumerate(names):
            if name not in train:
                continue
            size = sizes[j]
            cm = np.bincount(mat[:, j], weights=wm, minlength=size)
            new_m = _fix(_smooth(cm, prior_m[name], pseudo), prior_m[name], fixed[name])
            delta = max(delta, float(np.abs(new_m - m[name]).max()))
            m[name] = new_m
            if train_u:
                cu = np.bincount(mat[:, j], weights=wu, minlength=size)
                u[name] = _smooth(cu, prior_u[name], float(settings.model["pseudo_u"]))
        if delta < tol:
            break
    return m, u, lam, iterations


def refine_with_labels(
    m: dict[str, np.ndarray], settings: Settings, levels: dict[str, np.ndarray], same: np.ndarray
) -> dict[str, np.ndarray]:
    """Blend the m of each level with the level counts of steward-confirmed same pairs."""
    weight = float(settings.model["steward_refine_weight"])
    out = {}
    for comp in settings.comparisons:
        lv = levels[comp.name][same]
        counts = np.bincount(lv, minlength=comp.n_levels).astype(np.float64)[1:]
        cur = np.asarray(m[comp.name], dtype=np.float64)
        if counts.sum() == 0:
            out[comp.name] = cur
            continue
        est = (cur[1:] * weight + counts) / (weight + counts.sum())
        prior = np.array([lv.m for lv in comp.levels])
        out[comp.name] = _fix(np.r_[1.0, est], prior, np.array([lv.fixed for lv in comp.levels]))
    return out


def train(
    ft: FeatureTable,
    settings: Settings,
    levels: dict[str, np.ndarray],
    rules: np.ndarray,
    rule_names: list[str],
    labels: tuple[dict[str, np.ndarray], np.ndarray] | None = None,
) -> Model:
    """Estimate u from random pairs and m by EM per training session (see settings.yaml)."""
    n = ft.n
    model = prior_model(settings, n)
    m = {k: np.asarray(v, dtype=np.float64) for k, v in model.m.items()}
    u = {k: np.asarray(v, dtype=np.float64) for k, v in model.u.items()}
    trained: dict = {
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "records": int(n),
        "candidate_pairs": int(len(rules)),
    }
    random_levels = None
    if n >= MIN_RECORDS_FOR_U:
        random_levels = random_pair_levels(
            ft, settings, int(settings.model["u_sample_pairs"]), int(settings.model["seed"])
        )
        sampled = len(next(iter(random_levels.values())))
        u = _u_from_counts(level_counts(random_levels, settings), settings, u, sampled)
        trained["u_from"] = f"{sampled} random pairs"
    else:
        trained["u_from"] = "settings prior (too few records to sample)"
    estimates: dict[str, list[np.ndarray]] = {}
    sessions = []
    for session in settings.training:
        if session["blocking"] not in rule_names:
            continue
        bit = rule_names.index(session["blocking"])
        mask = ((rules >> np.uint32(bit)) & 1).astype(bool)
        if mask.sum() < MIN_PAIRS_FOR_EM:
            continue
        fixed = set(session.get("fixed", []))
        include = [c.name for c in settings.comparisons if not c.context and c.name not in fixed]
        sub = {k: levels[k][mask] for k in include}
        m_s, _, lam_s, iters = em(sub, settings, m, u, 0.3, include, include)
        for name in include:
            estimates.setdefault(name, []).append(m_s[name])
        sessions.append(
            {
                "blocking": session["blocking"],
                "pairs": int(mask.sum()),
                "iterations": iters,
                "match_rate": round(lam_s, 4),
                "estimated": include,
            }
        )
    for name, ests in estimates.items():
        m[name] = np.mean(ests, axis=0)
    if random_levels is not None and settings.model.get("u_without_matches", True):
        # random pairs include a few true matches (many, where most people have two records):
        # count each pair for u by its chance of being two people, under the estimated m and
        # the match rate the candidate pairs imply
        prior = _match_rate(m, u, settings, levels, n)
        keep = non_match_weights(m, u, settings, random_levels, prior)
        u = _u_from_counts(level_counts(random_levels, settings, keep), settings, u, float(keep.sum()))
        trained["u_random_pairs_as_matches"] = round(float(len(keep) - keep.sum()), 1)
    trained["m_from"] = sessions or "settings prior (too few candidate pairs for EM)"
    trained["household_u"] = estimate_household(settings, levels)
    if labels is not None and bool(settings.model["steward_refine"]) and labels[1].any():
        m = refine_with_labels(m, settings, labels[0], labels[1])
        trained["steward_labels"] = int(labels[1].sum())
    model.m = {k: [float(x) for x in v] for k, v in m.items()}
    model.u = {k: [float(x) for x in v] for k, v in u.items()}
    model.prior = 1.0 / max(n - 1, 2)
    model.trained = trained
    _stamp(model, settings)
    return model


def _match_rate(
    m: dict[str, np.ndarray], u: dict[str, np.ndarray], settings: Settings, levels: dict[str, np.ndarray], n: int
) -> float:
    """The chance that two random records are one person, from the candidate pairs (no TF)."""
    total = max(n * (n - 1) / 2, 1)
    if not levels or len(next(iter(levels.values()))) == 0:
        return 1.0 / max(n - 1, 2)
    # each iteration scores every distinct comparison pattern once, weighted by how many pairs
    # share it (millions of pairs, a few thousand patterns)
    comps = [c for c in settings.comparisons if not c.context]
    mat, counts = _patterns(levels, [c.name for c in comps], [c.n_levels for c in comps])
    patterns = {c.name: mat[:, j] for j, c in enumerate(comps)}
    prior = 1.0 / max(n - 1, 2)
    for _ in range(100):
        matches = (1.0 - non_match_weights(m, u, settings, patterns, prior)) @ counts
        new = float(np.clip(matches / total, 1e-12, 0.5))
        if abs(math.log(new) - math.log(prior)) < 1e-4:
            return new
        prior = new
    return prior


def _stamp(model: Model, settings: Settings) -> None:
    digest = hashlib.sha256(json.dumps([model.m, model.u, model.prior], sort_keys=True).encode()).hexdigest()
    model.version = f"{settings.model_name}-v{settings.version}-{digest[:8]}"


def estimate_prior(
    model: Model, settings: Settings, levels: dict[str, np.ndarray], tf: dict[str, np.ndarray], n_records: int
) -> Model:
    """The chance that two random records are one person, by EM over all record pairs.

    Pairs outside the candidates count as certain non-matches; candidate pairs contribute their
    posterior under the current m, u and prior, iterated to a fixed point.
    """
    total = max(n_records * (n_records - 1) / 2, 1)
    base = score(model, settings, levels, tf) - np.float32(model.prior_weight)
    # iterate on a histogram of weights (0.01 bit bins): the fixed point needs no per-pair work
    binned, counts = unique_counts(np.round(base, 2))
    prior = model.prior
    for _ in range(100):
        pw = math.log2(prior / (1 - prior))
        post = probability(binned + pw)
        new = float(np.clip((post * counts).sum() / total, 1e-12, 0.5))
        if abs(math.log(new) - math.log(prior)) < 1e-4:
            prior = new
            break
        prior = new
    model.prior = prior
    model.trained["expected_matches"] = round(prior * total, 1)
    _stamp(model, settings)
    return model


def train_context(
    model: Model, settings: Settings, levels: dict[str, np.ndarray], tf: dict[str, np.ndarray]
) -> Model:
    """Estimate the context comparison's m from the pairs the other evidence decides.

    Each candidate pair is weighted by its posterior without context: m of a partner level is
    the posterior-weighted share of that level. u stays as set in settings.yaml: random pairs
    cannot give it (the level is only set where names agree), and weighting candidates by
    (1 - posterior) counts exactly the true matches that context should rescue (undated, moved)
    as non-matches.
    """
    context = [c for c in settings.comparisons if c.context]
    if not context:
        return model
    names = [c.name for c in context]
    no_ctx = {k: (np.zeros_like(v) if k in names else v) for k, v in levels.items()}
    post = probability(score(model, settings, no_ctx, tf))
    for comp in context:
        lv = levels[comp.name]
        counts = np.bincount(lv, weights=post, minlength=comp.n_levels)
        if counts[1:].sum() < 20:
            continue
        prior_m = np.array([x.m for x in comp.levels])
        est = _fix(
            _smooth(counts, prior_m, float(settings.model["pseudo_m"])),
            prior_m,
            np.array([x.fixed for x in comp.levels]),
        )
        # context evidence only adds (a man with a new partner in another force is the serial case
        # this product exists to find): a level estimated rarer among matches than its u says is
        # held at no weight, not turned against the link
        u = np.asarray(model.u[comp.name], dtype=np.float64)
        est[1:] = np.maximum(est[1:], u[1:])
        model.m[comp.name] = [float(x) for x in est]
    _stamp(model, settings)
    return model
