"""alss-tui: a terminal experiment manager for adaptive latent space sampling."""

__version__ = "0.1.0"
