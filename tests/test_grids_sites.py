"""Grids beyond a region: global / latitude-band H3 grids (res 0-4), site lists, and the
coverage-by-latitude profile of a Walker 53 deg shell over the globe."""

from datetime import datetime, timezone

import h3
import numpy as np
import pytest
from hybridplan.coverage.engine import SystemModel, compute_coverage
from hybridplan.coverage.engine.stk import coverage_by_latitude
from hybridplan.grids import GridError, ResolutionError
from hybridplan.grids.sites import (
    global_grid,
    latitude_band_grid,
    read_sites_csv,
    sites_grid,
)
from hybridplan.tle import Constellation, TimeGrid, WalkerShell


@pytest.mark.parametrize("resolution", [0, 1, 2])
def test_global_grid_holds_every_cell(resolution):
    grid = global_grid(resolution)
    assert grid.sizes["cell"] == h3.get_num_cells(resolution)  # 122, 842, 5882
    # H3's own areas: the cells tile the sphere (4 pi R^2 = 510.07 M km2)
    assert float(grid["area_km2"].sum()) == pytest.approx(510_065_622.0, rel=1e-6)
    assert grid.attrs["region"] == "globe" and grid.attrs["h3_resolution"] == resolution


def test_bands_partition_the_globe():
    edges = [-90.0, -30.0, 0.0, 45.0, 90.0]
    parts = [latitude_band_grid(2, a, b) for a, b in zip(edges[:-1], edges[1:], strict=True)]
    cells = np.concatenate([p["cell"].values for p in parts])
    assert len(cells) == len(set(cells)) == h3.get_num_cells(2)
    for (a, b), part in zip(zip(edges[:-1], edges[1:], strict=True), parts, strict=True):
        assert part["lat"].min() >= a and (part["lat"].max() < b or b == 90.0)
        # the cells' area matches the band's spherical area within the ragged edges
        assert float(part["area_km2"].sum()) == pytest.approx(
            part.attrs["region_area_km2"], rel=0.05
        )


def test_fine_global_resolution_is_refused_with_the_cell_count():
    with pytest.raises(ResolutionError, match=r"14,117,882 cells.*use resolution 4"):
        global_grid(6)
    with pytest.raises(GridError, match="lat_min_deg < lat_max_deg"):
        latitude_band_grid(1, 10.0, -10.0)
    with pytest.raises(GridError, match="latitude in -90..90"):
        latitude_band_grid(1, -95.0, 10.0)


def test_sites_grid_keeps_names_and_exact_points(tmp_path):
    grid = sites_grid({"Gilgit": (35.92, 74.308), "Skardu": (35.297, 75.633)})
    assert list(grid["cell"].values) == ["Gilgit", "Skardu"]
    assert float(grid["lat"].sel(cell="Skardu")) == 35.297
    assert grid["h3_cell"].sel(cell="Gilgit").item() == h3.latlng_to_cell(35.92, 74.308, 7)
    path = tmp_path / "sites.csv"
    path.write_text(
        "name,lat,lon,elevation_m\nGilgit,35.92,74.308,1500\nHunza,36.32,74.66,2400\n",
        encoding="utf-8",
    )
    csv_grid = read_sites_csv(path)
    assert list(csv_grid["elevation_m"].values) == [1500.0, 2400.0]
    path.write_text("name,lat,lon\nGilgit,95,74\n", encoding="utf-8")
    with pytest.raises(GridError, match=r"sites.csv:2"):
        read_sites_csv(path)
    with pytest.raises(GridError, match="unique, non-empty site names"):
        sites_grid([("a", 1.0, 2.0), ("a", 3.0, 4.0)])


def test_walker_53_coverage_by_latitude_peaks_near_53_and_ends_at_the_footprint():
    """Walker 53 deg: 550 km, 10 x 10 (sparse, so coverage stays below 100 %), 25 deg
    minimum elevation, over the globe at res 2
    for 2 h. A satellite at 53 deg inclination reaches latitudes up to 53 deg + the
    footprint's Earth central angle lambda = acos(R cos(el) / (R + h)) - el = 8.4 deg
    (R = 6371 km): coverage must vanish poleward of ~61.4 deg and peak near 53 deg, where
    the orbits' ground tracks bunch."""
    start = datetime(2026, 5, 30, tzinfo=timezone.utc)
    shell = WalkerShell("w53", 550.0, 53.0, 10, 10, 1)
    system = SystemModel("w53", Constellation.from_walker(shell, start), 25.0)
    grid = global_grid(2)
    fom = compute_coverage(grid, [system], TimeGrid(start, 2 * 3600.0, 120.0), terrain=False)
    bands = coverage_by_latitude(fom, 4.0, grid["area_km2"])["pct_time_covered"]
    profile = bands.sel(system="w53")
    north = profile.where(profile["lat_band"] > 0, drop=True)
    peak_lat = float(north["lat_band"][int(np.argmax(north.values))])
    assert 46.0 <= peak_lat <= 56.0
    assert float(north.max()) > 1.5 * float(north.sel(lat_band=2.0, method="nearest"))  # bunching at the turn
    r, h, el = 6371.0, 550.0, np.radians(25.0)
    edge = 53.0 + np.degrees(np.arccos(r * np.cos(el) / (r + h)) - el)
    assert edge == pytest.approx(61.4, abs=0.1)
    lat = fom["lat"].values
    pct = fom["pct_time_covered"].sel(system="w53").values
    assert np.all(pct[np.abs(lat) > edge + 0.5] == 0.0)
    assert pct[np.abs(lat) < edge - 3].min() > 0.0
