"""What every workflow and study shows a person: text tables, result files, figures and the
report.json schema (rows kept per settings, never replaced by a run of other settings)."""
