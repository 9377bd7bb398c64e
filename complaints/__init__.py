"""The complaint queue by tier and the delay report."""
