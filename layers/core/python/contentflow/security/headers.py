"""Headers that make browsers treat ContentFlow's answers safely. No imports: the redirect uses them."""

_COMMON = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Strict-Transport-Security": "max-age=31536000",
    "Cache-Control": "no-store",
}
# Nothing on a page may load, run, or be framed: the pages are static text.
HTML = {
    **_COMMON,
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
}
API = {**_COMMON, "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'"}
