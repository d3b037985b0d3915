"""Tool requests: district staff ask for a tool, the privacy office takes it through to a decision."""
