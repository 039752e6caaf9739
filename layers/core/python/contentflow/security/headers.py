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
# The admin pages: their own stylesheet, script and images (charts are data: SVG), forms to themselves.
PAGE = {
    **_COMMON,
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; script-src 'self'; "
    "img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
}
STATIC = {**_COMMON, "Cache-Control": "public, max-age=300"}
