"""totalplace: count all the public money in a place (UK Total Place)."""

__version__ = "0.1.0"
