"""District boundaries and the fibre network as plain Scatter line traces (lng, lat).

Both come in as GeoJSON-like dicts (a FeatureCollection, a Feature or a bare geometry)
in longitude/latitude degrees, so the reports never import the grids package.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import shapely.geometry

from . import plotly_objects
from .labels import ReportDataError

NAME_KEYS = ("name", "NAME", "shapeName", "district", "DISTRICT", "ADM2_EN", "id")
BOUNDARY_COLOUR = "#444444"
NETWORK_COLOUR = "#d62728"


def features(geojson: dict | None, what: str) -> list[dict]:
    """The features of a FeatureCollection, Feature or bare geometry dict."""
    if geojson is None:
        return []
    if not isinstance(geojson, dict) or "type" not in geojson:
        raise ReportDataError(
            f"{what} must be a GeoJSON-like dict (FeatureCollection, Feature or geometry) "
            f"in lon/lat degrees; found {type(geojson).__name__}"
        )
    kind = geojson["type"]
    if kind == "FeatureCollection":
        return list(geojson.get("features") or [])
    if kind == "Feature":
        return [geojson]
    return [{"type": "Feature", "properties": {}, "geometry": geojson}]


def feature_name(feature: dict) -> str:
    """The first of the usual name properties, or ``""``."""
    props = feature.get("properties") or {}
    for key in NAME_KEYS:
        if props.get(key) not in (None, ""):
            return str(props[key])
    return ""


def _lines_of(geometry) -> list[np.ndarray]:
    """Every ring or line of a shapely geometry as ``(n, 2)`` (lng, lat) arrays."""
    out: list[np.ndarray] = []
    if geometry.is_empty:
        return out
    kind = geometry.geom_type
    if kind == "Polygon":
        out.append(np.asarray(geometry.exterior.coords)[:, :2])
        out.extend(np.asarray(r.coords)[:, :2] for r in geometry.interiors)
    elif kind in ("LineString", "LinearRing"):
        out.append(np.asarray(geometry.coords)[:, :2])
    elif kind in ("MultiPolygon", "MultiLineString", "GeometryCollection"):
        for part in geometry.geoms:
            out.extend(_lines_of(part))
    return out


def _shape(feature: dict, what: str, index: int):
    geometry = feature.get("geometry")
    if geometry is None:
        return None
    try:
        return shapely.geometry.shape(geometry)
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise ReportDataError(f"{what}: feature {index} has an invalid geometry ({exc})") from exc


def _joined(lines: list[np.ndarray], decimals: int = 5) -> tuple[np.ndarray, np.ndarray]:
    """Lines joined into x and y arrays with NaN between them (a gap for plotly.js; numpy
    arrays are validated and serialised by Plotly far faster than lists)."""
    gap = np.full((1, 2), np.nan)
    parts: list[np.ndarray] = []
    for line in lines:
        if parts:
            parts.append(gap)
        parts.append(np.round(np.asarray(line, dtype=np.float64)[:, :2], decimals))
    xy = np.vstack(parts) if parts else np.zeros((0, 2))
    return xy[:, 0], xy[:, 1]


def boundary_traces(boundaries: dict | None, *, labels: bool = True) -> list[go.Scatter]:
    """Outline trace (and a text trace of names) for boundary polygons."""
    lines: list[np.ndarray] = []
    names: list[str] = []
    points: list[tuple[float, float]] = []
    for i, feature in enumerate(features(boundaries, "boundaries")):
        geom = _shape(feature, "boundaries", i)
        if geom is None:
            continue
        lines.extend(_lines_of(geom))
        name = feature_name(feature)
        if name and geom.geom_type in ("Polygon", "MultiPolygon"):
            p = geom.representative_point()
            names.append(name)
            points.append((round(p.x, 4), round(p.y, 4)))
    if not lines:
        return []
    xs, ys = _joined(lines)
    traces = [
        plotly_objects.scatter(
            x=xs,
            y=ys,
            mode="lines",
            name="Boundaries",
            line={"color": BOUNDARY_COLOUR, "width": 1},
            hoverinfo="skip",
            legendgroup="overlay",
        )
    ]
    if labels and names:
        traces.append(
            plotly_objects.scatter(
                x=[p[0] for p in points],
                y=[p[1] for p in points],
                mode="text",
                text=names,
                textfont={"size": 10, "color": "#222222"},
                name="Boundary names",
                hoverinfo="skip",
                showlegend=False,
            )
        )
    return traces


def network_traces(network: dict | None) -> list[go.Scatter]:
    """Line trace for fibre routes and a marker trace for points (PoPs, landings)."""
    lines: list[np.ndarray] = []
    points: list[tuple[float, float, str]] = []
    for i, feature in enumerate(features(network, "network")):
        geom = _shape(feature, "network", i)
        if geom is None:
            continue
        if geom.geom_type in ("Point", "MultiPoint"):
            for p in getattr(geom, "geoms", [geom]):
                points.append((round(p.x, 5), round(p.y, 5), feature_name(feature)))
        else:
            lines.extend(_lines_of(geom))
    traces = []
    if lines:
        xs, ys = _joined(lines)
        traces.append(
            plotly_objects.scatter(
                x=xs,
                y=ys,
                mode="lines",
                name="Fibre network",
                line={"color": NETWORK_COLOUR, "width": 2},
                hoverinfo="skip",
                legendgroup="overlay",
            )
        )
    if points:
        traces.append(
            plotly_objects.scatter(
                x=[p[0] for p in points],
                y=[p[1] for p in points],
                mode="markers",
                text=[p[2] for p in points],
                name="Network points",
                marker={"color": NETWORK_COLOUR, "size": 7, "symbol": "diamond"},
                hovertemplate="%{text}<extra></extra>",
            )
        )
    return traces


class Overlay:
    """A GeoJSON-like overlay parsed once, cut to a map's extent and simplified to its scale.

    Big regions draw the same district outlines and routes over many maps (every district
    profile); each map needs only the features near it, at about a pixel's precision.
    """

    def __init__(self, geojson: dict | None, what: str) -> None:
        self._items = []
        for i, feature in enumerate(features(geojson, what)):
            geom = _shape(feature, what, i)
            if geom is not None and not geom.is_empty:
                self._items.append((feature, geom, geom.bounds))

    def near(
        self, box: tuple[float, float, float, float] | None, tolerance_deg: float = 0.0
    ) -> dict | None:
        """The features whose bounds meet ``box`` = (lon_min, lat_min, lon_max, lat_max)
        [degree] (all with ``None``), lines cut to the box, geometries simplified within
        ``tolerance_deg`` [degree]; a FeatureCollection, or ``None`` when nothing is left.

        Polygons are kept whole (cutting them would draw the box's edges as outlines)."""
        out = []
        for feature, geom, (x0, y0, x1, y1) in self._items:
            if box is not None and (x1 < box[0] or x0 > box[2] or y1 < box[1] or y0 > box[3]):
                continue
            if box is not None and "LineString" in geom.geom_type:
                geom = shapely.clip_by_rect(geom, *box)
                if geom.is_empty:
                    continue
            if tolerance_deg > 0 and geom.geom_type not in ("Point", "MultiPoint"):
                geom = geom.simplify(tolerance_deg, preserve_topology=True)
            out.append(
                {
                    "type": "Feature",
                    "properties": feature.get("properties") or {},
                    "geometry": shapely.geometry.mapping(geom),
                }
            )
        return {"type": "FeatureCollection", "features": out} if out else None


def map_box(lon_deg, lat_deg, pad: float = 0.1) -> tuple[tuple[float, float, float, float], float]:
    """Extent of points padded by ``pad`` of its size, and a drawing tolerance [degree]
    (a 2000th of the extent: under a pixel on a page-wide map)."""
    lon, lat = np.asarray(lon_deg, float), np.asarray(lat_deg, float)
    x0, x1, y0, y1 = lon.min(), lon.max(), lat.min(), lat.max()
    size = max(x1 - x0, y1 - y0, 1e-3)
    box = (x0 - pad * size, y0 - pad * size, x1 + pad * size, y1 + pad * size)
    return tuple(float(v) for v in box), size / 2000.0
