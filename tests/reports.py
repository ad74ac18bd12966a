"""Reading a run folder's report.json in tests."""
import json


def report_rows(folder, workflow=None) -> list[dict]:
    """The rows of every run in ``folder/report.json`` (of one workflow if given), in order."""
    document = json.loads((folder / "report.json").read_text())
    return [row for run in document["runs"] if workflow in (None, run["workflow"]) for row in run["rows"]]
