"""The deal with central government: asks and offers with their evidence, pooled budgets,
the reporting burden and a single outcomes framework."""
