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
from ._source import MAX_TEXT_BYTES, source_path
from .errors import NetworkError, _json_kind, _message, read_utf8

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
                f"{value!r:.60}",
                "set status to 'existing' or 'planned'",
            )
        )
    return status


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _position(value, where: str) -> list[float]:
    """One GeoJSON position ``[lon, lat(, alt)]`` of numbers, else NetworkError."""
    if not (isinstance(value, list) and 2 <= len(value) <= 4 and all(map(_is_number, value))):
        raise NetworkError(
            _message(
                where,
                "a position [lon, lat] of two numbers",
                _show(value),
                "fix the coordinates of that feature",
            )
        )
    return [float(value[0]), float(value[1])]


def _show(value, width: int = 60) -> str:
    """A parsed JSON value as JSON text, cut to ``width`` characters."""
    try:
        text = json.dumps(value)
    except (TypeError, ValueError, RecursionError):
        text = repr(value)
    return text if len(text) <= width else text[: width - 3] + "..."


def _positions(value, where: str) -> list[list[float]]:
    if not isinstance(value, list):
        raise NetworkError(
            _message(
                where,
                "a list of positions [[lon, lat], ...]",
                f"a JSON {_json_kind(value)}",
                "fix the coordinates of that feature",
            )
        )
    return [_position(v, where) for v in value]


def _route(name, status, coords_lonlat, where) -> Route:
    xy = np.asarray(coords_lonlat, dtype=float).reshape(-1, 2)
    if xy.shape[0] < 2:
        raise NetworkError(
            _message(
                where,
                "a line of at least two [lon, lat] points",
                f"{xy.shape[0]} points",
                "give every route two or more waypoints",
            )
        )
    lat, lon = validate_latlon(xy[:, 1], xy[:, 0], where)
    return Route(name, status, lat, lon)


def _read_text(path: Path, max_bytes: int = MAX_TEXT_BYTES) -> str:
    return read_utf8(path, NetworkError, "network file", max_bytes)


def _load_json(text: str, path) -> object:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise NetworkError(
            _message(
                f"{path}:{exc.lineno}:{exc.colno}",
                "valid JSON (GeoJSON)",
                exc.msg,
                "fix the JSON syntax there",
            )
        ) from None
    except RecursionError:
        raise NetworkError(
            _message(
                str(path),
                "GeoJSON of ordinary depth",
                "JSON nested too deeply to read",
                "check that this is a GeoJSON network file",
            )
        ) from None


def _feature_parts(feature, i: int, path) -> tuple[dict, dict | None, str, str]:
    """(properties, geometry or None, name, where) of feature ``i``, checking types."""
    where = f"{path}: feature {i}"
    if not isinstance(feature, dict):
        raise NetworkError(
            _message(
                where,
                "a GeoJSON Feature object",
                f"a JSON {_json_kind(feature)}",
                "make every entry of 'features' an object with 'geometry' and 'properties'",
            )
        )
    props = feature.get("properties")
    props = {} if props is None else props
    geometry = feature.get("geometry")
    for key, value in (("properties", props), ("geometry", geometry)):
        if value is not None and not isinstance(value, dict):
            raise NetworkError(
                _message(
                    f"{where} key {key!r}",
                    "a JSON object (or null)",
                    f"a JSON {_json_kind(value)}",
                    f"make {key!r} an object",
                )
            )
    name = props.get("name", f"feature {i}")
    name = name if isinstance(name, str) else _show(name)
    return props, geometry, name, f"{where} ({name!r})"


def read_geojson_network(
    path, text: str | None = None, *, max_bytes: int = MAX_TEXT_BYTES
) -> tuple[list[Route], list[PointOfPresence]]:
    """Routes and PoPs of a GeoJSON FeatureCollection (see module docstring).

    LineString/MultiLineString features are routes, Point/MultiPoint features PoPs;
    features with a null geometry or another type are skipped.
    """
    path = Path(path)
    data = _load_json(_read_text(path, max_bytes) if text is None else text, path)
    features = data.get("features") if isinstance(data, dict) else None
    if not isinstance(features, list):
        found = (
            f"a JSON {_json_kind(data)}"
            if not isinstance(data, dict)
            else f"'features' is a JSON {_json_kind(features)}"
            if "features" in data
            else f"an object with type {data.get('type')!r} and no 'features' list"
        )
        raise NetworkError(
            _message(
                str(path),
                "a GeoJSON FeatureCollection with a 'features' list",
                found,
                "save the routes as a GeoJSON FeatureCollection",
            )
        )
    routes, pops = [], []
    for i, feature in enumerate(features):
        props, geometry, name, where = _feature_parts(feature, i, path)
        if geometry is None:
            continue
        kind, coords = geometry.get("type"), geometry.get("coordinates")
        if kind in ("LineString", "MultiLineString"):
            status = _status(props.get("status"), where)
            lines = [coords] if kind == "LineString" else coords
            if not isinstance(lines, list):
                lines = [lines]  # _positions names the problem
            for k, line in enumerate(lines):
                label = name if kind == "LineString" else f"{name} [{k}]"
                routes.append(_route(label, status, _positions(line, where), where))
        elif kind in ("Point", "MultiPoint"):
            points = [_position(coords, where)] if kind == "Point" else _positions(coords, where)
            pop_kind = props.get("kind", "pop")
            for lon, lat in points:
                lat, lon = validate_latlon(lat, lon, where)
                pops.append(
                    PointOfPresence(
                        name,
                        float(lat),
                        float(lon),
                        pop_kind if isinstance(pop_kind, str) else "pop",
                    )
                )
    return routes, pops


