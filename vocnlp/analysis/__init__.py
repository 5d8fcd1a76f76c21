"""From labelled comments to numbers an analyst can defend: scores with intervals, by segment and period, driver
rankings with bootstrap intervals, and the dump-adapted sentiment."""
