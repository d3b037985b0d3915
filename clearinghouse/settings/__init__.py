"""District settings, edited by admins."""
