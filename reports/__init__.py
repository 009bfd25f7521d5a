"""hybridplan.reports: Plotly figures, the offline HTML report and exports."""
