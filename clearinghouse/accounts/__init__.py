"""Accounts: sign-in, roles, passwords, login throttling and invitations.

`bp` (sign in, sign out, accept an invitation) is public; `admin_bp` manages users.
"""
