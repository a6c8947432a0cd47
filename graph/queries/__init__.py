"""The questions each user brings, as parameterised functions over a GraphBackend.

Every function returns its evidence (event ids, order ids, source record keys) with each row.
Importing this package registers every Cypher text in ``REGISTRY`` (linted in CI).
"""

from graph.queries._common import REGISTRY, resolve_force
from graph.queries.disclosure import disclosure_view, right_to_know_candidates
from graph.queries.groups import network_groups
from graph.queries.orders import court_only_orders, orders_active, orders_expiring, possible_breaches
from graph.queries.perpetrators import (
    cross_force_victims,
    serial_perpetrators,
    victim_links,
    victims_in_multiple_forces,
)
from graph.queries.profile import network, person_profile
from graph.queries.retention import retention_review
from graph.queries.safeguarding import (
    active_bail_conditions,
    bail_list,
    encompass_list,
    gaps_list,
    notices_list,
    person_duties,
    safeguarding_list,
)
from graph.queries.stats import force_statistics
from graph.queries.targets import target_movement, targets
from graph.queries.victims import repeat_victims

__all__ = [
    "REGISTRY", "resolve_force", "disclosure_view", "right_to_know_candidates", "court_only_orders",
    "orders_active", "orders_expiring", "possible_breaches", "cross_force_victims", "serial_perpetrators",
    "victim_links", "victims_in_multiple_forces", "network", "network_groups", "person_profile",
    "target_movement", "targets", "repeat_victims", "active_bail_conditions", "bail_list", "encompass_list",
    "gaps_list", "notices_list", "person_duties", "safeguarding_list",
    "force_statistics", "retention_review",
]
