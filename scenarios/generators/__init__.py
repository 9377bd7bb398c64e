"""Synthetic scenarios: plants, orders, customers, the shop floor; job-shop instances."""
