"""Invariants of the decision that the economics imply, tested with hypothesis.

- Raising one system's price never makes it chosen at more sites.
- A plan's totals are a property of the ground: the same people at the same places give
  the same cost at every H3 resolution (satellite-only ground, so nothing but the sites
  and their demand can move the total).
"""

import h3
import numpy as np
import pytest
import xarray as xr
from hybridplan.coverage.planning.decide import decide
from hybridplan.coverage.planning.economics import (
    FiberCosts,
    FinanceAssumptions,
    SatelliteCosts,
)
from hybridplan.coverage.planning.recommend import (
    FeasibilityCriteria,
    SatelliteOption,
    recommend,
)
from hybridplan.coverage.planning.spec import PlanningSpec
from hypothesis import given, settings
from hypothesis import strategies as st

FINANCE = FinanceAssumptions(horizon_years=10, discount_rate=0.08)


@st.composite
def sites_and_prices(draw):
    n = draw(st.integers(1, 25))
    vals = lambda lo, hi: np.array(draw(st.lists(st.floats(lo, hi), min_size=n,  # noqa: E731
                                                 max_size=n)))
    population = vals(1, 20000)
    weighted = vals(0, 300)
    cov_a, cov_b = vals(90, 100), vals(90, 100)
    price_a = draw(st.floats(500, 10000))
    price_b = draw(st.floats(500, 10000))
    raise_by = draw(st.floats(1.0, 5.0))
    return population, weighted, cov_a, cov_b, price_a, price_b, raise_by


def _choose(population, weighted, cov_a, cov_b, price_a, price_b):
    n = population.size
    options = [
        SatelliteOption("a", "leo", True, cov_a, cov_a, np.full(n, 40.0),
                        SatelliteCosts(price_a, 400.0, 100.0)),
        SatelliteOption("b", "leo", True, cov_b, cov_b, np.full(n, 40.0),
                        SatelliteCosts(price_b, 450.0, 150.0)),
    ]
    rec = recommend(population, np.full(n, 50.0), weighted, population * 0.07, options,
                    FiberCosts(), FINANCE, FeasibilityCriteria())
    return np.array(rec.meanings)[rec.code]


@settings(max_examples=80, deadline=None)
@given(sites_and_prices())
def test_raising_a_systems_price_never_wins_it_more_sites(case):
    population, weighted, cov_a, cov_b, price_a, price_b, raise_by = case
    before = _choose(population, weighted, cov_a, cov_b, price_a, price_b)
    after = _choose(population, weighted, cov_a, cov_b, price_a * raise_by, price_b)
    assert (after == "leo_a").sum() <= (before == "leo_a").sum()
    # and no site moves *to* the dearer system
    assert not ((after == "leo_a") & (before != "leo_a")).any()


def _synthetic_plan(resolution: int, lat, lon, people) -> xr.Dataset:
    """A plan Dataset with people only at the points and uniform full LEO coverage."""
    cells = sorted({c for a, b in zip(lat, lon, strict=True)
                    for c in h3.grid_disk(h3.latlng_to_cell(a, b, resolution), 1)})
    point_cell = np.array([h3.latlng_to_cell(a, b, resolution)
                           for a, b in zip(lat, lon, strict=True)])
    population = np.array([people[point_cell == c].sum() for c in cells])
    centre = np.array([h3.cell_to_latlng(c) for c in cells])
    n = len(cells)
    ones = np.ones((1, n))
    return xr.Dataset(
        {"population": ("cell", population), "lat": ("cell", centre[:, 0]),
         "lon": ("cell", centre[:, 1]),
         "area_km2": ("cell", [h3.cell_area(c, unit="km^2") for c in cells]),
         "fiber_distance_km": ("cell", np.full(n, 80.0)),
         "fiber_weighted_km": ("cell", np.full(n, np.inf)),
         "settlement_lat": ("settlement", lat), "settlement_lon": ("settlement", lon),
         "settlement_weight": ("settlement", people),
         "settlement_cell": ("settlement", point_cell),
         "pct_time_covered": (("system", "cell"), 100 * ones),
         "pct_time_covered_open_sky": (("system", "cell"), 100 * ones),
         "latency_rtt_mean_ms": (("system", "cell"), 40 * ones),
         "licensed": ("system", [1]), "orbit_class": ("system", ["LEO"]),
         "backhaul": ("system", [1])},
        coords={"cell": cells, "system": ["starlink"]})


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_total_cost_is_the_same_at_every_resolution(seed):
    rng = np.random.default_rng(seed)
    lat = 36.0 + rng.uniform(0, 0.4, 80)
    lon = 74.0 + rng.uniform(0, 0.5, 80)
    people = rng.integers(30, 4000, 80).astype(float)
    totals, built_people = [], []
    for resolution in (6, 7, 8):
        decision = decide(_synthetic_plan(resolution, lat, lon, people), PlanningSpec())
        totals.append(np.nansum(decision.cell.chosen_cost_usd))
        built_people.append(decision.sites.population[np.isfinite(
            decision.site.chosen_cost_usd)].sum())
    np.testing.assert_allclose(totals, totals[0], rtol=1e-9)
    np.testing.assert_allclose(built_people, built_people[0], rtol=1e-9)
    assert totals[0] > 0
