"""Hexagon maps as figure objects: geometry edge (lat, lng) -> (lng, lat), coarsening,
labels from attributes, feature counts, colour scales with units, overlays."""

import math

import h3
import numpy as np
import pytest
import xarray as xr
from hybridplan.coverage import testing
from hybridplan.reports import (
    ReportDataError,
    district_detail_map,
    district_map,
    hex_map,
    hexgeom,
    terrain_loss,
    terrain_loss_map,
)
from hypothesis import given, settings
from hypothesis import strategies as st

GILGIT = (35.92, 74.31)  # (lat, lng) of Gilgit town [deg]


@pytest.fixture()
def plan(synthetic_plan):
    return synthetic_plan


def _polygons(trace) -> int:
    """Number of polygons in a fill trace: NaN/None-separated runs."""
    x = np.asarray([np.nan if v is None else v for v in trace.x], dtype=float)
    return int(np.sum(np.isnan(x))) + 1 if x.size else 0


def _hexagon_traces(fig):
    return [t for t in fig.data if t.fill == "toself"]


# --- geometry edge -------------------------------------------------------------------

def test_boundary_is_lng_lat_closed_and_counter_clockwise():
    cell = h3.latlng_to_cell(*GILGIT, 7)
    ring = hexgeom.boundary_lnglat(cell)
    assert ring.shape == (7, 2)
    assert np.array_equal(ring[0], ring[-1])
    lat, lng = h3.cell_to_latlng(cell)
    # x is longitude: the centroid of the ring is the cell centre in (lng, lat) order
    assert ring[:-1, 0].mean() == pytest.approx(lng, abs=1e-3)
    assert ring[:-1, 1].mean() == pytest.approx(lat, abs=1e-3)
    assert 74.0 < ring[0, 0] < 75.0 and 35.0 < ring[0, 1] < 36.5
    x, y = ring[:, 0], ring[:, 1]
    assert np.sum(x[:-1] * y[1:] - x[1:] * y[:-1]) > 0  # CCW (RFC 7946 exterior)
    # every vertex is one of h3's (lat, lng) vertices, swapped
    h3_vertices = {(round(b, 9), round(a, 9)) for a, b in h3.cell_to_boundary(cell)}
    assert {(round(a, 9), round(b, 9)) for a, b in ring[:-1]} == h3_vertices


def test_concatenated_rings_separate_polygons_with_nan():
    cells = testing.synthetic_cells()[:5]
    x, y = hexgeom.concatenated_rings(hexgeom.rings_lnglat(cells))
    assert x.dtype == np.float32
    assert int(np.isnan(x).sum()) == 4 and int(np.isnan(y).sum()) == 4
    assert len(x) == 5 * 7 + 4


def test_aggregate_weighted_mean_sum_max_and_mode_by_hand():
    parent = h3.latlng_to_cell(*GILGIT, 5)
    children = sorted(h3.cell_to_children(parent, 7))[:4]
    values = np.array([10.0, 20.0, np.nan, 40.0])
    weights = np.array([1.0, 3.0, 5.0, 0.0])
    for how, expected in [("mean", (10 + 60) / 4), ("sum", 70.0), ("max", 40.0)]:
        cells, out = hexgeom.aggregate(children, values, weights, 5, how)
        assert cells == [parent]
        assert out[0] == pytest.approx(expected)
    codes = np.array([1.0, 2.0, 2.0, 1.0])
    _, mode = hexgeom.aggregate(children, codes, np.array([5.0, 1.0, 1.0, 1.0]), 5, "mode")
    assert mode[0] == 1.0  # weight 6 for code 1 against 2 for code 2
    with pytest.raises(ValueError, match="one of"):
        hexgeom.aggregate(children, values, weights, 5, "median")


@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(0, 100), min_size=7, max_size=7),
       st.lists(st.floats(0.1, 10), min_size=7, max_size=7))
def test_aggregate_mean_within_children_and_sum_preserved(values, weights):
    parent = h3.latlng_to_cell(*GILGIT, 6)
    children = sorted(h3.cell_to_children(parent, 7))
    _, mean = hexgeom.aggregate(children, np.array(values), np.array(weights), 6, "mean")
    assert min(values) - 1e-9 <= mean[0] <= max(values) + 1e-9
    _, total = hexgeom.aggregate(children, np.array(values), np.array(weights), 6, "sum")
    assert total[0] == pytest.approx(sum(values))


