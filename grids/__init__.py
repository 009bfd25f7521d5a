"""hybridplan.grids: regions, the H3 grid, terrain, population and fibre reach."""
