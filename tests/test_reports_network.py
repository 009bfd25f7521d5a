"""The report's network section reads the plan: change the plan, the text and table change."""

import numpy as np
import xarray as xr
from hybridplan.coverage.contract import contract_var
from hybridplan.reports.network import network_section

MEANINGS = ("no_population", "already_served", "fiber", "microwave", "geo_paksat", "not_target")


def _plan(links=1074, saving=17.3e6):
    code = np.array([3, 3, 2, 4, 5, 1], dtype=np.int8)
    cost = np.array([50_000.0, 70_000.0, 300_000.0, 150_000.0, np.nan, np.nan])
    data = {
        "site_recommendation": contract_var("site_recommendation", code, MEANINGS),
        "site_cost_usd": contract_var("site_cost_usd", cost),
        "site_population": contract_var(
            "site_population", np.array([600.0, 900.0, 4000.0, 120.0, 8000.0, 30.0])
        ),
        "site_target": contract_var("site_target", np.array([1, 1, 1, 1, 0, 0], np.int8)),
        "new_fiber_km": contract_var("new_fiber_km", np.float64(42.0)),
        "fiber_trunks": contract_var("fiber_trunks", np.int32(1)),
        "microwave_links": contract_var("microwave_links", np.int32(links)),
        "microwave_radio_pairs": contract_var("microwave_radio_pairs", np.int32(links + 3)),
        "microwave_relays": contract_var("microwave_relays", np.int32(7)),
        "microwave_shared_saving_usd": contract_var(
            "microwave_shared_saving_usd", np.float64(saving)
        ),
        "per_site_cost_usd": contract_var("per_site_cost_usd", np.float64(800_000.0)),
    }
    return xr.Dataset(data, attrs={"routing_resolution": 7})


def test_the_network_section_reads_the_plan():
    text, tab = network_section(_plan())
    assert "res-7 routing grid" in text
    assert "42 km in 1 shared trunk" in text
    assert "1,074 hops (1,077 radio pairs) through 7 relay masts" in text
    assert "saves USD 17.3 million" in text
    # the network plan's total is the targets' built sites: 50k + 70k + 300k + 150k
    assert "priced alone would cost USD 800,000" in text and "costs USD 570,000" in text
    # one row per built technology, largest population first
    assert tab.index("fibre") < tab.index("microwave") < tab.index("paksat (GEO)")
    assert ">120,000<" in tab and ">4,000<" in tab and ">1,500<" in tab
    changed, _ = network_section(_plan(links=12, saving=2.5e6))
    assert "12 hops (15 radio pairs)" in changed and "saves USD 2.5 million" in changed


def test_a_plan_without_decision_says_so():
    assert "no per-site decision" in network_section(xr.Dataset())[0]
