"""Unattended runs: the overnight batch, its Dask cluster, supervised child processes."""
