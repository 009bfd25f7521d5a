"""Satellites needed: ``required`` against brute force over a sweep, the non-monotone
flag on a hand-made case, and bisection (``required_count``) against a linear scan of
engine runs over planes added to a fixed shell."""

import itertools
from datetime import datetime, timezone

import numpy as np
import pytest
import xarray as xr
from hybridplan.coverage.engine import SystemModel, compute_coverage
from hybridplan.coverage.errors import CoverageError
from hybridplan.coverage.pipeline.required import required, required_count
from hybridplan.grids.sites import sites_grid
from hybridplan.tle import Constellation, TimeGrid, WalkerShell


def hand_made():
    """pct_time_covered over (planes, altitude_km, system, cell): 3 cells of areas 1, 1, 2."""
    pct = np.array(
        [  # planes = 2, 4, 6, 8 (rows); cells (columns); altitude 500 / 600
            [[[10, 20, 30]], [[40, 50, 60]]],
            [[[90, 95, 80]], [[99, 99, 99]]],
            [[[96, 99, 97]], [[70, 99, 99]]],  # at 600 km, 6 planes fail cell 0 again
            [[[99, 99, 99]], [[99, 99, 100]]],
        ],
        dtype=float,
    )
    return xr.Dataset(
        {
            "pct_time_covered": (("planes", "altitude_km", "system", "cell"), pct),
            "area_km2": ("cell", np.array([1.0, 1.0, 2.0])),
            "point_status": (("planes", "altitude_km"), np.ones((4, 2), np.int8)),
        },
        coords={
            "planes": ("planes", [2, 4, 6, 8], {"units": "1"}),
            "altitude_km": [500.0, 600.0],
            "system": ["w"],
            "cell": ["a", "b", "c"],
            "district": ("cell", ["x", "x", "y"]),
        },
    )


def brute(ds, parameter, target, share, cells=None):
    """Smallest value meeting, by looping over every point (no vectorisation)."""
    out = {}
    other = [d for d in ds["point_status"].dims if d != parameter]
    for combo in itertools.product(*(ds[d].values for d in other)):
        at = dict(zip(other, combo, strict=True))
        answer = None
        for value in sorted(ds[parameter].values):
            pct = ds["pct_time_covered"].sel(system="w", **at, **{parameter: value})
            area = ds["area_km2"]
            if cells is not None:
                pct, area = pct.sel(cell=cells), area.sel(cell=cells)
            good = float(area.where(pct >= target, 0).sum()) / float(area.sum()) * 100
            if good >= share:
                answer = value
                break
        out[combo] = answer
    return out


@pytest.mark.parametrize(
    "target, share, cells",
    [(95, 100, None), (95, 50, None), (90, 100, ["a"]), (99, 100, ["b", "c"])],
)
def test_required_equals_brute_force(target, share, cells):
    ds = hand_made()
    got = required(ds, "planes", target, system="w", share_pct=share, cells=cells)
    for (alt,), answer in brute(ds, "planes", target, share, cells).items():
        value = float(got["required_planes"].sel(altitude_km=alt))
        assert (np.isnan(value) and answer is None) or value == answer


def test_non_monotone_case_is_flagged():
    got = required(hand_made(), "planes", 95.0, system="w")
    assert float(got["required_planes"].sel(altitude_km=600.0)) == 4  # 99 % everywhere
    assert bool(got["non_monotone"].sel(altitude_km=600.0))  # 6 planes fail again
    assert float(got["required_planes"].sel(altitude_km=500.0)) == 6
    assert not bool(got["non_monotone"].sel(altitude_km=500.0))
    district = required(hand_made(), "planes", 96.0, system="w", district="y")
    assert float(district["required_planes"].sel(altitude_km=500.0)) == 6  # cell c only
    with pytest.raises(CoverageError, match="not a swept dimension"):
        required(hand_made(), "phasing", 95.0, system="w")


def test_largest_min_elevation_is_the_default_direction():
    ds = hand_made().rename(planes="min_elevation_deg")
    ds = ds.assign_coords(min_elevation_deg=[40.0, 30.0, 20.0, 10.0])
    got = required(ds, "min_elevation_deg", 95.0, system="w")
    assert got.attrs["direction"] == "largest"
    assert float(got["required_min_elevation_deg"].sel(altitude_km=500.0)) == 20.0


def test_bisection_over_added_planes_equals_a_linear_scan():
    """Planes of a fixed 8 x 5 shell added one at a time: supersets, so bisection is
    valid and must find what a scan of every k finds, with fewer engine runs."""
    start = datetime(2026, 5, 30, tzinfo=timezone.utc)
    full = Constellation.from_walker(WalkerShell("w", 700.0, 53.0, 8, 5, 1), start)
    planes = [full[list(range(5 * j, 5 * j + 5))] for j in range(8)]
    grid = sites_grid(
        {"Gilgit": (35.92, 74.31), "Karachi": (24.86, 67.01), "Almaty": (43.24, 76.89)}
    )
    window = TimeGrid(start, 3 * 3600.0, 60.0)
    linear = []  # every cell's worst coverage with the first k planes (k = 1..8)
    for k in range(1, 9):
        union = planes[0].union(*planes[1:k]) if k > 1 else planes[0]
        fom = compute_coverage(grid, [SystemModel("k", union, 20.0)], window, terrain=False)
        linear.append(float(fom["pct_time_covered"].sel(system="k").min()))
    assert linear == sorted(linear)  # supersets: coverage never drops as planes are added
    assert linear[0] < linear[4] < linear[7] < 100.0, linear
    for target in (linear[1] + 0.5, linear[4] + 0.5, linear[7] + 0.5):
        expected = next((k for k, worst in enumerate(linear, start=1) if worst >= target), None)
        got = required_count(grid, planes, window, target, min_elevation_deg=20.0)
        assert got.count == expected
        assert got.n_satellites == (None if expected is None else 5 * expected)
        assert len(got.evaluated) <= 4  # log2(8) + 1 engine runs, not 8
