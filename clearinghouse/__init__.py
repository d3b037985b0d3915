"""The Clearinghouse: a district's public register of who receives student data, and why.

The package imports nothing; `clearinghouse.app.create_app` builds the application.
"""
