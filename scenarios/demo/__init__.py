"""The bundled demo scenario (its data files live here) and the run of `tierplan demo`."""
