"""The evaluation harness: gold data, retrieval metrics and baselines, LeCoQA, answer and measure-check
scoring, and the tune/test splits of the project's own eval set. It ships beside the product but is
not part of it: its baseline-only packages are the ``[eval]`` extra.
"""
