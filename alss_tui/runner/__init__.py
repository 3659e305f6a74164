"""The run loop: drives the engine, records its events, asks the oracle for labels."""
