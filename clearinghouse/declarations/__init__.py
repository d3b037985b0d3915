"""Vendors' data declarations: the questionnaire a vendor answers per product, and its versions."""
