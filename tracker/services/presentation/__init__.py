"""Presentation shared by the dashboard and the reports: stored values as words, status-group colours,
rows of a DataFrame, and the dashboard's Plotly figures. No business rule lives here."""
