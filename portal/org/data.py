"""Reference data: the head office and the nine regional companies, with demo shopcodes and stores."""
from __future__ import annotations

REGIONS = [
    (0, "TCT", "Tổng công ty (Hội sở)"),
    (1, "CTKV1", "Công ty Dịch vụ MobiFone Khu vực 1 (Hà Nội)"),
    (2, "CTKV2", "Công ty Dịch vụ MobiFone Khu vực 2 (TP. Hồ Chí Minh)"),
    (3, "CTKV3", "Công ty Dịch vụ MobiFone Khu vực 3 (Đà Nẵng)"),
    (4, "CTKV4", "Công ty Dịch vụ MobiFone Khu vực 4 (Ninh Bình)"),
    (5, "CTKV5", "Công ty Dịch vụ MobiFone Khu vực 5 (Hải Phòng)"),
    (6, "CTKV6", "Công ty Dịch vụ MobiFone Khu vực 6 (Phú Thọ)"),
    (7, "CTKV7", "Công ty Dịch vụ MobiFone Khu vực 7 (Khánh Hòa)"),
    (8, "CTKV8", "Công ty Dịch vụ MobiFone Khu vực 8 (Đồng Nai)"),
    (9, "CTKV9", "Công ty Dịch vụ MobiFone Khu vực 9 (Cần Thơ)"),
]

# (shopcode, region, name)
SHOPCODES = [(f"KV{n}ONL", n, f"Kênh online CTKV{n}") for n in range(1, 10)]

# (code, region, name, address, province)
STORES = [
    ("CH-HN-01", 1, "Cửa hàng MobiFone Cầu Giấy", "216 Trần Duy Hưng, Cầu Giấy", "Hà Nội"),
    ("CH-HN-02", 1, "Cửa hàng MobiFone Hoàn Kiếm", "8 Hàng Bài, Hoàn Kiếm", "Hà Nội"),
    ("CH-HCM-01", 2, "Cửa hàng MobiFone Quận 1", "125 Hai Bà Trưng, Bến Nghé", "TP. Hồ Chí Minh"),
    ("CH-HCM-02", 2, "Cửa hàng MobiFone Tân Bình", "364 Cộng Hòa, Tân Bình", "TP. Hồ Chí Minh"),
    ("CH-DN-01", 3, "Cửa hàng MobiFone Hải Châu", "263 Nguyễn Văn Linh, Hải Châu", "Đà Nẵng"),
    ("CH-HP-01", 5, "Cửa hàng MobiFone Lê Chân", "5 Tô Hiệu, Lê Chân", "Hải Phòng"),
    ("CH-CT-01", 9, "Cửa hàng MobiFone Ninh Kiều", "51 Đường 30/4, Ninh Kiều", "Cần Thơ"),
]