def test_auto_overview_resolution_respects_the_budget(plan):
    cells = [str(c) for c in plan.cell.values]
    assert hexgeom.auto_overview_resolution(cells, 10_000) == 7
    res = hexgeom.auto_overview_resolution(cells, 500)
    assert res < 7 and len(set(hexgeom.parents(cells, res))) <= 500
    assert len(set(hexgeom.parents(cells, res + 1))) > 500


# --- hex_map ------------------------------------------------------------------------

def test_hex_map_labels_from_attrs_and_one_polygon_per_cell(plan):
    fig = hex_map(plan, "pct_time_covered", system="starlink", overview_resolution=7)
    title = fig.layout.title.text
    assert title.startswith("percentage of time steps with at least one visible satellite "
                            "[percent], starlink")
    assert fig.layout.xaxis.title.text == "longitude of the cell centre [degrees_east]"
    assert fig.layout.yaxis.title.text == "latitude of the cell centre [degrees_north]"
    assert sum(_polygons(t) for t in _hexagon_traces(fig)) == plan.sizes["cell"]
    bars = [t for t in fig.data if t.marker is not None and t.marker.showscale]
    assert len(bars) == 1
    assert bars[0].marker.colorbar.title.text.startswith("percentage of time steps")
    values = plan.pct_time_covered.sel(system="starlink").values
    ticks = bars[0].marker.colorbar.ticktext
    assert float(ticks[0]) == pytest.approx(values.min(), rel=1e-3)
    assert float(ticks[-1]) == pytest.approx(values.max(), rel=1e-3)
    assert len(_hexagon_traces(fig)) <= 8  # one trace per colour bin
    lat = np.mean([h3.cell_to_latlng(c)[0] for c in plan.cell.values])
    assert fig.layout.yaxis.scaleanchor == "x"
    assert fig.layout.yaxis.scaleratio == pytest.approx(1 / math.cos(math.radians(lat)),
                                                        rel=1e-3)
    assert fig.layout.meta["resolution"] == 7


def test_hex_map_bins_put_each_value_in_its_colour(plan):
    fig = hex_map(plan, "elevation_m", overview_resolution=7, n_bins=4)
    elevation = plan.elevation_m.values
    edges = np.linspace(elevation.min(), elevation.max(), 5)
    counts = np.histogram(elevation, edges)[0]
    drawn = {t.name: _polygons(t) for t in _hexagon_traces(fig)}
    assert list(drawn.values()) == counts.tolist()


def test_overview_aggregates_to_coarser_parents_with_a_note(plan):
    fig = hex_map(plan, "pct_time_covered", max_hexagons=300)
    res = fig.layout.meta["resolution"]
    parents = set(hexgeom.parents([str(c) for c in plan.cell.values], res))
    assert res < 7
    assert sum(_polygons(t) for t in _hexagon_traces(fig)) == len(parents) <= 300
    assert f"H3 resolution {res}, area-weighted mean of resolution-7 cells" in \
        fig.layout.title.text


def test_population_overview_sums_people(plan):
    fig = hex_map(plan, "population", overview_resolution=5)
    hover = next(t for t in fig.data if t.name == "cells")
    total = sum(float(s.split("<br>")[1].split()[0].replace(",", "")) for s in hover.text)
    assert total == pytest.approx(float(plan.population.sum()), rel=1e-3)
    assert "sum of resolution-7 cells" in fig.layout.title.text


def test_categorical_map_has_a_legend_of_flag_meanings_in_contract_colours(any_plan):
    plan = any_plan
    fig = hex_map(plan, "recommendation", overview_resolution=plan.attrs.get(
        "h3_resolution", 7))
    assert fig.layout.title.text.startswith("recommended backhaul<br>")  # no "[1]"
    names = [t.name for t in _hexagon_traces(fig)]
    meanings = plan.recommendation.attrs["flag_meanings"].split()
    present = [m for i, m in enumerate(meanings) if (plan.recommendation == i).any()]
    assert names == present
    for trace, meaning in zip(_hexagon_traces(fig), present, strict=True):
        code = meanings.index(meaning)
        assert _polygons(trace) == int((plan.recommendation == code).sum())
        colour = plan.recommendation.attrs["flag_colors"].split()[code]
        assert trace.fillcolor == colour  # from the plan's attrs, not from reports/
    assert not any(t.marker is not None and t.marker.showscale for t in fig.data)


