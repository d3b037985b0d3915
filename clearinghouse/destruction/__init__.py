"""Destruction requests, disposal certificates, review, and the daily sweep."""
