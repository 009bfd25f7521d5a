"""A test ground of the fibre-reach tests (``test_extend_reach``,
``test_planned_route_reach``): an H3 disc with holes, random heights and slopes."""

import h3
import numpy as np
import xarray as xr


def holed_disc(rng, radius: int, drop: float) -> xr.Dataset:
    """The H3 res-7 disc of ``radius`` rings around a cell near Gilgit, each cell dropped
    with probability ``drop`` (holes, some cells cut off), heights 500-5000 m and slopes
    0-35 degrees drawn from ``rng``."""
    centre = h3.latlng_to_cell(35.9, 74.3, 7)
    cells = [c for c in sorted(h3.grid_disk(centre, radius)) if rng.random() > drop]
    lat, lon = np.array([h3.cell_to_latlng(c) for c in cells]).T
    return xr.Dataset(
        {
            "lat": ("cell", lat),
            "lon": ("cell", lon),
            "elevation_m": ("cell", rng.uniform(500.0, 5000.0, len(cells))),
            "slope_deg": ("cell", rng.uniform(0.0, 35.0, len(cells))),
        },
        coords={"cell": np.array(cells)},
        attrs={"region": "test"},
    )
