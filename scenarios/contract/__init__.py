"""The scenario contract: its tables, reading, validation and atomic writing."""
