"""Hidden voices: who takes part compared with who lives in the hub's area."""
