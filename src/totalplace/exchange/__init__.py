"""Exchange: a count out and in as a Fiscal Data Package (datapackage.json plus CSV)."""
