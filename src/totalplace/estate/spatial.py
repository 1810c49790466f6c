"""Distances on the Earth for the estate: a k-d tree over points on the sphere.

Latitude and longitude become 3-D points on a sphere of the Earth's mean radius; the
straight-line (chord) distance between two such points grows with the great-circle
distance, so "within d metres along the ground" is exactly "within chord(d)" in the tree.
"""

from __future__ import annotations

import numpy as np

EARTH_RADIUS_M = 6_371_008.8


def to_xyz(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    phi, lam = np.radians(lat), np.radians(lon)
    return EARTH_RADIUS_M * np.column_stack((np.cos(phi) * np.cos(lam), np.cos(phi) * np.sin(lam), np.sin(phi)))


def chord(distance_m: float) -> float:
    """The straight-line distance through the Earth for a great-circle distance."""
    return 2 * EARTH_RADIUS_M * np.sin(distance_m / (2 * EARTH_RADIUS_M))


def great_circle_m(lat1, lon1, lat2, lon2) -> np.ndarray:
    """Haversine distance in metres (arrays broadcast)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    a = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(np.radians(lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0, 1)))


def neighbours_indexed(lat: np.ndarray, lon: np.ndarray, radius_m: float) -> list[list[int]]:
    """For each point, the points within radius_m of it (itself included), found with a k-d tree."""
    points = to_xyz(lat, lon)
    from scipy.spatial import cKDTree  # imported when used: scipy is a fifth of the CLI's start-up

    found = cKDTree(points).query_ball_point(points, chord(radius_m), workers=-1, return_sorted=True)
    return [list(f) for f in found]


def neighbours_all_pairs(lat: np.ndarray, lon: np.ndarray, radius_m: float) -> list[list[int]]:
    """The same answer by measuring every pair: the baseline the index is benchmarked against."""
    points = to_xyz(lat, lon)
    limit = chord(radius_m) ** 2
    return [np.flatnonzero(((points - p) ** 2).sum(axis=1) <= limit).tolist() for p in points]
