"""Training and evaluation of the sentiment and emotion heads on public data."""
