"""The sub-commands of `totalplace`: a module per capability, and the few of no capability (workspace, report,
serve, exchange, store). Each declares its commands as COMMANDS; `totalplace.cli` registers them in the order of
the list of capabilities."""
