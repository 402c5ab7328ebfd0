"""Cities and their districts: the administrative frame regulators and institutions belong to."""
