"""Scenario and plan folders: the contract, reading, validation, writing, the pipeline."""
