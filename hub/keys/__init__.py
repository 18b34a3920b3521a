"""Keys: the hub's signing keys over time, and rotating to a new one (`hubnet hub rotate-key`)."""
