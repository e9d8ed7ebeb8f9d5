"""Synthetic district generator: vendor exports (OneRoster, NWEA MAP Growth, mCLASS DIBELS 8)
for a made-up district, with the ground truth they were generated from."""

from .generator import generate_district

__all__ = ["generate_district"]
