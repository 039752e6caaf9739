"""ContentFlow's shared package: domain logic and AWS adapters, shipped as a Lambda layer.

Nothing is imported here on purpose: the redirect function's cold start pays for every import.
"""
