"""The way out: retrieve → answer → cite; measure check; study pack."""
