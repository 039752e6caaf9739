"""Statistics: clicks and revenue added up per day, link and platform, and the reports over them."""
