"""Orders (đơn hàng): one per hold ticket; what the customer pays and how the SIM reaches them (HOLD-n, SHIP-n)."""
