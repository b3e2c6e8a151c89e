"""Fixtures of these tests: tiny canonical frames and the sample clinic (tests/frames.py)."""

from tests.frames import sample_dataset, sample_truth, small_clinic

__all__ = ["sample_dataset", "sample_truth", "small_clinic"]
