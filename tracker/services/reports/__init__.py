"""Reports to the Committee: one document model (model) built once (builder) and rendered as DOCX, HTML or
Markdown (render_*), written and issued (documents), kept as sealed snapshots (snapshots) with what changed
since the last one (since_last); the charts drawn in a headless browser (charts, chart_browser)."""
