"""What-if studies and the comparison of plans."""
