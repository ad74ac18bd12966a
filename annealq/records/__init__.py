"""The run journal: every answer with its problem, parameters, timing and embedding context."""
from annealq.records.journal import (Journal, JournalError, JournalStep, RunFolderBusyError, config_key, opened,
                                     scrub)

__all__ = ["Journal", "JournalError", "JournalStep", "RunFolderBusyError", "config_key", "opened", "scrub"]
