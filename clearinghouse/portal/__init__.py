"""The vendor portal: a vendor's own agreements, destruction requests and certificates."""
