"""The bandit: which {platform, lang, hook} to post next, learned from matured click windows."""
