"""The terrestrial network: fibre routes (existing / planned) and points of presence.

Readers: GeoJSON (LineString/MultiLineString features are routes, Point features are
points of presence; property ``status`` = ``existing`` or ``planned``, default
existing), KML (Placemarks with LineString / Point; ``status`` from ExtendedData),
CSV of waypoints (columns ``route, lat, lon`` and optional ``status``; rows of a route
in file order; a route with one waypoint is a point of presence).

Default (:func:`load_network` with no path): ``network/indicative_backbone.geojson``
(14 indicative routes, straight segments between reported waypoints), a point of
presence at each district headquarters town, and the Karachi cable landing station.
District headquarters: GeoNames does not flag them, so we take **the most populous
GeoNames place in each district** (some real seats have population 0 in GeoNames,
e.g. Khaplu, Chilas, Shigar: they are still chosen where they are the district's only
place), or the district polygon's representative point when the district has no place.
"""

from __future__ import annotations

import csv
import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np

from ._geo import validate_latlon
from .errors import NetworkError, _message, read_utf8

__all__ = ["Route", "PointOfPresence", "Network", "load_network", "district_headquarters"]

STATUSES = ("existing", "planned")
BACKBONE_SOURCE = (
    "network/indicative_backbone.geojson (indicative routes between reported "
    "waypoints; GeoNames coordinates CC BY 4.0)"
)


@dataclass(frozen=True)
class Route:
    """A fibre route: polyline in (lat, lon) order, with its status."""

    name: str
    status: str
    lat_deg: np.ndarray = field(repr=False)
    lon_deg: np.ndarray = field(repr=False)


@dataclass(frozen=True)
class PointOfPresence:
    """A network node (district HQ exchange, landing station, user PoP)."""

    name: str
    lat_deg: float
    lon_deg: float
    kind: str = "pop"


@dataclass(frozen=True)
class Network:
    """Routes and points of presence, with the source description."""

    routes: tuple[Route, ...]
    pops: tuple[PointOfPresence, ...]
    source: str

    def active_routes(self, include_planned: bool = False) -> tuple[Route, ...]:
        """Existing routes, plus the planned ones if ``include_planned``."""
        return tuple(r for r in self.routes if r.status == "existing" or include_planned)


def _status(value, where: str) -> str:
    status = (
        (value or "existing").strip().lower() if isinstance(value, str) or value is None else value
    )
    if status not in STATUSES:
        raise NetworkError(
            _message(
                where,
                f"status one of {STATUSES}",
                repr(value),
                "set status to 'existing' or 'planned'",
            )
        )
    return status


def _route(name, status, coords_lonlat, where) -> Route:
    xy = np.asarray(coords_lonlat, dtype=float)
    if xy.ndim != 2 or xy.shape[0] < 2 or xy.shape[1] < 2:
        raise NetworkError(
            _message(
                where,
                "a line of at least two [lon, lat] points",
                f"{xy.shape[0] if xy.ndim == 2 else 0} points",
                "give every route two or more waypoints",
            )
        )
    lat, lon = validate_latlon(xy[:, 1], xy[:, 0], where)
    return Route(name, status, lat, lon)


def _read_text(path: Path) -> str:
    return read_utf8(path, NetworkError, "network file")


