"""hybridplan.reports: Plotly figures, the offline HTML report and exports.

Renders a labelled plan ``xarray.Dataset`` (dims ``cell`` of H3 ids and ``system``;
every variable with ``long_name`` and ``units``, categories as CF flags) and imports
nothing else of hybridplan. Builders return ``plotly.graph_objects.Figure``; the
``write_*`` functions write files atomically. No network is used, and the HTML report
opens offline.
"""

from .charts import (
    cost_by_option_chart,
    district_coverage_chart,
    recommendation_chart,
    sweep_chart,
    visibility_series_chart,
)
from .exports import (
    cell_columns,
    geojson_dict,
    write_attributes_csv,
    write_cells_csv,
    write_districts_csv,
    write_geojson,
)
from .findings import findings, technology_rows
from .geopackage import write_geopackage
from .html import render_report, write_report
from .labels import ReportDataError, label
from .maps import district_detail_map, district_map, hex_map, terrain_loss, terrain_loss_map
from .outputs import DEFAULT_EXPORTS, EXPORTS, write_all
from .pdf import ChromiumNotFoundError, write_pdf
from .tables import district_table, summary

__all__ = [
    "DEFAULT_EXPORTS",
    "EXPORTS",
    "ChromiumNotFoundError",
    "ReportDataError",
    "cell_columns",
    "cost_by_option_chart",
    "district_coverage_chart",
    "district_detail_map",
    "district_map",
    "district_table",
    "findings",
    "geojson_dict",
    "hex_map",
    "label",
    "recommendation_chart",
    "render_report",
    "summary",
    "sweep_chart",
    "technology_rows",
    "terrain_loss",
    "terrain_loss_map",
    "visibility_series_chart",
    "write_all",
    "write_attributes_csv",
    "write_cells_csv",
    "write_districts_csv",
    "write_geojson",
    "write_geopackage",
    "write_pdf",
    "write_report",
]
