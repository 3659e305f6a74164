"""The algorithm: engine, strategies, latent search. Plain torch / numpy / faiss.

This package's __init__ stays light (no torch) so that the store and the CLI can
use the event types without paying for torch.
"""