def read_geojson_network(
    path, text: str | None = None
) -> tuple[list[Route], list[PointOfPresence]]:
    """Routes and PoPs of a GeoJSON FeatureCollection (see module docstring)."""
    path = Path(path)
    text = _read_text(path) if text is None else text
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise NetworkError(
            _message(
                f"{path}:{exc.lineno}:{exc.colno}",
                "valid JSON (GeoJSON)",
                exc.msg,
                "fix the JSON syntax there",
            )
        ) from None
    features = data.get("features") if isinstance(data, dict) else None
    if not isinstance(features, list):
        raise NetworkError(
            _message(
                str(path),
                "a GeoJSON FeatureCollection",
                "no 'features' list",
                "save the routes as a GeoJSON FeatureCollection",
            )
        )
    routes, pops = [], []
    for i, feature in enumerate(features):
        props = (feature or {}).get("properties") or {}
        geometry = (feature or {}).get("geometry") or {}
        name = str(props.get("name", f"feature {i}"))
        where = f"{path}: feature {i} ({name!r})"
        kind, coords = geometry.get("type"), geometry.get("coordinates")
        try:
            if kind == "LineString":
                routes.append(_route(name, _status(props.get("status"), where), coords, where))
            elif kind == "MultiLineString":
                for k, line in enumerate(coords):
                    routes.append(
                        _route(f"{name} [{k}]", _status(props.get("status"), where), line, where)
                    )
            elif kind == "Point":
                lat, lon = validate_latlon(coords[1], coords[0], where)
                pops.append(
                    PointOfPresence(name, float(lat), float(lon), str(props.get("kind", "pop")))
                )
        except (TypeError, IndexError, ValueError) as exc:
            if isinstance(exc, NetworkError):
                raise
            raise NetworkError(
                _message(
                    where,
                    "GeoJSON coordinates [lon, lat]",
                    f"{coords!r:.60}",
                    "fix the coordinates of that feature",
                )
            ) from None
    return routes, pops


def read_kml_network(path) -> tuple[list[Route], list[PointOfPresence]]:
    """Routes (LineString) and PoPs (Point) of the Placemarks of a KML file."""
    path = Path(path)
    try:
        root = ET.fromstring(_read_text(path))
    except ET.ParseError as exc:
        line, column = exc.position
        raise NetworkError(
            _message(
                f"{path}:{line}:{column}",
                "well-formed KML (XML)",
                str(exc),
                "fix the XML there or re-export the KML",
            )
        ) from None
    ns = "{http://www.opengis.net/kml/2.2}"
    if not root.tag.startswith(ns):
        ns = ""
    routes, pops = [], []
    for i, mark in enumerate(root.iter(f"{ns}Placemark")):
        name = (mark.findtext(f"{ns}name") or f"placemark {i}").strip()
        where = f"{path}: placemark {i} ({name!r})"
        status = None
        for data in mark.iter(f"{ns}Data"):
            if data.get("name") == "status":
                status = data.findtext(f"{ns}value")
        for data in mark.iter(f"{ns}SimpleData"):
            if data.get("name") == "status":
                status = data.text
        for line in mark.iter(f"{ns}LineString"):
            routes.append(
                _route(
                    name,
                    _status(status, where),
                    _kml_coordinates(line.findtext(f"{ns}coordinates"), where),
                    where,
                )
            )
        for point in mark.iter(f"{ns}Point"):
            xy = _kml_coordinates(point.findtext(f"{ns}coordinates"), where)
            lat, lon = validate_latlon(xy[0][1], xy[0][0], where)
            pops.append(PointOfPresence(name, float(lat), float(lon)))
    return routes, pops


def _kml_coordinates(text, where) -> list[list[float]]:
    try:
        out = [[float(v) for v in item.split(",")[:2]] for item in (text or "").split()]
    except ValueError:
        raise NetworkError(
            _message(
                where, "KML coordinates 'lon,lat[,alt] ...'", f"{text!r:.60}", "fix the coordinates"
            )
        ) from None
    if not out:
        raise NetworkError(_message(where, "KML coordinates", "none", "add coordinates"))
    return out


def read_csv_network(path) -> tuple[list[Route], list[PointOfPresence]]:
    """Routes from a CSV of waypoints (``route, lat, lon[, status]``), see module docstring."""
    path = Path(path)
    reader = csv.DictReader(_read_text(path).splitlines())
    missing = [c for c in ("route", "lat", "lon") if c not in (reader.fieldnames or [])]
    if missing:
        raise NetworkError(
            _message(
                f"{path}:1",
                "columns route, lat, lon (and optional status)",
                f"columns {reader.fieldnames}",
                f"add the column(s) {missing}",
            )
        )
    points: dict[str, list] = {}
    statuses: dict[str, str] = {}
    for line_no, row in enumerate(reader, start=2):
        where = f"{path}:{line_no}"
        try:
            lat, lon = float(row["lat"]), float(row["lon"])
        except (TypeError, ValueError):
            raise NetworkError(
                _message(
                    where,
                    "numbers in lat and lon",
                    f"{row['lat']!r}, {row['lon']!r}",
                    "correct that row",
                )
            ) from None
        validate_latlon(lat, lon, where)
        name = (row["route"] or "").strip() or f"row {line_no}"
        points.setdefault(name, []).append([lon, lat])
        statuses[name] = _status(row.get("status"), where)
    routes, pops = [], []
    for name, xy in points.items():
        if len(xy) == 1:
            pops.append(PointOfPresence(name, xy[0][1], xy[0][0]))
        else:
            routes.append(_route(name, statuses[name], xy, f"{path}: route {name!r}"))
    return routes, pops


