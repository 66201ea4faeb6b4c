"""trueneg: hard negatives that are truly negative."""

__version__ = "0.1.0"
