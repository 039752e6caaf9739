"""The click path: redirecting a short link and recording the click (the hottest code)."""
