"""What local worker processes run as their ``__main__``: nothing (see
:func:`hybridplan.coverage.engine.executors._main_hidden`)."""
