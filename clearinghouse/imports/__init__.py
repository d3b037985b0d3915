"""Importing (and exporting) a district's existing inventory spreadsheet.

`bp` is the officers' import (admin and officer only). `public_bp` is public: the directory as CSV.
"""
