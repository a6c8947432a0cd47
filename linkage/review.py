"""The review queue: the uncertain pairs a steward team can work, most consequential first.

A pair the model cannot decide (between the review and link thresholds, or held back by a rule)
is worth a steward's time in proportion to how much the decision would change:

* how unsure the model is (1 at probability 0.5, 0 at 0 or 1);
* how many records the decision joins or keeps apart (the two people's records, not the pair's);
* whether those people matter to the service: records in domestic abuse events or orders
  (counterparts), where a link can make a serial perpetrator or reach a disclosure answer;
* whether the pair spans sources (two forces, a force and a court): the links no single force sees.

``priority = uncertainty * (1 + ln(1 + records)) * (1 + ln(1 + counterparts)) * (1 + cross_source)``

The queue holds the highest-priority pairs until it names ``review.max_share`` of the records
(at least ``review.min_records``). Pairs beyond that budget are *deferred*: not linked (precision
is held), listed in the scored pairs with decision ``deferred``, and they come back into the
queue as soon as a steward decision or new data moves them up.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from linkage.settings import Settings


@dataclass
class Queue:
    """The queued pairs (rows of the candidate pairs, highest priority first) and the deferred ones."""

    rows: np.ndarray
    deferred: np.ndarray
    frame: pd.DataFrame


def review_queue(
    settings: Settings,
    keys: np.ndarray,
    left: np.ndarray,
    right: np.ndarray,
    probability: np.ndarray,
    in_review: np.ndarray,
    labels: np.ndarray,
    person_id: np.ndarray,
    degree: np.ndarray,
    source: np.ndarray,
) -> Queue:
    """Rank the pairs in review and keep those within the budget.

    ``in_review``: per candidate pair, whether its decision is review; ``labels``: cluster label
    per record; ``person_id``: person id per record; ``degree``: counterparts per record (events
    and orders it shares with a suspect, victim, respondent or protected person); ``source``: a
    code per record for where it comes from (force or court).
    """
    conf = settings.raw.get("review", {}) or {}
    rows = np.flatnonzero(in_review)
    n_records = len(keys)
    size = np.bincount(labels, minlength=1) if n_records else np.zeros(1, dtype=np.int64)
    counterparts = np.bincount(labels, weights=degree, minlength=len(size)) if n_records else size * 0.0
    a, b = left[rows], right[rows]
    la, lb = labels[a], labels[b]
    touched = (size[la] + np.where(la != lb, size[lb], 0)).astype(np.int64)
    related = counterparts[la] + np.where(la != lb, counterparts[lb], 0)
    cross = (source[a] != source[b]).astype(np.int8)
    p = probability[rows]
    uncertainty = 1.0 - np.abs(2.0 * p - 1.0)
    priority = uncertainty * (1 + np.log1p(touched)) * (1 + np.log1p(related)) * (1 + cross)
    order = np.lexsort((keys[b], keys[a], -priority))
    rows, a, b = rows[order], a[order], b[order]
    budget = max(int(conf.get("min_records", 200)), math.floor(float(conf.get("max_share", 0.01)) * n_records))
    # records named by the queue so far, pair by pair in priority order
    first_seen = _first_appearance(np.stack([a, b], axis=1).ravel()).reshape(-1, 2)
    named = np.cumsum(first_seen.sum(axis=1))
    keep = named <= budget
    deferred = np.zeros(len(in_review), dtype=bool)
    deferred[rows[~keep]] = True
    kept = order[keep]
    frame = pd.DataFrame(
        {
            "record_key_l": keys[a[keep]],
            "record_key_r": keys[b[keep]],
            "probability": p[kept].round(6),
            "person_id_l": person_id[a[keep]],
            "person_id_r": person_id[b[keep]],
            "records_touched": touched[kept],
            "cross_source": cross[kept].astype(bool),
            "relevance": related[kept].astype(np.int64),
            "uncertainty": uncertainty[kept].round(4),
            "priority": priority[kept].round(4),
        }
    )
    return Queue(rows[keep], deferred, frame)


def _first_appearance(values: np.ndarray) -> np.ndarray:
    """True where a value appears for the first time in the array."""
    out = np.zeros(len(values), dtype=bool)
    if len(values):
        _, first = np.unique(values, return_index=True)
        out[first] = True
    return out
