"""The harness every workflow's command runs in: the run folder (name, lock, run.json, journal,
report.json), the common command-line options, and the dry run (the same problems, priced on a
QPU profile, nothing sent).  Each workflow's command lives in its own room (``ptq/cli.py``, ...)."""
