"""Compile formulations into dimod models: content hashes and equality of BQMs and CQMs.

The models themselves are built by the problem batches (``QUBOBatch.bqm``,
``CQMBatch.penalty_bqm``) from numpy arrays.
"""
from annealq.compile.bqm import problem_hash, row_hashes, same_problem

__all__ = ["problem_hash", "row_hashes", "same_problem"]
