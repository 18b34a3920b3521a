"""Summary: the anonymised, disclosure-controlled `summary/1` body for a period."""
