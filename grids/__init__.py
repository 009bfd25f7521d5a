"""hybridplan.grids: regions, the H3 grid, terrain, population and fibre reach.

A façade: it re-exports the public names of the modules below and has no side effects.
"""

from .dem import DEM, DEMGaps, dem_gaps, load_dem, read_hgt
from .errors import (
    BoundaryFileError,
    CoordinateError,
    DEMError,
    DEMGapWarning,
    GridError,
    GridWarning,
    NetworkError,
    NetworkPlacementWarning,
    PopulationError,
    RasterError,
    RegionError,
    ResolutionError,
)
from .fiber_reach import (
    extend_reach,
    fiber_reach,
    least_cost_paths,
    network_distance_km,
    terrain_factor,
)
from .geotiff import Raster, read_geotiff
from .hexgrid import build_grid, validate_resolution
from .horizon import add_terrain, finish_terrain, horizon_mask, start_terrain, terrain_slope_deg
from .network import Network, PointOfPresence, Route, district_headquarters, load_network
from .placement import check_network_cells, check_network_region
from .population import (
    PopulationDroppedWarning,
    add_rural_flag,
    builtup_radius_km,
    control_totals,
    distribute_population,
    habitability,
)
from .regions import Region, RegionPart, list_regions, load_region

__all__ = [
    "GridError",
    "RegionError",
    "BoundaryFileError",
    "ResolutionError",
    "CoordinateError",
    "DEMError",
    "PopulationError",
    "NetworkError",
    "RasterError",
    "GridWarning",
    "NetworkPlacementWarning",
    "DEMGapWarning",
    "Region",
    "RegionPart",
    "load_region",
    "list_regions",
    "build_grid",
    "validate_resolution",
    "DEM",
    "load_dem",
    "read_hgt",
    "DEMGaps",
    "dem_gaps",
    "horizon_mask",
    "add_terrain",
    "start_terrain",
    "finish_terrain",
    "terrain_slope_deg",
    "Raster",
    "read_geotiff",
    "distribute_population",
    "habitability",
    "builtup_radius_km",
    "control_totals",
    "PopulationDroppedWarning",
    "add_rural_flag",
    "Network",
    "Route",
    "PointOfPresence",
    "load_network",
    "district_headquarters",
    "check_network_region",
    "check_network_cells",
    "extend_reach",
    "fiber_reach",
    "network_distance_km",
    "least_cost_paths",
    "terrain_factor",
]
