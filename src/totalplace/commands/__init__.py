"""The sub-commands of `totalplace`, one module per capability; `totalplace.cli` assembles them."""