def test_flag_variable_without_colours_takes_the_palette(plan):
    ds = plan.copy()
    ds["underserved"] = ds.underserved.copy()
    del ds.underserved.attrs["flag_colors"]
    fig = hex_map(ds, "underserved", overview_resolution=7)
    colours = [t.fillcolor for t in _hexagon_traces(fig)]
    assert colours == list(hex_map.__globals__["PALETTE"][:2])


def test_missing_values_are_drawn_as_no_data(plan):
    ds = plan.copy()
    ds["max_gap_s"] = ds.max_gap_s.where(ds.cell != ds.cell[0])
    fig = hex_map(ds, "max_gap_s", overview_resolution=7)
    nodata = [t for t in fig.data if t.name == "no data"]
    assert len(nodata) == 1 and _polygons(nodata[0]) == 1


def test_overlays_draw_boundaries_names_and_network(plan):
    fig = hex_map(plan, "fiber_path_km", boundaries=testing.synthetic_boundaries(),
                  network=testing.synthetic_network(), overview_resolution=6)
    boundary = next(t for t in fig.data if t.name == "Boundaries")
    assert int(np.isnan(np.asarray(boundary.x, float)).sum()) == 3  # four rings, NaN gaps
    names = next(t for t in fig.data if t.name == "Boundary names")
    assert sorted(names.text) == sorted(testing.DISTRICTS)
    fibre = next(t for t in fig.data if t.name == "Fibre network")
    assert list(fibre.x) == [p[0] for p in testing.FIBRE_ROUTE]  # lon on x
    assert list(fibre.y) == [p[1] for p in testing.FIBRE_ROUTE]
    pop = next(t for t in fig.data if t.name == "Network points")
    assert pop.text == ("synthetic PoP",)


def test_bad_inputs_raise_errors_that_name_the_choices(plan):
    with pytest.raises(ReportDataError, match="per-cell variables"):
        hex_map(plan, "no_such_variable")
    with pytest.raises(ReportDataError, match="expected one of"):
        hex_map(plan, "pct_time_covered", system="iridium")
    with pytest.raises(ReportDataError, match="GeoJSON-like"):
        hex_map(plan, "population", boundaries=[1, 2])
    with pytest.raises(ValueError, match="0..15"):
        hex_map(plan, "population", overview_resolution=16)
    with pytest.raises(ReportDataError, match="district 'Atlantis'"):
        district_map(plan, "population", "Atlantis")
    assert isinstance(ReportDataError("x"), ValueError)


def test_uint64_cell_coordinate_is_accepted(plan):
    ds = plan.assign_coords(cell=[h3.str_to_int(c) for c in plan.cell.values])
    fig = hex_map(ds, "population", overview_resolution=7)
    assert sum(_polygons(t) for t in _hexagon_traces(fig)) == plan.sizes["cell"]


def test_terrain_loss_is_open_sky_minus_terrain_aware(plan):
    loss = terrain_loss(plan)
    expected = plan.pct_time_covered_open_sky - plan.pct_time_covered
    xr.testing.assert_allclose(loss.drop_attrs(), expected.drop_attrs().rename(loss.name))
    assert loss.attrs["units"] == "percent"
    fig = terrain_loss_map(plan, system="oneweb", overview_resolution=7)
    assert fig.layout.title.text.startswith(
        "Coverage lost to terrain (open sky minus terrain-aware) [percent], oneweb")
    with pytest.raises(ReportDataError, match="pct_time_covered_open_sky"):
        terrain_loss(plan.drop_vars("pct_time_covered_open_sky"))


def test_district_map_is_full_resolution_for_one_district(plan):
    fig = district_map(plan, "pct_time_covered", "Hunza")
    n = int((plan.district == "Hunza").sum())
    assert sum(_polygons(t) for t in _hexagon_traces(fig)) == n
    assert "Hunza" in fig.layout.title.text and fig.layout.meta["resolution"] == 7


