"""Open data: a read-only JSON API with its OpenAPI description, and CSV downloads. Public."""
