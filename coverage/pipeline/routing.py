"""The routing grid: where fibre trunks and microwave relay chains run.

Trunks are routed over an H3 cell graph and relay chains are tested between cell
centres, so both depend on the cells. Planned over the plan's own grid, the choice
between fibre, microwave and satellite moved with the plan's resolution: at res 6 the
coarse graph gave 219,000 people fibre that res 7 and 8 gave microwave. So the network is
always designed on one *routing grid*, at ``[network] routing_resolution`` (default 7),
whatever the resolution the results are shown on; the sites reach it at their settlement
points (``planning.routing``), which are a property of the ground too.

When the plan's resolution is the routing resolution the plan's own cells are the
routing grid and nothing is added. Otherwise the routing grid is built here over the
same region, with the same DEM, population model (only to find the settled cells that
may carry a relay), fibre reach and microwave reach as the plan's ground, and joins the
ground as variables on the dimension ``routing_cell``: ``routing_lat``, ``routing_lon``,
``routing_elevation_m``, ``routing_slope_deg``, ``routing_on_network``,
``routing_fiber_weighted_km``, ``routing_fiber_terrain_factor`` and, with microwave on,
``routing_microwave_capex_usd``, ``routing_microwave_opex_usd_per_year``,
``routing_microwave_hops`` and ``routing_microwave_next_cell`` (the plan contract lists
them).
"""

from __future__ import annotations

import warnings

import h3
import xarray as xr

from ..planning.routing import ROUTE_DIM

ROUTE_VARIABLES = (
    "elevation_m",
    "slope_deg",
    "on_network",
    "fiber_weighted_km",
    "fiber_terrain_factor",
    "microwave_capex_usd",
    "microwave_opex_usd_per_year",
    "microwave_hops",
    "microwave_next_cell",
)
"""Ground variables carried over from the routing grid (as ``routing_<name>``)."""


def grid_resolution(grid: xr.Dataset) -> int:
    """The H3 resolution of a grid's cells."""
    return int(h3.get_resolution(str(grid["cell"].values[0])))


def add_slope(grid: xr.Dataset, dem) -> xr.Dataset:
    """The grid with ``slope_deg`` from the DEM, if it has none (the fibre terrain factor
    uses slope; with terrain off the grid carries heights only)."""
    if "slope_deg" in grid or grid.sizes["cell"] == 0:
        return grid
    from hybridplan.grids import terrain_slope_deg

    slope = terrain_slope_deg(grid["lat"].values, grid["lon"].values, dem)
    return grid.assign(
        slope_deg=(
            "cell",
            slope,
            {
                "units": "degree",
                "long_name": "terrain slope at the cell centre "
                "(central differences over one DEM spacing)",
            },
        )
    )


def routing_ground(inputs, dem) -> xr.Dataset:
    """The routing grid of ``inputs`` (``[network] routing_resolution``) as a ground of its
    own: cells, DEM heights and slope, people (only to find the settled cells that may
    carry a relay), settlement points, fibre reach and the relay chains
    (``inputs.network_reach``)."""
    from hybridplan.grids import build_grid, distribute_population

    from .inputs import network_reach, population_source

    spec = inputs.spec
    grid = build_grid(inputs.region, spec.network.routing_resolution)
    grid = grid.assign(
        elevation_m=(
            "cell",
            dem.elevation_m(grid["lat"].values, grid["lon"].values),
            {"units": "m", "long_name": "terrain height at the cell centre (DEM)"},
        )
    )
    with warnings.catch_warnings():  # the plan's own grid has reported them already
        warnings.simplefilter("ignore")
        grid = distribute_population(
            add_slope(grid, dem),
            population_source(inputs),
            rural_density_per_km2=spec.population.rural_density_per_km2,
        )
    return network_reach(grid, inputs, dem, microwave=spec.network.microwave)


def join_routing(ground: xr.Dataset, route: xr.Dataset) -> xr.Dataset:
    """The plan's ground with the routing grid's variables on ``routing_cell``."""
    keep = {}
    for name in ROUTE_VARIABLES:
        if name in route:
            var = route[name]
            keep[f"routing_{name}"] = (ROUTE_DIM, var.values, dict(var.attrs))
    out = ground.assign_coords(
        {
            ROUTE_DIM: (
                ROUTE_DIM,
                route["cell"].values.astype(str),
                {"units": "1", "long_name": "H3 index of the routing grid's cell"},
            )
        }
    ).assign(
        routing_lat=(
            ROUTE_DIM,
            route["lat"].values,
            {"units": "degrees_north", "long_name": "routing cell centre latitude"},
        ),
        routing_lon=(
            ROUTE_DIM,
            route["lon"].values,
            {"units": "degrees_east", "long_name": "routing cell centre longitude"},
        ),
        **keep,
    )
    out.attrs["routing_resolution"] = grid_resolution(route)
    return out
