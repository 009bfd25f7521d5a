"""hybridplan.tle: element sets (TLE/OMM), constellations, Walker shells, propagation."""
