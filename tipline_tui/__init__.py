"""tipline-tui: triage CyberTipline-style reports from the terminal."""

__version__ = "0.1.0"
