"""microwave_reach's ``before_profiles`` hook: the pipeline waits for the horizons there,
after the candidate hops are found and before their profiles are tested."""

import h3
import numpy as np
import xarray as xr
from hybridplan.coverage.pipeline import microwave_links
from hybridplan.coverage.pipeline.microwave_links import microwave_reach
from hybridplan.grids import load_dem


def _ground(on_network: bool = True) -> xr.Dataset:
    """About 270 res-7 cells round Gilgit (valley floor and ridges): a few on the
    network, people in most, terrain from the bundled DEM."""
    dem = load_dem()
    cells = sorted(h3.grid_disk(h3.latlng_to_cell(35.92, 74.31, 7), 9))
    lat, lon = (np.array(v) for v in zip(*(h3.cell_to_latlng(c) for c in cells), strict=True))
    rng = np.random.default_rng(5)
    network = np.zeros(len(cells), dtype=bool)
    network[[0, len(cells) // 2]] = on_network
    return xr.Dataset(
        {
            "lat": ("cell", lat),
            "lon": ("cell", lon),
            "on_network": ("cell", network),
            "population": ("cell", rng.integers(0, 400, len(cells)).astype(float)),
            "fiber_distance_km": ("cell", np.where(network, 0.0, 8.0)),
            "elevation_m": ("cell", dem.elevation_m(lat, lon)),
        },
        coords={"cell": np.array(cells, dtype=str)},
    )


def _logged(monkeypatch, events):
    for name in ("candidate_links", "feasible_links", "relay_chains"):
        original = getattr(microwave_links, name)

        def logged(*args, _original=original, _name=name, **kwargs):
            events.append(_name)
            return _original(*args, **kwargs)

        monkeypatch.setattr(microwave_links, name, logged)


def test_the_hook_runs_once_between_the_candidates_and_the_profiles(monkeypatch):
    ground, dem = _ground(), load_dem()
    plain = microwave_reach(ground, dem)
    events: list[str] = []
    _logged(monkeypatch, events)
    hooked = microwave_reach(ground, dem, before_profiles=lambda: events.append("wait"))
    assert events == ["candidate_links", "wait", "feasible_links", "relay_chains"]
    reached = np.isfinite(plain["microwave_capex_usd"].values)
    assert 0 < reached.sum() < reached.size  # chains found, and cells left without one
    for name in plain.data_vars:
        np.testing.assert_array_equal(hooked[name].values, plain[name].values)


def test_the_hook_runs_once_without_candidate_hops(monkeypatch):
    events: list[str] = []
    _logged(monkeypatch, events)
    out = microwave_reach(
        _ground(on_network=False), load_dem(), before_profiles=lambda: events.append("wait")
    )
    assert events == ["wait"]  # nothing on the network: no hop is tried
    assert np.isinf(out["microwave_capex_usd"].values).all()
