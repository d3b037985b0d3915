"""The e-mail outbox: queued notices, SMTP delivery and retries."""
