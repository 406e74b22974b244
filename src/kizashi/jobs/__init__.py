"""Long-running jobs composed from actions: the demo set-up, loading portfolios, monitoring runs."""
