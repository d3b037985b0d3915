"""Public directory: vendors, products, data elements and who receives them.

`bp` is public (no login on any route). `staff_bp` is where officers keep the directory true.
"""
