"""The headless benchmark: suites, rankers side by side, calibration, latency, flags."""
