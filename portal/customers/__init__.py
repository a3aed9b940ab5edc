"""Customers (khách hàng): accounts of the Chọn số app and website (AUTH-n, PWD-n)."""
