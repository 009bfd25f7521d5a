"""hybridplan.tle: element sets, constellations, Walker shells and SGP4 propagation.

The public names, re-exported here (importing has no side effects)::

    from hybridplan.tle import load_constellation, TimeGrid, iter_chunks
    starlink = load_constellation("bundled:starlink")
    grid = TimeGrid(datetime(2026, 5, 30, tzinfo=timezone.utc), 86400, 60)
    for chunk in iter_chunks(starlink.element_sets, grid):
        chunk.positions_itrs_km  # (n_sat, n_time, 3) km, NaN where chunk.error_codes != 0
"""

from ._lifetime import die_with_parent
from .bundled import bundled_snapshots, load_constellation
from .constellation import EARTH_EQUATORIAL_RADIUS_KM, Constellation, orbit_mean_radius_km
from .deployment import (
    DeploymentError,
    DeploymentPlan,
    Stage,
    StageWindowWarning,
    shell_separation_time_s,
)
from .deployment_table import bundled_deployments, load_deployment, read_deployment
from .elements import ElementSet
from .errors import (
    DuplicateSatellitesWarning,
    ElementSetError,
    ElementSetFileError,
    ParseReport,
    PropagationError,
    RecordProblem,
    WalkerError,
)
from .presets import WALKER_PRESETS, preset_constellation, preset_shells, shells_constellation
from .propagate import (
    DEFAULT_MAX_EPOCH_AGE_DAYS,
    PropagatedChunk,
    StaleElementsWarning,
    builtin_timescale,
    describe_error_code,
    epoch_age_days,
    iter_chunks,
    warn_if_stale,
)
from .reader import read_element_sets
from .shells import Shell, discover_shells
from .timegrid import TimeGrid, require_utc
from .walker import WalkerShell, allocate_first_ids, preferred_first_id, walker_element_sets

__all__ = [
    "DEFAULT_MAX_EPOCH_AGE_DAYS",
    "EARTH_EQUATORIAL_RADIUS_KM",
    "WALKER_PRESETS",
    "Constellation",
    "DeploymentError",
    "DeploymentPlan",
    "DuplicateSatellitesWarning",
    "ElementSet",
    "ElementSetError",
    "ElementSetFileError",
    "ParseReport",
    "PropagatedChunk",
    "PropagationError",
    "RecordProblem",
    "Shell",
    "Stage",
    "StageWindowWarning",
    "StaleElementsWarning",
    "bundled_deployments",
    "load_deployment",
    "read_deployment",
    "shell_separation_time_s",
    "TimeGrid",
    "WalkerError",
    "WalkerShell",
    "allocate_first_ids",
    "builtin_timescale",
    "bundled_snapshots",
    "describe_error_code",
    "die_with_parent",
    "discover_shells",
    "epoch_age_days",
    "iter_chunks",
    "load_constellation",
    "orbit_mean_radius_km",
    "preferred_first_id",
    "preset_constellation",
    "preset_shells",
    "shells_constellation",
    "read_element_sets",
    "require_utc",
    "walker_element_sets",
    "warn_if_stale",
]
