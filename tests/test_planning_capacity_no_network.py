"""Satellite capacity binds where no fibre is in reach (no existing network in the region):
the plan never loads a system beyond its capacity in a coarse area, and every site left
without service for capacity would not have fitted in what is left. Checked against a
recomputation of the capacity per area from the plan's own visible counts and the
labelled capacity model, independent of the assignment code."""

import h3
import numpy as np
import pytest
from hybridplan.coverage import build_plan, resolve
from hybridplan.coverage.planning.capacity import default_capacity
from hybridplan.coverage.planning.decide import plan_sites
from hybridplan.coverage.scenario import Scenario, planning_spec

# Khatlon (Tajikistan): no existing fibre in the bundled network; PakSat licensed,
# Starlink not. A low take-up keeps sites small enough that some fit and some do not.
KHATLON = """
name = "khatlon-capacity"
[region]
names = ["Khatlon"]
resolution = 6
[window]
start = "2026-05-30T00:00:00Z"
duration_h = 1
step_s = 300
[terrain]
enabled = false
[[systems]]
name = "starlink"
source = "bundled:starlink"
filter = { altitude_km = [520, 560], inclination_deg = [53, 54] }
min_elevation_deg = 25
licensed = false
[[systems]]
name = "paksat"
source = "bundled:geo"
filter = { name = "PAKSAT" }
min_elevation_deg = 10
[demand]
take_up_rate = %s
[network]
satellite_capacity = %s
"""


def _plan(take_up: str, capacity: str):
    return build_plan(resolve(Scenario.from_toml(KHATLON % (take_up, capacity), "k.toml")))


@pytest.fixture(scope="module")
def plans():
    return _plan("0.02", "true"), _plan("0.02", "false")


def _choice(plan):
    meanings = np.array(plan["site_recommendation"].attrs["flag_meanings"].split())
    return meanings[plan["site_recommendation"].values]


def _area_of_sites(plan, cell_area):
    """Each site's res-5 area: that of the plan cell holding most of its people."""
    sites = plan_sites(plan, planning_spec(Scenario.from_toml(KHATLON % ("0.02", "true"), "k")))
    people = sites.share.multiply(plan["population"].values[:, None]).tocsc()
    return cell_area[np.asarray(people.argmax(axis=0)).reshape(-1)]


def test_no_area_is_loaded_beyond_its_capacity(plans):
    plan, _ = plans
    assert not plan["routing_on_network"].values.any()  # no fibre in the region (242 km+)
    target = plan["site_target"].values.astype(bool)
    reason = plan["site_reason"].values.astype(str)
    choice = _choice(plan)
    demand = plan["site_demand_mbps"].values
    assert target.sum() > 20
    on_geo = target & (choice == "geo_paksat")
    limited = target & (reason == "none:geo_capacity_limited")
    assert on_geo.any() and limited.any()  # capacity binds, and something still fits
    assert (on_geo | limited).sum() == target.sum()
    # capacity per res-5 area, recomputed: the fewest PakSat satellites in view over the
    # area's cells x the labelled model (500 Mbit/s beam, a tenth per area, 1 beam cap)
    cells = plan["cell"].values.astype(str)
    cell_area = np.array([h3.cell_to_parent(c, 5) for c in cells])
    visible = plan["n_visible_min"].sel(system="paksat").values.astype(float)
    model = default_capacity("paksat", "geo")
    capacity = {
        a: float(model.capacity_mbps(visible[cell_area == a].min())) for a in np.unique(cell_area)
    }
    site_area = _area_of_sites(plan, cell_area)
    for a in np.unique(site_area[target]):
        here = site_area == a
        load = demand[on_geo & here].sum()
        assert load <= capacity[a] * (1 + 1e-9), (a, load, capacity[a])
        left = capacity[a] - load
        # nobody refused for capacity would have fitted in what is left
        assert (demand[limited & here] > left - 1e-9).all()


def test_without_capacity_every_site_takes_the_satellite(plans):
    _, unlimited = plans
    target = unlimited["site_target"].values.astype(bool)
    choice = _choice(unlimited)
    assert (choice[target] == "geo_paksat").all()


def test_the_report_says_why_people_get_no_backhaul():
    from hybridplan.reports.findings import findings

    plan = _plan("0.3", "true")  # the default take-up: no site fits on PakSat here
    text = " ".join(findings(plan))
    assert "the satellite systems that cover them are full (capacity per area)" in text
    assert "no feasible option under the scenario's criteria" not in text  # all capacity
