"""Following changes by e-mail: double opt-in subscriptions and the digest of public changes."""
