"""Datasets as numpy arrays: the pool, its hidden truth, held-out splits."""
