"""Public aggregate reports with accessible charts. Public."""
