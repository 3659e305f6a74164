"""Benches: strategies x seeds on one recipe, their summary, and the verdicts drawn from summaries.

The grid and its manifest, the VAE handed to every cell of a seed, the
executors and the driver's cell sink, the typed summary, paired statistics,
the tables and the plot, and the verdict engine that applies a rule file to
summaries. One run's loop stays in `alss_tui.runner`.
"""
