"""Fixed reference data for the sample shop: campaigns, referrers, devices.

Kept as plain tuples so the SQL generator can load them as small tables and
so the tests can read the same truth (for example, which UTM triples have
spend rows).
"""

from __future__ import annotations

SHOP_DOMAIN = "shop.example"

# (platform, campaign name, utm_source, utm_medium, utm_campaign, daily spend,
#  spend currency, cpm, ctr, session weight). utm_* of None: the ad platform
# export has no UTM columns for that campaign (the contract's "(not set)" case).
CAMPAIGNS: tuple[tuple, ...] = (
    ("google_ads", "Brand Search", "google", "cpc", "brand_search", 120.0, "USD", 18.0, 0.080, 6),
    ("google_ads", "Generic Shoes", "google", "cpc", "generic_shoes", 300.0, "USD", 12.0, 0.030, 8),
    ("microsoft_ads", "Brand Bing", "bing", "cpc", "brand_bing", 40.0, "USD", 14.0, 0.060, 1),
    ("meta_ads", "Retargeting", "facebook", "paid_social", "retargeting", 150.0, "USD", 9.0, 0.015, 5),
    ("meta_ads", "Spring Launch", "instagram", "paid_social", "spring_launch", 200.0, "EUR", 7.0, 0.010, 4),
    ("tiktok_ads", "UGC Videos", "tiktok", "paid_social", "ugc_videos", 80.0, "USD", 5.0, 0.008, 2),
    ("google_ads", "Display Prospecting", "google", "display", "prospecting", 60.0, "USD", 3.0, 0.004, 1),
    ("pinterest_ads", "Pins Q4", None, None, None, 25.0, "USD", 4.0, 0.006, 0),
)

# Owned channels: sessions with UTM tags but no spend rows.
OWNED_UTMS: tuple[tuple[str, str, str, int], ...] = (
    ("newsletter", "email", "weekly_digest", 5),
    ("klaviyo", "email", "abandoned_cart", 2),
    ("attentive", "sms", "flash_sale", 2),
    ("shop_app", "push", "back_in_stock", 1),
    ("awin", "affiliate", "partners", 1),
)

SEARCH_REFERRERS = (
    "https://www.google.com/",
    "https://www.google.com/",
    "https://www.google.com/",
    "https://www.google.co.uk/",
    "https://www.bing.com/",
    "https://duckduckgo.com/",
)
SOCIAL_REFERRERS = (
    "https://www.facebook.com/",
    "https://l.instagram.com/",
    "https://t.co/x1y2z3",
    "https://www.pinterest.com/",
    "https://www.tiktok.com/",
)
OTHER_REFERRERS = (
    "https://www.runnersworld-reviews.example/best-shoes-2026",
    "https://blog.gearlist.example/roundup",
    "https://forum.trailtalk.example/t/12345",
)

# (device category, user agent): the web user agents the generator sends.
WEB_USER_AGENTS = (
    (
        "desktop",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/141.0.0.0 Safari/537.36",
    ),
    (
        "desktop",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
    ),
    ("desktop", "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"),
    (
        "mobile",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
    ),
    (
        "mobile",
        "Mozilla/5.0 (Linux; Android 15; Pixel 9) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/141.0.0.0 Mobile Safari/537.36",
    ),
    (
        "tablet",
        "Mozilla/5.0 (iPad; CPU OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
    ),
    (
        "tablet",
        "Mozilla/5.0 (Linux; Android 14; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/141.0.0.0 Safari/537.36",
    ),
)
BOT_USER_AGENTS = (
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
    "python-requests/2.32.3",
)

# (country, currency, share of visitors, local price factor vs USD list price)
COUNTRIES = (
    ("US", "USD", 0.55, 1.0),
    ("CA", "USD", 0.05, 1.0),
    ("GB", "GBP", 0.15, 0.80),
    ("DE", "EUR", 0.15, 0.93),
    ("FR", "EUR", 0.10, 0.93),
)

CATEGORIES = ("running", "trail", "hiking", "casual", "accessories")
BRANDS = ("Stridewell", "Northpeak", "Urbanfoot", "Kestrel", "Loop & Lace")
FIRST_NAMES = ("Ada", "Ben", "Chloe", "Dev", "Elif", "Femi", "Greta", "Hiro", "Ines", "Jonas")
LAST_NAMES = ("Ahmed", "Brown", "Costa", "Dubois", "Evans", "Fischer", "Garcia", "Hughes")
CARRIERS = ("UPS", "DHL", "FedEx", "Royal Mail", "La Poste")
REFUND_REASONS = ("damaged", "wrong_size", "not_as_described", "changed_mind")
TICKET_CATEGORIES = ("complaint", "question", "return", "shipping")
SOCIAL_PLATFORMS = ("instagram", "tiktok", "facebook")
