"""Audit log (staff) and public change history (disclosure revisions, Atom feed).

`bp` is public; `staff_bp` (the audit log) needs a staff login.
"""
