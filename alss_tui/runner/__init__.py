"""One run: the loop that drives the engine, records its events and asks the oracle for labels."""