def test_district_detail_map_has_one_button_per_district(plan):
    fig = district_detail_map(plan, "pct_time_covered", boundaries=testing.synthetic_boundaries())
    buttons = fig.layout.updatemenus[0].buttons
    assert [b.label for b in buttons] == sorted(testing.DISTRICTS)
    hexes = [i for i, t in enumerate(fig.data) if t.fill == "toself"]
    for button in buttons:
        visible = button.args[0]["visible"]
        shown = sum(_polygons(fig.data[i]) for i in hexes if visible[i])
        assert shown == int((plan.district == button.label).sum())
    total = sum(_polygons(fig.data[i]) for i in hexes)
    assert total == plan.sizes["cell"]  # every cell at full resolution
    bars = [t for t in fig.data if t.marker is not None and t.marker.showscale]
    assert len(bars) == 1 and bars[0].visible is not False


def test_log_scale_bins_by_ratio_and_draws_zeros_apart(plan):
    fig = hex_map(plan, "population", overview_resolution=7, scale="log", n_bins=4)
    pop = plan.population.values
    positive = pop[pop > 0]
    edges = np.geomspace(positive.min(), pop.max(), 5)
    counts = np.histogram(positive, edges)[0]
    traces = _hexagon_traces(fig)
    assert traces[0].name == "0 person" and _polygons(traces[0]) == int((pop == 0).sum())
    assert [_polygons(t) for t in traces[1:]] == [c for c in counts if c]
    bar = next(t for t in fig.data if t.marker is not None and t.marker.showscale)
    assert bar.marker.colorbar.title.text.endswith("(log scale)")
    assert float(bar.marker.colorbar.ticktext[-1].replace(",", "")) == pytest.approx(
        pop.max())
    # a linear scale puts nearly every cell in the first bin (one town dominates)
    linear = _hexagon_traces(hex_map(plan, "population", overview_resolution=7, n_bins=4))
    assert _polygons(linear[0]) > 0.95 * plan.sizes["cell"]


def test_quantile_scale_has_equal_counts(plan):
    fig = hex_map(plan, "elevation_m", overview_resolution=7, scale="quantile", n_bins=4)
    counts = [_polygons(t) for t in _hexagon_traces(fig)]
    assert max(counts) - min(counts) <= 2
    with pytest.raises(ValueError, match="scale must be one of"):
        hex_map(plan, "elevation_m", scale="sqrt")


def test_constant_field_is_one_flat_colour_with_a_note(real_plan):
    # the real 2 h Nagar plan: Starlink covers every cell at every step
    values = real_plan.pct_time_covered.sel(system="starlink").values
    assert (values == 100.0).all()
    fig = hex_map(real_plan, "pct_time_covered", system="starlink", overview_resolution=6)
    (flat,) = _hexagon_traces(fig)
    assert flat.name == "100 percent in every cell"
    assert _polygons(flat) == real_plan.sizes["cell"]
    assert "100 percent in every cell" in fig.layout.title.text
    assert not any(t.marker is not None and t.marker.showscale for t in fig.data)
    # float noise (a mean of 100 % over many steps) is still one value, not 8 colour bins
    noisy = real_plan.copy()
    noise = 1e-12 * np.arange(real_plan.sizes["cell"])
    noisy["pct_time_covered"] = real_plan.pct_time_covered + noise
    fig = hex_map(noisy, "pct_time_covered", system="starlink", overview_resolution=6)
    assert [t.name for t in _hexagon_traces(fig)] == ["100 percent in every cell"]


def test_hover_shows_reason_and_costs(real_plan):
    fig = hex_map(real_plan, "recommendation", overview_resolution=6)
    hover = next(t for t in fig.data if t.name == "cells")
    cells = [str(c) for c in real_plan.cell.values]
    meanings = real_plan.recommendation.attrs["flag_meanings"].split()
    k = int(np.flatnonzero(real_plan.recommendation.values == meanings.index("leo_starlink"))[0])
    text = hover.text[k]
    assert text.startswith(cells[k] + " (Nagar)<br>leo_starlink")
    assert f"reason: {real_plan.reason.values[k]}" in text
    cost = real_plan.cost_recommended_usd.values[k]
    assert f"cost of the recommendation: USD {cost:,.0f}" in text
    costs = {o: real_plan[f"cost_{o}_usd"].values[k]
             for o in ("fiber", "microwave", "leo_starlink", "geo_paksat")
             if f"cost_{o}_usd" in real_plan and np.isfinite(real_plan[f"cost_{o}_usd"].values[k])}
    cheapest = sorted(costs, key=costs.get)[:3]
    assert "cheapest options: " + ", ".join(
        f"{o} USD {costs[o]:,.0f}" for o in cheapest) in text
