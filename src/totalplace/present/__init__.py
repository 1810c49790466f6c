"""How a figure is handed on: the shapes every capability gives the CLI, the report and the web.

A `Table` (with its writers: terminal, CSV, JSON, XLSX), a `Section` of the place
report with its paragraphs, charts and tables, and the charts' drawing. They sit
below the analyses so that a capability can return its figure with its table and
sections without importing the report, the web or the CLI that show them.
"""
