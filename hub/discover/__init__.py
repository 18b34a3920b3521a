"""Discover: the directory of existing participation, its Open Referral UK exchange, the gaps."""
