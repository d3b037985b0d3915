"""The demo district: its data (district.toml) and the short program that enters it (loader.py)."""
