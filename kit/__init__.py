"""监督台: functions over one DuckDB file for supervising 一把手 and leadership teams."""

__version__ = "0.1.0"
