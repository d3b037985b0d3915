"""Data-privacy agreements: their dates, state, renewal and termination; the staff dashboard."""