def read_kml_network(
    path, *, max_bytes: int = MAX_TEXT_BYTES
) -> tuple[list[Route], list[PointOfPresence]]:
    """Routes (LineString) and PoPs (Point) of the Placemarks of a KML file."""
    path = Path(path)
    try:
        root = ET.fromstring(_read_text(path, max_bytes))
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
    except RecursionError:
        raise NetworkError(
            _message(str(path), "KML of ordinary depth", "XML nested too deeply", "re-export it")
        ) from None
    ns = "{http://www.opengis.net/kml/2.2}"
    if not root.tag.startswith(ns):
        ns = ""
    if root.tag not in (f"{ns}kml", f"{ns}Document", f"{ns}Folder", f"{ns}Placemark"):
        raise NetworkError(
            _message(
                str(path),
                "a KML document (root element <kml>)",
                f"root element <{root.tag}>",
                "export the routes as KML (Google Earth: Save Place As... .kml)",
            )
        )
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
    """KML ``lon,lat[,alt]`` tuples separated by white space."""
    out = []
    for k, item in enumerate((text or "").split()):
        values = item.split(",")
        try:
            if not 2 <= len(values) <= 3:
                raise ValueError
            out.append([float(values[0]), float(values[1])])
        except ValueError:
            raise NetworkError(
                _message(
                    f"{where} coordinate {k + 1}",
                    "KML coordinates 'lon,lat[,alt]' separated by spaces (no space after commas)",
                    f"{item!r:.60}",
                    "fix the coordinates",
                )
            ) from None
    if not out:
        raise NetworkError(_message(where, "KML coordinates", "none", "add coordinates"))
    return out


def read_csv_network(
    path, *, max_bytes: int = MAX_TEXT_BYTES
) -> tuple[list[Route], list[PointOfPresence]]:
    """Routes from a CSV of waypoints (``route, lat, lon[, status]``), see module docstring.

    Column names are matched without regard to case and surrounding spaces."""
    path = Path(path)
    text = _read_text(path, max_bytes)
    reader = csv.DictReader(text.splitlines())
    try:
        header = reader.fieldnames
    except csv.Error as exc:
        raise _csv_error(f"{path}:1", exc) from None
    if not header:
        raise NetworkError(
            _message(
                f"{path}:1",
                "a header line 'route,lat,lon[,status]'",
                "an empty file",
                "write the header and one line per waypoint",
            )
        )
    reader.fieldnames = [str(c).strip().lower() for c in header]
    missing = [c for c in ("route", "lat", "lon") if c not in reader.fieldnames]
    if missing:
        hint = (
            "; it looks semicolon-separated: save it comma-separated" if ";" in text[:200] else ""
        )
        raise NetworkError(
            _message(
                f"{path}:1",
                "columns route, lat, lon (and optional status)",
                f"columns {header}",
                f"add the column(s) {missing}{hint}",
            )
        )
    points: dict[str, list] = {}
    statuses: dict[str, str] = {}
    line_no = 1
    try:
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
    except csv.Error as exc:
        raise _csv_error(f"{path}:{line_no + 1}", exc) from None
    routes, pops = [], []
    for name, xy in points.items():
        if len(xy) == 1:
            pops.append(PointOfPresence(name, xy[0][1], xy[0][0]))
        else:
            routes.append(_route(name, statuses[name], xy, f"{path}: route {name!r}"))
    return routes, pops


def _csv_error(where: str, exc: csv.Error) -> NetworkError:
    return NetworkError(
        _message(where, "a readable CSV line", f"{exc}", "save the file again as plain CSV")
    )


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


def load_network(
    path=None, *, district_pops: bool | None = None, region=None, max_bytes: int = MAX_TEXT_BYTES
) -> Network:
    """Load fibre routes and points of presence.

    Parameters
    ----------
    path : None or path
        ``None``: the bundled indicative backbone; otherwise a ``.geojson``/``.json``,
        ``.kml`` or ``.csv`` file (see module docstring).
    district_pops : bool, optional
        Add a PoP at each district headquarters (default: True for the bundled
        network, False for a user file).
    region : Region, optional
        Check a user file against this region: routes and PoPs wholly outside it,
        or a network far from it (swapped lat/lon), give a
        :class:`~.errors.NetworkPlacementWarning` (see :func:`.placement.check_network_region`).
    max_bytes : int
        Largest file read [byte] (default 256 MiB); a device, FIFO or larger file is
        refused before it is read.

    Raises
    ------
    NetworkError

    Warns
    -----
    NetworkPlacementWarning
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
        path = source_path(path, NetworkError, "network file")
        suffix = path.name.lower()
        if suffix.endswith((".geojson", ".json")):
            routes, pops = read_geojson_network(path, max_bytes=max_bytes)
        elif suffix.endswith(".kml"):
            routes, pops = read_kml_network(path, max_bytes=max_bytes)
        elif suffix.endswith(".csv"):
            routes, pops = read_csv_network(path, max_bytes=max_bytes)
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
    network = Network(tuple(routes), tuple(pops), source)
    if region is not None and path is not None:
        from .placement import check_network_region

        check_network_region(network, region, stacklevel=3)  # the caller of load_network
    if district_pops:
        pops += district_headquarters()
        source += "; PoP at each district HQ (most populous GeoNames place)"
        network = Network(tuple(routes), tuple(pops), source)
    return network