def district_headquarters(districts=None) -> list[PointOfPresence]:
    """A PoP per bundled district: its most populous GeoNames place, else its
    representative point (see module docstring)."""
    from .regions import load_region

    parts = load_region("Pakistan").parts
    text = (
        resources.files(__package__)
        .joinpath("data", "settlements", "geonames_pop500_pak_region.csv")
        .read_text("utf-8")
    )
    best: dict[str, tuple[float, str, float, float]] = {}
    for row in csv.DictReader(text.splitlines()):
        district = row["in_adm2"]
        if district and (district not in best or float(row["population"]) > best[district][0]):
            best[district] = (
                float(row["population"]),
                row["name"],
                float(row["lat"]),
                float(row["lon"]),
            )
    pops = []
    for part in parts:
        if districts is not None and part.district not in districts:
            continue
        if part.district in best:
            _, name, lat, lon = best[part.district]
            pops.append(PointOfPresence(f"{name} ({part.district} HQ)", lat, lon, "district_hq"))
        else:
            point = part.geometry.representative_point()
            pops.append(
                PointOfPresence(
                    f"{part.district} (representative point)", point.y, point.x, "district_hq"
                )
            )
    return pops


def _landing_points() -> list[PointOfPresence]:
    text = (
        resources.files(__package__)
        .joinpath("data", "network", "landing_points.csv")
        .read_text("utf-8")
    )
    return [
        PointOfPresence(r["name"], float(r["lat"]), float(r["lon"]), r["kind"])
        for r in csv.DictReader(text.splitlines())
    ]


def load_network(path=None, *, district_pops: bool | None = None) -> Network:
    """Load fibre routes and points of presence.

    Parameters
    ----------
    path : None or path
        ``None``: the bundled indicative backbone; otherwise a ``.geojson``/``.json``,
        ``.kml`` or ``.csv`` file (see module docstring).
    district_pops : bool, optional
        Add a PoP at each district headquarters (default: True for the bundled
        network, False for a user file).

    Raises
    ------
    NetworkError
    """
    if path is None:
        text = (
            resources.files(__package__)
            .joinpath("data", "network", "indicative_backbone.geojson")
            .read_text("utf-8")
        )
        routes, pops = read_geojson_network("network/indicative_backbone.geojson", text)
        pops += _landing_points()
        source = BACKBONE_SOURCE + "; Karachi landing point"
        district_pops = True if district_pops is None else district_pops
    else:
        path = Path(path)
        suffix = path.name.lower()
        if suffix.endswith((".geojson", ".json")):
            routes, pops = read_geojson_network(path)
        elif suffix.endswith(".kml"):
            routes, pops = read_kml_network(path)
        elif suffix.endswith(".csv"):
            routes, pops = read_csv_network(path)
        else:
            raise NetworkError(
                _message(
                    str(path),
                    "a .geojson, .kml or .csv network file",
                    f"suffix {path.suffix!r}",
                    "convert the routes to GeoJSON",
                )
            )
        source = f"user file {path}"
        district_pops = False if district_pops is None else district_pops
        if not routes and not pops:
            raise NetworkError(
                _message(
                    str(path),
                    "at least one route or point of presence",
                    "none",
                    "check the geometry types (LineString, Point)",
                )
            )
    if district_pops:
        pops += district_headquarters()
        source += "; PoP at each district HQ (most populous GeoNames place)"
    return Network(tuple(routes), tuple(pops), source)
